"""`/organizations`: create organizations (global admins), list them, and manage their API keys.

Handlers parse, call a use case of `geoseries.query.organizations`, and render; who may do what
is decided there. A key is in a response once, when it is issued; listings show its prefix.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from geoseries.api.dependencies import AppStore, Caller
from geoseries.api.errors import error_responses
from geoseries.api.native.datasets import iso_instant
from geoseries.api.responses import OrjsonResponse, json_response
from geoseries.auth.keys import MAX_LENGTH, MIN_EXPLICIT_LENGTH
from geoseries.model import ApiKey, Organization
from geoseries.query import organizations
from geoseries.query.organizations import NewKey

EXPLICIT_KEY = Field(
    None,
    description=(
        f"Use this key ({MIN_EXPLICIT_LENGTH} to {MAX_LENGTH} printable ASCII characters, no "
        "spaces) instead of a random one, as MONARC allows."
    ),
)


class KeyIn(BaseModel):
    """Body of `POST /organizations/{name}/keys`."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)

    api_key: str | None = EXPLICIT_KEY


class OrganizationIn(KeyIn):
    """Body of `POST /organizations`."""

    name: str = Field(description="1 to 120 letters, digits, spaces or .,&'()+@_-")


class KeyOut(BaseModel):
    """A key just issued: shown in this response only."""

    model_config = ConfigDict(alias_generator=to_camel, serialize_by_alias=True)

    api_key: str
    key_prefix: str = Field(description="Names the key in listings and revocations.")


class NewOrganizationOut(KeyOut):
    name: str


class OrganizationOut(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, serialize_by_alias=True)

    name: str
    created_at: str = Field(description="ISO 8601 UTC instant with milliseconds.")


class KeyListed(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, serialize_by_alias=True)

    prefix: str
    created_at: str
    revoked_at: str | None = Field(description="Null while the key is live.")


def render_new_key(new: NewKey) -> dict[str, Any]:
    return {"apiKey": new.secret, "keyPrefix": new.prefix}


def render_organization(organization: Organization) -> dict[str, Any]:
    return {"name": organization.name, "createdAt": iso_instant(organization.created_at)}


def render_key(key: ApiKey) -> dict[str, Any]:
    revoked = None if key.revoked_at is None else iso_instant(key.revoked_at)
    return {"prefix": key.prefix, "createdAt": iso_instant(key.created_at), "revokedAt": revoked}


router = APIRouter(
    prefix="/organizations",
    tags=["organizations"],
    default_response_class=OrjsonResponse,
    responses=error_responses(401, 403, 422),
)


@router.post(
    "",
    status_code=201,
    response_model=NewOrganizationOut,
    responses=error_responses(409),
    summary="Create an organization and its first API key (global admins)",
)
def create_organization(body: OrganizationIn, store: AppStore, caller: Caller) -> Response:
    new = organizations.create(store, caller, body.name, body.api_key)
    return json_response({"name": new.organization, **render_new_key(new)}, 201)


@router.get(
    "",
    response_model=list[OrganizationOut],
    summary="Organizations: all for a global admin, its own for an organization's admin",
)
def list_organizations(store: AppStore, caller: Caller) -> Response:
    listed = organizations.list_visible(store, caller)
    return json_response([render_organization(o) for o in listed])


@router.post(
    "/{name}/keys",
    status_code=201,
    response_model=KeyOut,
    responses=error_responses(404, 409),
    summary="Issue a further API key (the organization's admins)",
)
def create_key(name: str, body: KeyIn, store: AppStore, caller: Caller) -> Response:
    return json_response(
        render_new_key(organizations.add_key(store, caller, name, body.api_key)), 201
    )


@router.get(
    "/{name}/keys",
    response_model=list[KeyListed],
    responses=error_responses(404),
    summary="The organization's API keys by prefix, revoked ones included",
)
def list_keys(name: str, store: AppStore, caller: Caller) -> Response:
    return json_response([render_key(k) for k in organizations.list_keys(store, caller, name)])


@router.delete(
    "/{name}/keys/{prefix}",
    status_code=204,
    response_class=Response,
    responses=error_responses(404),
    summary="Revoke the organization's live API keys with this prefix",
)
def revoke_keys(name: str, prefix: str, store: AppStore, caller: Caller) -> Response:
    organizations.revoke_keys(store, caller, name, prefix)
    return Response(status_code=204)
