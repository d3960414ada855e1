"""Long-running work that lives as long as the app: the embedded broker and the MQTT ingest."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from geoseries.ingest.broker import EmbeddedBroker
from geoseries.ingest.mqtt import MqttIngest
from geoseries.settings import Settings

if TYPE_CHECKING:
    from geoseries.api.app import AppContext

Background = Callable[["AppContext"], AbstractAsyncContextManager[None]]


def mqtt_background(settings: Settings) -> list[Background]:
    """The broker (when embedded) then the subscriber (when enabled), as settings ask."""
    mqtt = settings.mqtt
    if not mqtt.enabled:
        return []

    @asynccontextmanager
    async def broker(_context: AppContext) -> AsyncIterator[None]:
        async with EmbeddedBroker(mqtt.host, mqtt.port):
            yield

    @asynccontextmanager
    async def ingest(context: AppContext) -> AsyncIterator[None]:
        async with MqttIngest(mqtt, context.store, on_ingested=context.metrics.ingested):
            yield

    return [broker, ingest] if mqtt.embedded else [ingest]
