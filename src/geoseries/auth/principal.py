"""Who is calling: every credential (JWT, API key, device token) resolves to one Principal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geoseries.auth.permissions import allowed

PrincipalKind = Literal["user", "token", "api_key", "device"]


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    subject: str
    """The user's email, a stateless token's name, an organization or device identifier."""
    organization_id: int | None = None
    permissions: tuple[str, ...] = ()
    is_admin: bool = False
    token_id: str | None = None
    """The `jti` of the token it came from, so that token can be revoked."""

    def can(self, *required: str) -> bool:
        """Whether every required permission is held (admins can everything)."""
        return self.is_admin or allowed(self.permissions, required)
