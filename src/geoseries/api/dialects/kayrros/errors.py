"""Core errors in the Kayrros body `{"code": NAME, "message": "..."}` (DECISIONS.md, Kayrros)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from geoseries.api.errors import entry_for, printable, status_for
from geoseries.api.responses import json_response
from geoseries.auth.login import WrongCredentials
from geoseries.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    GeoseriesError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    ValidationFailed,
)

CODES: Mapping[type[GeoseriesError], tuple[int, str]] = {
    BadRequest: (400, "BAD_REQUEST"),
    ValidationFailed: (400, "VALIDATION_EXCEPTION"),
    WrongCredentials: (401, "WRONG_CREDENTIALS"),
    NotAuthenticated: (401, "UNAUTHORIZED"),
    Forbidden: (403, "ACCESS_DENIED"),
    NotFound: (404, "NOT_FOUND"),
    MethodNotAllowed: (405, "METHOD_NOT_ALLOWED"),
    Conflict: (409, "DUPLICATE_ENTITY"),
    PayloadTooLarge: (413, "PAYLOAD_TOO_LARGE"),
    RateLimited: (429, "TOO_MANY_REQUESTS"),
    Unavailable: (503, "SERVICE_UNAVAILABLE"),
}
"""(status, code) of each core error class; subclasses take their nearest ancestor's entry."""


def kayrros_status(error: GeoseriesError) -> tuple[int, str]:
    return entry_for(CODES, error, (status_for(error), "INTERNAL_SERVER_ERROR"))


def render_error(error: GeoseriesError) -> Response:
    status, code = kayrros_status(error)
    return json_response({"code": code, "message": printable(error.message)}, status)
