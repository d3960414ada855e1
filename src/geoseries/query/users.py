"""User use cases: who may create users, in which organization, and who may list them.

Global admins (admin credentials of no organization, and the operator at the command line)
create and list users of every organization; an organization's admins those of their own
organization only. Naming another organization is refused alike whether it exists or not, so
the answer tells nothing about other organizations. Passwords are hashed here and go no
further: `User` carries no hash, so no rendering can show one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from geoseries.auth.login import MAX_PASSWORD_LENGTH
from geoseries.auth.passwords import MIN_LENGTH, hash_password
from geoseries.auth.principal import Principal
from geoseries.errors import Forbidden, NotFound, ValidationFailed
from geoseries.model import Organization, User
from geoseries.store import Store

EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
MAX_EMAIL_LENGTH = 254
PERMISSION = re.compile(r"[!-~]{1,256}")
"""A dotted permission: printable ASCII without spaces, e.g. `features.read.gauges`."""
MAX_PERMISSIONS = 100


@dataclass(frozen=True, slots=True)
class NewUser:
    """What a caller asks for when creating a user; no password: the user cannot log in yet."""

    email: str
    organization: str
    password: str | None = None
    permissions: tuple[str, ...] = ()
    admin: bool = False


@dataclass(frozen=True, slots=True)
class UserView:
    """A user with the name of its organization, as renderings show it."""

    user: User
    organization: str


def create(store: Store, caller: Principal, new: NewUser) -> UserView:
    """Create a user in `new.organization`, which `caller` must administer."""
    organization = _target_organization(store, caller, new.organization)
    email = checked_email(new.email)
    permissions = checked_permissions(new.permissions)
    password_hash = None if new.password is None else hash_password(checked_password(new.password))
    user = store.create_user(
        email,
        organization_id=organization.id,
        password_hash=password_hash,
        permissions=permissions,
        is_admin=new.admin,
    )
    return UserView(user, organization.name)


def list_visible(
    store: Store, caller: Principal, organization: str | None = None
) -> list[UserView]:
    """Users ordered by e-mail: of `organization`, or of every organization `caller` administers."""
    if not caller.is_admin:
        raise Forbidden("only admins may list users")
    names = {o.id: o.name for o in store.list_organizations()}
    if organization is not None:
        only: int | None = _administered(store, caller, organization).id
    elif caller.is_global_admin:
        only = None
    else:
        only = caller.organization_id
    return [UserView(u, names.get(u.organization_id, "")) for u in store.list_users(only)]


def checked_email(email: str) -> str:
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(email) or not email.isprintable():
        raise ValidationFailed(f"email: {email[:300]!r} is not an e-mail address", field="email")
    return email


def checked_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            f"the password must have at least {MIN_LENGTH} characters", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH or not _encodable(password):
        raise ValidationFailed(
            f"the password must be Unicode text of at most {MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    return password


def checked_permissions(permissions: Sequence[str]) -> tuple[str, ...]:
    if len(permissions) > MAX_PERMISSIONS:
        raise ValidationFailed(
            f"permissions: at most {MAX_PERMISSIONS} permissions", field="permissions"
        )
    for permission in permissions:
        if not PERMISSION.fullmatch(permission):
            raise ValidationFailed(
                f"permissions: {permission[:300]!r} is not a dotted permission such as "
                "features.read (1 to 256 printable ASCII characters, no spaces)",
                field="permissions",
            )
    return tuple(permissions)


def _target_organization(store: Store, caller: Principal, name: str) -> Organization:
    """The organization a new user joins: any for a global admin, else the caller's own."""
    if not caller.is_admin:
        raise Forbidden("only admins may create users")
    if not caller.is_global_admin:
        return _administered(store, caller, name)
    try:
        return store.get_organization(name)
    except NotFound as missing:
        raise ValidationFailed(missing.message, field="organization") from None


def _administered(store: Store, caller: Principal, name: str) -> Organization:
    """The organization `name` if `caller` administers it; a missing one is NotFound for a
    global admin, Forbidden (like any other organization) for an organization's admin."""
    refused = Forbidden("an organization's admins manage the users of their own organization only")
    try:
        organization = store.get_organization(name)
    except NotFound:
        if caller.is_global_admin:
            raise
        raise refused from None
    if not caller.administers(organization.id):
        raise refused
    return organization


def _encodable(text: str) -> bool:
    """No lone surrogates: argon2 hashes the UTF-8 bytes of the password."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
