"""The tenant-isolation matrix: organization B against everything organization A owns.

Organizations acme (A) and globex (B) each have an admin, a plain user (tokens from the login
endpoint) and an API key. For every endpoint that reads or writes an owned object, each principal
of B is refused (404 when it cannot see the object, 403 when it can), and the store shows the
object unchanged afterwards. After A shares its dataset with B, B reads it but still may not
delete or share it; after A unshares it, B is refused again. No response of the matrix carries a
password hash, an API key, a device token, or the name of another organization's private dataset.

Each organization also has a device (a_device, b_device: their device tokens). B may not post
A's device's readings, and a device token is refused by every endpoint but its own readings,
even those of its own organization.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import SecretStr

from geoseries.auth.passwords import hash_password
from geoseries.geometry import point
from geoseries.model import FeatureInput
from geoseries.queries import DocumentQuery
from geoseries.settings import Settings
from geoseries.store import Store
from tests.api.conftest import add_organization
from tests.devices import catalogue, device

PASSWORD = "correct horse battery"
TARGET = "acme.private"
"""A's private dataset every case aims at."""
SECRET = "acme.secret"
"""Another private dataset of A that B never names: no response to B may mention it."""
B_SECRET = "globex.secret"
"""B's private dataset: no response to A may mention it."""
SHARES_AT_START = ("initech",)
GAUGE = "gauge-1"
"""A feature of A's dataset, for the Kano features endpoints."""
"""A's dataset is shared with a third organization B must not learn about."""

B_PRINCIPALS = ("b_admin", "b_user", "b_key")
INTRUDER = "intruder@acme.example"
READINGS = {"data": [{"recorded_at": "2024-05-01T10:00:00Z", "sensors": [{"id": 55, "value": 1}]}]}


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a secret long enough for HS256 (no short-key warnings)."""
    return settings.model_copy(update={"secret_key": SecretStr("s" * 48)})


USERS = {
    "a_admin": ("admin@acme.example", "acme", True),
    "a_user": ("user@acme.example", "acme", False),
    "b_admin": ("admin@globex.example", "globex", True),
    "b_user": ("user@globex.example", "globex", False),
}
"""Principals that log in (`/v3/login`, on first use); a_key and b_key are API keys."""


@dataclass
class World:
    client: TestClient
    store: Store
    headers: dict[str, dict[str, str]]
    """Credentials by principal name, filled as principals log in."""
    bodies: list[tuple[str, str]] = field(default_factory=list)
    """(principal, response text) of every request made through `call`."""
    devices: dict[str, int] = field(default_factory=dict)
    """Device ids by principal name (a_device, b_device)."""

    def auth(self, principal: str) -> dict[str, str]:
        if principal not in self.headers:
            token = log_in(self.client, USERS[principal][0])
            self.headers[principal] = {"Authorization": f"Bearer {token}"}
        return self.headers[principal]

    def call(self, principal: str, method: str, path: str, **kwargs: Any) -> Response:
        response = self.client.request(method, path, headers=self.auth(principal), **kwargs)
        self.bodies.append((principal, response.text))
        return response

    @property
    def secrets(self) -> list[str]:
        """API keys and tokens that must never be echoed."""
        return [
            value.removeprefix("Bearer ") for h in self.headers.values() for value in h.values()
        ]

    @property
    def a_user_jti(self) -> str:
        token = self.auth("a_user")["Authorization"].removeprefix("Bearer ")
        jti: str = jwt.decode(token, options={"verify_signature": False})["jti"]
        return jti

    def snapshot(self) -> tuple[Any, ...]:
        """What B must not change: A's dataset, whom it is shared with, A's token, A's keys and
        users."""
        dataset = self.store.get_dataset(TARGET)
        shares = tuple(o.name for o in self.store.dataset_shares(dataset.id))
        documents = list(self.store.find_documents(dataset, DocumentQuery()))
        acme = self.store.get_organization("acme").id
        accounts = (self.store.list_api_keys(acme), self.store.list_users(acme))
        a_device = self.store.get_device(self.devices["a_device"])
        readings = self.store.count_observations(self.store.get_dataset_by_id(a_device.dataset_id))
        revoked = self.store.is_token_revoked(self.a_user_jti)
        return dataset, shares, revoked, documents, accounts, a_device, readings

    @property
    def a_key_prefix(self) -> str:
        return self.headers["a_key"]["X-API-KEY"][:8]

    def share(self, organization: str) -> None:
        path = f"/datasets/{TARGET}/shares/{organization}"
        assert self.call("a_admin", "POST", path).status_code == 204

    def unshare(self, organization: str) -> None:
        path = f"/datasets/{TARGET}/shares/{organization}"
        assert self.call("a_admin", "DELETE", path).status_code == 204


def log_in(client: TestClient, email: str) -> str:
    response = client.post("/v3/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


@pytest.fixture
def world(client: TestClient, app_store: Store) -> World:
    keys = {org: add_organization(app_store, org) for org in ("acme", "globex", "initech")}
    for email, org, admin in USERS.values():
        app_store.create_user(
            email,
            organization_id=app_store.get_organization(org).id,
            password_hash=password_hash(),
            permissions=["features"],  # so Kano refusals come from ownership, not permissions
            is_admin=admin,
        )
    world = World(
        client=client, store=app_store, headers={"a_key": keys["acme"], "b_key": keys["globex"]}
    )
    for principal, name in (("a_key", TARGET), ("a_key", SECRET), ("b_key", B_SECRET)):
        created = world.call(principal, "POST", "/datasets", json={"name": name})
        assert created.status_code == 201, created.text
    target = app_store.get_dataset(TARGET)
    with app_store.writer() as writer:
        writer.upsert_features(target, [FeatureInput(GAUGE, point(1.0, 45.0), {"level": 1})])
    for organization in SHARES_AT_START:  # through the store: the HTTP route is tested below
        app_store.share_dataset(target.id, app_store.get_organization(organization).id)
    catalogue(app_store)
    for principal, email in (
        ("a_device", "user@acme.example"),
        ("b_device", "user@globex.example"),
    ):
        user = app_store.find_user(email)
        assert user is not None
        kit, token = device(app_store, user, principal)
        world.devices[principal] = kit.id
        world.headers[principal] = {"Authorization": f"Bearer {token}"}
    return world


def prepare(world: World, state: str) -> None:
    """Bring A's dataset to `state`: private, shared with B, or shared with B then unshared."""
    if state in ("shared", "unshared"):
        world.share("globex")
    if state == "unshared":
        world.unshare("globex")


