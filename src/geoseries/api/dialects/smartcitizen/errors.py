"""Core errors in the Smart Citizen body `{id, message, url, errors}` (smartcitizen.md §8)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from geoseries.api.errors import entry_for, printable, status_for
from geoseries.api.responses import json_response
from geoseries.auth.login import WrongCredentials
from geoseries.errors import (
    BadRequest,
    Conflict,
    EndpointNotFound,
    Forbidden,
    GeoseriesError,
    InvalidItems,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    ValidationFailed,
)

AUTHENTICATION_URL = "https://developer.smartcitizen.me/#authentication"


class ParameterMissing(BadRequest):
    """A required parameter is absent or empty (Rails' `parameter_missing`)."""


IDS: Mapping[type[GeoseriesError], tuple[int, str]] = {
    ParameterMissing: (400, "parameter_missing"),
    BadRequest: (400, "bad_request"),
    ValidationFailed: (422, "unprocessable_entity"),
    NotAuthenticated: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    EndpointNotFound: (404, "not_found"),
    NotFound: (404, "record_not_found"),
    MethodNotAllowed: (405, "method_not_allowed"),
    Conflict: (409, "conflict"),
    PayloadTooLarge: (413, "payload_too_large"),
    RateLimited: (429, "enhance_your_calm"),
    Unavailable: (503, "service_unavailable"),
}
"""(status, id) of each core error class; subclasses take their nearest ancestor's entry."""


def smartcitizen_status(error: GeoseriesError) -> tuple[int, str]:
    return entry_for(IDS, error, (status_for(error), "internal_server_error"))


def render_error(error: GeoseriesError) -> Response:
    status, error_id = smartcitizen_status(error)
    message = printable(error.message)
    errors: dict[str, list[str]] | None = None
    if isinstance(error, InvalidItems):
        errors = {printable(path): list(map(printable, r)) for path, r in error.problems.items()}
    elif isinstance(error, ValidationFailed) and error.field:
        errors = {error.field: [message]}
    login_required = isinstance(error, NotAuthenticated) and not isinstance(error, WrongCredentials)
    url = AUTHENTICATION_URL if login_required else None
    body = {"id": error_id, "message": message, "url": url, "errors": errors}
    return json_response(body, status)
