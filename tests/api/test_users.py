"""`/users` through the real app, on both backends: who creates and lists users, and how."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from geoseries.api.native.users import UserOut
from geoseries.settings import Settings
from geoseries.store import Store
from tests.api.admins import global_admin, org_admin, org_user

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a secret long enough for HS256 (no short-key warnings)."""
    return settings.model_copy(update={"secret_key": SecretStr("s" * 48)})


def user(email: str, organization: str = "acme", **extra: Any) -> dict[str, Any]:
    return {"email": email, "password": PASSWORD, "organization": organization, **extra}


def create(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/users", headers=headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def emails(client: TestClient, headers: dict[str, str], query: str = "") -> list[str]:
    response = client.get(f"/users{query}", headers=headers)
    assert response.status_code == 200, response.text
    assert "$argon2" not in response.text
    return [u["email"] for u in response.json()]


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "errorMessage"}
    assert response.json()["error"] == code


def test_a_global_admin_creates_a_user_who_logs_in(
    client: TestClient, acme: dict[str, str], app_store: Store
) -> None:
    body = user("Ann@Example.org", permissions=["features.read"], admin=False)
    created = create(client, global_admin(client), body)
    assert created == {
        "email": "ann@example.org",
        "organization": "acme",
        "permissions": ["features.read"],
        "admin": False,
    }
    UserOut.model_validate(created)
    login = client.post("/v3/login", json={"email": "ann@example.org", "password": PASSWORD})
    assert login.status_code == 200, login.text
    stored = app_store.password_hash_for("ann@example.org")
    assert stored is not None
    assert stored.startswith("$argon2id$")


def test_an_organizations_admin_creates_users_in_its_own_only(
    client: TestClient, acme: dict[str, str], globex: dict[str, str], app_store: Store
) -> None:
    admin = org_admin(client, "acme")
    created = create(client, admin, user("second-admin@acme.example", admin=True))
    assert created["admin"] is True
    for organization in ("globex", "nobody"):  # refused alike: nothing learnt of either
        refused = client.post("/users", headers=admin, json=user("x@y.example", organization))
        assert_error(refused, 403, "ACCESS-DENIED")
    assert app_store.find_user("x@y.example") is None
    # The admin it made administers acme in turn.
    token = client.post(
        "/v3/login", json={"email": "second-admin@acme.example", "password": PASSWORD}
    ).json()["token"]
    assert emails(client, {"Authorization": f"Bearer {token}"}) == ["second-admin@acme.example"]


def test_only_admins_create_users(
    client: TestClient, acme: dict[str, str], app_store: Store
) -> None:
    for headers, status, code in (
        ({}, 401, "NOT-AUTHORIZED"),
        (acme, 403, "ACCESS-DENIED"),
        (org_user(client, "acme"), 403, "ACCESS-DENIED"),
    ):
        response = client.post("/users", headers=headers, json=user("intruder@acme.example"))
        assert_error(response, status, code)
    assert app_store.list_users() == []


def test_a_duplicate_email_is_a_conflict(client: TestClient, acme: dict[str, str]) -> None:
    root = global_admin(client)
    create(client, root, user("ann@example.org"))
    again = client.post("/users", headers=root, json=user("ANN@example.org"))
    assert_error(again, 409, "CONFLICT")
    assert "ann@example.org" in again.json()["errorMessage"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (user("ann@example.org", password="short"), "password"),
        (user("ann@example.org", password="p" * 4097), "password"),
        (user("ann@example.org", password="lone \ud800 surrogate"), "password"),
        ({"email": "ann@example.org", "organization": "acme"}, "password"),
        (user("not-an-address"), "email"),
        (user("two@at@example.org"), "email"),
        (user("spaced out@example.org"), "email"),
        (user("a" * 250 + "@b.org"), "email"),
        (user("nul\x00@example.org"), "email"),
        (user("ann@example.org", permissions=["has space"]), "permissions"),
        (user("ann@example.org", permissions=[""]), "permissions"),
        (user("ann@example.org", permissions=["x" * 257]), "permissions"),
        (user("ann@example.org", permissions=["p"] * 101), "permissions"),
        (user("ann@example.org", permissions="features"), "permissions"),
        (user("ann@example.org", admin="maybe"), "admin"),
        (user("ann@example.org", organization="nobody"), "organization"),
        (user("ann@example.org", role="admin"), "role"),
        ({"email": 1, "password": PASSWORD, "organization": "acme"}, "email"),
    ],
)
def test_bad_input_is_refused(
    client: TestClient, acme: dict[str, str], app_store: Store, body: dict[str, Any], field: str
) -> None:
    headers = global_admin(client) | {"Content-Type": "application/json"}
    response = client.post("/users", headers=headers, content=json.dumps(body))
    assert_error(response, 422, "VALIDATION-ERROR")
    assert field in response.json()["errorMessage"]
    assert app_store.list_users() == []


def test_listing_users(client: TestClient, acme: dict[str, str], globex: dict[str, str]) -> None:
    root = global_admin(client)
    for email, organization in (
        ("b@acme.example", "acme"),
        ("a@acme.example", "acme"),
        ("c@globex.example", "globex"),
    ):
        create(client, root, user(email, organization))
    assert emails(client, root) == ["a@acme.example", "b@acme.example", "c@globex.example"]
    assert emails(client, root, "?organization=globex") == ["c@globex.example"]
    assert_error(client.get("/users?organization=nobody", headers=root), 404, "NOT-FOUND")

    admin = org_admin(client, "acme")
    assert emails(client, admin) == ["a@acme.example", "b@acme.example"]
    assert emails(client, admin, "?organization=acme") == ["a@acme.example", "b@acme.example"]
    for other in ("globex", "nobody"):
        refused = client.get(f"/users?organization={other}", headers=admin)
        assert_error(refused, 403, "ACCESS-DENIED")
        assert "globex.example" not in refused.text
    listed = client.get("/users", headers=admin).json()
    assert listed[0] == {
        "email": "a@acme.example",
        "organization": "acme",
        "permissions": [],
        "admin": False,
    }

    assert_error(client.get("/users", headers=org_user(client, "acme")), 403, "ACCESS-DENIED")
    assert_error(client.get("/users", headers=acme), 403, "ACCESS-DENIED")
    assert_error(client.get("/users"), 401, "NOT-AUTHORIZED")
