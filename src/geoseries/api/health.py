"""Liveness and readiness probes.

`/healthz` answers as long as the process serves HTTP (restart me if not); `/readyz` also asks
the database, so a load balancer stops sending traffic while the database is unreachable.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from geoseries.api.dependencies import AppStore
from geoseries.api.errors import error_responses
from geoseries.api.responses import OrjsonResponse, json_response

router = APIRouter(tags=["operations"], default_response_class=OrjsonResponse)


@router.get("/healthz", summary="Liveness: the process is serving")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", summary="Readiness: the database answers", responses=error_responses(503))
def readyz(store: AppStore) -> Response:
    store.ping()
    return json_response({"status": "ready"})
