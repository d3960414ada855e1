"""`POST /v0/devices/{id}/readings` through the real app, on both backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import SecretStr

from geoseries.api.rate_limit import RouteClass, route_class
from geoseries.auth.keys import issue_device_token
from geoseries.auth.tokens import TokenService
from geoseries.model import Device, User
from geoseries.settings import Settings
from geoseries.store import Store
from geoseries.times import parse_time
from tests.api.conftest import add_organization
from tests.devices import catalogue, device, owner

T0 = "2024-05-01T10:00:00Z"
ACCEPTED = {"id": "ok", "message": "Data successfully sent to queue", "url": "", "errors": ""}
READING = {"data": [{"recorded_at": T0, "sensors": [{"id": 55, "value": 21.5}]}]}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a secret long enough for HS256 (no short-key warnings)."""
    return settings.model_copy(update={"secret_key": SecretStr("s" * 48)})


@dataclass
class Kits:
    client: TestClient
    store: Store
    kit: Device
    token: str
    ann: User
    bodies: list[str] = field(default_factory=list)

    def post(self, body: Any = READING, *, device_id: Any = None, **kw: Any) -> Response:
        path = f"/v0/devices/{self.kit.id if device_id is None else device_id}/readings"
        response = self.client.post(path, json=body, **kw)
        self.bodies.append(response.text)
        return response

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def login(self, user: User) -> str:
        """What the login endpoints issue for `user`."""
        tokens: TokenService = self.client.app.state.tokens  # type: ignore[attr-defined]
        extra = {"org": user.organization_id, "admin": user.is_admin}
        return tokens.issue(user.email, extra=extra).token

    def stored(self) -> list[tuple[str, int, float]]:
        dataset = self.store.get_dataset_by_id(self.kit.dataset_id)
        return [(r.variable, r.time, r.value) for r in self.store.iter_observations(dataset)]


@pytest.fixture
def kits(client: TestClient, app_store: Store) -> Kits:
    catalogue(app_store)
    ann = owner(app_store)
    kit, token = device(app_store, ann)
    return Kits(client, app_store, kit, token, ann)


def assert_error(response: Response, status: int, error_id: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"id", "message", "url", "errors"}
    assert body["id"] == error_id
    return body


def test_the_device_posts_with_its_token_in_the_header_or_the_query(kits: Kits) -> None:
    response = kits.post(headers=kits.bearer(kits.token))
    assert (response.status_code, response.json()) == (200, ACCEPTED)
    later = {
        "data": [{"recorded_at": "2024-05-01T10:10:00Z", "sensors": [{"id": "hum", "value": 40}]}]
    }
    response = kits.post(later, params={"access_token": kits.token})
    assert (response.status_code, response.json()) == (200, ACCEPTED)
    t0, t1 = parse_time(T0), parse_time("2024-05-01T10:10:00Z")
    assert kits.stored() == [("hum", t1, 40.0), ("temp", t0, 21.5)]
    assert "geoseries_ingested_points_total 2.0" in kits.client.get("/metrics").text
    assert kits.store.get_device(kits.kit.id).last_reading_at == t1


def test_the_owner_and_admins_may_post(kits: Kits) -> None:
    org_admin = owner(kits.store, "root@acme.example", admin=True)
    tokens: TokenService = kits.client.app.state.tokens  # type: ignore[attr-defined]
    operator = tokens.issue("operator", extra={"admin": True}).token
    for token in (kits.login(kits.ann), kits.login(org_admin), operator):
        assert kits.post(headers=kits.bearer(token)).status_code == 200


def test_everyone_else_is_refused_and_nothing_is_stored(kits: Kits) -> None:
    colleague = owner(kits.store, "carl@acme.example")
    stranger_admin = owner(kits.store, "root@globex.example", "globex", admin=True)
    other_kit, other_token = device(kits.store, colleague, "other")
    key = add_organization(kits.store, "initech")
    refused = [
        kits.bearer(other_token),
        kits.bearer(kits.login(colleague)),
        kits.bearer(kits.login(stranger_admin)),
        key,
        {},  # anonymous: 403, as in the reference
    ]
    for headers in refused:
        assert_error(kits.post(headers=headers), 403, "forbidden")
    assert kits.stored() == []
    assert kits.post(device_id=other_kit.id, headers=kits.bearer(other_token)).status_code == 200


