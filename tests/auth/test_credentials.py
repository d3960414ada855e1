"""Credential resolution: precedence, schemes, API keys and token claims, on both backends."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from geoseries.auth.credentials import Credentials, bearer_token, resolve, token_principal
from geoseries.auth.keys import issue_key
from geoseries.auth.principal import Principal
from geoseries.auth.tokens import TokenService
from geoseries.errors import NotAuthenticated
from geoseries.settings import Settings
from geoseries.store import Store
from tests.auth.conftest import SECRET, hs_settings


@pytest.fixture
def conf() -> Settings:
    return hs_settings()


@pytest.fixture
def tokens(conf: Settings) -> TokenService:
    return TokenService(conf)


@pytest.fixture
def who(store: Store, tokens: TokenService, conf: Settings):  # type: ignore[no-untyped-def]
    def resolve_with(settings: Settings | None = None, **given: str) -> Principal | None:
        return resolve(Credentials(**given), store=store, tokens=tokens, settings=settings or conf)

    return resolve_with


def signed(**payload: Any) -> str:
    now = int(time.time())
    return jwt.encode(
        {"iss": "kalisio", "aud": "kalisio", "iat": now, "exp": now + 3600, **payload},
        SECRET,
        algorithm="HS256",
    )


def test_no_credential_is_anonymous(who: Any) -> None:
    assert who() is None
    assert who(authorization="Basic dXNlcjpwYXNz") is None  # not our scheme: ignored


def test_token_principal(who: Any, tokens: TokenService) -> None:
    issued = tokens.issue("ann@example.org", permissions=["features.read"])
    principal = who(authorization=f"Bearer {issued.token}")
    assert principal == Principal(
        kind="token",
        subject="ann@example.org",
        organization_id=None,
        permissions=("features.read",),
        is_admin=False,
        token_id=issued.jti,
    )
    assert principal.can("features.read.rivers")
    assert not principal.can("features.write")


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "JWT", "jwt"])
def test_token_schemes(who: Any, tokens: TokenService, scheme: str) -> None:
    token = tokens.issue("ann").token
    assert who(authorization=f"{scheme} {token}").subject == "ann"


def test_bearer_token_parsing() -> None:
    assert bearer_token(None) is None
    assert bearer_token("Bearer  abc ") == "abc"
    assert bearer_token("abc") == "abc"  # a bare token, as Kano accepts
    assert bearer_token("Basic abc") is None


def test_jwt_query_wins_over_the_header(who: Any, tokens: TokenService) -> None:
    query = tokens.issue("from-query").token
    header = tokens.issue("from-header").token
    assert who(jwt_query=query, authorization=f"Bearer {header}").subject == "from-query"
    with pytest.raises(NotAuthenticated):
        who(jwt_query="garbage", authorization=f"Bearer {header}")


def test_header_wins_over_access_token(who: Any, tokens: TokenService) -> None:
    header = tokens.issue("from-header").token
    access = tokens.issue("from-access-token").token
    assert who(authorization=f"JWT {header}", access_token_query=access).subject == "from-header"
    assert who(access_token_query=access).subject == "from-access-token"
    assert who(authorization="Basic x", access_token_query=access).subject == "from-access-token"


@pytest.mark.parametrize(
    "given",
    [
        {"authorization": "Bearer garbage"},
        {"authorization": "Bearer "},
        {"authorization": ""},
        {"jwt_query": ""},
        {"access_token_query": "a.b.c"},
        {"api_key": ""},
        {"api_key": "no-such-key"},
        {"api_key": "k" * 5000},
    ],
)
def test_garbage_credentials_are_refused(who: Any, given: dict[str, str]) -> None:
    with pytest.raises(NotAuthenticated):
        who(**given)


def test_api_key(who: Any, store: Store, conf: Settings) -> None:
    key = issue_key()
    acme = store.create_organization("acme", api_key_hash=key.digest, key_prefix=key.prefix)
    assert who(api_key=key.secret) == Principal(
        kind="api_key", subject="acme", organization_id=acme.id, permissions=()
    )
    switched_off = conf.model_copy(update={"api_key_authentication": False})
    assert who(switched_off, api_key=key.secret) is None
    assert who(switched_off, api_key="garbage") is None


def test_token_wins_over_api_key(who: Any, tokens: TokenService) -> None:
    assert who(jwt_query=tokens.issue("ann").token, api_key="unknown").kind == "token"


def test_revoked_token_is_refused(who: Any, store: Store, tokens: TokenService) -> None:
    issued = tokens.issue("ann")
    store.revoke_token(issued.jti, expires_at=None)
    with pytest.raises(NotAuthenticated, match="token revoked"):
        who(authorization=f"Bearer {issued.token}")
    assert who(authorization=f"Bearer {tokens.issue('ann').token}").subject == "ann"


def test_stateless_token_claims(who: Any) -> None:
    principal = who(jwt_query=signed(name="bot", org=7, admin=True, permissions=["stats"]))
    assert principal == Principal(
        kind="token", subject="bot", organization_id=7, permissions=("stats",), is_admin=True
    )
    assert who(jwt_query=signed(sub="ann", admin="yes")).is_admin is False
    assert who(jwt_query=signed(sub="ann")).permissions == ()


@pytest.mark.parametrize(
    "payload",
    [
        {"sub": "ann", "permissions": "features.read"},
        {"sub": "ann", "permissions": ["features.read", 3]},
        {"sub": "ann", "permissions": {"features": True}},
        {"sub": "ann", "permissions": None},
        {"sub": "ann", "org": "acme"},
        {"sub": "ann", "org": True},
        {"name": 12},
        {"name": ""},
        {},
    ],
)
def test_malformed_claims_are_refused(who: Any, payload: dict[str, Any]) -> None:
    token = signed(**payload)
    with pytest.raises(NotAuthenticated) as caught:
        who(authorization=f"Bearer {token}")
    assert token not in str(caught.value)
    assert SECRET not in str(caught.value)


def test_token_principal_without_a_store() -> None:
    assert token_principal({"sub": "a", "jti": 5}).token_id is None
