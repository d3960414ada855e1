"""MQTT ingestion through real brokers (Mosquitto, and the embedded amqtt) into both stores."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import orjson
import psycopg
import pytest
from sqlalchemy import create_engine, select

from geoseries.ingest.broker import EmbeddedBroker
from geoseries.ingest.mqtt import MqttIngest
from geoseries.model import Dataset, DatasetKind, DatasetSpec
from geoseries.settings import MqttSettings
from geoseries.store import Store
from geoseries.store import schema as t
from geoseries.times import parse_time
from tests import services

pytestmark = [pytest.mark.anyio, pytest.mark.mqtt]
TIMEOUT = 15.0
"""A bound on waits for what must happen (nothing waits it out): once, in a full `make test`,
three messages took longer than 4 s to be stored on PostgreSQL, and passed in every run alone."""
T0 = "2024-05-01T10:00:00Z"
T1 = "2024-05-01T10:10:00Z"


@pytest.fixture
def datasets(store: Store) -> tuple[Dataset, Dataset]:
    stations = store.create_dataset(DatasetSpec("stations", feature_id="code"))
    hydro = store.create_dataset(
        DatasetSpec("hydro", kind=DatasetKind.OBSERVATIONS, feature_id="code", stations="stations")
    )
    return stations, hydro


def settings_for(host: str, port: int) -> MqttSettings:
    """A topic prefix of its own per test: the session's broker is shared."""
    return MqttSettings(host=host, port=port, topic_prefix=f"t{uuid.uuid4().hex[:8]}")


def ingest_for(settings: MqttSettings, store: Store, **options: Any) -> MqttIngest:
    options.setdefault("client_id", f"ingest-{uuid.uuid4().hex[:8]}")
    options.setdefault("max_retry_delay", 0.2)
    return MqttIngest(settings, store, **options)


async def publish(settings: MqttSettings, dataset: str, *payloads: bytes) -> None:
    async with aiomqtt.Client(settings.host, settings.port) as client:
        for payload in payloads:
            await client.publish(f"{settings.topic_prefix}/{dataset}/observations", payload, qos=1)


