"""JSON responses serialised by orjson.

FastAPI's default path (jsonable_encoder, then json.dumps) is about ten times slower than orjson
on feature-sized payloads (DESIGN.md, "Performance habits"), so handlers build their response
with `json_response` and FastAPI returns it untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import JSONResponse


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
