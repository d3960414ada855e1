"""Smart Citizen kits over MQTT, through real brokers (Mosquitto and the embedded amqtt)."""

from __future__ import annotations

import asyncio
import logging
import uuid

import aiomqtt
import orjson
import pytest

from geoseries.ingest.broker import EmbeddedBroker
from geoseries.model import Device
from geoseries.settings import MqttSettings
from geoseries.store import Store
from geoseries.times import parse_time
from tests import services
from tests.devices import catalogue, device, owner
from tests.ingest.test_mqtt import T0, T1, TIMEOUT, ingest_errors, ingest_for, processed

pytestmark = [pytest.mark.anyio, pytest.mark.mqtt]


@pytest.fixture
def kit(store: Store) -> tuple[Device, str]:
    catalogue(store)
    return device(store, owner(store))


def settings_for(host: str, port: int) -> MqttSettings:
    """Topic prefixes of their own per test: the session's broker is shared."""
    unique = uuid.uuid4().hex[:8]
    return MqttSettings(
        host=host, port=port, topic_prefix=f"t{unique}", device_topic_prefix=f"d{unique}/sck"
    )


async def publish(settings: MqttSettings, token: str, *messages: tuple[str, bytes]) -> None:
    async with aiomqtt.Client(settings.host, settings.port) as client:
        for kind, payload in messages:
            topic = f"{settings.device_topic_prefix}/{token}/{kind}"
            await client.publish(topic, payload, qos=1)


def stored(store: Store, kit: Device) -> list[tuple[str, int, float]]:
    dataset = store.get_dataset_by_id(kit.dataset_id)
    return [(r.variable, r.time, r.value) for r in store.iter_observations(dataset)]


def readings(recorded_at: str, *sensors: tuple[object, object]) -> bytes:
    values = [{"id": i, "value": v} for i, v in sensors]
    return orjson.dumps({"data": [{"recorded_at": recorded_at, "sensors": values}]})


async def test_json_and_raw_readings_are_stored(
    mqtt_broker: services.Mosquitto, store: Store, kit: tuple[Device, str]
) -> None:
    device_, token = kit
    settings = settings_for(mqtt_broker.host, mqtt_broker.port)
    counted: list[int] = []
    async with ingest_for(settings, store, on_ingested=counted.append) as ingest:
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(
            settings,
            token,
            ("readings", readings(T0, (55, 21.5), ("hum", "40"))),
            ("readings/raw", b"{t:2024-05-01T10:10:00Z, 55:22.25, 56:null, 87:-1,}"),
            ("readings", readings(T0, (55, 20))),  # resent, corrected: replaces, no duplicate
        )
        await processed(ingest, 3)
    assert (ingest.received, ingest.stored, ingest.dropped) == (3, 3, 0)
    assert sorted(counted) == [1, 2, 2]
    t0, t1 = parse_time(T0), parse_time(T1)
    assert stored(store, device_) == [
        ("hum", t0, 40.0),
        ("pm25", t1, -1.0),
        ("temp", t0, 20.0),
        ("temp", t1, 22.25),
    ]
    assert store.get_device(device_.id).last_reading_at == t1


async def test_unknown_tokens_and_bad_payloads_are_dropped_counted_and_recorded(
    mqtt_broker: services.Mosquitto,
    store: Store,
    kit: tuple[Device, str],
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    device_, token = kit
    settings = settings_for(mqtt_broker.host, mqtt_broker.port)
    caplog.set_level(logging.WARNING, logger="geoseries.ingest.mqtt")
    bad = [
        ("readings", b"{oops"),
        ("readings", b'{"readings": []}'),
        ("readings", readings(T0, (55, 1), (999, 2))),  # unknown sensor: nothing of it stored
        ("readings/raw", b"{t:2024-05-01T10:00:00Z,55:warm}"),
        ("readings/raw", b"{55:1}"),
    ]
    async with ingest_for(settings, store) as ingest:
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(settings, token, *bad)
        await publish(settings, "not-a-token", ("readings", readings(T0, (55, 1))))
        await publish(settings, token, ("readings/raw", b"{t:2024-05-01T10:00:00Z,55:1}"))
        await processed(ingest, 7)
    assert (ingest.received, ingest.stored, ingest.dropped) == (7, 1, 6)
    assert stored(store, device_) == [("temp", parse_time(T0), 1.0)]
    errors = ingest_errors(database_url)
    prefix = settings.device_topic_prefix
    assert [(e.topic, e.device_id, e.dataset_id) for e in errors] == [
        (f"{prefix}/<token>/{kind}", device_.id, None) for kind, _ in bad
    ]
    assert [e.message for e in errors] == [payload.decode() for _, payload in bad]
    assert "not JSON" in errors[0].error
    assert "data" in errors[1].error
    assert "data[0].sensors[1].id: unknown sensor 999" in errors[2].error
    assert "not a number or null" in errors[3].error
    assert "t, the time of the reading, is missing" in errors[4].error
    dropped = [r.getMessage() for r in caplog.records if "dropped the message" in r.getMessage()]
    assert len(dropped) == 6
    assert f"{prefix}/<token>/readings: unknown device token" in dropped[5]
    assert token not in caplog.text
    assert "not-a-token" not in caplog.text


async def test_a_revoked_token_no_longer_posts(
    mqtt_broker: services.Mosquitto, store: Store, kit: tuple[Device, str]
) -> None:
    device_, token = kit
    settings = settings_for(mqtt_broker.host, mqtt_broker.port)
    async with ingest_for(settings, store) as ingest:
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(settings, token, ("readings", readings(T0, (55, 1))))
        await processed(ingest, 1)
        store.set_device_token(device_.id, None, None)
        await publish(settings, token, ("readings", readings(T1, (55, 2))))
        await processed(ingest, 2)
    assert (ingest.stored, ingest.dropped) == (1, 1)
    assert stored(store, device_) == [("temp", parse_time(T0), 1.0)]


async def test_the_embedded_broker_carries_readings(store: Store, kit: tuple[Device, str]) -> None:
    device_, token = kit
    settings = settings_for("127.0.0.1", services.free_port())
    async with EmbeddedBroker(settings.host, settings.port), ingest_for(settings, store) as ingest:
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(
            settings,
            token,
            ("readings/raw", b"{t:2024-05-01T10:00:00Z,55:21.5}"),
            ("readings", readings(T1, ("temp", 22))),
        )
        await processed(ingest, 2)
    assert stored(store, device_) == [
        ("temp", parse_time(T0), 21.5),
        ("temp", parse_time(T1), 22.0),
    ]
