"""Signing and verifying JSON Web Tokens (PyJWT) with the algorithm pinned by the settings.

The algorithm a token's header names is never trusted: only the configured one is accepted
(never `none`), so an RS256 public key can never be used as an HMAC secret. Every failure is the
same `NotAuthenticated` with a short reason that says nothing of the token or the key.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from geoseries.errors import NotAuthenticated
from geoseries.settings import ASYMMETRIC_ALGORITHMS, Settings

MAX_TOKEN_LENGTH = 8192
"""Longer strings are refused before any decoding work."""
JTI_BYTES = 24


class RevocationList(Protocol):
    """What `verify` needs of the store: whether a token id was revoked."""

    def is_token_revoked(self, jti: str) -> bool: ...


Revoked = Callable[[str], bool] | RevocationList


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: int | None
    """Seconds since the epoch (the `exp` claim); None for a token that never expires."""


class TokenService:
    """Issues and verifies tokens for one configuration. Key files are read on first use."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwt = settings.jwt
        self._algorithm = settings.jwt.algorithm.value
        self._keys: tuple[str | bytes, str | bytes] | None = None

    def issue(
        self,
        subject: str,
        *,
        permissions: Iterable[str] = (),
        audience: str | None = None,
        issuer: str | None = None,
        lifetime: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> IssuedToken:
        """A token for a logged-in subject; its lifetime is capped by `jwt.max_lifetime`."""
        longest = self._jwt.max_lifetime
        seconds = min(lifetime or longest, longest)
        claims = {**(extra or {}), "sub": subject, "permissions": list(permissions)}
        return self._sign(claims, audience=audience, issuer=issuer, lifetime=seconds)

    def issue_stateless(
        self,
        name: str,
        *,
        permissions: Iterable[str] = (),
        audience: str | None = None,
        issuer: str | None = None,
        lifetime: int | None = None,
        admin: bool = False,
    ) -> IssuedToken:
        """A Kano-style stateless token: no user behind it, `lifetime` honoured as given.

        Without a lifetime it has no `exp` and lives until its `jti` is revoked, as in Kano.
        `admin` makes it a global administrator's (no organization).
        """
        if lifetime is not None and lifetime <= 0:
            raise ValueError("a token lifetime must be positive")
        claims: dict[str, Any] = {"name": name, "sub": name, "permissions": list(permissions)}
        if admin:
            claims["admin"] = True
        return self._sign(claims, audience=audience, issuer=issuer, lifetime=lifetime)

    def verify(self, token: str, *, revoked: Revoked | None = None) -> dict[str, Any]:
        """The claims of a valid token; NotAuthenticated for anything else.

        `revoked` (a callable or the store) is asked about the token's `jti`.
        """
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise NotAuthenticated("invalid token")
        claims = self._decode(token)
        jti = claims.get("jti")
        if jti is not None and revoked is not None and _is_revoked(revoked, jti):
            raise NotAuthenticated("token revoked")
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._verifying_key(),
                algorithms=[self._algorithm],
                audience=self._jwt.audience,
                issuer=self._jwt.issuer,
                leeway=self._jwt.leeway,
                options={"require": ["iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("token expired") from None
        except jwt.ImmatureSignatureError:
            raise NotAuthenticated("token not yet valid") from None
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            raise NotAuthenticated("invalid token") from None
        return claims

    def _sign(
        self,
        claims: dict[str, Any],
        *,
        audience: str | None,
        issuer: str | None,
        lifetime: int | None,
    ) -> IssuedToken:
        now = int(time.time())
        # Hex: a `jti` starting with `-` read as an option in `geoseries token revoke <jti>`.
        jti = jti_prefix(claims.get("org")) + secrets.token_hex(JTI_BYTES)
        payload = {
            **claims,
            "iss": issuer or self._jwt.issuer,
            "aud": audience or self._jwt.audience,
            "iat": now,
            "jti": jti,
        }
        expires_at = None if lifetime is None else now + lifetime
        if expires_at is not None:
            payload["exp"] = expires_at
        token = jwt.encode(payload, self._signing_key(), algorithm=self._algorithm)
        return IssuedToken(token=token, jti=jti, expires_at=expires_at)

    def _signing_key(self) -> str | bytes:
        return self._key_pair()[0]

    def _verifying_key(self) -> str | bytes:
        return self._key_pair()[1]

    def _key_pair(self) -> tuple[str | bytes, str | bytes]:
        """(signing key, verifying key): the secret twice for HS*, the PEM files otherwise."""
        if self._keys is None:
            if self._jwt.algorithm in ASYMMETRIC_ALGORITHMS:
                private, public = self._jwt.private_key_file, self._jwt.public_key_file
                assert private is not None  # the settings ensure both files are set
                assert public is not None
                self._keys = (private.read_bytes(), public.read_bytes())
            else:
                secret = self._settings.secret_key.get_secret_value().encode()
                self._keys = (secret, secret)
        return self._keys


def jti_prefix(organization_id: object) -> str:
    """What starts the `jti` of a token of an organization, so its admins may revoke it.

    The issuer signs the `jti`, so a prefix cannot be forged; hex randomness has no dot.
    """
    if isinstance(organization_id, int) and not isinstance(organization_id, bool):
        return f"o{organization_id}."
    return ""


def _is_revoked(revoked: Revoked, jti: Any) -> bool:
    if not isinstance(jti, str):
        raise NotAuthenticated("invalid token")
    if callable(revoked):
        return revoked(jti)
    return revoked.is_token_revoked(jti)
