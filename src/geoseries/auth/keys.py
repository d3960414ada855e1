"""Random secrets shown once and stored only as hashes (API keys, device tokens).

They carry 256+ bits of entropy, so one SHA-256 is enough to store them safely and keeps the
lookup an indexed equality; passwords, which people choose, use argon2 instead.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

KEY_BYTES = 48
PREFIX_LENGTH = 8


@dataclass(frozen=True, slots=True)
class IssuedKey:
    secret: str
    """The key itself: shown to its owner once, never stored."""
    digest: str
    prefix: str
    """The first characters, stored so an operator can tell keys apart."""


def issue_key(explicit: str | None = None) -> IssuedKey:
    """A new random key (or `explicit`, as MONARC allows) with its digest and prefix."""
    secret = explicit if explicit is not None else secrets.token_urlsafe(KEY_BYTES)
    return IssuedKey(secret=secret, digest=key_digest(secret), prefix=secret[:PREFIX_LENGTH])


def key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
