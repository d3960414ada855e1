"""Every failure a client can cause is rendered as a core error in the path's dialect."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.responses import Response

from geoseries.api.app import create_app
from geoseries.api.errors import (
    ErrorRenderer,
    ErrorRenderers,
    spaceknow_error,
    status_for,
    validation_failure,
)
from geoseries.api.responses import json_response
from geoseries.errors import (
    EndpointNotFound,
    GeoseriesError,
    InputRowError,
    NotAuthenticated,
    NotFound,
)
from geoseries.settings import Settings
from tests.api.conftest import SMALL_BODY_LIMIT, add_organization, small_body_settings


def assert_error(response: httpx2.Response, status: int, code: str) -> str:
    """Check a default-dialect error response; returns its errorMessage."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "errorMessage"}
    assert body["error"] == code
    message: str = body["errorMessage"]
    assert message
    return message


def test_unknown_route_is_non_existent_endpoint(client: TestClient) -> None:
    message = assert_error(client.get("/no/such/thing"), 404, "NON-EXISTENT-ENDPOINT")
    assert "/no/such/thing" in message


def test_wrong_method_names_every_allowed_method(client: TestClient) -> None:
    response = client.put("/datasets", json={})
    assert_error(response, 405, "METHOD-NOT-ALLOWED")
    assert response.headers["allow"] == "GET, POST"

    response = client.post("/datasets/some-name")
    assert_error(response, 405, "METHOD-NOT-ALLOWED")
    assert response.headers["allow"] == "DELETE, GET"

    response = client.delete("/healthz")
    assert_error(response, 405, "METHOD-NOT-ALLOWED")
    assert response.headers["allow"] == "GET"


def test_missing_api_key_is_not_authorized(client: TestClient) -> None:
    message = assert_error(client.get("/datasets"), 401, "NOT-AUTHORIZED")
    assert "X-API-KEY" in message


def test_unknown_api_key_is_not_authorized(client: TestClient, acme: dict[str, str]) -> None:
    assert_error(client.get("/datasets", headers={"X-API-KEY": "nope"}), 401, "NOT-AUTHORIZED")
    assert client.get("/datasets", headers=acme).status_code == 200


def test_missing_body_member_is_a_validation_error_naming_it(
    client: TestClient, acme: dict[str, str]
) -> None:
    response = client.post("/datasets", headers=acme, json={"kind": "stations"})
    message = assert_error(response, 422, "VALIDATION-ERROR")
    assert message.startswith("name:")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "ok", "variables": "H"}, "variables"),
        ({"name": "ok", "variables": ["H", "H"]}, "variables"),
        ({"name": "ok", "variables": [""]}, "variables.0"),
        ({"name": "ok", "kind": "rasters"}, "kind"),
        ({"name": "ok", "public": "maybe"}, "public"),
        ({"name": "ok", "feature_id": "code"}, "feature_id"),  # the wire name is featureId
        ({"name": "ok", "label": "a\x00b"}, "label"),
        ({"name": "bad name!"}, "name"),
        ({"name": "ok\n"}, "name"),
        ({"name": "x" * 65}, "name"),
    ],
)
def test_invalid_body_member_is_named(
    client: TestClient, acme: dict[str, str], body: dict[str, object], field: str
) -> None:
    message = assert_error(
        client.post("/datasets", headers=acme, json=body), 422, "VALIDATION-ERROR"
    )
    assert message.startswith(f"{field}:")


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"{bad json", "body"),
        (b'{"name": "x",}', "body"),
        (b"", "body"),
        (b"\xff\xfe\x00", "body"),
        (b"[1, 2]", "body"),
        (b'{"name": "ok", "label": "\\ud800"}', "label"),
        (b'{"name": "ok", "\\udfff": 1}', "body"),
    ],
)
def test_malformed_json_is_a_validation_error_of_the_body(
    client: TestClient, acme: dict[str, str], content: bytes, field: str
) -> None:
    headers = {**acme, "content-type": "application/json"}
    response = client.post("/datasets", headers=headers, content=content)
    message = assert_error(response, 422, "VALIDATION-ERROR")
    assert message.startswith(f"{field}:") or message.startswith(f"{field} ")


def test_invalid_query_parameter_is_named(app: FastAPI, client: TestClient) -> None:
    @app.get("/test-only/paged")
    def paged(limit: int) -> Response:
        return json_response({"limit": limit})

    message = assert_error(client.get("/test-only/paged?limit=ten"), 422, "VALIDATION-ERROR")
    assert message.startswith("query parameter limit:")
    message = assert_error(client.get("/test-only/paged"), 422, "VALIDATION-ERROR")
    assert message == "query parameter limit: Field required"
    assert client.get("/test-only/paged?limit=10").json() == {"limit": 10}


def test_unexpected_exception_is_a_logged_internal_error(
    app: FastAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/test-only/broken")
    def broken() -> Response:
        raise RuntimeError("secret detail")

    client = TestClient(app, raise_server_exceptions=False)
    with client, caplog.at_level(logging.ERROR, logger="geoseries.api"):
        response = client.get("/test-only/broken")
    assert response.status_code == 500
    assert response.json() == {"error": "ERROR", "errorMessage": "internal error"}
    [record] = [r for r in caplog.records if r.name == "geoseries.api"]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert "/test-only/broken" in record.getMessage()


# -- 413 ------------------------------------------------------------------------------------------


@pytest.fixture
def small_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(small_body_settings(settings))) as client:
        yield client