# -- the endpoints: each sends one request as `principal` against what A owns ------------------

Endpoint = Callable[[World, str], Response]

ENDPOINTS: dict[str, Endpoint] = {
    "GET /datasets": lambda w, p: w.call(p, "GET", "/datasets"),
    "GET /datasets/{name}": lambda w, p: w.call(p, "GET", f"/datasets/{TARGET}"),
    "DELETE /datasets/{name}": lambda w, p: w.call(p, "DELETE", f"/datasets/{TARGET}"),
    "POST /datasets/{name}/shares/{B}": lambda w, p: w.call(
        p, "POST", f"/datasets/{TARGET}/shares/globex"
    ),
    "DELETE /datasets/{name}/shares/{other}": lambda w, p: w.call(
        p, "DELETE", f"/datasets/{TARGET}/shares/initech"
    ),
    "DELETE /datasets/{name}/shares/{B}": lambda w, p: w.call(
        p, "DELETE", f"/datasets/{TARGET}/shares/globex"
    ),
    "POST /auth/revoke (A's token)": lambda w, p: w.call(
        p, "POST", "/auth/revoke", json={"jti": w.a_user_jti}
    ),
    "GET /api/{name}": lambda w, p: w.call(p, "GET", f"/api/{TARGET}"),
    "GET /api/{name}/{id}": lambda w, p: w.call(p, "GET", f"/api/{TARGET}/{GAUGE}"),
    "POST /api/{name}": lambda w, p: w.call(
        p, "POST", f"/api/{TARGET}", json={"_id": "intruder", "properties": {}}
    ),
    "PATCH /api/{name}/{id}": lambda w, p: w.call(
        p, "PATCH", f"/api/{TARGET}/{GAUGE}", json={"properties.level": 2}
    ),
    "DELETE /api/{name}/{id}": lambda w, p: w.call(p, "DELETE", f"/api/{TARGET}/{GAUGE}"),
    "PUT /api/{name}/{id}": lambda w, p: w.call(p, "PUT", f"/api/{TARGET}/{GAUGE}", json={}),
    "GET /organizations/{A}/keys": lambda w, p: w.call(p, "GET", "/organizations/acme/keys"),
    "POST /organizations/{A}/keys": lambda w, p: w.call(
        p, "POST", "/organizations/acme/keys", json={}
    ),
    "DELETE /organizations/{A}/keys/{prefix}": lambda w, p: w.call(
        p, "DELETE", f"/organizations/acme/keys/{w.a_key_prefix}"
    ),
    "POST /users (in A)": lambda w, p: w.call(
        p,
        "POST",
        "/users",
        json={"email": INTRUDER, "password": PASSWORD, "organization": "acme", "admin": True},
    ),
    "GET /users?organization={A}": lambda w, p: w.call(p, "GET", "/users?organization=acme"),
    "POST /v0/devices/{A's}/readings": lambda w, p: w.call(
        p, "POST", f"/v0/devices/{w.devices['a_device']}/readings", json=READINGS
    ),
    "GET /api/devices (the devices dataset)": lambda w, p: w.call(p, "GET", "/api/devices"),
}

