"""Random secrets shown once and stored only as hashes (API keys, device tokens).

They carry 256+ bits of entropy, so one SHA-256 is enough to store them safely and keeps the
lookup an indexed equality; passwords, which people choose, use argon2 instead.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from geoseries.errors import ValidationFailed

KEY_BYTES = 48
DEVICE_TOKEN_BYTES = 32
"""Device tokens are shorter (43 characters): they travel in every MQTT topic a kit publishes."""
PREFIX_LENGTH = 8
MIN_EXPLICIT_LENGTH = 16
"""An explicit key shorter than this is too easy to guess."""
MAX_LENGTH = 1024
"""Longer keys are refused at creation and when presented."""
HEADER_SAFE = re.compile(r"[!-~]+")
"""Printable ASCII without spaces: what an `X-API-KEY` header carries unchanged."""


@dataclass(frozen=True, slots=True)
class IssuedKey:
    secret: str
    """The key itself: shown to its owner once, never stored."""
    digest: str
    prefix: str
    """The first characters, stored so an operator can tell keys apart."""


def issue_key(explicit: str | None = None, *, nbytes: int = KEY_BYTES) -> IssuedKey:
    """A new random key of `nbytes` random bytes (or `explicit`, as MONARC allows) with its
    digest and prefix. Random keys are URL-safe base64: they never hold a dot, unlike JWTs."""
    secret = explicit if explicit is not None else _random_key(nbytes)
    return IssuedKey(secret=secret, digest=key_digest(secret), prefix=secret[:PREFIX_LENGTH])


def _random_key(nbytes: int) -> str:
    """URL-safe base64 of `nbytes` random bytes that does not begin with `-`: one key in 64
    did, and its prefix, given to the command line (`geoseries org key revoke acme <prefix>`),
    read as an option. Drawing again costs nothing measurable in entropy (the first character
    has 63 values instead of 64)."""
    while (secret := secrets.token_urlsafe(nbytes)).startswith("-"):
        pass
    return secret


def checked_explicit_key(secret: str, *, field: str = "apiKey") -> str:
    """`secret` if it may serve as an explicit key; ValidationFailed naming `field` if not."""
    if not MIN_EXPLICIT_LENGTH <= len(secret) <= MAX_LENGTH:
        raise ValidationFailed(
            f"{field}: an explicit API key must have {MIN_EXPLICIT_LENGTH} to {MAX_LENGTH} "
            f"characters (got {len(secret)})",
            field=field,
        )
    if not HEADER_SAFE.fullmatch(secret):
        raise ValidationFailed(
            f"{field}: an explicit API key must be printable ASCII without spaces", field=field
        )
    return secret


def issue_device_token() -> IssuedKey:
    """A new random device token (43 URL-safe characters, no dot) with its digest and prefix."""
    return issue_key(nbytes=DEVICE_TOKEN_BYTES)


def key_digest(secret: str) -> str:
    # surrogatepass: text from a client may hold lone surrogates, which must not raise here
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
