"""`POST /v3/login` `{email, password}` -> `{"token": "..."}` (spec §C.1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, StringConstraints
from starlette.responses import Response

from geoseries.api.dependencies import AppSettings, AppStore, AppTokens
from geoseries.api.responses import OrjsonResponse, json_response
from geoseries.auth import login

Credential = Annotated[str, StringConstraints(min_length=1, max_length=login.MAX_PASSWORD_LENGTH)]


class LoginIn(BaseModel):
    email: Credential
    password: Credential


class LoginOut(BaseModel):
    token: str


router = APIRouter(tags=["kayrros"], default_response_class=OrjsonResponse)


@router.post("/v3/login", response_model=LoginOut, summary="Log in (Kayrros)")
def log_in(body: LoginIn, store: AppStore, tokens: AppTokens, settings: AppSettings) -> Response:
    lifetime = settings.jwt.max_lifetime
    session = login.log_in(store, tokens, body.email, body.password, lifetime=lifetime)
    return json_response({"token": session.token})
