"""Organization use cases: creating organizations, and issuing, listing and revoking their keys.

Global admins (admin credentials of no organization, and the operator at the command line)
create organizations and manage every organization's keys; an organization's admins manage its
own keys. Like a dataset, an organization another principal may not administer is reported
exactly as a missing one, so no principal learns which other organizations exist.

A key is shown once, when it is issued (`NewKey.secret`); afterwards only its prefix is listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geoseries.auth.keys import checked_explicit_key, issue_key
from geoseries.auth.principal import Principal
from geoseries.errors import Forbidden, NotFound, ValidationFailed
from geoseries.model import ApiKey, Organization
from geoseries.store import Store

ORGANIZATION_NAME = re.compile(r"\w(?:[\w .,&'()+@-]{0,118}[\w.)-])?")
"""Names, matched with `fullmatch`: 1-120 characters, no slash (a name is a URL path segment),
no leading or trailing space."""


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just issued: `secret` is shown this once and never stored."""

    organization: str
    secret: str
    prefix: str


def checked_name(name: str) -> str:
    """`name` if an organization may be called so; ValidationFailed otherwise."""
    if not ORGANIZATION_NAME.fullmatch(name):
        raise ValidationFailed(
            "name: an organization name has 1 to 120 letters, digits, spaces or .,&'()+@_- "
            "and starts with a letter or digit",
            field="name",
        )
    return name


def create(
    store: Store,
    caller: Principal,
    name: str,
    api_key: str | None = None,
    *,
    key_field: str = "apiKey",
) -> NewKey:
    """Create the organization `name` with its first key (`api_key`, or a random one)."""
    if not caller.is_global_admin:
        raise Forbidden("only a global admin may create organizations")
    issued = issue_key(_explicit(api_key, key_field))
    store.create_organization(
        checked_name(name), api_key_hash=issued.digest, key_prefix=issued.prefix
    )
    return NewKey(organization=name, secret=issued.secret, prefix=issued.prefix)


def list_visible(store: Store, caller: Principal) -> list[Organization]:
    """Every organization for a global admin, its own for an organization's admin."""
    if caller.is_global_admin:
        return store.list_organizations()
    if not caller.is_admin or caller.organization_id is None:
        raise Forbidden("only admins may list organizations")
    return [o for o in store.list_organizations() if o.id == caller.organization_id]


def add_key(
    store: Store,
    caller: Principal,
    name: str,
    api_key: str | None = None,
    *,
    key_field: str = "apiKey",
) -> NewKey:
    """Give the organization `name` a further key (`api_key`, or a random one)."""
    organization = administered(store, caller, name)
    issued = issue_key(_explicit(api_key, key_field))
    store.add_api_key(organization.id, api_key_hash=issued.digest, key_prefix=issued.prefix)
    return NewKey(organization=name, secret=issued.secret, prefix=issued.prefix)


def list_keys(store: Store, caller: Principal, name: str) -> list[ApiKey]:
    """The keys of the organization `name`, revoked ones included, oldest first."""
    return store.list_api_keys(administered(store, caller, name).id)


def revoke_keys(store: Store, caller: Principal, name: str, prefix: str) -> int:
    """Revoke every live key of `name` starting with `prefix`; NotFound when there is none."""
    organization = administered(store, caller, name)
    revoked = store.revoke_api_keys(organization.id, prefix)
    if not revoked:
        raise NotFound(f"organization {name!r} has no live API key {prefix!r}", field="prefix")
    return revoked


def administered(store: Store, caller: Principal, name: str) -> Organization:
    """The organization `name` if `caller` administers it.

    NotFound when it is missing or another organization's (the same answer for both);
    Forbidden for a principal of that organization who is not one of its admins.
    """
    missing = NotFound(f"organization {name!r} does not exist", field="organization")
    if not caller.is_global_admin and caller.organization_id is None:
        raise missing
    try:
        organization = store.get_organization(name)
    except NotFound:
        raise missing from None
    if caller.administers(organization.id):
        return organization
    if caller.organization_id == organization.id:
        raise Forbidden(f"only admins of organization {name!r} may manage it")
    raise missing


def _explicit(api_key: str | None, field: str) -> str | None:
    """An explicit key checked, errors naming `field` as the caller knows it (`apiKey` over
    HTTP, `--token` at the command line)."""
    return None if api_key is None else checked_explicit_key(api_key, field=field)
