"""`POST /oauth/token` (form, `grant_type=password`) -> `{access_token, id_token, ...}` (spec §B.1).

Both tokens are the same JWT, as SpaceKnow clients use either; `expires_in` is its lifetime in
seconds (`GEOSERIES_JWT__MAX_LIFETIME`, 10 hours by default, as SpaceKnow's).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from pydantic import BaseModel, StringConstraints
from starlette.responses import Response

from geoseries.api.dependencies import AppSettings, AppStore, AppTokens
from geoseries.api.errors import error_responses
from geoseries.api.responses import OrjsonResponse, json_response
from geoseries.auth import login
from geoseries.errors import BadRequest

Credential = Annotated[str, StringConstraints(min_length=1, max_length=login.MAX_PASSWORD_LENGTH)]
GRANT_TYPE = "password"


class TokenOut(BaseModel):
    access_token: str
    id_token: str
    token_type: str
    expires_in: int


router = APIRouter(tags=["spaceknow"], default_response_class=OrjsonResponse)


@router.post(
    "/oauth/token",
    response_model=TokenOut,
    responses=error_responses(400, 401, 422),
    summary="Log in with a password grant (SpaceKnow)",
)
def issue_token(
    grant_type: Annotated[str, Form(max_length=64)],
    username: Annotated[Credential, Form()],
    password: Annotated[Credential, Form()],
    store: AppStore,
    tokens: AppTokens,
    settings: AppSettings,
) -> Response:
    if grant_type != GRANT_TYPE:
        raise BadRequest(
            f"unsupported grant_type {grant_type!r}: only 'password'", field="grant_type"
        )
    lifetime = settings.jwt.max_lifetime
    session = login.log_in(store, tokens, username, password, lifetime=lifetime)
    body = {
        "access_token": session.token,
        "id_token": session.token,
        "token_type": "Bearer",
        "expires_in": session.expires_in,
    }
    return json_response(body)
