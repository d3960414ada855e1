"""Principals for the administration tests: tokens signed by the app itself, as logins sign them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from geoseries.auth.tokens import TokenService
from geoseries.store import Store


def token_headers(
    client: TestClient, subject: str, *, organization: str | None = None, admin: bool = False
) -> dict[str, str]:
    """A bearer token of `subject`, of `organization` when given (the claims a login puts)."""
    tokens: TokenService = client.app.state.tokens  # type: ignore[attr-defined]
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    extra: dict[str, object] = {"admin": admin}
    if organization is not None:
        extra["org"] = store.get_organization(organization).id
    return {"Authorization": f"Bearer {tokens.issue(subject, extra=extra).token}"}


def global_admin(client: TestClient) -> dict[str, str]:
    return token_headers(client, "root", admin=True)


def org_admin(client: TestClient, organization: str) -> dict[str, str]:
    return token_headers(client, f"admin@{organization}", organization=organization, admin=True)


def org_user(client: TestClient, organization: str) -> dict[str, str]:
    return token_headers(client, f"user@{organization}", organization=organization)
