"""`POST /auth/revoke`: refuse a token from now on (an admin, or the token revoking itself)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.responses import Response

from geoseries.api.dependencies import AppStore, Caller
from geoseries.api.errors import error_responses
from geoseries.auth import login


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jti: Annotated[str, StringConstraints(min_length=1, max_length=256)]


router = APIRouter(prefix="/auth", tags=["auth"], responses=error_responses(401, 403, 422))


@router.post("/revoke", status_code=204, response_class=Response, summary="Revoke a token")
def revoke(body: RevokeIn, store: AppStore, caller: Caller) -> Response:
    login.revoke(store, caller, body.jti)
    return Response(status_code=204)
