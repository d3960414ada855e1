"""The embedded MQTT broker (amqtt) behind the zero-setup default.

With `mqtt.embedded` on, `geoseries serve` starts it so devices can publish without installing
anything. It keeps nothing on disk and allows anonymous clients, and it is some 20 times slower
than Mosquitto (DESIGN.md): production points `GEOSERIES_MQTT__HOST/PORT` at Mosquitto or EMQX
and turns `GEOSERIES_MQTT__EMBEDDED` off.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Self

from amqtt.broker import Broker

QUIET_LOGGERS = ("amqtt", "transitions")
"""amqtt logs every connection at INFO and its state machine library chats too."""


def broker_config(host: str, port: int) -> dict[str, Any]:
    """amqtt 0.12 configuration: one TCP listener, anonymous clients, no $SYS or packet logging.

    Giving `plugins` replaces amqtt's defaults (event and packet loggers, $SYS publisher).
    """
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "listeners": {"default": {"type": "tcp", "bind": bind}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


class EmbeddedBroker:
    """`async with EmbeddedBroker(host, port):` serves MQTT on host:port until the block exits."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._broker: Broker | None = None

    async def __aenter__(self) -> Self:
        for name in QUIET_LOGGERS:
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET or logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
        broker = Broker(broker_config(self.host, self.port))
        await broker.start()
        self._broker = broker
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            await broker.shutdown()
