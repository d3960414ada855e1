"""MQTT ingestion: devices publish, we store what they send.

Topics (each served by a handler of topics.py):
- `<prefix>/<dataset>/observations`: observations or features (payloads.py);
- `<device prefix>/<device token>/readings[/raw]`: a Smart Citizen kit's readings
  (device_topics.py).

Each message is stored in one write transaction. Delivery is at-least-once end to end:

- We subscribe with QoS 1 on a persistent session (clean_session=False, a stable client id),
  so the broker keeps what is published while we are away and resends what we did not
  acknowledge when we come back.
- Acknowledgements are manual: a message is acknowledged only once it is committed, or once it
  is known to be unstorable (unknown dataset or device token, malformed payload: dropped,
  counted, logged, and recorded in `ingest_errors` when the dataset or device exists). While
  the database is unavailable the message is retried with backoff and nothing after it is
  processed; the broker's in-flight window then holds back further QoS 1 messages.
- A message stored but not acknowledged (a crash in between) comes again and is written again;
  observations are idempotent on (series, time) and features are upserted by key.

Store calls are blocking, so they run in a worker thread and the event loop keeps serving the
connection (keep-alives, incoming packets).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from types import TracebackType
from typing import Self, TypeVar

import aiomqtt
from paho.mqtt.reasoncodes import ReasonCode

from geoseries.errors import Unavailable
from geoseries.ingest.device_topics import DeviceReadingsTopic
from geoseries.ingest.topics import DroppedMessage, ObservationsTopic, TopicHandler
from geoseries.settings import MqttSettings
from geoseries.store import Store

T = TypeVar("T")
logger = logging.getLogger(__name__)

RETRY_MIN = 0.1
"""First delay (seconds) before reconnecting or retrying a write; doubles up to the maximum."""
QOS0_BACKLOG = 10_000
"""Most QoS 0 messages waiting in memory; beyond it they are discarded (QoS 1 never is)."""


class MqttIngest:
    """Subscribes to the broker in a background task while the `async with` block runs.

    `received`, `stored` and `dropped` count messages. `on_ingested(n)` is called after each
    stored message with the number of observations (or features) it wrote.

    `client_id` names the broker session that keeps our subscription and unacknowledged
    messages; it must be stable across restarts and unique per ingesting process (two processes
    with one id take the session from each other). The default is per host.
    """

    def __init__(
        self,
        settings: MqttSettings,
        store: Store,
        *,
        on_ingested: Callable[[int], None] | None = None,
        client_id: str | None = None,
        max_retry_delay: float = 30.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self.on_ingested = on_ingested
        default_id = f"geoseries-ingest-{socket.gethostname()}"
        self.client_id = client_id or settings.client_id or default_id
        self.max_retry_delay = max_retry_delay
        self.received = 0
        self.stored = 0
        self.dropped = 0
        self.handlers: tuple[TopicHandler, ...] = (
            ObservationsTopic(store, settings.topic_prefix),
            DeviceReadingsTopic(store, settings.device_topic_prefix),
        )
        self._subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def topic_filters(self) -> list[str]:
        return [f for handler in self.handlers for f in handler.topic_filters]

    @property
    def connected(self) -> bool:
        """Whether we are connected and subscribed right now."""
        return self._subscribed.is_set()

    async def wait_connected(self) -> None:
        """Return once connected and subscribed (wrap in a timeout)."""
        await self._subscribed.wait()

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name="geoseries-mqtt-ingest")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.wait([self._task])
        self._task = None

    # -- connection ----------------------------------------------------------------------------
    async def _run(self) -> None:
        delay = RETRY_MIN
        while True:
            try:
                async with self._client() as client:
                    await self._subscribe(client)
                    self._subscribed.set()
                    delay = RETRY_MIN
                    logger.info(
                        "MQTT ingest subscribed to %s on %s",
                        ", ".join(self.topic_filters),
                        self._address,
                    )
                    async for message in client.messages:
                        await self._handle(message)
                        _acknowledge(client, message)
            except aiomqtt.MqttError as error:
                logger.warning(
                    "MQTT broker %s: %s; reconnecting in %.1fs",
                    self._address,
                    error,
                    delay,
                )
            except Exception:
                logger.exception("MQTT ingest failed; restarting in %.1fs", delay)
            finally:
                self._subscribed.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry_delay)

    async def _subscribe(self, client: aiomqtt.Client) -> None:
        filters = self.topic_filters
        granted = await client.subscribe([(f, 1) for f in filters])
        if any(
            code.is_failure if isinstance(code, ReasonCode) else code >= 0x80 for code in granted
        ):
            raise aiomqtt.MqttError(f"the broker refused the subscription to {', '.join(filters)}")

    def _client(self) -> aiomqtt.Client:
        client = aiomqtt.Client(
            self.settings.host,
            self.settings.port,
            identifier=self.client_id,
            clean_session=False,
            queue_type=_IncomingQueue,
            timeout=10,
        )
        # aiomqtt 2.x has no manual-ack API; its paho client has (acknowledged in `_acknowledge`).
        client._client.manual_ack_set(True)
        return client

    @property
    def _address(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    # -- messages ------------------------------------------------------------------------------
    async def _handle(self, message: aiomqtt.Message) -> None:
        """Store one message, retrying while the database is unavailable; never raises otherwise."""
        self.received += 1
        topic, payload = message.topic.value, message.payload
        handler = next((h for h in self.handlers if h.accepts(topic)), None)
        if handler is None or not isinstance(payload, bytes):
            self.dropped += 1
            logger.warning("dropped a message on an unknown topic")
            return
        shown = handler.shown(topic)
        delay = RETRY_MIN
        while True:
            try:
                written = await _in_thread(lambda: handler.store(topic, payload))
            except Unavailable as error:
                logger.warning(
                    "%s; retrying the message on %s in %.1fs", error.message, shown, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_delay)
                continue
            except DroppedMessage as error:
                self.dropped += 1
                logger.warning("dropped the message on %s: %s", shown, error)
                return
            except Exception:
                self.dropped += 1
                logger.exception("dropped the message on %s: unexpected error", shown)
                return
            break
        self.stored += 1
        if self.on_ingested is not None:
            try:
                self.on_ingested(written)
            except Exception:
                logger.exception("the on_ingested callback failed")


class _IncomingQueue(asyncio.Queue[aiomqtt.Message]):
    """aiomqtt's message queue, bounded for QoS 0 only.

    A full queue makes aiomqtt discard the message. A discarded QoS 1 message would never be
    acknowledged and would hold one of the broker's in-flight slots until we reconnect, so QoS 1
    messages are always queued (the broker's in-flight window bounds them); QoS 0 floods are cut.
    """

    def put_nowait(self, item: aiomqtt.Message) -> None:
        if item.qos == 0 and self.qsize() >= QOS0_BACKLOG:
            raise asyncio.QueueFull
        super().put_nowait(item)


def _acknowledge(client: aiomqtt.Client, message: aiomqtt.Message) -> None:
    if message.qos > 0:
        client._client.ack(message.mid, message.qos)


async def _in_thread(fn: Callable[[], T]) -> T:
    """Run blocking store work in a thread. On cancellation, wait for it to finish first, so the
    store is never closed under a running transaction (the message stays unacknowledged)."""
    task = asyncio.ensure_future(asyncio.to_thread(fn))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved: the caller is going away, the broker will resend
        raise
