"""Errors under `/api` have the Feathers body Kano clients expect (spec/kano.md §8)."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient

from geoseries.api.app import create_app
from geoseries.api.dialects.kano import render_error
from geoseries.api.errors import ErrorRenderers, validation_failure
from geoseries.auth.login import WrongCredentials
from geoseries.errors import (
    BadRequest,
    Conflict,
    EndpointNotFound,
    Forbidden,
    GeoseriesError,
    InputRowError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from geoseries.settings import Settings


def feathers(status: int, name: str, class_name: str, message: str) -> dict[str, object]:
    body: dict[str, object] = {
        "name": name,
        "message": message,
        "code": status,
        "className": class_name,
    }
    if status in (400, 404):
        body["errors"] = {}
    return body


@pytest.mark.parametrize(
    ("error", "status", "name", "class_name"),
    [
        (BadRequest("bad"), 400, "BadRequest", "bad-request"),
        (ValidationFailed("bad"), 400, "BadRequest", "bad-request"),
        (NotAuthenticated("bad"), 401, "NotAuthenticated", "not-authenticated"),
        (WrongCredentials("bad"), 401, "NotAuthenticated", "not-authenticated"),
        (Forbidden("bad"), 403, "Forbidden", "forbidden"),
        (NotFound("bad"), 404, "NotFound", "not-found"),
        (EndpointNotFound("bad"), 404, "NotFound", "not-found"),
        (MethodNotAllowed("bad"), 405, "MethodNotAllowed", "method-not-allowed"),
        (Conflict("bad"), 409, "Conflict", "conflict"),
        (PayloadTooLarge("bad"), 413, "PayloadTooLarge", "payload-too-large"),
        (RateLimited("bad"), 429, "TooManyRequests", "too-many-requests"),
        (Unavailable("bad"), 503, "Unavailable", "unavailable"),
        (GeoseriesError("bad"), 500, "GeneralError", "general-error"),
    ],
)
def test_every_core_error_has_its_feathers_name(
    error: GeoseriesError, status: int, name: str, class_name: str
) -> None:
    response = render_error(error)
    assert response.status_code == status
    assert orjson.loads(response.body) == feathers(status, name, class_name, "bad")


def test_validation_failure_names_the_parameter() -> None:
    assert orjson.loads(render_error(ValidationFailed("not a number", field="$limit")).body) == (
        feathers(400, "BadRequest", "bad-request", "$limit: not a number")
    )
    error = validation_failure([{"loc": ("query", "$limit"), "msg": "not a number"}])
    assert (
        orjson.loads(render_error(error).body)["message"] == "query parameter $limit: not a number"
    )


def test_subclasses_take_their_parents_entry() -> None:
    body = orjson.loads(render_error(InputRowError(3, "bad")).body)
    assert body == feathers(400, "BadRequest", "bad-request", "line 3: bad")


def test_lone_surrogates_in_messages_are_escaped() -> None:
    body = orjson.loads(render_error(BadRequest("bad \udc80 value")).body)
    assert body["message"] == "bad \\udc80 value"


def test_kano_owns_api_and_longer_prefixes_may_override() -> None:
    from geoseries.api.dialects import register_errors

    renderers = ErrorRenderers()
    register_errors(renderers)
    assert renderers.for_path("/api") is render_error
    assert renderers.for_path("/api/hubeau-stations/X1") is render_error
    assert renderers.for_path("/apix") is renderers.default
    renderers.register("/api/v2", renderers.default)
    assert renderers.for_path("/api/v2/stats") is renderers.default


def test_rate_limited_keeps_retry_after() -> None:
    renderers = ErrorRenderers()
    renderers.register("/api", render_error)
    response = renderers.render("/api/x", RateLimited("slow down", retry_after=7))
    assert response.headers["Retry-After"] == "7"
    assert orjson.loads(response.body)["name"] == "TooManyRequests"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_unknown_api_path_is_a_feathers_not_found(settings: Settings, method: str) -> None:
    """A path no route serves; `/api/<name>` itself is a dataset, authenticated first."""
    with TestClient(create_app(settings)) as client:
        response = client.request(method, "/api/nothing/here/at-all")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"name", "message", "code", "className", "errors"}
    assert (body["name"], body["code"], body["className"], body["errors"]) == (
        "NotFound",
        404,
        "not-found",
        {},
    )
    assert "/api/nothing/here/at-all" in body["message"]
