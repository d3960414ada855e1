"""Devices, their tokens, the sensor catalogue and components, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geoseries.auth.keys import issue_device_token, key_digest
from geoseries.errors import Conflict, NotFound, ValidationFailed
from geoseries.geometry import point
from geoseries.model import DatasetKind, DatasetSpec, DeviceSpec
from geoseries.store import Store
from geoseries.store import schema as t
from geoseries.store.sensors import free_key
from geoseries.store.sql import SqlStore
from tests.devices import DATASET, catalogue, device, owner


def test_a_device_is_a_feature_of_the_devices_dataset_created_on_first_use(store: Store) -> None:
    ann = owner(store)
    kit, token = device(store, ann, "kit", geometry=point(2.19, 41.4), description="roof")
    dataset = store.get_dataset(DATASET)
    assert (dataset.kind, dataset.organization_id, dataset.public) == (
        DatasetKind.DEVICES,
        None,
        False,
    )
    [feature] = store.iter_features(dataset)
    assert (feature.id, feature.key) == (kit.feature_id, str(kit.id))
    assert feature.properties == {"name": "kit", "description": "roof"}
    assert feature.geometry == point(2.19, 41.4)
    assert kit.name == "kit"
    assert kit.description == "roof"
    assert (kit.owner_id, kit.owner_email, kit.organization_id) == (
        ann.id,
        ann.email,
        ann.organization_id,
    )
    assert (kit.dataset_id, kit.is_private, kit.last_reading_at) == (dataset.id, False, None)
    assert kit.token_prefix == token[:8]
    assert len(kit.uuid) == 36
    second, _ = device(store, ann, "second", is_private=True)
    assert second.id != kit.id
    assert second.is_private
    assert store.get_dataset(DATASET).id == dataset.id  # the same dataset, once
    assert [f.key for f in store.iter_features(dataset)] == sorted([str(kit.id), str(second.id)])


def test_devices_are_found_by_id_and_by_token_digest(store: Store) -> None:
    kit, token = device(store, owner(store))
    assert store.get_device(kit.id) == kit
    assert store.device_for_token(key_digest(token)) == kit
    assert store.device_for_token(key_digest(token + "x")) is None
    assert store.device_for_token(token) is None  # the token itself is not what is stored
    with pytest.raises(NotFound):
        store.get_device(kit.id + 1000)


def test_a_new_token_replaces_the_old_one_and_revoking_leaves_none(store: Store) -> None:
    kit, old = device(store, owner(store))
    new = issue_device_token()
    store.set_device_token(kit.id, new.digest, new.prefix)
    assert store.device_for_token(key_digest(old)) is None
    rotated = store.device_for_token(new.digest)
    assert rotated is not None
    assert (rotated.id, rotated.token_prefix) == (kit.id, new.prefix)
    store.set_device_token(kit.id, None, None)
    assert store.device_for_token(new.digest) is None
    assert store.get_device(kit.id).token_prefix is None
    with pytest.raises(NotFound):
        store.set_device_token(kit.id + 1000, None, None)


def test_devices_are_listed_by_owner(store: Store) -> None:
    ann, bob = owner(store), owner(store, "bob@globex.example", "globex")
    first, _ = device(store, ann, "a1")
    other, _ = device(store, bob, "b1")
    second, _ = device(store, ann, "a2")
    assert [d.id for d in store.list_devices()] == [first.id, other.id, second.id]
    assert [d.name for d in store.list_devices(owner_id=ann.id)] == ["a1", "a2"]
    assert [d.organization_id for d in store.list_devices(owner_id=bob.id)] == [bob.organization_id]


@pytest.mark.parametrize("name", ["", "   ", "x" * 256])
def test_a_device_needs_a_name(store: Store, name: str) -> None:
    issued = issue_device_token()
    with pytest.raises(ValidationFailed):
        store.create_device(
            DeviceSpec(name, owner(store).id),
            dataset=DATASET,
            token_digest=issued.digest,
            token_prefix=issued.prefix,
        )


def test_the_devices_dataset_must_be_an_organization_less_devices_dataset(store: Store) -> None:
    store.create_dataset(DatasetSpec(DATASET, kind=DatasetKind.STATIONS))
    with pytest.raises(ValidationFailed, match="GEOSERIES_DEVICES__DATASET"):
        device(store, owner(store))


def test_the_sensor_catalogue(store: Store) -> None:
    catalogue(store)
    assert [(s.id, s.default_key, s.unit) for s in store.list_sensors()] == [
        (10, "bat", "%"),
        (55, "temp", "ºC"),
        (56, "hum", "%"),
        (87, "pm25", "ug/m3"),
    ]
    found = store.find_sensors(ids=[55, 999], keys=["hum", "temp", "nope"])
    assert [s.id for s in found] == [55, 56]
    assert store.find_sensors() == []
    with pytest.raises(Conflict, match="sensor 55 already exists"):
        store.create_sensor(55, name="T", description="d", default_key="other")
    with pytest.raises(Conflict, match="taken by sensor 56"):
        store.create_sensor(57, name="H", description="d", default_key="hum")


@pytest.mark.parametrize(
    ("sensor_id", "key", "name", "description"),
    [
        (0, "temp", "T", "d"),
        (2**31, "temp", "T", "d"),
        (1, "55", "T", "d"),  # all digits: readings would read it as an id
        (1, "has space", "T", "d"),
        (1, "", "T", "d"),
        (1, "temp", " ", "d"),
        (1, "temp", "T", " "),
    ],
)
def test_sensors_are_checked(
    store: Store, sensor_id: int, key: str, name: str, description: str
) -> None:
    with pytest.raises(ValidationFailed):
        store.create_sensor(sensor_id, name=name, description=description, default_key=key)
    assert store.list_sensors() == []


def test_components_are_created_once_with_their_series(store: Store) -> None:
    catalogue(store)
    kit, _ = device(store, owner(store))
    temp, hum = store.find_sensors(ids=[55, 56])
    with store.writer() as writer:
        first = writer.device_components(kit, [temp, hum])
    with store.writer() as writer:
        again = writer.device_components(kit, [hum])
    assert again == {56: first[56]}
    assert [(c.key, c.sensor_id, c.device_id) for c in store.device_components(kit.id)] == [
        ("hum", 56, kit.id),
        ("temp", 55, kit.id),
    ]
    dataset = store.get_dataset(DATASET)
    with store.writer() as writer:
        series = writer.resolve_series(dataset, [(str(kit.id), "temp"), (str(kit.id), "hum")])
    assert series == {
        (str(kit.id), "temp"): first[55].series_id,
        (str(kit.id), "hum"): first[56].series_id,
    }


def test_a_taken_component_key_gets_a_suffix(store: Store) -> None:
    assert free_key("temp", set()) == "temp"
    assert free_key("temp", {"temp", "temp_1"}) == "temp_2"
    store.create_sensor(1, name="A", description="d", default_key="temp_1")
    store.create_sensor(2, name="B", description="d", default_key="temp")
    kit, _ = device(store, owner(store))
    one, two = store.find_sensors(ids=[1, 2])
    with store.writer() as writer:
        writer.device_components(kit, [one])
        writer.device_components(kit, [two])
    assert [c.key for c in store.device_components(kit.id)] == ["temp", "temp_1"]


def test_last_reading_times_only_rise(store: Store) -> None:
    catalogue(store)
    kit, _ = device(store, owner(store))
    [temp] = store.find_sensors(ids=[55])
    with store.writer() as writer:
        component = writer.device_components(kit, [temp])[55]
        writer.raise_last_readings(kit, {component.id: 2000})
        writer.raise_last_readings(kit, {})
    with store.writer() as writer:
        writer.raise_last_readings(kit, {component.id: 1000})
    assert store.get_device(kit.id).last_reading_at == 2000
    assert store.device_components(kit.id)[0].last_reading_at == 2000
    with store.writer() as writer:
        writer.raise_last_readings(kit, {component.id: 3000})
    assert store.get_device(kit.id).last_reading_at == 3000


def test_ingest_errors_may_name_a_device(store: Store) -> None:
    assert isinstance(store, SqlStore)
    kit, _ = device(store, owner(store))
    topic = "device/sck/<token>/readings"
    store.record_ingest_error(
        topic=topic, message="{", error="bad", dataset_id=None, device_id=kit.id
    )
    with store.engine.connect() as conn:
        rows = list(conn.execute(select(t.ingest_errors)))
    assert [(r.device_id, r.dataset_id, r.topic, r.message) for r in rows] == [
        (kit.id, None, topic, "{")
    ]
