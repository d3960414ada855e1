"""Sessions without HTTP: logging in with an e-mail and a password, and revoking a token.

Every login dialect (Kayrros, SpaceKnow, Smart Citizen) calls `log_in` and only renders its
result. A wrong password and an unknown user fail alike, and take about as long: an unknown
user's password is still checked, against a dummy hash, so timing does not tell them apart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from geoseries.auth.passwords import hash_password, verify_password
from geoseries.auth.principal import Principal
from geoseries.auth.tokens import TokenService, jti_prefix
from geoseries.errors import Forbidden, NotAuthenticated
from geoseries.model import User

MAX_PASSWORD_LENGTH = 4096
"""Longer passwords are refused before hashing: argon2 work must not be client-sized."""


class WrongCredentials(NotAuthenticated):
    """The e-mail and password given to a login do not match a user (dialects may name it)."""


class UserStore(Protocol):
    """The part of the store a login reads."""

    def find_user(self, email: str) -> User | None: ...

    def password_hash_for(self, email: str) -> str | None: ...


class RevocationStore(Protocol):
    def revoke_token(self, jti: str, *, expires_at: int | None) -> None: ...


@dataclass(frozen=True, slots=True)
class Session:
    """What a successful login hands back: a signed token and how long it lives."""

    token: str
    expires_in: int
    """Seconds."""


def log_in(
    store: UserStore, tokens: TokenService, email: str, password: str, *, lifetime: int
) -> Session:
    """A token for the user `email` if `password` is theirs; WrongCredentials otherwise.

    `lifetime` is the token's lifetime in seconds (TokenService caps it at `jwt.max_lifetime`,
    so callers pass the setting itself).
    """
    user = _checked_user(store, email, password)
    issued = tokens.issue(
        user.email,
        permissions=user.permissions,
        lifetime=lifetime,
        extra={"org": user.organization_id, "admin": user.is_admin},
    )
    return Session(token=issued.token, expires_in=lifetime)


def _checked_user(store: UserStore, email: str, password: str) -> User:
    refused = WrongCredentials("wrong e-mail or password")
    if len(password) > MAX_PASSWORD_LENGTH or len(email) > MAX_PASSWORD_LENGTH:
        raise refused
    user = store.find_user(email)
    password_hash = store.password_hash_for(email) if user is not None else None
    matches = verify_password(password_hash or _dummy_hash(), password)
    if user is None or password_hash is None or not matches:
        raise refused
    return user


@cache
def _dummy_hash() -> str:
    """A hash no password matches, verified in place of a missing user's (same cost)."""
    return hash_password(secrets.token_urlsafe(32))


def revoke(store: RevocationStore, caller: Principal, jti: str) -> None:
    """Revoke the token `jti`: a token may revoke itself, an organization's admins its tokens
    (their `jti` starts with the organization's prefix), global admins any token."""
    itself = caller.kind == "token" and caller.token_id == jti
    own_organization = (
        caller.is_admin
        and caller.organization_id is not None
        and jti.startswith(jti_prefix(caller.organization_id))
    )
    if not (itself or own_organization or caller.is_global_admin):
        raise Forbidden("only an admin of the token's organization or the token may revoke it")
    store.revoke_token(jti, expires_at=None)
