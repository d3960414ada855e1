"""What the MQTT ingest does with the messages of each kind of topic it subscribes to.

A `TopicHandler` names its topic filters, recognises its topics, and stores one message in a
worker thread. It raises `DroppedMessage` for a message that can never be stored (counted,
logged and acknowledged by the ingest) and lets `Unavailable` through (the ingest retries).
`shown(topic)` is the topic as logs and ingest errors may show it: topics that carry a secret
(a device token) are shown without it.
"""

from __future__ import annotations

import logging
from typing import Protocol

from geoseries.errors import GeoseriesError, NotFound, Unavailable
from geoseries.ingest.payloads import store_payload
from geoseries.store import Store

logger = logging.getLogger("geoseries.ingest.mqtt")
ERROR_TEXT_LIMIT = 10_000
OBSERVATIONS_SUFFIX = "observations"


class DroppedMessage(Exception):
    """A message that can never be stored; it is acknowledged and counted, not retried."""


class TopicHandler(Protocol):
    @property
    def topic_filters(self) -> tuple[str, ...]:
        """The MQTT filters to subscribe to for this handler's topics."""
        ...

    def accepts(self, topic: str) -> bool: ...

    def shown(self, topic: str) -> str:
        """The topic as logs and recorded errors show it (no secret in it)."""
        ...

    def store(self, topic: str, payload: bytes) -> int:
        """Store one message (blocking); returns how many values or features it wrote."""
        ...


class ObservationsTopic:
    """`<prefix>/<dataset>/observations`: payloads of observations or features (payloads.py)."""

    def __init__(self, store: Store, prefix: str) -> None:
        self._store = store
        self._prefix = prefix.rstrip("/")

    @property
    def topic_filters(self) -> tuple[str, ...]:
        return (f"{self._prefix}/+/{OBSERVATIONS_SUFFIX}",)

    def accepts(self, topic: str) -> bool:
        return self._dataset_name(topic) is not None

    def shown(self, topic: str) -> str:
        return topic

    def store(self, topic: str, payload: bytes) -> int:
        name = self._dataset_name(topic)
        if name is None:
            raise DroppedMessage(f"the topic is not {self.topic_filters[0]}")
        try:
            dataset = self._store.get_dataset(name)
        except NotFound as error:
            raise DroppedMessage(error.message) from None
        try:
            return store_payload(self._store, dataset, payload)
        except Unavailable:
            raise
        except GeoseriesError as error:
            raise recorded_drop(
                self._store, topic=topic, payload=payload, error=error, dataset_id=dataset.id
            ) from None

    def _dataset_name(self, topic: str) -> str | None:
        head, _, rest = topic.partition(f"{self._prefix}/")
        name, _, suffix = rest.partition("/")
        if head or suffix != OBSERVATIONS_SUFFIX or not name:
            return None
        return name


def recorded_drop(
    store: Store,
    *,
    topic: str,
    payload: bytes,
    error: GeoseriesError,
    dataset_id: int | None = None,
    device_id: int | None = None,
) -> DroppedMessage:
    """Record why a message of a known dataset or device is dropped; the error to raise.

    Unavailable is raised instead when the database is down, so the message is retried.
    """
    text = payload.decode("utf-8", errors="replace")[:ERROR_TEXT_LIMIT]
    try:
        store.record_ingest_error(
            topic=topic,
            message=text,
            error=error.message,
            dataset_id=dataset_id,
            device_id=device_id,
        )
    except Unavailable:
        raise
    except GeoseriesError as failed:
        logger.warning("could not record the ingest error on %s: %s", topic, failed.message)
    return DroppedMessage(error.message)
