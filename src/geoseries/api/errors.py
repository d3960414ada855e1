"""Core errors -> HTTP error responses: one status table, one renderer per dialect path prefix.

Every failure a client can cause becomes a core error (geoseries.errors) before it is rendered:
unknown routes, wrong methods, bodies that fail validation, oversized bodies and store errors
alike. Which body shape it gets depends on the path: each dialect registers a renderer for its
prefixes in the app's `ErrorRenderers`; everything else gets the Geoseries default, SpaceKnow's
`{"error": CODE, "errorMessage": "..."}` (spec/stats-pipelines-datasets.md, B.2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from geoseries.api.responses import json_response
from geoseries.errors import (
    BadRequest,
    Conflict,
    EndpointNotFound,
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

logger = logging.getLogger("geoseries.api")

T = TypeVar("T")

STATUS: Mapping[type[GeoseriesError], int] = {
    BadRequest: 400,
    ValidationFailed: 422,
    NotFound: 404,
    EndpointNotFound: 404,
    MethodNotAllowed: 405,
    Conflict: 409,
    PayloadTooLarge: 413,
    NotAuthenticated: 401,
    Forbidden: 403,
    RateLimited: 429,
    Unavailable: 503,
    GeoseriesError: 500,
}
"""HTTP status of each core error class; subclasses inherit their nearest ancestor's status."""

ERROR_FOR_STATUS: Mapping[int, type[GeoseriesError]] = {
    status: cls for cls, status in reversed(list(STATUS.items()))
}
"""The core error a framework-level HTTP status stands for (the first class listed wins)."""

INTERNAL_ERROR_MESSAGE = "internal error"
MAX_VALIDATION_PROBLEMS = 3

ErrorRenderer = Callable[[GeoseriesError], Response]
"""Turns a core error into a complete response: status, headers and the dialect's body."""


def entry_for(table: Mapping[type[GeoseriesError], T], error: GeoseriesError, default: T) -> T:
    """The table's entry for the error's class or its nearest ancestor, else `default`.

    Every dialect maps core errors this way, so a new subclass inherits its parent's mapping.
    """
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return default


def status_for(error: GeoseriesError) -> int:
    return entry_for(STATUS, error, 500)


def printable(text: str) -> str:
    """`text` made encodable as UTF-8 (lone surrogates from client input become escapes)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def spaceknow_error(error: GeoseriesError) -> Response:
    """The Geoseries default rendering: `{"error": CODE, "errorMessage": "..."}`."""
    body = {"error": error.code, "errorMessage": printable(error.message)}
    return json_response(body, status_for(error))


class ErrorBody(BaseModel):
    """Documents the default error body in the OpenAPI description."""

    error: str
    errorMessage: str  # noqa: N815 - the wire name


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the default error body at `statuses`."""
    return {status: {"model": ErrorBody} for status in statuses}


class ErrorRenderers:
    """Which renderer answers the errors of which paths; the longest matching prefix wins.

    A prefix matches whole path segments: `/v0` covers `/v0` and `/v0/devices`, not `/v0x`.
    """

    def __init__(self, default: ErrorRenderer = spaceknow_error) -> None:
        self.default = default
        self._by_prefix: dict[str, ErrorRenderer] = {}

    def register(self, prefix: str, renderer: ErrorRenderer) -> None:
        if not prefix.startswith("/"):
            raise ValueError(f"an error renderer prefix must start with '/', not {prefix!r}")
        self._by_prefix[prefix.rstrip("/")] = renderer

    def for_path(self, path: str) -> ErrorRenderer:
        matching = [p for p in self._by_prefix if path == p or path.startswith(p + "/")]
        return self._by_prefix[max(matching, key=len)] if matching else self.default

    def render(self, path: str, error: GeoseriesError) -> Response:
        """The response of `path`'s dialect; a `RateLimited` error also gets `Retry-After`."""
        response = self.for_path(path)(error)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            response.headers.setdefault("Retry-After", str(error.retry_after))
        return response


def install_error_handlers(app: FastAPI, renderers: ErrorRenderers) -> None:
    """Route every exception the app can raise through `renderers`."""

    def core_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GeoseriesError)
        if status_for(exc) >= 500:
            logger.warning("%s %s failed: %s", request.method, request.url.path, exc.message)
        return renderers.render(request.url.path, exc)

    def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return renderers.render(request.url.path, validation_failure(exc.errors()))

    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        response = renderers.render(request.url.path, framework_error(request, exc))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    def unexpected_error(request: Request, exc: Exception) -> Response:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return renderers.render(request.url.path, GeoseriesError(INTERNAL_ERROR_MESSAGE))

    app.add_exception_handler(GeoseriesError, core_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)


def framework_error(request: Request, exc: HTTPException) -> GeoseriesError:
    """The core error behind an HTTPException raised by Starlette or FastAPI themselves."""
    where = f"{request.method} {request.url.path[:200]}"
    if exc.status_code == 404:
        return EndpointNotFound(f"no endpoint answers {where}")
    if exc.status_code == 405:
        return MethodNotAllowed(f"method not allowed: {where}")
    if exc.status_code == 413:
        return PayloadTooLarge(str(exc.detail))
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # FastAPI could not decode the body (e.g. invalid UTF-8): malformed JSON, like bad syntax.
        return ValidationFailed(f"body: not valid JSON ({exc.__cause__})", field="body")
    fallback = BadRequest if exc.status_code < 500 else GeoseriesError
    return ERROR_FOR_STATUS.get(exc.status_code, fallback)(str(exc.detail))


def validation_failure(problems: Sequence[Any]) -> ValidationFailed:
    """One ValidationFailed naming the offending fields of a request that failed validation."""
    described = [_describe(problem) for problem in problems[:MAX_VALIDATION_PROBLEMS]]
    if not described:
        return ValidationFailed("the request failed validation")
    message = "; ".join(text for _, text in described)
    if len(problems) > MAX_VALIDATION_PROBLEMS:
        message += f" (and {len(problems) - MAX_VALIDATION_PROBLEMS} more)"
    return ValidationFailed(message, field=described[0][0])


def _describe(problem: Mapping[str, Any]) -> tuple[str, str]:
    """(field, "field: what is wrong") for one pydantic/FastAPI error entry."""
    source, *path = problem.get("loc") or ("request",)
    if problem.get("type") == "json_invalid":
        reason = (problem.get("ctx") or {}).get("error", "syntax error")
        position = f" at position {path[0]}" if path else ""
        return "body", f"body: not valid JSON ({reason}{position})"
    field = printable(".".join(str(part) for part in path)) if path else str(source)
    label = field if source == "body" or not path else f"{source} parameter {field}"
    return field, f"{label}: {problem.get('msg', 'invalid')}"


def allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts at this path (Starlette only names the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        if route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods)
