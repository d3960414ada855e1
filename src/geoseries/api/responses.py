"""JSON responses serialised by orjson.

FastAPI's default path (jsonable_encoder, then json.dumps) is about ten times slower than orjson
on feature-sized payloads (DESIGN.md, "Performance habits"), so handlers build their response
with `json_response` and FastAPI returns it untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.responses import Response


class OrjsonResponse(Response):
    """A JSON response whose content is serialised by orjson (also usable as `response_class`)."""

    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type, background)

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> OrjsonResponse:
    return OrjsonResponse(content, status_code=status_code, headers=headers)
