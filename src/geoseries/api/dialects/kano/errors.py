"""Core errors in the Feathers body Kano clients expect (spec/kano.md §8, DECISIONS.md, Kano).

The body is `{"name", "message", "code", "className"}` with `code` equal to the HTTP status, plus
`"errors": {}` on 400 and 404, where Kano's database adapter (Feathers 4 errors) always adds it.
Kano answers every malformed query with 400 `BadRequest`, so `ValidationFailed` is a 400 here
(not the core's 422) and its message names the offending parameter.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from geoseries.api.errors import entry_for, printable, status_for
from geoseries.api.responses import json_response
from geoseries.errors import GeoseriesError, ValidationFailed

STATUS: Mapping[type[GeoseriesError], int] = {ValidationFailed: 400}
"""Where Kano's status differs from the core's (geoseries.api.errors.STATUS)."""

FEATHERS: Mapping[int, tuple[str, str]] = {
    400: ("BadRequest", "bad-request"),
    401: ("NotAuthenticated", "not-authenticated"),
    403: ("Forbidden", "forbidden"),
    404: ("NotFound", "not-found"),
    405: ("MethodNotAllowed", "method-not-allowed"),
    409: ("Conflict", "conflict"),
    # Feathers has no 413 error class; this name follows its naming scheme.
    413: ("PayloadTooLarge", "payload-too-large"),
    422: ("Unprocessable", "unprocessable"),
    429: ("TooManyRequests", "too-many-requests"),
    500: ("GeneralError", "general-error"),
    503: ("Unavailable", "unavailable"),
}
"""Feathers (name, className) of each status; any status not listed is a 500 GeneralError."""

WITH_ERRORS = frozenset({400, 404})
"""Statuses whose Feathers 4 body always carries `"errors": {}` (kano.md §8)."""


def kano_status(error: GeoseriesError) -> int:
    """The status Kano answers `error` with; unknown statuses fall back to 500."""
    status = entry_for(STATUS, error, status_for(error))
    return status if status in FEATHERS else 500


def kano_message(error: GeoseriesError) -> str:
    """The error's message, prefixed by the offending parameter when it does not name it."""
    message = printable(error.message)
    if error.field and error.field not in message:
        return f"{printable(error.field)}: {message}"
    return message


def render_error(error: GeoseriesError) -> Response:
    status = kano_status(error)
    name, class_name = FEATHERS[status]
    body: dict[str, object] = {
        "name": name,
        "message": kano_message(error),
        "code": status,
        "className": class_name,
    }
    if status in WITH_ERRORS:
        body["errors"] = {}
    return json_response(body, status)
