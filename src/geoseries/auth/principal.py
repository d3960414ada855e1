"""Who is calling: every credential (JWT, API key, device token) resolves to one Principal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geoseries.auth.permissions import allowed

PrincipalKind = Literal["user", "token", "api_key", "device", "operator"]


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

    @property
    def is_global_admin(self) -> bool:
        """An admin credential of no organization (the operator's): it may do everything.

        An admin user of an organization administers that organization only.
        """
        return self.is_admin and self.organization_id is None

    def administers(self, organization_id: int | None) -> bool:
        """Whether this principal is an admin of `organization_id` (or a global admin)."""
        return self.is_global_admin or (
            self.is_admin
            and organization_id is not None
            and organization_id == self.organization_id
        )

    def can(self, *required: str) -> bool:
        """Whether every required permission is held (admins can everything)."""
        return self.is_admin or allowed(self.permissions, required)


OPERATOR = Principal(kind="operator", subject="operator", is_admin=True)
"""Whoever runs the command line: holding the database, it is a global admin."""
