"""The token revocation list, on both backends."""

from __future__ import annotations

from sqlalchemy import select

from geoseries.model import now_ms
from geoseries.store import Store
from geoseries.store import schema as t
from geoseries.store.sql import SqlStore


def test_a_token_is_not_revoked_until_it_is(store: Store) -> None:
    assert not store.is_token_revoked("abc")
    store.revoke_token("abc", expires_at=None)
    assert store.is_token_revoked("abc")
    assert not store.is_token_revoked("abd")
    assert not store.is_token_revoked("ABC")


def test_revoking_twice_is_harmless(store: Store) -> None:
    before = now_ms()
    store.revoke_token("abc", expires_at=before + 60_000)
    store.revoke_token("abc", expires_at=None)
    assert store.is_token_revoked("abc")
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.revoked_tokens)).all()
    assert len(rows) == 1
    assert rows[0].expires_at == before + 60_000  # the first revocation stands
    assert before <= rows[0].revoked_at <= now_ms()


def test_long_and_odd_token_ids(store: Store) -> None:
    odd = ["x" * 255, "jti with spaces", "é-ünïcode", "'; DROP TABLE revoked_tokens; --"]
    for jti in odd:
        store.revoke_token(jti, expires_at=None)
    assert all(store.is_token_revoked(jti) for jti in odd)


def test_entries_of_expired_tokens_are_purged_on_the_next_revocation(store: Store) -> None:
    store.revoke_token("old", expires_at=now_ms() - 1)
    store.revoke_token("forever", expires_at=None)
    store.revoke_token("later", expires_at=now_ms() + 60_000)
    store.revoke_token("new", expires_at=None)
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        kept = {row.jti for row in conn.execute(select(t.revoked_tokens))}
    assert kept == {"forever", "later", "new"}
