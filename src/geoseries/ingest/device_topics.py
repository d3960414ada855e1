"""Smart Citizen kits over MQTT (smartcitizen.md §5): `<prefix>/<token>/readings[/raw]`.

The token in the topic is the device's credential: it is looked up by its digest, and a message
of an unknown (or revoked) token is dropped. `readings` carries the JSON form
`{"data": [...]}`, `readings/raw` the compact form (raw_readings.py); both are checked and
stored as `POST /v0/devices/{id}/readings` does, all or nothing. Payloads are read as US-ASCII
(other bytes are left out, as the reference strips them). Malformed payloads of a known device
are recorded as its ingest errors. Topics are shown without their token, in logs and in
recorded errors alike.
"""

from __future__ import annotations

from typing import Any

import orjson

from geoseries.auth.credentials import token_device
from geoseries.errors import GeoseriesError, Unavailable, ValidationFailed
from geoseries.ingest.device_readings import post_readings
from geoseries.ingest.raw_readings import parse_raw
from geoseries.ingest.topics import DroppedMessage, recorded_drop
from geoseries.store import Store

READINGS = "readings"
RAW = "readings/raw"
HIDDEN_TOKEN = "<token>"  # noqa: S105 - what is shown instead of a token


class DeviceReadingsTopic:
    def __init__(self, store: Store, prefix: str) -> None:
        self._store = store
        self._prefix = prefix.rstrip("/")

    @property
    def topic_filters(self) -> tuple[str, ...]:
        return (f"{self._prefix}/+/{READINGS}", f"{self._prefix}/+/{RAW}")

    def accepts(self, topic: str) -> bool:
        return self._parts(topic) is not None

    def shown(self, topic: str) -> str:
        parts = self._parts(topic)
        return topic if parts is None else f"{self._prefix}/{HIDDEN_TOKEN}/{parts[1]}"

    def store(self, topic: str, payload: bytes) -> int:
        parts = self._parts(topic)
        if parts is None:
            raise DroppedMessage(f"the topic is not {' or '.join(self.topic_filters)}")
        token, kind = parts
        device = token_device(self._store, token)
        if device is None:
            raise DroppedMessage("unknown device token")
        try:
            data = readings_data(payload, raw=kind == RAW)
            return post_readings(self._store, device, data)
        except Unavailable:
            raise
        except GeoseriesError as error:
            raise recorded_drop(
                self._store,
                topic=self.shown(topic),
                payload=payload,
                error=error,
                device_id=device.id,
            ) from None

    def _parts(self, topic: str) -> tuple[str, str] | None:
        """(token, `readings` or `readings/raw`) of one of our topics, else None."""
        head, _, rest = topic.partition(f"{self._prefix}/")
        token, _, kind = rest.partition("/")
        if head or not token or kind not in (READINGS, RAW):
            return None
        return token, kind


def readings_data(payload: bytes, *, raw: bool) -> Any:
    """The readings (`data`) of a message; ValidationFailed when it is not one."""
    text = payload.decode("ascii", errors="ignore")
    if raw:
        return parse_raw(text)
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ValidationFailed(f"the payload is not JSON: {error}", field="payload") from None
    if not isinstance(document, dict) or "data" not in document:
        raise ValidationFailed('the payload must be a JSON object {"data": [...]}', field="data")
    return document["data"]
