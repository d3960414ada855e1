"""Long-running work that lives as long as the app: the embedded broker and the MQTT ingest."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from geoseries.api.metrics import Metrics
from geoseries.ingest.broker import EmbeddedBroker
from geoseries.ingest.mqtt import MqttIngest
from geoseries.settings import Settings
from geoseries.store import Store


@dataclass(frozen=True, slots=True)
class AppContext:
    """What background work attached to the app may use."""

    settings: Settings
    store: Store
    metrics: Metrics


Background = Callable[[AppContext], AbstractAsyncContextManager[None]]
"""Work joining the app's lifespan: entered after the store opens, exited before it closes."""


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