async def eventually(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Poll until `condition()` holds; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {condition}")
        await asyncio.sleep(0.02)


async def processed(ingest: MqttIngest, count: int) -> None:
    await eventually(lambda: ingest.stored + ingest.dropped >= count)


def values(store: Store, dataset: Dataset) -> list[tuple[str, str, int, float]]:
    return [(r.feature_key, r.variable, r.time, r.value) for r in store.iter_observations(dataset)]


def ingest_errors(database_url: str) -> list[Any]:
    """The ingest_errors table, which the Store protocol only writes."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            query = select(t.ingest_errors).order_by(t.ingest_errors.c.id)
            return list(conn.execute(query))
    finally:
        engine.dispose()


def ndjson(*records: dict[str, Any]) -> bytes:
    return b"\n".join(orjson.dumps(record) for record in records)


# -- Mosquitto ---------------------------------------------------------------------------------
async def test_every_payload_form_is_stored(
    mqtt_broker: services.Mosquitto, store: Store, datasets: tuple[Dataset, Dataset]
) -> None:
    stations, hydro = datasets
    settings = settings_for(mqtt_broker.host, mqtt_broker.port)
    counted: list[int] = []
    single = {"code": "A", "time": T0, "H": 1.25, "Q": "3"}
    array = [
        {"code": "B", "time": T0, "variable": "H", "value": 2.5},
        {"code": "B", "time": 1714558200000, "variable": "H", "value": -1},
    ]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": None, "properties": {"code": "C", "time": T1, "H": 7}},
        ],
    }
    lines = ndjson({"code": "D", "time": T0, "H": 4}, {"code": "D", "time": T1, "H": 5})
    station = {"code": "E", "lon": 2.35, "lat": 48.85, "name": "Paris"}
    async with ingest_for(settings, store, on_ingested=counted.append) as ingest:
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(
            settings,
            "hydro",
            orjson.dumps(single),
            orjson.dumps(array),
            orjson.dumps(collection),
            lines,
        )
        await publish(settings, "stations", orjson.dumps(station))
        await processed(ingest, 5)
    assert (ingest.received, ingest.stored, ingest.dropped) == (5, 5, 0)
    assert sorted(counted) == [1, 1, 2, 2, 2]
    t0, t1 = parse_time(T0), parse_time(T1)
    assert values(store, hydro) == [
        ("A", "H", t0, 1.25),
        ("A", "Q", t0, 3.0),
        ("B", "H", t0, 2.5),
        ("B", "H", 1714558200000, -1.0),
        ("C", "H", t1, 7.0),
        ("D", "H", t0, 4.0),
        ("D", "H", t1, 5.0),
    ]
    by_key = {feature.key: feature for feature in store.iter_features(stations)}
    assert sorted(by_key) == ["A", "B", "C", "D", "E"]
    assert by_key["E"].geometry == {"type": "Point", "coordinates": [2.35, 48.85]}
    assert by_key["E"].properties["name"] == "Paris"


async def test_bad_messages_are_dropped_whole_counted_and_recorded(
    mqtt_broker: services.Mosquitto,
    store: Store,
    datasets: tuple[Dataset, Dataset],
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, hydro = datasets
    settings = settings_for(mqtt_broker.host, mqtt_broker.port)
    good = {"code": "A", "time": T0, "variable": "H", "value": 1}
    one_bad_record = orjson.dumps([good, {**good, "time": "yesterday"}])
    caplog.set_level(logging.WARNING, logger="geoseries.ingest.mqtt")
    async with ingest_for(settings, store) as ingest:
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(settings, "hydro", b"{oops", one_bad_record)
        await publish(settings, "nowhere", orjson.dumps(good))
        await publish(settings, "hydro", orjson.dumps(good))  # still ingesting afterwards
        await processed(ingest, 4)
    assert (ingest.received, ingest.stored, ingest.dropped) == (4, 1, 3)
    assert values(store, hydro) == [("A", "H", parse_time(T0), 1.0)]
    errors = ingest_errors(database_url)
    topic = f"{settings.topic_prefix}/hydro/observations"
    assert [(e.topic, e.dataset_id) for e in errors] == [(topic, hydro.id), (topic, hydro.id)]
    assert errors[0].message == "{oops"
    assert "not JSON" in errors[0].error
    assert errors[1].message == one_bad_record.decode()
    assert errors[1].error.startswith("record 2: time 'yesterday' is not ISO 8601")
    dropped = [r for r in caplog.records if r.getMessage().startswith("dropped the message")]
    assert len(dropped) == 3
    assert all(r.levelno == logging.WARNING for r in dropped)
    assert "dataset 'nowhere' does not exist" in dropped[2].getMessage()


async def test_a_resent_payload_does_not_duplicate_observations(
    mqtt_broker: services.Mosquitto, store: Store, datasets: tuple[Dataset, Dataset]
) -> None:
    _, hydro = datasets
    settings = settings_for(mqtt_broker.host, mqtt_broker.port)
    payload = ndjson({"code": "A", "time": T0, "H": 1}, {"code": "A", "time": T1, "H": 2})
    corrected = orjson.dumps({"code": "A", "time": T1, "H": 2.5})
    async with ingest_for(settings, store) as ingest:
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(settings, "hydro", payload, payload)
        await processed(ingest, 2)
        assert store.count_observations(hydro) == 2
        await publish(settings, "hydro", corrected)
        await processed(ingest, 3)
    assert ingest.stored == 3
    assert values(store, hydro) == [
        ("A", "H", parse_time(T0), 1.0),
        ("A", "H", parse_time(T1), 2.5),
    ]


async def test_messages_published_while_away_arrive_on_the_persistent_session(
    mqtt_broker: services.Mosquitto, store: Store, datasets: tuple[Dataset, Dataset]
) -> None:
    _, hydro = datasets
    settings = settings_for(mqtt_broker.host, mqtt_broker.port)
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    async with ingest_for(settings, store, client_id=client_id) as ingest:
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
    await publish(settings, "hydro", orjson.dumps({"code": "A", "time": T0, "H": 1}))
    async with ingest_for(settings, store, client_id=client_id) as ingest:
        await processed(ingest, 1)
    assert values(store, hydro) == [("A", "H", parse_time(T0), 1.0)]


# -- reconnection ------------------------------------------------------------------------------
@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[services.Mosquitto]:
    """A Mosquitto of this test's own, which the test stops and starts again on the same port."""
    try:
        broker = services.Mosquitto.start(tmp_path)
    except services.ServiceUnavailable as error:
        pytest.skip(f"Mosquitto unavailable: {error}")
    yield broker
    broker.stop()


def restart(broker: services.Mosquitto) -> None:
    """Start the stopped broker again with its configuration file (same port)."""
    config = broker.log_file.parent / "mosquitto.conf"
    with broker.log_file.open("ab") as log:
        broker.process = subprocess.Popen(
            [str(services.MOSQUITTO), "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    assert services.wait_for_port(broker.port, broker.process, TIMEOUT)


async def test_ingest_waits_for_the_broker_and_reconnects_after_a_restart(
    own_broker: services.Mosquitto,
    store: Store,
    datasets: tuple[Dataset, Dataset],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, hydro = datasets
    settings = settings_for(own_broker.host, own_broker.port)
    own_broker.stop()
    caplog.set_level(logging.WARNING, logger="geoseries.ingest.mqtt")
    async with ingest_for(settings, store) as ingest:
        await eventually(lambda: caplog.text.count("reconnecting in") >= 2)
        assert not ingest.connected
        await asyncio.to_thread(restart, own_broker)
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(settings, "hydro", orjson.dumps({"code": "A", "time": T0, "H": 1}))
        await processed(ingest, 1)

        await asyncio.to_thread(own_broker.stop)
        await eventually(lambda: not ingest.connected)
        await asyncio.to_thread(restart, own_broker)
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(settings, "hydro", orjson.dumps({"code": "A", "time": T1, "H": 2}))
        await processed(ingest, 2)
    assert values(store, hydro) == [
        ("A", "H", parse_time(T0), 1.0),
        ("A", "H", parse_time(T1), 2.0),
    ]


# -- database outage ---------------------------------------------------------------------------
def refuse(server: services.Postgres, database_url: str, refusing: bool) -> None:
    """Make a database refuse connections (closing the open ones), or accept them again."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {'false' if refusing else 'true'}")
        if refusing:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )


@pytest.mark.postgres
async def test_a_message_is_acknowledged_only_after_it_is_committed(
    mqtt_broker: services.Mosquitto,
    postgres_server: services.Postgres,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While PostgreSQL refuses connections the message is retried and stays unacknowledged:
    stopping the ingest then and starting it again later gets the message redelivered."""
    from geoseries.store import open_store

    database_url = postgres_server.create_database()
    store = open_store(database_url)
    try:
        store.create_dataset(DatasetSpec("stations", feature_id="code"))
        hydro = store.create_dataset(
            DatasetSpec(
                "hydro", kind=DatasetKind.OBSERVATIONS, feature_id="code", stations="stations"
            )
        )
        settings = settings_for(mqtt_broker.host, mqtt_broker.port)
        client_id = f"ingest-{uuid.uuid4().hex[:8]}"
        caplog.set_level(logging.WARNING, logger="geoseries.ingest.mqtt")
        async with ingest_for(settings, store, client_id=client_id) as ingest:
            await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
            await asyncio.to_thread(refuse, postgres_server, database_url, True)
            await publish(settings, "hydro", orjson.dumps({"code": "A", "time": T0, "H": 1}))
            await eventually(lambda: "retrying the message" in caplog.text)
            assert (ingest.received, ingest.stored, ingest.dropped) == (1, 0, 0)
        # stopped while the database was down: the message was never acknowledged
        await asyncio.to_thread(refuse, postgres_server, database_url, False)
        async with ingest_for(settings, store, client_id=client_id) as ingest:
            await processed(ingest, 1)
        assert (ingest.received, ingest.stored, ingest.dropped) == (1, 1, 0)
        assert values(store, hydro) == [("A", "H", parse_time(T0), 1.0)]
    finally:
        refuse(postgres_server, database_url, False)
        store.close()


@pytest.mark.postgres
async def test_ingest_retries_until_the_database_is_back(
    mqtt_broker: services.Mosquitto,
    postgres_server: services.Postgres,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from geoseries.store import open_store

    database_url = postgres_server.create_database()
    store = open_store(database_url)
    try:
        store.create_dataset(DatasetSpec("stations", feature_id="code"))
        hydro = store.create_dataset(
            DatasetSpec(
                "hydro", kind=DatasetKind.OBSERVATIONS, feature_id="code", stations="stations"
            )
        )
        settings = settings_for(mqtt_broker.host, mqtt_broker.port)
        caplog.set_level(logging.WARNING, logger="geoseries.ingest.mqtt")
        async with ingest_for(settings, store) as ingest:
            await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
            await asyncio.to_thread(refuse, postgres_server, database_url, True)
            await publish(settings, "hydro", orjson.dumps({"code": "A", "time": T0, "H": 1}))
            await eventually(lambda: caplog.text.count("retrying the message") >= 2)
            assert (ingest.received, ingest.stored, ingest.dropped) == (1, 0, 0)
            await asyncio.to_thread(refuse, postgres_server, database_url, False)
            await processed(ingest, 1)
        assert (ingest.stored, ingest.dropped) == (1, 0)
        assert values(store, hydro) == [("A", "H", parse_time(T0), 1.0)]
    finally:
        refuse(postgres_server, database_url, False)
        store.close()


# -- the embedded broker -----------------------------------------------------------------------
async def test_the_embedded_broker_carries_messages_to_the_store(
    store: Store, datasets: tuple[Dataset, Dataset]
) -> None:
    _, hydro = datasets
    settings = settings_for("127.0.0.1", services.free_port())
    async with EmbeddedBroker(settings.host, settings.port), ingest_for(settings, store) as ingest:
        await asyncio.wait_for(ingest.wait_connected(), TIMEOUT)
        await publish(
            settings,
            "hydro",
            orjson.dumps([{"code": "A", "time": T0, "H": 1}, {"code": "B", "time": T0, "H": 2}]),
            orjson.dumps({"code": "A", "time": T1, "H": 3}),
        )
        await processed(ingest, 2)
    t0, t1 = parse_time(T0), parse_time(T1)
    assert values(store, hydro) == [("A", "H", t0, 1.0), ("A", "H", t1, 3.0), ("B", "H", t0, 2.0)]