@pytest.fixture
def acme_small(small_client: TestClient) -> dict[str, str]:
    return add_organization(small_client.app.state.store, "acme")  # type: ignore[attr-defined]


def test_declared_body_over_the_limit_is_refused(
    small_client: TestClient, acme_small: dict[str, str]
) -> None:
    body = b'{"name": "big", "label": "' + b"x" * SMALL_BODY_LIMIT + b'"}'
    headers = {**acme_small, "content-type": "application/json"}
    response = small_client.post("/datasets", headers=headers, content=body)
    message = assert_error(response, 413, "PAYLOAD-TOO-LARGE")
    assert str(SMALL_BODY_LIMIT) in message
    assert small_client.get("/datasets/big", headers=acme_small).status_code == 404


def test_declared_body_over_the_limit_is_refused_on_any_path(small_client: TestClient) -> None:
    response = small_client.post("/no/such/thing", content=b"x" * (SMALL_BODY_LIMIT + 1))
    assert_error(response, 413, "PAYLOAD-TOO-LARGE")


def test_streamed_body_over_the_limit_is_refused(
    small_client: TestClient, acme_small: dict[str, str]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "big", "label": "'
        for _ in range(4):
            yield b"x" * 512
        yield b'"}'

    headers = {**acme_small, "content-type": "application/json"}
    response = small_client.post("/datasets", headers=headers, content=chunks())
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_error(response, 413, "PAYLOAD-TOO-LARGE")


def test_body_at_the_limit_is_accepted(
    small_client: TestClient, acme_small: dict[str, str]
) -> None:
    body = b'{"name": "fits", "label": "just fits"}'.ljust(SMALL_BODY_LIMIT)  # JSON allows spaces
    assert len(body) == SMALL_BODY_LIMIT
    headers = {**acme_small, "content-type": "application/json"}
    response = small_client.post("/datasets", headers=headers, content=body)
    assert response.status_code == 201, response.text


# -- the error table and the renderer registry ----------------------------------------------------


def test_status_table_follows_the_class_hierarchy() -> None:
    assert status_for(InputRowError(3, "bad value")) == 422
    assert status_for(EndpointNotFound("x")) == 404
    assert status_for(NotAuthenticated("x")) == 401
    assert status_for(GeoseriesError("x")) == 500


def test_spaceknow_rendering_survives_unencodable_text() -> None:
    response = spaceknow_error(NotFound("dataset '\ud800' does not exist"))
    assert response.status_code == 404
    assert b"\\\\ud800" in response.body


def test_validation_failure_names_the_first_field_and_counts_the_rest() -> None:
    problems = [
        {"loc": ("body", "variables", 2), "msg": "String too short", "type": "string_too_short"},
        *({"loc": ("body", f"f{i}"), "msg": "bad", "type": "x"} for i in range(4)),
    ]
    failure = validation_failure(problems)
    assert failure.field == "variables.2"
    assert failure.message.startswith("variables.2: String too short; f0: bad; f1: bad")
    assert failure.message.endswith("(and 2 more)")


def renderer_named(name: str) -> ErrorRenderer:
    def render(error: GeoseriesError) -> Response:
        return json_response({"dialect": name, "code": error.code}, status_for(error))

    return render


def test_longest_registered_prefix_renders_whole_segments_only() -> None:
    renderers = ErrorRenderers()
    renderers.register("/api", renderer_named("kano"))
    renderers.register("/api/v2/", renderer_named("monarc"))
    assert renderers.for_path("/api/stations") is not renderers.default
    assert (
        renderers.render("/api/stations", NotFound("x")).body
        == b'{"dialect":"kano","code":"NOT-FOUND"}'
    )
    assert b"monarc" in renderers.render("/api/v2/stats", NotFound("x")).body
    assert b"monarc" in renderers.render("/api/v2", NotFound("x")).body
    assert b"kano" in renderers.render("/api/v2x", NotFound("x")).body
    assert renderers.for_path("/apix") is renderers.default
    with pytest.raises(ValueError, match="must start with '/'"):
        renderers.register("v0", renderer_named("smartcitizen"))


def test_a_dialect_renders_the_errors_of_its_prefix(settings: Settings) -> None:
    app = create_app(small_body_settings(settings))
    app.state.errors.register("/v0", renderer_named("smartcitizen"))
    with TestClient(app) as client:
        assert client.get("/v0/devices").json() == {
            "dialect": "smartcitizen",
            "code": "NON-EXISTENT-ENDPOINT",
        }
        too_large = client.post("/v0/readings", content=b"x" * (SMALL_BODY_LIMIT + 1))
        assert too_large.status_code == 413
        assert too_large.json() == {"dialect": "smartcitizen", "code": "PAYLOAD-TOO-LARGE"}
        assert client.get("/elsewhere").json()["error"] == "NON-EXISTENT-ENDPOINT"
