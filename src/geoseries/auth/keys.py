"""Random secrets shown once and stored only as hashes (API keys, device tokens).

They carry 256+ bits of entropy, so one SHA-256 is enough to store them safely and keeps the
lookup an indexed equality; passwords, which people choose, use argon2 instead.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

KEY_BYTES = 48
DEVICE_TOKEN_BYTES = 32
"""Device tokens are shorter (43 characters): they travel in every MQTT topic a kit publishes."""
PREFIX_LENGTH = 8


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
    secret = explicit if explicit is not None else secrets.token_urlsafe(nbytes)
    return IssuedKey(secret=secret, digest=key_digest(secret), prefix=secret[:PREFIX_LENGTH])


def issue_device_token() -> IssuedKey:
    """A new random device token (43 URL-safe characters, no dot) with its digest and prefix."""
    return issue_key(nbytes=DEVICE_TOKEN_BYTES)


def key_digest(secret: str) -> str:
    # surrogatepass: text from a client may hold lone surrogates, which must not raise here
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
