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
from starlette.responses import JSONResponse, StreamingResponse

PULL_BYTES = 1 << 20
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


def streamed_json(chunks: Iterable[bytes]) -> StreamingResponse:
    """A JSON body streamed from a blocking iterator of byte chunks (database reads, encoding).

    Chunks are pulled on a worker thread about PULL_BYTES at a time: Starlette's own iteration
    of a plain iterator goes to a thread and back for every chunk, which cost a 5,000-document
    page more than its encoding. Memory stays bounded by PULL_BYTES plus one chunk.
    """
    return StreamingResponse(_pulled(iter(chunks)), media_type="application/json")


async def _pulled(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    while (batch := await anyio.to_thread.run_sync(_take, chunks)) is not None:
        yield batch


def _take(chunks: Iterator[bytes]) -> bytes | None:
    """About PULL_BYTES of the next chunks joined; None once there are none left."""
    taken: list[bytes] = []
    size = 0
    for chunk in chunks:
        taken.append(chunk)
        size += len(chunk)
        if size >= PULL_BYTES:
            break
    return b"".join(taken) if taken else None
