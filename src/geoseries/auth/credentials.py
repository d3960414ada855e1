"""HTTP-free credential resolution: what a request carried -> the Principal behind it.

Precedence follows the references: `?jwt=` wins over the Authorization header (Kano), then
`?access_token=` (Smart Citizen), then `X-API-KEY` (MONARC organizations). The first credential
present decides: a bad one is refused, never skipped in favour of the next.

A token is a JWT (always two dots) or a device token (random URL-safe text, never a dot): a
token without a dot is looked up by its digest among device tokens. An unknown or revoked one
is refused with the very message of a bad JWT, so nothing tells the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from geoseries.auth.keys import MAX_LENGTH, key_digest
from geoseries.auth.principal import Principal
from geoseries.auth.tokens import TokenService
from geoseries.errors import NotAuthenticated
from geoseries.model import Device, Organization
from geoseries.settings import Settings

TOKEN_SCHEMES = frozenset({"bearer", "jwt"})
MAX_API_KEY_LENGTH = MAX_LENGTH
BAD_TOKEN = "invalid token"  # noqa: S105 - a message, not a secret
"""What an unknown device token and a bad JWT are both refused with."""


class CredentialStore(Protocol):
    """The part of the store that credentials are checked against."""

    def organization_for_key(self, key_digest: str) -> Organization: ...

    def is_token_revoked(self, jti: str) -> bool: ...

    def device_for_token(self, token_digest: str) -> Device | None: ...


@dataclass(frozen=True, slots=True)
class Credentials:
    authorization: str | None = None
    """The Authorization header."""
    jwt_query: str | None = None
    """`?jwt=` (Kano)."""
    access_token_query: str | None = None
    """`?access_token=` (Smart Citizen)."""
    api_key: str | None = None
    """The X-API-KEY header (MONARC)."""


def resolve(
    credentials: Credentials,
    *,
    store: CredentialStore,
    tokens: TokenService,
    settings: Settings,
) -> Principal | None:
    """The caller, None when no credential was given; NotAuthenticated for a bad one."""
    token = _token(credentials)
    if token is not None and "." not in token:
        return _device_principal(store, token)
    if token is not None:
        claims = tokens.verify(token, revoked=store)
        return token_principal(claims)
    if credentials.api_key is not None and settings.api_key_authentication:
        return _api_key_principal(store, credentials.api_key)
    return None


def _token(credentials: Credentials) -> str | None:
    if credentials.jwt_query is not None:
        return credentials.jwt_query
    from_header = bearer_token(credentials.authorization)
    if from_header is not None:
        return from_header
    return credentials.access_token_query


def bearer_token(authorization: str | None) -> str | None:
    """The token of `Bearer <t>` or `JWT <t>` (any case), or a bare token (Kano accepts one).

    Another scheme (e.g. `Basic`) is not ours: it is ignored, as Kano does.
    """
    if authorization is None:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if not rest:
        return scheme  # a bare token; verify() refuses an empty one
    if scheme.lower() in TOKEN_SCHEMES:
        return rest.strip()
    return None


def token_principal(claims: dict[str, Any]) -> Principal:
    """A stateless token's principal: its name, permissions, optional organization and role."""
    subject = claims.get("sub") or claims.get("name")
    permissions = claims.get("permissions", [])
    organization = claims.get("org")
    jti = claims.get("jti")
    if not isinstance(subject, str) or not subject:
        raise NotAuthenticated("invalid token")
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise NotAuthenticated("invalid token")
    if organization is not None and (
        not isinstance(organization, int) or isinstance(organization, bool)
    ):
        raise NotAuthenticated("invalid token")
    return Principal(
        kind="token",
        subject=subject,
        organization_id=organization,
        permissions=tuple(permissions),
        is_admin=claims.get("admin") is True,
        token_id=jti if isinstance(jti, str) else None,
    )


def _api_key_principal(store: CredentialStore, api_key: str) -> Principal:
    if not api_key or len(api_key) > MAX_API_KEY_LENGTH:
        raise NotAuthenticated("unknown or revoked API key")
    organization = store.organization_for_key(key_digest(api_key))
    return Principal(kind="api_key", subject=organization.name, organization_id=organization.id)


def device_permission(device_id: int) -> str:
    """The one permission a device token holds: posting its own device's readings."""
    return f"devices.{device_id}.readings.write"


def device_principal(device: Device) -> Principal:
    """The principal of a device's token: the device, in its owner's organization."""
    return Principal(
        kind="device",
        subject=str(device.id),
        organization_id=device.organization_id,
        permissions=(device_permission(device.id),),
    )


def token_device(store: CredentialStore, token: str) -> Device | None:
    """The device whose token `token` is (HTTP or an MQTT topic), None when there is none."""
    if not token or len(token) > MAX_API_KEY_LENGTH:
        return None
    return store.device_for_token(key_digest(token))


def _device_principal(store: CredentialStore, token: str) -> Principal:
    device = token_device(store, token)
    if device is None:
        raise NotAuthenticated(BAD_TOKEN)
    return device_principal(device)
