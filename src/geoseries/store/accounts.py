"""Organizations, their API keys, users and revoked tokens, mixed into `SqlStore` (see `Store`
in protocol.py). Secrets are stored as digests only; e-mails lower-cased.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Row, Table, bindparam, delete, select
from sqlalchemy.sql.dml import Insert

from geoseries.errors import NotAuthenticated, NotFound
from geoseries.model import ApiKey, Organization, User, now_ms
from geoseries.store import schema as t
from geoseries.store.errors import translated

T = TypeVar("T")


class _Sql(Protocol):
    """What the mixin uses of SqlStore."""

    def _insert(self, table: Table) -> Insert: ...

    def _write(self, fn: Callable[[Connection], T], conflict: str = ...) -> T: ...

    def _one(self, query: Any, params: dict[str, Any] | None = None) -> Row[Any] | None: ...

    def _all(self, query: Any, params: dict[str, Any] | None = None) -> list[Row[Any]]: ...

    def _scalar(self, query: Any, params: dict[str, Any] | None = None) -> Any: ...


class AccountQueries:
    """Organizations and API keys, users, and the revocation list of tokens."""

    def create_organization(
        self: _Sql, name: str, *, api_key_hash: str, key_prefix: str
    ) -> Organization:
        def insert(conn: Connection) -> Organization:
            created = now_ms()
            org_id = conn.execute(
                t.organizations.insert()
                .values(name=name, created_at=created)
                .returning(t.organizations.c.id)
            ).scalar_one()
            with translated(KEY_IN_USE):
                conn.execute(
                    t.api_keys.insert().values(
                        organization_id=org_id,
                        key_hash=api_key_hash,
                        prefix=key_prefix,
                        created_at=created,
                    )
                )
            return Organization(id=org_id, name=name, created_at=created)

        return self._write(insert, f"organization {name!r} already exists")

    def get_organization(self: _Sql, name: str) -> Organization:
        row = self._one(select(t.organizations).where(t.organizations.c.name == name))
        if row is None:
            raise NotFound(f"organization {name!r} does not exist", field="organization")
        return Organization(id=row.id, name=row.name, created_at=row.created_at)

    def organization_for_key(self: _Sql, key_digest: str) -> Organization:
        o, k = t.organizations.c, t.api_keys.c
        query = (
            select(o.id, o.name, o.created_at)
            .select_from(t.organizations.join(t.api_keys, k.organization_id == o.id))
            .where(k.key_hash == key_digest, k.revoked_at.is_(None))
        )
        row = self._one(query)
        if row is None:
            raise NotAuthenticated("unknown or revoked API key")
        return Organization(id=row.id, name=row.name, created_at=row.created_at)

    def list_organizations(self: _Sql) -> list[Organization]:
        rows = self._all(select(t.organizations).order_by(t.organizations.c.name))
        return [Organization(id=r.id, name=r.name, created_at=r.created_at) for r in rows]

    def add_api_key(
        self: _Sql, organization_id: int, *, api_key_hash: str, key_prefix: str
    ) -> ApiKey:
        created = now_ms()

        def insert(conn: Connection) -> int:
            return conn.execute(  # type: ignore[no-any-return]
                t.api_keys.insert()
                .values(
                    organization_id=organization_id,
                    key_hash=api_key_hash,
                    prefix=key_prefix,
                    created_at=created,
                )
                .returning(t.api_keys.c.id)
            ).scalar_one()

        key_id = self._write(insert, KEY_IN_USE)
        return ApiKey(key_id, organization_id, key_prefix, created, None)

    def list_api_keys(self: _Sql, organization_id: int) -> list[ApiKey]:
        k = t.api_keys.c
        query = (
            select(k.id, k.organization_id, k.prefix, k.created_at, k.revoked_at)
            .where(k.organization_id == organization_id)
            .order_by(k.created_at, k.id)
        )
        return [
            ApiKey(r.id, r.organization_id, r.prefix, r.created_at, r.revoked_at)
            for r in self._all(query)
        ]

    def revoke_api_keys(self: _Sql, organization_id: int, prefix: str) -> int:
        k = t.api_keys.c

        def revoke(conn: Connection) -> int:
            query = (
                t.api_keys.update()
                .where(
                    k.organization_id == organization_id,
                    k.prefix == prefix,
                    k.revoked_at.is_(None),
                )
                .values(revoked_at=now_ms())
            )
            return conn.execute(query).rowcount

        return self._write(revoke)

    def create_user(
        self: _Sql,
        email: str,
        *,
        organization_id: int,
        password_hash: str | None,
        permissions: Sequence[str],
        is_admin: bool,
    ) -> User:
        stored_email = normalized_email(email)

        def insert(conn: Connection) -> User:
            user_id = conn.execute(
                t.users.insert()
                .values(
                    email=stored_email,
                    organization_id=organization_id,
                    password_hash=password_hash,
                    permissions=list(permissions),
                    is_admin=is_admin,
                    created_at=now_ms(),
                )
                .returning(t.users.c.id)
            ).scalar_one()
            return User(user_id, stored_email, organization_id, tuple(permissions), is_admin)

        return self._write(insert, f"user {stored_email!r} already exists")

    def find_user(self: _Sql, email: str) -> User | None:
        row = self._one(_USER_COLUMNS.where(t.users.c.email == normalized_email(email)))
        return None if row is None else _user(row)

    def password_hash_for(self: _Sql, email: str) -> str | None:
        query = select(t.users.c.password_hash).where(t.users.c.email == normalized_email(email))
        digest: str | None = self._scalar(query)
        return digest

    def list_users(self: _Sql, organization_id: int | None = None) -> list[User]:
        query = _USER_COLUMNS.order_by(t.users.c.email)
        if organization_id is not None:
            query = query.where(t.users.c.organization_id == organization_id)
        return [_user(row) for row in self._all(query)]

    def revoke_token(self: _Sql, jti: str, *, expires_at: int | None) -> None:
        """Also purges entries of tokens that have expired since: they are refused anyway."""

        def insert(conn: Connection) -> None:
            revoked = t.revoked_tokens.c
            conn.execute(delete(t.revoked_tokens).where(revoked.expires_at < now_ms()))
            conn.execute(
                self._insert(t.revoked_tokens)
                .values(jti=jti, revoked_at=now_ms(), expires_at=expires_at)
                .on_conflict_do_nothing(index_elements=["jti"])  # type: ignore[attr-defined]
            )

        self._write(insert)

    def is_token_revoked(self: _Sql, jti: str) -> bool:
        return self._one(_REVOKED, {"jti": jti}) is not None  # every request with a token


_REVOKED = select(t.revoked_tokens.c.jti).where(t.revoked_tokens.c.jti == bindparam("jti"))


KEY_IN_USE = "this API key is already in use: give another one, or none for a random key"
_USER_COLUMNS = select(
    t.users.c.id,
    t.users.c.email,
    t.users.c.organization_id,
    t.users.c.permissions,
    t.users.c.is_admin,
)
"""A user's columns but its password hash, which only `password_hash_for` reads."""


def _user(row: Row[Any]) -> User:
    permissions = tuple(row.permissions)
    return User(row.id, row.email, row.organization_id, permissions, bool(row.is_admin))


def normalized_email(email: str) -> str:
    """E-mails are compared without case: `Ann@Example.org` and `ann@example.org` are one user."""
    return email.lower()
