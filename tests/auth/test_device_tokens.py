"""Device tokens resolve to a device principal; unknown ones fail exactly like a bad JWT."""

from __future__ import annotations

import pytest

from geoseries.auth.credentials import Credentials, device_permission, resolve
from geoseries.auth.keys import issue_device_token, issue_key
from geoseries.auth.principal import Principal
from geoseries.auth.tokens import TokenService
from geoseries.errors import NotAuthenticated
from geoseries.store import Store
from tests.auth.conftest import hs_settings
from tests.devices import device, owner


def test_device_tokens_are_random_urlsafe_and_never_dotted() -> None:
    issued = [issue_device_token() for _ in range(50)]
    assert len({i.secret for i in issued}) == 50
    for token in issued:
        assert len(token.secret) == 43
        assert "." not in token.secret
        assert token.prefix == token.secret[:8]
        assert len(token.digest) == 64


def test_random_keys_never_begin_with_a_dash() -> None:
    """A prefix given to the command line must not read as an option. Before the fix one key in
    64 began with `-`: 2,000 draws would all have missed it with probability 2e-14."""
    keys = [issue_key().secret for _ in range(1000)] + [
        issue_device_token().secret for _ in range(1000)
    ]
    assert not [key for key in keys if key.startswith("-")]


def test_a_device_token_in_any_transport_is_the_device(store: Store) -> None:
    settings = hs_settings()
    tokens = TokenService(settings)
    ann = owner(store)
    kit, token = device(store, ann)
    expected = Principal(
        kind="device",
        subject=str(kit.id),
        organization_id=ann.organization_id,
        permissions=(device_permission(kit.id),),
    )
    for given in (
        Credentials(authorization=f"Bearer {token}"),
        Credentials(authorization=token),
        Credentials(access_token_query=token),
        Credentials(jwt_query=token),
    ):
        assert resolve(given, store=store, tokens=tokens, settings=settings) == expected
    assert not expected.is_admin
    assert not expected.can("features.read.devices")
    assert expected.can(f"devices.{kit.id}.readings.write")


@pytest.mark.parametrize("token", ["", "Bearer", "unknown", "x" * 2000, "\udcff", "not.a.jwt"])
def test_unknown_device_tokens_fail_like_bad_jwts(store: Store, token: str) -> None:
    settings = hs_settings()
    with pytest.raises(NotAuthenticated) as refused:
        resolve(
            Credentials(access_token_query=token),
            store=store,
            tokens=TokenService(settings),
            settings=settings,
        )
    assert refused.value.message == "invalid token"


def test_a_revoked_device_token_is_unknown(store: Store) -> None:
    settings = hs_settings()
    kit, token = device(store, owner(store))
    store.set_device_token(kit.id, None, None)
    with pytest.raises(NotAuthenticated, match=r"^invalid token$"):
        resolve(
            Credentials(authorization=f"Bearer {token}"),
            store=store,
            tokens=TokenService(settings),
            settings=settings,
        )
