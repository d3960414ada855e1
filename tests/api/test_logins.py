"""The three login dialects through the real app: right and wrong credentials, their shapes."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import SecretStr

from geoseries.auth.passwords import hash_password
from geoseries.settings import Settings
from geoseries.store import Store
from tests.api.conftest import add_organization

EMAIL = "alice@acme.example"
PASSWORD = "correct horse battery"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a secret long enough for HS256 (no short-key warnings)."""
    return settings.model_copy(update={"secret_key": SecretStr("s" * 48)})


@pytest.fixture
def alice(app_store: Store) -> str:
    """A user of organization acme who may log in; returns the stored password hash."""
    add_organization(app_store, "acme")
    org = app_store.get_organization("acme")
    password_hash = hash_password(PASSWORD)
    app_store.create_user(
        EMAIL,
        organization_id=org.id,
        password_hash=password_hash,
        permissions=["datasets.read"],
        is_admin=False,
    )
    return password_hash


def kayrros(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> Response:
    return client.post("/v3/login", json={"email": email, "password": password})


def spaceknow(client: TestClient, **form: str) -> Response:
    fields = {"grant_type": "password", "username": EMAIL, "password": PASSWORD} | form
    return client.post("/oauth/token", data=fields)


def smartcitizen(client: TestClient, username: str = EMAIL, password: str = PASSWORD) -> Response:
    return client.post("/v0/sessions", json={"username": username, "password": password})


def datasets_with(client: TestClient, token: str) -> int:
    response = client.get("/datasets", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


def assert_kayrros_error(response: Response, status: int, *codes: str) -> None:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] in codes


# -- Kayrros -------------------------------------------------------------------------------------


def test_kayrros_login_returns_a_working_token(client: TestClient, alice: str) -> None:
    response = kayrros(client)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"token"}
    assert datasets_with(client, response.json()["token"]) == 200


def test_kayrros_wrong_credentials_look_alike(client: TestClient, alice: str) -> None:
    wrong_password = kayrros(client, password="not the password")
    unknown_user = kayrros(client, email="mallory@acme.example")
    for response in (wrong_password, unknown_user):
        assert_kayrros_error(response, 401, "WRONG_CREDENTIALS")
    assert wrong_password.json() == unknown_user.json()


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"json": {"email": EMAIL}},
        {"json": {"email": EMAIL, "password": 12}},
        {"json": ["not", "an", "object"]},
        {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        {"data": {"email": EMAIL, "password": PASSWORD}},  # a form, not JSON
        {"content": PASSWORD.encode(), "headers": {"Content-Type": "text/plain"}},
    ],
)
def test_kayrros_malformed_login_is_a_bad_request(
    client: TestClient, alice: str, request_kwargs: dict[str, Any]
) -> None:
    response = client.post("/v3/login", **request_kwargs)
    assert_kayrros_error(response, 400, "BAD_REQUEST", "VALIDATION_EXCEPTION")


def test_kayrros_paths_render_core_errors_in_kayrros_shape(client: TestClient) -> None:
    assert_kayrros_error(client.get("/v1/nowhere"), 404, "NOT_FOUND")
    assert_kayrros_error(client.get("/v3/login"), 405, "METHOD_NOT_ALLOWED")


# -- SpaceKnow -----------------------------------------------------------------------------------


