"""JSON responses serialised by orjson, whole or streamed.

FastAPI's default path (jsonable_encoder, then json.dumps) is about ten times slower than orjson
on feature-sized payloads (DESIGN.md, "Performance habits"), so handlers build their response
with `json_response` and FastAPI returns it untouched. Large results are streamed with
`streamed_json`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

import anyio.to_thread
import orjson
from starlette.responses import JSONResponse, Response, StreamingResponse

JSON = "application/json"
PULL_BYTES = 2 << 20
"""How much of a streamed body one trip to a worker thread produces (at most one chunk more)."""


class OrjsonResponse(JSONResponse):
    """A JSON response whose content is serialised by orjson.

    A JSONResponse subclass so that, used as `response_class`, FastAPI still documents the
    route's `response_model` schema in OpenAPI.
    """

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> OrjsonResponse:
    return OrjsonResponse(content, status_code=status_code, headers=headers)


def streamed_json(chunks: Iterable[bytes]) -> Response:
    """A JSON body from a blocking iterator of byte chunks (database reads, encoding); called
    by a plain `def` handler, so on a worker thread.

    The first PULL_BYTES are made here: a body that ends within them is sent whole, with no
    further trip to a thread. A longer one streams the rest, pulled on a worker thread about
    PULL_BYTES at a time (Starlette's own iteration of a plain iterator goes to a thread and
    back for every chunk). Memory stays bounded by PULL_BYTES plus one chunk.
    """
    iterator = iter(chunks)
    head, more = _take(iterator)
    if not more:
        return Response(head, media_type=JSON)
    return StreamingResponse(_pulled(head, iterator), media_type=JSON)


async def _pulled(head: bytes, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    yield head
    more = True
    while more:
        batch, more = await anyio.to_thread.run_sync(_take, chunks)
        if batch:
            yield batch


def _take(chunks: Iterator[bytes]) -> tuple[bytes, bool]:
    """About PULL_BYTES of the next chunks joined, and whether there may be more."""
    taken: list[bytes] = []
    size = 0
    for chunk in chunks:
        taken.append(chunk)
        size += len(chunk)
        if size >= PULL_BYTES:
            return b"".join(taken), True
    return b"".join(taken), False
