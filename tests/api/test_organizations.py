"""`/organizations` and their API keys through the real app, on both backends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from geoseries.api.native.organizations import KeyListed, KeyOut, NewOrganizationOut
from geoseries.auth.keys import key_digest
from geoseries.settings import Settings
from geoseries.store import Store
from tests.api.admins import global_admin, org_admin, org_user
from tests.api.conftest import add_organization


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a secret long enough for HS256 (no short-key warnings)."""
    return settings.model_copy(update={"secret_key": SecretStr("s" * 48)})


@pytest.fixture
def root(client: TestClient) -> dict[str, str]:
    return global_admin(client)


def create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/organizations", headers=headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def add_key(client: TestClient, headers: dict[str, str], org: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/organizations/{org}/keys", headers=headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def works(client: TestClient, key: str) -> bool:
    """Whether `key` authenticates: 200 on /datasets, 401 otherwise (nothing else expected)."""
    status = client.get("/datasets", headers={"X-API-KEY": key}).status_code
    assert status in (200, 401)
    return status == 200


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "errorMessage"}
    assert response.json()["error"] == code


# -- creating and listing organizations -------------------------------------------------------


def test_a_global_admin_creates_an_organization_with_a_working_key(
    client: TestClient, root: dict[str, str], app_store: Store
) -> None:
    created = create(client, root, name="acme")
    assert set(created) == {"name", "apiKey", "keyPrefix"}
    assert created["name"] == "acme"
    assert created["apiKey"][:8] == created["keyPrefix"]
    assert len(created["apiKey"]) >= 64  # secrets.token_urlsafe(48)
    NewOrganizationOut.model_validate(created)
    assert works(client, created["apiKey"])
    assert app_store.get_organization("acme").name == "acme"

    listed = client.get("/organizations", headers=root)
    assert listed.status_code == 200
    assert [o["name"] for o in listed.json()] == ["acme"]
    assert set(listed.json()[0]) == {"name", "createdAt"}
    assert created["apiKey"] not in listed.text


def test_an_explicit_key_is_used_as_given(client: TestClient, root: dict[str, str]) -> None:
    key = "monarc-" + "k" * 79  # MONARC's token_urlsafe(64) is 86 characters
    created = create(client, root, name="CASES", apiKey=key)
    assert (created["apiKey"], created["keyPrefix"]) == (key, key[:8])
    assert works(client, key)
    for edge in ("x" * 16, "y" * 1024):  # the bounds are allowed
        assert create(client, root, name=f"edge-{len(edge)}", apiKey=edge)["apiKey"] == edge
    assert create(client, root, name="random", apiKey=None)["apiKey"] != key


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("x" * 15, "16 to 1024 characters"),
        ("x" * 1025, "16 to 1024 characters"),
        ("", "16 to 1024 characters"),
        ("with spaces inside it", "printable ASCII"),
        ("non-ascii-key-\u00e9\u00e9\u00e9\u00e9", "printable ASCII"),
        ("newline-in-key-\n-xxxxxx", "printable ASCII"),
    ],
)
def test_a_bad_explicit_key_is_refused(
    client: TestClient, root: dict[str, str], key: str, why: str, app_store: Store
) -> None:
    response = client.post("/organizations", headers=root, json={"name": "acme", "apiKey": key})
    assert_error(response, 422, "VALIDATION-ERROR")
    assert why in response.json()["errorMessage"]
    assert "apiKey" in response.json()["errorMessage"]
    assert app_store.list_organizations() == []
    add_organization(app_store, "acme")
    refused = client.post("/organizations/acme/keys", headers=root, json={"apiKey": key})
    assert_error(refused, 422, "VALIDATION-ERROR")
    assert len(app_store.list_api_keys(app_store.get_organization("acme").id)) == 1


def test_duplicates_are_conflicts(
    client: TestClient, root: dict[str, str], app_store: Store
) -> None:
    key = "an-explicit-key-of-acme"
    create(client, root, name="acme", apiKey=key)
    same_name = client.post("/organizations", headers=root, json={"name": "acme"})
    assert_error(same_name, 409, "CONFLICT")
    assert "acme" in same_name.json()["errorMessage"]
    same_key = client.post("/organizations", headers=root, json={"name": "globex", "apiKey": key})
    assert_error(same_key, 409, "CONFLICT")
    assert "already in use" in same_key.json()["errorMessage"]
    assert key not in same_key.text
    assert [o.name for o in app_store.list_organizations()] == ["acme"]  # nothing half-made
    again = client.post("/organizations/acme/keys", headers=root, json={"apiKey": key})
    assert_error(again, 409, "CONFLICT")
    assert len(app_store.list_api_keys(app_store.get_organization("acme").id)) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "acme", "token": "x" * 20},  # MONARC's name for it: refused, not ignored
        {"name": 42},
        {"name": ["acme"]},
        {"name": "acme", "apiKey": 12345678901234567},
        {"name": ""},
        {"name": "a/b"},
        {"name": " acme"},
        {"name": "acme "},
        {"name": "x" * 121},
        {"name": "nul\x00"},
        {"name": "lone \ud800 surrogate"},
        {"name": "tab\tbed"},
        [],
        "acme",
    ],
)
def test_bad_bodies_are_refused(
    client: TestClient, root: dict[str, str], body: object, app_store: Store
) -> None:
    sent = json.dumps(body)  # ASCII: escapes lone surrogates as the client would
    headers = root | {"Content-Type": "application/json"}
    response = client.post("/organizations", headers=headers, content=sent)
    assert_error(response, 422, "VALIDATION-ERROR")
    assert app_store.list_organizations() == []