# (state of A's dataset, endpoint, status for every principal of B); one line per case.
MATRIX = [
    ("private", "GET /datasets", 200),  # listed without A's dataset
    ("private", "GET /datasets/{name}", 404),
    ("private", "DELETE /datasets/{name}", 404),
    ("private", "POST /datasets/{name}/shares/{B}", 404),
    ("private", "DELETE /datasets/{name}/shares/{other}", 404),
    ("private", "POST /auth/revoke (A's token)", 403),
    ("shared", "GET /datasets", 200),  # listed with A's dataset
    ("shared", "GET /datasets/{name}", 200),
    ("shared", "DELETE /datasets/{name}", 403),
    ("shared", "POST /datasets/{name}/shares/{B}", 403),
    ("shared", "DELETE /datasets/{name}/shares/{other}", 403),
    ("shared", "DELETE /datasets/{name}/shares/{B}", 403),
    ("shared", "POST /auth/revoke (A's token)", 403),
    ("unshared", "GET /datasets", 200),  # listed without A's dataset again
    ("unshared", "GET /datasets/{name}", 404),
    ("unshared", "DELETE /datasets/{name}", 404),
    ("unshared", "POST /datasets/{name}/shares/{B}", 404),
    ("unshared", "DELETE /datasets/{name}/shares/{other}", 404),
    ("unshared", "POST /auth/revoke (A's token)", 403),
    # devices do not depend on the state of A's dataset: one state is enough
    ("private", "POST /v0/devices/{A's}/readings", 403),
    ("private", "GET /api/devices (the devices dataset)", 404),
    *[
        (state, name, 404)
        for state in ("private", "unshared")
        for name in ENDPOINTS
        if " /api/" in name and "devices" not in name
    ],
    *[  # shared: B may read (an API key without permissions may not) but never writes
        ("shared", name, 403)
        for name in ENDPOINTS
        if " /api/" in name and not name.startswith("GET")
    ],
    # A's organization, keys and users: another organization's, whatever the dataset's state
    ("private", "GET /organizations/{A}/keys", 404),
    ("private", "POST /organizations/{A}/keys", 404),
    ("private", "DELETE /organizations/{A}/keys/{prefix}", 404),
    ("private", "POST /users (in A)", 403),  # refused alike for an organization that does not exist
    ("private", "GET /users?organization={A}", 403),
]


