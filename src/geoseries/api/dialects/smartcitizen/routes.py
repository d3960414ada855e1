"""`POST /v0/sessions` `{username, password}` -> `{"access_token": "..."}` (smartcitizen.md §3.11).

`username` is the user's e-mail. Unlike the reference (404 for an unknown user, 422 for a wrong
password), both are the same 401 `unauthorized`, so a login does not reveal who has an account.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import Response

from geoseries.api.dependencies import AppSettings, AppStore, AppTokens
from geoseries.api.dialects.smartcitizen.errors import ParameterMissing
from geoseries.api.responses import OrjsonResponse, json_response
from geoseries.auth import login


class SessionIn(BaseModel):
    """Both members are optional here so that a missing one is `parameter_missing`, as in Rails."""

    username: str | None = None
    password: str | None = None


class SessionOut(BaseModel):
    access_token: str


router = APIRouter(tags=["smartcitizen"], default_response_class=OrjsonResponse)


@router.post("/v0/sessions", response_model=SessionOut, summary="Log in (Smart Citizen)")
def create_session(
    body: SessionIn, store: AppStore, tokens: AppTokens, settings: AppSettings
) -> Response:
    username, password = body.username, body.password
    if not username or not password:
        missing = [
            name for name, value in (("username", username), ("password", password)) if not value
        ]
        raise ParameterMissing(f"param is missing or the value is empty: {', '.join(missing)}")
    lifetime = settings.jwt.max_lifetime
    session = login.log_in(store, tokens, username, password, lifetime=lifetime)
    return json_response({"access_token": session.token})