def test_spaceknow_password_grant(client: TestClient, settings: Settings, alice: str) -> None:
    response = spaceknow(client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "id_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["access_token"] == body["id_token"]
    assert body["expires_in"] == settings.jwt.max_lifetime
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    assert claims["sub"] == EMAIL
    assert claims["permissions"] == ["datasets.read"]
    assert claims["admin"] is False
    assert datasets_with(client, body["id_token"]) == 200


@pytest.mark.parametrize(
    "form", [{"password": "not the password"}, {"username": "mallory@acme.example"}]
)
def test_spaceknow_wrong_credentials(client: TestClient, alice: str, form: dict[str, str]) -> None:
    response = spaceknow(client, **form)
    assert response.status_code == 401
    assert response.json() == {
        "error": "NOT-AUTHORIZED",
        "errorMessage": "wrong e-mail or password",
    }


def test_spaceknow_unsupported_grant_type(client: TestClient, alice: str) -> None:
    response = spaceknow(client, grant_type="client_credentials")
    assert response.status_code == 400
    assert response.json()["error"] == "BAD-REQUEST"


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": {"grant_type": "password", "username": EMAIL}},
        {"json": {"grant_type": "password", "username": EMAIL, "password": PASSWORD}},
    ],
)
def test_spaceknow_malformed_request_is_a_validation_error(
    client: TestClient, alice: str, request_kwargs: dict[str, Any]
) -> None:
    response = client.post("/oauth/token", **request_kwargs)
    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION-ERROR"


# -- Smart Citizen -------------------------------------------------------------------------------


def test_smartcitizen_session(client: TestClient, alice: str) -> None:
    response = smartcitizen(client)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token"}
    token = response.json()["access_token"]
    assert client.get("/datasets", params={"access_token": token}).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [(EMAIL, "not the password"), ("mallory@acme.example", PASSWORD)],
)
def test_smartcitizen_wrong_credentials(
    client: TestClient, alice: str, username: str, password: str
) -> None:
    response = smartcitizen(client, username, password)
    assert response.status_code == 401
    assert response.json() == {
        "id": "unauthorized",
        "message": "wrong e-mail or password",
        "url": None,
        "errors": None,
    }


def test_smartcitizen_missing_parameter(client: TestClient, alice: str) -> None:
    response = client.post("/v0/sessions", json={"username": EMAIL})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"id", "message", "url", "errors"}
    assert body["id"] == "parameter_missing"
    assert "password" in body["message"]


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        {"content": b"username=a&password=b", "headers": {"Content-Type": "text/plain"}},
        {"json": {"username": ["a"], "password": PASSWORD}},
    ],
)
def test_smartcitizen_malformed_body(
    client: TestClient, alice: str, request_kwargs: dict[str, Any]
) -> None:
    response = client.post("/v0/sessions", **request_kwargs)
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"id", "message", "url", "errors"}
    assert body["id"] == "unprocessable_entity"


def test_smartcitizen_paths_render_core_errors_in_smartcitizen_shape(client: TestClient) -> None:
    response = client.get("/v0/nowhere")
    assert response.status_code == 404
    assert response.json()["id"] == "not_found"


# -- nothing leaks -------------------------------------------------------------------------------


def test_password_hashes_never_appear_in_responses(client: TestClient, alice: str) -> None:
    responses = [
        kayrros(client),
        kayrros(client, password="wrong password"),
        kayrros(client, email="mallory@acme.example"),
        spaceknow(client),
        spaceknow(client, password="wrong password"),
        smartcitizen(client),
        smartcitizen(client, password="wrong password"),
        client.post("/v0/sessions", json={"username": EMAIL}),
    ]
    token = responses[0].json()["token"]
    responses.append(client.get("/datasets", headers={"Authorization": f"Bearer {token}"}))
    for response in responses:
        assert alice not in response.text
        assert "$argon2" not in response.text
        assert PASSWORD not in response.text


def test_emails_are_case_insensitive(client: TestClient, app_store: Store) -> None:
    add_organization(app_store, "acme")
    app_store.create_user(
        "Ann@Example.org",
        organization_id=app_store.get_organization("acme").id,
        password_hash=hash_password(PASSWORD),
        permissions=[],
        is_admin=False,
    )
    for spelling in ("ann@example.org", "Ann@Example.org", "ANN@EXAMPLE.ORG"):
        response = kayrros(client, spelling)
        assert response.status_code == 200, response.text
        claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
        assert claims["sub"] == "ann@example.org"
    assert spaceknow(client, username="ANN@example.org").status_code == 200
    assert smartcitizen(client, "ann@EXAMPLE.org").status_code == 200
    assert kayrros(client, "ann@example.org", "wrong password").status_code == 401
