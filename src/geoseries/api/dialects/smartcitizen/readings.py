"""`POST /v0/devices/{id}/readings`: a device's readings over HTTP (smartcitizen.md §3.8).

The device itself (its token as `Authorization: Bearer` or `?access_token=`), its owner, an
admin of the owner's organization or a global admin may post. The answer is the reference's
`{"id": "ok", ...}`, sent only once the readings are committed; any bad row answers 400 listing
every problem, and nothing is stored (ingest/device_readings.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from geoseries.api.dependencies import AnyCaller, AppMetrics, AppStore
from geoseries.api.dialects.smartcitizen.errors import ParameterMissing
from geoseries.api.responses import OrjsonResponse, json_response
from geoseries.errors import BadRequest
from geoseries.ingest import device_readings

ACCEPTED = {"id": "ok", "message": "Data successfully sent to queue", "url": "", "errors": ""}
"""The reference's answer, word for word (though here the data is stored, not queued)."""

router = APIRouter(tags=["smartcitizen"], default_response_class=OrjsonResponse)
DeviceId = Annotated[str, Path(description="The device id.")]


@router.post("/v0/devices/{device_id}/readings", summary="Post a device's readings")
async def post_readings(
    device_id: DeviceId, request: Request, store: AppStore, metrics: AppMetrics, caller: AnyCaller
) -> Response:
    device = await anyio.to_thread.run_sync(
        device_readings.device_for_posting, store, caller, device_id
    )
    data = _data(await request.body())
    written = await anyio.to_thread.run_sync(device_readings.post_readings, store, device, data)
    metrics.ingested(written)
    return json_response(ACCEPTED)


def _data(body: bytes) -> Any:
    """The body's `data` member; `parameter_missing` when it is absent or empty, as in Rails."""
    try:
        document = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from None
    data = document.get("data") if isinstance(document, dict) else None
    if data is None or data == [] or data == "" or data == {}:
        raise ParameterMissing("param is missing or the value is empty: data")
    return data
