"""Credentials over HTTP: token transports, API keys, /auth/revoke, tenant isolation."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from geoseries.api.app import create_app
from geoseries.auth.passwords import hash_password
from geoseries.settings import Settings
from geoseries.store import Store
from tests.api.conftest import add_organization

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a secret long enough for HS256 (no short-key warnings)."""
    return settings.model_copy(update={"secret_key": SecretStr("s" * 48)})


def add_user(store: Store, email: str, org: str, *, admin: bool = False) -> None:
    store.create_user(
        email,
        organization_id=store.get_organization(org).id,
        password_hash=hash_password(PASSWORD),
        permissions=[],
        is_admin=admin,
    )


def log_in(client: TestClient, email: str) -> str:
    response = client.post("/v3/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jti_of(token: str) -> str:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    jti: str = claims["jti"]
    return jti


@pytest.fixture
def keys(app_store: Store) -> dict[str, dict[str, str]]:
    """Organizations acme and globex (their API key headers) with a user each, and an admin."""
    made = {org: add_organization(app_store, org) for org in ("acme", "globex")}
    add_user(app_store, "alice@acme.example", "acme")
    add_user(app_store, "bob@globex.example", "globex")
    add_user(app_store, "root@acme.example", "acme", admin=True)
    return made


@pytest.fixture
def alice(client: TestClient, keys: dict[str, dict[str, str]]) -> str:
    return log_in(client, "alice@acme.example")


@pytest.fixture
def bob(client: TestClient, keys: dict[str, dict[str, str]]) -> str:
    return log_in(client, "bob@globex.example")


@pytest.fixture
def acme_admin(client: TestClient, keys: dict[str, dict[str, str]]) -> str:
    """An admin user of acme: it administers acme only."""
    return log_in(client, "root@acme.example")


@pytest.fixture
def root(client: TestClient, keys: dict[str, dict[str, str]]) -> str:
    """A global admin: an admin token of no organization (the operator's)."""
    tokens = client.app.state.tokens  # type: ignore[attr-defined]
    token: str = tokens.issue("root", extra={"admin": True}).token
    return token


# -- transports ----------------------------------------------------------------------------------


def test_token_transports(client: TestClient, alice: str) -> None:
    for scheme in ("Bearer", "bearer", "JWT"):
        headers = {"Authorization": f"{scheme} {alice}"}
        assert client.get("/datasets", headers=headers).status_code == 200
    assert client.get("/datasets", params={"jwt": alice}).status_code == 200
    assert client.get("/datasets", params={"access_token": alice}).status_code == 200


def test_jwt_query_wins_over_the_header(client: TestClient, alice: str) -> None:
    bad = bearer("not-a-token")
    assert client.get("/datasets", headers=bad).status_code == 401
    assert client.get("/datasets", headers=bad, params={"jwt": alice}).status_code == 200
    refused = client.get("/datasets", headers=bearer(alice), params={"jwt": "garbage"})
    assert refused.status_code == 401
    assert refused.json() == {"error": "NOT-AUTHORIZED", "errorMessage": "invalid token"}


def test_api_key_still_authenticates(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    assert client.get("/datasets", headers=keys["acme"]).status_code == 200
    assert client.get("/datasets", headers={"X-API-KEY": "nope"}).status_code == 401


def test_api_key_authentication_can_be_switched_off(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"api_key_authentication": False}))
    with TestClient(app) as client:
        acme = add_organization(client.app.state.store, "acme")  # type: ignore[attr-defined]
        response = client.get("/datasets", headers=acme)
        assert response.status_code == 401
        assert response.json()["error"] == "NOT-AUTHORIZED"


# -- /auth/revoke --------------------------------------------------------------------------------


def test_a_token_revokes_itself(client: TestClient, alice: str) -> None:
    response = client.post("/auth/revoke", headers=bearer(alice), json={"jti": jti_of(alice)})
    assert response.status_code == 204
    refused = client.get("/datasets", headers=bearer(alice))
    assert refused.status_code == 401
    assert refused.json()["error"] == "NOT-AUTHORIZED"
    assert client.get("/datasets", params={"access_token": alice}).status_code == 401