def test_bad_revoked_and_rotated_tokens_are_unauthorized(kits: Kits) -> None:
    bad = assert_error(kits.post(headers=kits.bearer("not-a-token")), 401, "unauthorized")
    jwt_like = assert_error(kits.post(headers=kits.bearer("a.b.c")), 401, "unauthorized")
    assert bad["message"] == jwt_like["message"] == "invalid token"  # nothing tells them apart
    assert bad["url"] == "https://developer.smartcitizen.me/#authentication"
    assert kits.post(headers=kits.bearer(kits.token)).status_code == 200
    new = issue_device_token()
    kits.store.set_device_token(kits.kit.id, new.digest, new.prefix)
    assert_error(kits.post(headers=kits.bearer(kits.token)), 401, "unauthorized")
    assert kits.post(params={"access_token": new.secret}).status_code == 200
    kits.store.set_device_token(kits.kit.id, None, None)
    assert_error(kits.post(params={"access_token": new.secret}), 401, "unauthorized")


def test_unknown_devices_are_not_found(kits: Kits) -> None:
    owner_token = kits.bearer(kits.login(kits.ann))
    for device_id in (kits.kit.id + 100, "abc", "9" * 30, "-1"):
        body = assert_error(
            kits.post(device_id=device_id, headers=owner_token), 404, "record_not_found"
        )
        assert "does not exist" in body["message"]


@pytest.mark.parametrize("body", [{}, {"data": None}, {"data": []}, {"data": ""}, [], "x", None])
def test_missing_data_is_parameter_missing(kits: Kits, body: Any) -> None:
    response = kits.post(body, headers=kits.bearer(kits.token))
    message = assert_error(response, 400, "parameter_missing")["message"]
    assert message == "param is missing or the value is empty: data"


def test_bodies_that_are_not_json_are_bad_requests(kits: Kits) -> None:
    path = f"/v0/devices/{kits.kit.id}/readings"
    for content in (b"{oops", b"\xff\xfe", b'{"data": [1e400]}'):
        response = kits.client.post(path, content=content, headers=kits.bearer(kits.token))
        assert_error(response, 400, "bad_request")


def test_bad_rows_are_listed_and_nothing_is_stored(kits: Kits) -> None:
    body = {
        "data": [
            {"recorded_at": T0, "sensors": [{"id": 55, "value": 1}]},
            {"recorded_at": "", "sensors": [{"id": 55, "value": 1}]},
            {"recorded_at": T0, "sensors": [{"id": 999, "value": "warm"}]},
        ]
    }
    response = kits.post(body, headers=kits.bearer(kits.token))
    errors = assert_error(response, 400, "bad_request")["errors"]
    assert errors == {
        "data[1].recorded_at": ["is blank: every reading needs its timestamp"],
        "data[2].sensors[0].value": ["'warm' is not a finite number"],
    }  # an unknown sensor is reported only for an entry whose time and value are valid
    assert kits.stored() == []
    body["data"] = [*body["data"][:1], {"recorded_at": T0, "sensors": [{"id": 999, "value": 2}]}]
    errors = assert_error(kits.post(body, headers=kits.bearer(kits.token)), 400, "bad_request")[
        "errors"
    ]
    assert errors == {"data[1].sensors[0].id": ["unknown sensor 999"]}
    assert kits.stored() == []


def test_readings_are_an_ingest_route_with_a_large_body_limit() -> None:
    assert route_class("POST", "/v0/devices/12/readings") is RouteClass.INGEST


def test_the_token_never_appears_in_a_response(kits: Kits) -> None:
    kits.post(headers=kits.bearer(kits.token))
    kits.post({"data": [{"recorded_at": "x"}]}, params={"access_token": kits.token})
    kits.post(device_id=kits.kit.id + 1, headers=kits.bearer(kits.token))
    for path in ("/datasets", "/api/devices", f"/api/devices/{kits.kit.id}"):
        response = kits.client.get(path, headers=kits.bearer(kits.token))
        kits.bodies.append(response.text)
    assert all(kits.token not in body for body in kits.bodies)
    assert all(kits.token[:12] not in body for body in kits.bodies)


BODY = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from([T0, "2024-05-01 10:00:00", "", "temp", "55", "pm25", 55, 999]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
READINGS = st.fixed_dictionaries(
    {
        "data": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "recorded_at": BODY,
                    "sensors": st.lists(
                        st.fixed_dictionaries({}, optional={"id": BODY, "value": BODY}), max_size=3
                    )
                    | BODY,
                },
            )
            | BODY,
            max_size=3,
        )
        | BODY
    }
)


@hypothesis_settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.one_of(READINGS, BODY))
def test_any_body_is_answered_without_a_server_error(kits: Kits, body: Any) -> None:
    response = kits.post(body, headers=kits.bearer(kits.token))
    assert response.status_code in (200, 400), (body, response.text)