def test_names_may_be_unicode_and_long(client: TestClient, root: dict[str, str]) -> None:
    for name in ("Société Générale (FR)", "x" * 120, "a", "A&B.co-op_1"):
        assert create(client, root, name=name)["name"] == name
    listed = [o["name"] for o in client.get("/organizations", headers=root).json()]
    assert sorted(listed) == listed
    assert len(listed) == 4


def test_only_a_global_admin_creates_organizations(
    client: TestClient, acme: dict[str, str], app_store: Store
) -> None:
    refused = {
        "no credentials": ({}, 401, "NOT-AUTHORIZED"),
        "an API key": (acme, 403, "ACCESS-DENIED"),
        "an organization's admin": (org_admin(client, "acme"), 403, "ACCESS-DENIED"),
        "an organization's user": (org_user(client, "acme"), 403, "ACCESS-DENIED"),
    }
    for headers, status, code in refused.values():
        response = client.post("/organizations", headers=headers, json={"name": "evil"})
        assert_error(response, status, code)
    assert [o.name for o in app_store.list_organizations()] == ["acme"]


def test_listing_organizations(
    client: TestClient, acme: dict[str, str], globex: dict[str, str], root: dict[str, str]
) -> None:
    def names(headers: dict[str, str]) -> list[str]:
        response = client.get("/organizations", headers=headers)
        assert response.status_code == 200, response.text
        return [o["name"] for o in response.json()]

    assert names(root) == ["acme", "globex"]
    assert names(org_admin(client, "acme")) == ["acme"]
    assert names(org_admin(client, "globex")) == ["globex"]
    assert_error(
        client.get("/organizations", headers=org_user(client, "acme")), 403, "ACCESS-DENIED"
    )
    assert_error(client.get("/organizations", headers=acme), 403, "ACCESS-DENIED")
    assert_error(client.get("/organizations"), 401, "NOT-AUTHORIZED")


# -- an organization's keys -------------------------------------------------------------------


def test_an_admin_issues_lists_and_revokes_keys(
    client: TestClient, acme: dict[str, str], app_store: Store
) -> None:
    admin = org_admin(client, "acme")
    first = acme["X-API-KEY"]
    second = add_key(client, admin, "acme")
    assert set(second) == {"apiKey", "keyPrefix"}
    KeyOut.model_validate(second)
    assert works(client, first)
    assert works(client, second["apiKey"])

    listed = client.get("/organizations/acme/keys", headers=admin)
    assert listed.status_code == 200
    assert [k["prefix"] for k in listed.json()] == [first[:8], second["keyPrefix"]]
    for key in listed.json():
        KeyListed.model_validate(key)
        assert set(key) == {"prefix", "createdAt", "revokedAt"}
        assert key["revokedAt"] is None
    for secret in (first, second["apiKey"]):
        assert secret not in listed.text
        assert key_digest(secret) not in listed.text

    revoked = client.delete(f"/organizations/acme/keys/{first[:8]}", headers=admin)
    assert revoked.status_code == 204
    assert revoked.content == b""
    assert not works(client, first)
    assert works(client, second["apiKey"])  # the organization's other key still works
    after = client.get("/organizations/acme/keys", headers=admin).json()
    assert after[0]["revokedAt"] is not None
    assert after[0]["revokedAt"] >= after[0]["createdAt"]
    assert after[1]["revokedAt"] is None

    again = client.delete(f"/organizations/acme/keys/{first[:8]}", headers=admin)
    assert_error(again, 404, "NOT-FOUND")  # no live key with that prefix any more
    assert_error(client.delete("/organizations/acme/keys/nothing", headers=admin), 404, "NOT-FOUND")