def test_an_admin_revokes_any_token(client: TestClient, root: str, bob: str) -> None:
    response = client.post("/auth/revoke", headers=bearer(root), json={"jti": jti_of(bob)})
    assert response.status_code == 204
    assert client.get("/datasets", headers=bearer(bob)).status_code == 401
    assert client.get("/datasets", headers=bearer(root)).status_code == 200


def test_an_organization_admin_revokes_its_organization_tokens(
    client: TestClient, acme_admin: str, alice: str
) -> None:
    response = client.post("/auth/revoke", headers=bearer(acme_admin), json={"jti": jti_of(alice)})
    assert response.status_code == 204
    assert client.get("/datasets", headers=bearer(alice)).status_code == 401


def test_others_may_not_revoke(
    client: TestClient, keys: dict[str, dict[str, str]], alice: str, bob: str, acme_admin: str
) -> None:
    body = {"jti": jti_of(bob)}
    for headers in (bearer(alice), keys["globex"], bearer(acme_admin)):
        refused = client.post("/auth/revoke", headers=headers, json=body)
        assert refused.status_code == 403
        assert refused.json()["error"] == "ACCESS-DENIED"
    anonymous = client.post("/auth/revoke", json=body)
    assert anonymous.status_code == 401
    assert client.get("/datasets", headers=bearer(bob)).status_code == 200


@pytest.mark.parametrize("body", [{}, {"jti": ""}, {"jti": 5}, {"jti": "x", "more": 1}])
def test_malformed_revoke_is_a_validation_error(
    client: TestClient, root: str, body: dict[str, Any]
) -> None:
    response = client.post("/auth/revoke", headers=bearer(root), json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION-ERROR"


# -- tenant isolation ----------------------------------------------------------------------------


def test_another_organization_cannot_touch_a_private_dataset(
    client: TestClient, keys: dict[str, dict[str, str]], alice: str, bob: str
) -> None:
    created = client.post("/datasets", headers=bearer(alice), json={"name": "acme.private"})
    assert created.status_code == 201
    assert created.json()["organization"] == "acme"
    before = client.get("/datasets/acme.private", headers=keys["acme"]).json()

    for headers in (bearer(bob), keys["globex"]):
        assert client.get("/datasets/acme.private", headers=headers).status_code == 404
        assert client.delete("/datasets/acme.private", headers=headers).status_code == 404
        listed = client.get("/datasets", headers=headers).json()
        assert "acme.private" not in [d["name"] for d in listed]

    assert client.get("/datasets/acme.private", headers=bearer(alice)).json() == before


def test_admin_sees_and_deletes_every_dataset(
    client: TestClient, keys: dict[str, dict[str, str]], root: str
) -> None:
    created = client.post("/datasets", headers=keys["globex"], json={"name": "g.private"})
    assert created.status_code == 201
    assert client.get("/datasets/g.private", headers=bearer(root)).status_code == 200
    assert client.delete("/datasets/g.private", headers=bearer(root)).status_code == 204
    assert client.get("/datasets/g.private", headers=keys["globex"]).status_code == 404


def test_token_without_organization_reads_public_datasets_only(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    acme = keys["acme"]
    for body in ({"name": "a.public", "public": True}, {"name": "a.private"}):
        assert client.post("/datasets", headers=acme, json=body).status_code == 201
    tokens = client.app.state.tokens  # type: ignore[attr-defined]
    stateless = tokens.issue_stateless("reader", permissions=["features.read"]).token
    listed = client.get("/datasets", headers=bearer(stateless)).json()
    assert [d["name"] for d in listed] == ["a.public"]
    assert client.get("/datasets/a.private", headers=bearer(stateless)).status_code == 404
    refused = client.post("/datasets", headers=bearer(stateless), json={"name": "s.new"})
    assert refused.status_code == 403
    assert client.delete("/datasets/a.public", headers=bearer(stateless)).status_code == 403
