"""Rate limits through the real app: per caller and route class, 429 with Retry-After."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Scope

from geoseries.api.app import create_app
from geoseries.api.errors import ErrorRenderers
from geoseries.api.rate_limit import RateLimits, RouteClass, route_class
from geoseries.errors import RateLimited
from geoseries.settings import RateLimitSettings, Settings
from tests.api.conftest import add_organization

OTHER_IP = ("203.0.113.7", 40000)


def limited(settings: Settings, **limits: Any) -> Settings:
    """`settings` with rate limiting on and `limits` (RateLimitSettings fields) applied."""
    return settings.model_copy(update={"rate_limit": RateLimitSettings(enabled=True, **limits)})


@pytest.fixture
def three_a_minute(settings: Settings) -> Iterator[TestClient]:
    """A running app whose control routes allow three requests a minute."""
    with TestClient(create_app(limited(settings, control="3/minute"))) as client:
        yield client


def from_other_ip(client: TestClient) -> TestClient:
    """Another client of the same (running) app, seen from another address."""
    app: FastAPI = client.app  # type: ignore[assignment]
    return TestClient(app, client=OTHER_IP)


def statuses(client: TestClient, n: int, path: str = "/datasets", **kwargs: Any) -> list[int]:
    return [client.get(path, **kwargs).status_code for _ in range(n)]


def test_each_api_key_has_its_own_budget(three_a_minute: TestClient) -> None:
    store = three_a_minute.app.state.store  # type: ignore[attr-defined]
    acme, globex = add_organization(store, "acme"), add_organization(store, "globex")
    assert statuses(three_a_minute, 3, headers=acme) == [200] * 3
    assert three_a_minute.get("/datasets", headers=acme).status_code == 429
    assert statuses(three_a_minute, 3, headers=globex) == [200] * 3
    # The same key from another address shares the budget it already spent.
    assert from_other_ip(three_a_minute).get("/datasets", headers=acme).status_code == 429


def test_anonymous_callers_are_limited_per_ip(three_a_minute: TestClient) -> None:
    assert 429 not in statuses(three_a_minute, 3)
    assert three_a_minute.get("/datasets").status_code == 429
    assert 429 not in statuses(from_other_ip(three_a_minute), 3)


def test_credentials_in_the_query_identify_the_caller(three_a_minute: TestClient) -> None:
    assert 429 not in statuses(three_a_minute, 3, params={"jwt": "token-a"})
    assert three_a_minute.get("/datasets", params={"jwt": "token-a"}).status_code == 429
    assert three_a_minute.get("/datasets", params={"access_token": "b"}).status_code != 429
    assert three_a_minute.get("/datasets").status_code != 429  # the IP's budget is untouched


def test_over_the_limit_answers_429_with_retry_after(three_a_minute: TestClient) -> None:
    statuses(three_a_minute, 3)
    response = three_a_minute.get("/datasets")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "TOO-MANY-REQUESTS"
    assert "3 per 1 minute" in body["errorMessage"]


def test_the_window_frees_after_time_passes(settings: Settings) -> None:
    with TestClient(create_app(limited(settings, control="2/second"))) as client:
        assert 429 not in statuses(client, 2, "/nowhere")
        refused = client.get("/nowhere")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        time.sleep(1.1)
        assert client.get("/nowhere").status_code == 404


def test_probes_are_exempt(settings: Settings) -> None:
    with TestClient(create_app(limited(settings, default="1/minute"))) as client:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert statuses(client, 5, path) == [200] * 5


def test_login_routes_are_stricter_and_counted_per_ip(settings: Settings) -> None:
    with TestClient(create_app(limited(settings))) as client:  # login 10/minute, default 150
        for i in range(10):
            headers = {"Authorization": f"Bearer made-up-{i}"}  # buys no fresh budget
            response = client.post("/v3/login", json={}, headers=headers)
            assert response.status_code != 429
        assert client.post("/v3/login", json={}).status_code == 429
        assert client.post("/oauth/token").status_code == 429  # one budget for every login
        assert 429 not in statuses(client, 20)  # other routes keep the default


def test_ingest_routes_have_their_own_limit(settings: Settings) -> None:
    app = create_app(limited(settings, default="2/minute", ingest="5/minute"))
    with TestClient(app) as client:
        assert 429 not in [client.post("/datasets/x/observations").status_code for _ in range(5)]
        assert client.post("/datasets/x/observations").status_code == 429
        assert 429 not in statuses(client, 2)
        assert client.get("/datasets").status_code == 429


def test_disabled_setting_turns_limits_off(settings: Settings) -> None:
    off = limited(settings, default="1/minute", login="1/minute")
    off = off.model_copy(
        update={"rate_limit": off.rate_limit.model_copy(update={"enabled": False})}
    )
    with TestClient(create_app(off)) as client:
        assert 429 not in statuses(client, 5)
        assert 429 not in [client.post("/v3/login", json={}).status_code for _ in range(5)]


def test_a_malformed_limit_fails_at_startup(settings: Settings) -> None:
    with pytest.raises(ValueError, match=r"rate_limit\.ingest: 'lots' is not a limit"):
        create_app(limited(settings, ingest="lots"))


def test_rate_limits_are_on_by_default() -> None:
    defaults = RateLimitSettings()
    assert defaults.enabled
    assert (defaults.default, defaults.login) == ("150/minute", "10/minute")


# -- the route-class table and the caller key -----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/healthz", RouteClass.PROBE),
        ("GET", "/readyz/", RouteClass.PROBE),
        ("GET", "/metrics", RouteClass.PROBE),
        ("GET", "/healthzz", RouteClass.CONTROL),
        ("POST", "/v3/login", RouteClass.LOGIN),
        ("POST", "/oauth/token", RouteClass.LOGIN),
        ("POST", "/v0/sessions", RouteClass.LOGIN),
        ("POST", "/v3/loginx", RouteClass.CONTROL),
        ("POST", "/v0/devices/abc/readings", RouteClass.INGEST),
        ("POST", "/datasets/rivers/observations", RouteClass.INGEST),
        ("POST", "/api/hubeau-hydro-observations", RouteClass.INGEST),
        ("GET", "/api/hubeau-hydro-observations", RouteClass.CONTROL),
        ("POST", "/api/v2/stats/", RouteClass.CONTROL),
        ("POST", "/datasets", RouteClass.CONTROL),
        ("POST", "/organizations", RouteClass.CONTROL),
        ("POST", "/organizations/acme/keys", RouteClass.CONTROL),
        ("DELETE", "/organizations/acme/keys/readings", RouteClass.CONTROL),
        ("POST", "/users", RouteClass.CONTROL),
        ("GET", "/", RouteClass.CONTROL),
    ],
)
def test_route_classes(method: str, path: str, expected: RouteClass) -> None:
    assert route_class(method, path) is expected


def scope(headers: dict[str, str] | None = None, query: str = "") -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": "/datasets",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("192.0.2.1", 1234),
    }


def test_caller_keys_never_hold_the_secret() -> None:
    limits = RateLimits(RateLimitSettings())
    secret = "s3cr3t-api-key-value"
    keys = [
        limits.caller(scope({"X-API-KEY": secret}), RouteClass.CONTROL),
        limits.caller(scope({"Authorization": f"Bearer {secret}"}), RouteClass.CONTROL),
        limits.caller(scope(query=f"jwt={secret}"), RouteClass.CONTROL),
    ]
    assert all(secret not in key and key.startswith("credential:") for key in keys)
    assert len(set(keys)) == 3
    assert limits.caller(scope(), RouteClass.CONTROL) == "ip:192.0.2.1"
    # ?jwt= wins over the header, as the auth layer reads it.
    both = scope({"Authorization": "Bearer other"}, query=f"jwt={secret}")
    assert limits.caller(both, RouteClass.CONTROL) == keys[2]
    assert limits.caller(scope({"X-API-KEY": secret}), RouteClass.LOGIN) == "ip:192.0.2.1"


def test_retry_after_is_added_to_any_dialect_rendering() -> None:
    renderers = ErrorRenderers()
    renderers.register("/v0", lambda error: renderers.default(error))
    response = renderers.render("/v0/devices", RateLimited("slow down", retry_after=7))
    assert (response.status_code, response.headers["Retry-After"]) == (429, "7")
    assert "Retry-After" not in renderers.render("/x", RateLimited("slow down")).headers


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/v3/login", {"email": "a@b.c", "password": "x"}, {"code": "TOO_MANY_REQUESTS"}),
        ("/v0/sessions", {"username": "a@b.c", "password": "x"}, {"id": "enhance_your_calm"}),
    ],
)
def test_dialects_render_429_in_their_own_shape(
    settings: Settings, path: str, body: dict[str, str], expected: dict[str, str]
) -> None:
    limited = settings.model_copy(
        update={
            "rate_limit": settings.rate_limit.model_copy(
                update={"enabled": True, "login": "1/minute"}
            )
        }
    )
    with TestClient(create_app(limited)) as client:
        client.post(path, json=body)
        refused = client.post(path, json=body)
    assert refused.status_code == 429
    assert expected.items() <= refused.json().items()
    assert int(refused.headers["Retry-After"]) > 0
