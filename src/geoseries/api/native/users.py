"""`/users`: create and list users (global admins, and an organization's admins for their own).

Handlers parse, call a use case of `geoseries.query.users`, and render; no rendering has a
password hash to show, as `User` carries none.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from geoseries.api.dependencies import AppStore, Caller
from geoseries.api.errors import error_responses
from geoseries.api.responses import OrjsonResponse, json_response
from geoseries.query import users
from geoseries.query.users import NewUser, UserView


class UserIn(BaseModel):
    """Body of `POST /users`."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)

    email: str
    password: str = Field(description="At least 8 characters; stored as an argon2id hash.")
    organization: str
    permissions: list[str] = Field([], description="Dotted permissions, e.g. features.read.")
    admin: bool = Field(False, description="Administers its organization.")

    def new_user(self) -> NewUser:
        return NewUser(
            email=self.email,
            organization=self.organization,
            password=self.password,
            permissions=tuple(self.permissions),
            admin=self.admin,
        )


class UserOut(BaseModel):
    email: str
    organization: str
    permissions: list[str]
    admin: bool


def render_user(view: UserView) -> dict[str, Any]:
    return {
        "email": view.user.email,
        "organization": view.organization,
        "permissions": list(view.user.permissions),
        "admin": view.user.is_admin,
    }


router = APIRouter(
    prefix="/users",
    tags=["users"],
    default_response_class=OrjsonResponse,
    responses=error_responses(401, 403, 422),
)


@router.post(
    "",
    status_code=201,
    response_model=UserOut,
    responses=error_responses(409),
    summary="Create a user (global admins; an organization's admins in their own)",
)
def create_user(body: UserIn, store: AppStore, caller: Caller) -> Response:
    return json_response(render_user(users.create(store, caller, body.new_user())), 201)


@router.get(
    "",
    response_model=list[UserOut],
    responses=error_responses(404),
    summary="Users of the organizations the caller administers",
)
def list_users(
    store: AppStore,
    caller: Caller,
    organization: Annotated[str | None, Query(description="Only this organization's.")] = None,
) -> Response:
    listed = users.list_visible(store, caller, organization)
    return json_response([render_user(v) for v in listed])
