"""Organizations, their API keys and users, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from geoseries.errors import Conflict, NotAuthenticated, NotFound
from geoseries.model import now_ms
from geoseries.store import Store
from geoseries.store import schema as t
from geoseries.store.sql import SqlStore

KEY_A = "a" * 64
KEY_B = "b" * 64


def test_create_and_get_organization(store: Store) -> None:
    before = now_ms()
    created = store.create_organization("acme", api_key_hash=KEY_A, key_prefix="gs_aaaa")
    assert created.name == "acme"
    assert before <= created.created_at <= now_ms()
    assert store.get_organization("acme") == created


def test_duplicate_organization_is_a_conflict(store: Store) -> None:
    store.create_organization("acme", api_key_hash=KEY_A, key_prefix="gs_aaaa")
    with pytest.raises(Conflict, match="acme"):
        store.create_organization("acme", api_key_hash=KEY_B, key_prefix="gs_bbbb")
    # The second organization's key was not left behind.
    with pytest.raises(NotAuthenticated):
        store.organization_for_key(KEY_B)


def test_unknown_organization_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound) as caught:
        store.get_organization("nobody")
    assert caught.value.field == "organization"


def test_list_organizations_is_ordered_by_name(store: Store) -> None:
    for index, name in enumerate(["beta", "Zulu", "alpha"]):
        store.create_organization(name, api_key_hash=str(index) * 64, key_prefix=f"gs_{index}")
    assert [o.name for o in store.list_organizations()] == ["Zulu", "alpha", "beta"]


def test_organization_for_key(store: Store) -> None:
    acme = store.create_organization("acme", api_key_hash=KEY_A, key_prefix="gs_aaaa")
    other = store.create_organization("other", api_key_hash=KEY_B, key_prefix="gs_bbbb")
    assert store.organization_for_key(KEY_A) == acme
    assert store.organization_for_key(KEY_B) == other
    with pytest.raises(NotAuthenticated):
        store.organization_for_key("c" * 64)


def test_revoked_key_no_longer_authenticates(store: Store) -> None:
    store.create_organization("acme", api_key_hash=KEY_A, key_prefix="gs_aaaa")
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        conn.execute(update(t.api_keys).values(revoked_at=now_ms()))
    with pytest.raises(NotAuthenticated):
        store.organization_for_key(KEY_A)


def test_create_user(store: Store) -> None:
    acme = store.create_organization("acme", api_key_hash=KEY_A, key_prefix="gs_aaaa")
    user = store.create_user(
        "ada@example.org",
        organization_id=acme.id,
        password_hash="$argon2id$...",
        permissions=["dataset.read", "dataset.write"],
        is_admin=False,
    )
    assert user.email == "ada@example.org"
    assert user.organization_id == acme.id
    assert user.permissions == ("dataset.read", "dataset.write")
    assert not user.is_admin


def test_duplicate_user_is_a_conflict(store: Store) -> None:
    acme = store.create_organization("acme", api_key_hash=KEY_A, key_prefix="gs_aaaa")
    store.create_user(
        "ada@example.org",
        organization_id=acme.id,
        password_hash=None,
        permissions=[],
        is_admin=True,
    )
    with pytest.raises(Conflict, match=r"ada@example\.org"):
        store.create_user(
            "ada@example.org",
            organization_id=acme.id,
            password_hash=None,
            permissions=[],
            is_admin=False,
        )


def test_emails_are_stored_and_found_without_case(store: Store) -> None:
    acme = store.create_organization("acme", api_key_hash=KEY_A, key_prefix="gs_aaaa")
    user = store.create_user(
        "Ann@Example.ORG",
        organization_id=acme.id,
        password_hash="$argon2id$ann",
        permissions=[],
        is_admin=False,
    )
    assert user.email == "ann@example.org"
    for spelling in ("ann@example.org", "ANN@EXAMPLE.ORG", "Ann@Example.org"):
        assert store.find_user(spelling) == user
        assert store.password_hash_for(spelling) == "$argon2id$ann"
    with pytest.raises(Conflict, match=r"ann@example\.org"):
        store.create_user(
            "ANN@example.org",
            organization_id=acme.id,
            password_hash=None,
            permissions=[],
            is_admin=False,
        )


def test_further_keys_are_listed_and_revoked_by_prefix(store: Store) -> None:
    acme = store.create_organization("acme", api_key_hash=KEY_A, key_prefix="first___")
    other = store.create_organization("other", api_key_hash="c" * 64, key_prefix="shared__")
    added = store.add_api_key(acme.id, api_key_hash=KEY_B, key_prefix="shared__")
    twin = store.add_api_key(acme.id, api_key_hash="d" * 64, key_prefix="shared__")
    assert (added.organization_id, added.prefix, added.revoked_at) == (acme.id, "shared__", None)
    assert store.organization_for_key(KEY_B) == acme
    assert [k.prefix for k in store.list_api_keys(acme.id)] == ["first___", "shared__", "shared__"]
    assert store.list_api_keys(acme.id)[1:] == [added, twin]

    assert store.revoke_api_keys(acme.id, "shared__") == 2  # every live key with the prefix
    assert store.revoke_api_keys(acme.id, "shared__") == 0  # already revoked
    assert store.revoke_api_keys(acme.id, "nothing_") == 0
    for digest in (KEY_B, "d" * 64):
        with pytest.raises(NotAuthenticated):
            store.organization_for_key(digest)
    assert store.organization_for_key(KEY_A) == acme
    assert store.organization_for_key("c" * 64) == other  # the other organization's key lives
    listed = store.list_api_keys(acme.id)
    assert [k.revoked_at is not None for k in listed] == [False, True, True]
    assert all(k.revoked_at >= k.created_at for k in listed if k.revoked_at is not None)
    assert store.list_api_keys(other.id)[0].revoked_at is None


def test_a_key_in_use_is_a_conflict(store: Store) -> None:
    acme = store.create_organization("acme", api_key_hash=KEY_A, key_prefix="aaaaaaaa")
    with pytest.raises(Conflict, match="already in use"):
        store.add_api_key(acme.id, api_key_hash=KEY_A, key_prefix="aaaaaaaa")
    with pytest.raises(Conflict, match="already in use"):
        store.create_organization("other", api_key_hash=KEY_A, key_prefix="aaaaaaaa")
    assert [o.name for o in store.list_organizations()] == ["acme"]
    assert len(store.list_api_keys(acme.id)) == 1


def test_list_users(store: Store) -> None:
    acme = store.create_organization("acme", api_key_hash=KEY_A, key_prefix="aaaaaaaa")
    other = store.create_organization("other", api_key_hash=KEY_B, key_prefix="bbbbbbbb")
    for email, organization in (("b@acme.org", acme), ("c@other.org", other), ("a@acme.org", acme)):
        store.create_user(
            email,
            organization_id=organization.id,
            password_hash="$argon2id$secret",
            permissions=["features.read"],
            is_admin=False,
        )
    assert [u.email for u in store.list_users()] == ["a@acme.org", "b@acme.org", "c@other.org"]
    assert [u.email for u in store.list_users(acme.id)] == ["a@acme.org", "b@acme.org"]
    assert store.list_users(other.id)[0] == store.find_user("c@other.org")
    assert store.list_users(other.id)[0].permissions == ("features.read",)