def test_a_revoked_key_is_refused_everywhere(
    client: TestClient, acme: dict[str, str], root: dict[str, str]
) -> None:
    key = acme["X-API-KEY"]
    created = client.post("/datasets", headers=acme, json={"name": "gauges", "public": True})
    assert created.status_code == 201
    assert client.delete(f"/organizations/acme/keys/{key[:8]}", headers=root).status_code == 204
    for method, path in (
        ("GET", "/datasets"),
        ("GET", "/datasets/gauges"),
        ("POST", "/datasets"),
        ("DELETE", "/datasets/gauges"),
        ("GET", "/organizations"),
        ("GET", "/organizations/acme/keys"),
        ("GET", "/users"),
    ):
        response = client.request(method, path, headers=acme, json={"name": "again"})
        assert_error(response, 401, "NOT-AUTHORIZED")
    kano = client.get("/api/gauges", headers=acme)
    assert kano.status_code == 401
    assert kano.json()["className"] == "not-authenticated"


def test_revoking_a_prefix_revokes_every_live_key_with_it(
    client: TestClient, acme: dict[str, str]
) -> None:
    admin = org_admin(client, "acme")
    twins = [
        add_key(client, admin, "acme", apiKey=f"shared-prefix-key-{n}")["apiKey"] for n in (1, 2)
    ]
    assert client.delete("/organizations/acme/keys/shared-p", headers=admin).status_code == 204
    assert not any(works(client, key) for key in twins)
    assert works(client, acme["X-API-KEY"])


def test_who_may_manage_an_organizations_keys(
    client: TestClient, acme: dict[str, str], globex: dict[str, str], app_store: Store
) -> None:
    prefix = acme["X-API-KEY"][:8]
    calls = {
        "list": lambda org, h: client.get(f"/organizations/{org}/keys", headers=h),
        "issue": lambda org, h: client.post(f"/organizations/{org}/keys", headers=h, json={}),
        "revoke": lambda org, h: client.delete(f"/organizations/{org}/keys/{prefix}", headers=h),
    }
    refused = [
        ({}, "acme", 401, "NOT-AUTHORIZED"),
        (acme, "acme", 403, "ACCESS-DENIED"),  # an API key is no admin
        (org_user(client, "acme"), "acme", 403, "ACCESS-DENIED"),
        (org_admin(client, "globex"), "acme", 404, "NOT-FOUND"),  # cannot see acme
        (org_user(client, "globex"), "acme", 404, "NOT-FOUND"),
        (globex, "acme", 404, "NOT-FOUND"),
        (org_admin(client, "acme"), "nobody", 404, "NOT-FOUND"),
        (global_admin(client), "nobody", 404, "NOT-FOUND"),
    ]
    for headers, org, status, code in refused:
        for call in calls.values():
            assert_error(call(org, headers), status, code)
    keys = app_store.list_api_keys(app_store.get_organization("acme").id)
    assert [(k.prefix, k.revoked_at) for k in keys] == [(prefix, None)]
    # Another organization is answered exactly like a missing one.
    stranger = org_admin(client, "globex")
    hidden = client.get("/organizations/acme/keys", headers=stranger).json()["errorMessage"]
    missing = client.get("/organizations/acmf/keys", headers=stranger).json()["errorMessage"]
    assert hidden.replace("acme", "acmf") == missing


def test_a_global_admin_manages_every_organizations_keys(
    client: TestClient, acme: dict[str, str], root: dict[str, str]
) -> None:
    issued = add_key(client, root, "acme")
    assert works(client, issued["apiKey"])
    listed = client.get("/organizations/acme/keys", headers=root).json()
    assert len(listed) == 2
    assert (
        client.delete(f"/organizations/acme/keys/{issued['keyPrefix']}", headers=root).status_code
        == 204
    )
    assert not works(client, issued["apiKey"])


@pytest.mark.parametrize("body", [{"apiKey": 5}, {"key": "x" * 20}, [], {"apiKey": ["x" * 20]}])
def test_bad_key_bodies_are_refused(
    client: TestClient, acme: dict[str, str], root: dict[str, str], body: object
) -> None:
    response = client.post("/organizations/acme/keys", headers=root, json=body)
    assert_error(response, 422, "VALIDATION-ERROR")


def test_an_oversized_body_is_refused(client: TestClient, root: dict[str, str]) -> None:
    """Control routes take small bodies (http.max_control_body_bytes)."""
    response = client.post(
        "/organizations", headers=root, json={"name": "x", "apiKey": "k" * 200_000}
    )
    assert_error(response, 413, "PAYLOAD-TOO-LARGE")


@pytest.mark.parametrize(
    "path",
    [
        "/organizations/%00/keys",
        "/organizations/acme/keys/%00",
        "/organizations/%ff/keys",
        "/organizations/acme/keys/%ED%A0%80",
        "/organizations/" + "x" * 5000 + "/keys",
        "/users?organization=%00",
        "/users?organization=%ff",
    ],
)
def test_odd_names_in_paths_are_client_errors(
    client: TestClient, acme: dict[str, str], root: dict[str, str], path: str
) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = client.request(method, path, headers=root, json={})
        assert 400 <= response.status_code < 500, response.text