@pytest.mark.parametrize("principal", B_PRINCIPALS)
@pytest.mark.parametrize(
    ("state", "endpoint", "status"),
    [pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in MATRIX],
)
def test_another_organization_is_refused(
    world: World, state: str, endpoint: str, status: int, principal: str
) -> None:
    prepare(world, state)
    before = world.snapshot()

    response = ENDPOINTS[endpoint](world, principal)

    assert response.status_code == status, response.text
    assert world.snapshot() == before
    assert world.store.find_user(INTRUDER) is None
    visible = state == "shared"
    if endpoint == "GET /datasets":
        listed = [d["name"] for d in response.json()]
        assert (TARGET in listed) is visible
        assert B_SECRET in listed
    if endpoint == "GET /datasets/{name}" and visible:
        assert response.json()["name"] == TARGET
        assert "sharedWith" not in response.json()  # B does not learn who else shares it
    assert_nothing_leaks(world)


@pytest.mark.parametrize("endpoint", [name for name in ENDPOINTS if "/readings" not in name])
def test_a_device_token_is_refused_everywhere_but_its_readings(world: World, endpoint: str) -> None:
    """Even A's own device may not read or change anything of A: it only posts readings."""
    before = world.snapshot()
    response = ENDPOINTS[endpoint](world, "a_device")
    assert response.status_code == 403, response.text
    assert world.snapshot() == before
    assert_nothing_leaks(world)


def test_a_device_posts_its_own_readings_only(world: World) -> None:
    path = f"/v0/devices/{world.devices['a_device']}/readings"
    assert world.call("b_device", "POST", path, json=READINGS).status_code == 403
    assert world.call("a_admin", "POST", path, json=READINGS).status_code == 200
    assert world.call("a_user", "POST", path, json=READINGS).status_code == 200  # the owner
    assert world.call("a_device", "POST", path, json=READINGS).status_code == 200
    other = f"/v0/devices/{world.devices['b_device']}/readings"
    assert world.call("a_device", "POST", other, json=READINGS).status_code == 403
    assert world.call("b_device", "POST", other, json=READINGS).status_code == 200
    assert_nothing_leaks(world)


def test_the_owner_sees_its_shares_and_nothing_of_b(world: World) -> None:
    world.share("globex")
    for principal in ("a_admin", "a_user", "a_key"):
        shown = world.call(principal, "GET", f"/datasets/{TARGET}")
        assert shown.status_code == 200
        assert shown.json()["sharedWith"] == ["globex", "initech"]
        listed = [d["name"] for d in world.call(principal, "GET", "/datasets").json()]
        assert listed == [TARGET, SECRET]
        unrecorded = world.client.get(f"/datasets/{B_SECRET}", headers=world.auth(principal))
        assert unrecorded.status_code == 404  # its 404 echoes the name A asked about
    assert_nothing_leaks(world)


def test_only_the_owner_admins_share(world: World) -> None:
    path = f"/datasets/{TARGET}/shares/globex"
    for principal in ("a_user", "a_key"):
        assert world.call(principal, "POST", path).status_code == 403
        assert (
            world.call(principal, "DELETE", f"/datasets/{TARGET}/shares/initech").status_code == 403
        )
    assert world.snapshot()[1] == SHARES_AT_START
    assert world.call("a_admin", "POST", path).status_code == 204
    assert world.call("a_admin", "POST", path).status_code == 204  # idempotent
    assert world.snapshot()[1] == ("globex", "initech")
    assert world.call("a_admin", "POST", f"/datasets/{TARGET}/shares/nobody").status_code == 404
    assert world.call("a_admin", "DELETE", path).status_code == 204
    assert world.call("a_admin", "DELETE", path).status_code == 404  # no longer shared
    assert world.snapshot()[1] == SHARES_AT_START
    assert_nothing_leaks(world)


def test_a_global_admin_may_do_everything(world: World) -> None:
    tokens = world.client.app.state.tokens  # type: ignore[attr-defined]
    world.headers["root"] = {
        "Authorization": f"Bearer {tokens.issue('root', extra={'admin': True}).token}"
    }
    assert world.call("root", "POST", f"/datasets/{B_SECRET}/shares/acme").status_code == 204
    assert world.call("a_user", "GET", f"/datasets/{B_SECRET}").status_code == 200
    assert world.call("root", "DELETE", f"/datasets/{TARGET}").status_code == 204
    assert world.call("a_user", "GET", f"/datasets/{TARGET}").status_code == 404


def test_the_owning_organization_deletes(world: World) -> None:
    world.share("globex")
    assert world.call("a_user", "DELETE", f"/datasets/{TARGET}").status_code == 204
    assert world.call("b_user", "GET", f"/datasets/{TARGET}").status_code == 404
    assert world.store.shared_with(world.store.get_organization("globex").id) == set()


def assert_nothing_leaks(world: World) -> None:
    """No hash, key or token in any body; no private dataset shown to another organization."""
    for principal, body in world.bodies:
        assert "$argon2" not in body
        for secret in world.secrets:
            assert secret not in body
        hidden = SECRET if principal.startswith("b_") else B_SECRET
        assert hidden not in body, (principal, body)
        if principal.startswith("b_"):
            assert "initech" not in body, body
            assert USERS["a_admin"][0] not in body, body
            assert world.a_key_prefix not in body, body


def test_the_owner_uses_its_dataset_through_kano(world: World) -> None:
    """The positive control of the Kano rows above: the same requests succeed for A."""
    listed = world.call("a_user", "GET", f"/api/{TARGET}")
    assert listed.status_code == 200
    assert [f["_id"] for f in listed.json()["features"]] == [GAUGE]
    path = f"/api/{TARGET}/{GAUGE}"
    patched = world.call("a_user", "PATCH", path, json={"properties.level": 2})
    assert patched.json()["properties"] == {"level": 2}
    world.share("globex")
    shown = world.call("b_user", "GET", path)
    assert (shown.status_code, shown.json()["properties"]) == (200, {"level": 2})
    refused = world.call("b_key", "GET", path)  # an API key holds no features permission
    assert refused.status_code == 403
    assert world.call("a_key", "GET", path).status_code == 403
    assert world.call("a_user", "DELETE", path).status_code == 200
    assert_nothing_leaks(world)


def test_b_lists_only_its_own_organization_and_users(world: World) -> None:
    organizations = world.call("b_admin", "GET", "/organizations")
    assert [o["name"] for o in organizations.json()] == ["globex"]
    users = world.call("b_admin", "GET", "/users")
    assert [u["email"] for u in users.json()] == ["admin@globex.example", "user@globex.example"]
    keys = world.call("b_admin", "GET", "/organizations/globex/keys")
    assert [k["prefix"] for k in keys.json()] == [world.headers["b_key"]["X-API-KEY"][:8]]
    for principal in ("b_user", "b_key"):
        assert world.call(principal, "GET", "/organizations").status_code == 403
        assert world.call(principal, "GET", "/users").status_code == 403
    assert_nothing_leaks(world)


def test_the_owner_administers_its_organization(world: World) -> None:
    """The positive control of the administration rows above: the same requests succeed for A."""
    issued = world.call("a_admin", "POST", "/organizations/acme/keys", json={})
    assert issued.status_code == 201
    listed = world.call("a_admin", "GET", "/organizations/acme/keys")
    assert len(listed.json()) == 2
    revoked = world.call("a_admin", "DELETE", f"/organizations/acme/keys/{world.a_key_prefix}")
    assert revoked.status_code == 204
    assert world.client.get("/datasets", headers=world.headers["a_key"]).status_code == 401
    fresh = {"X-API-KEY": issued.json()["apiKey"]}
    assert world.client.get(f"/datasets/{TARGET}", headers=fresh).status_code == 200
    created = world.call(
        "a_admin",
        "POST",
        "/users",
        json={"email": "new@acme.example", "password": PASSWORD, "organization": "acme"},
    )
    assert created.status_code == 201
    listed_users = world.call("a_admin", "GET", "/users?organization=acme")
    assert [u["email"] for u in listed_users.json()] == [
        "admin@acme.example",
        "new@acme.example",
        "user@acme.example",
    ]
