"""A device's readings: checked whole, then stored at once, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from geoseries.auth.credentials import device_principal
from geoseries.auth.principal import Principal
from geoseries.errors import Forbidden, InvalidItems, NotFound
from geoseries.ingest.device_readings import (
    FUTURE_TOLERANCE_MS,
    check_readings,
    device_for_posting,
    parse_device_id,
    post_readings,
)
from geoseries.model import Device
from geoseries.store import Store
from geoseries.times import parse_time
from tests.devices import catalogue, device, owner

T0 = "2024-05-01T10:00:00Z"
T1 = "2024-05-01T10:10:00Z"


@pytest.fixture
def kit(store: Store) -> Device:
    catalogue(store)
    return device(store, owner(store))[0]


def row(recorded_at: Any, *sensors: tuple[Any, Any]) -> dict[str, Any]:
    return {"recorded_at": recorded_at, "sensors": [{"id": i, "value": v} for i, v in sensors]}


def stored(store: Store, kit: Device) -> list[tuple[str, int, float]]:
    dataset = store.get_dataset_by_id(kit.dataset_id)
    return [
        (r.variable, r.time, r.value)
        for r in store.iter_observations(dataset)
        if r.feature_key == str(kit.id)
    ]


def refusal(store: Store, data: Any, **kw: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidItems) as refused:
        check_readings(store, data, **kw)
    assert refused.value.message.startswith("the readings were refused, nothing was stored: ")
    return refused.value.problems


def test_sensors_by_id_numeric_string_or_key(store: Store, kit: Device) -> None:
    data = [
        row(T0, (55, 21.5), ("56", "40"), ("pm25", 12)),
        row("2024-05-01 10:10:00", ("temp", -3), ("bat", None)),  # naive: UTC; null: left out
    ]
    assert post_readings(store, kit, data) == 4
    t0, t1 = parse_time(T0), parse_time(T1)
    assert stored(store, kit) == [
        ("hum", t0, 40.0),
        ("pm25", t0, 12.0),
        ("temp", t0, 21.5),
        ("temp", t1, -3.0),
    ]
    components = {c.key: c for c in store.device_components(kit.id)}
    assert sorted(components) == ["hum", "pm25", "temp"]  # no component for a null value
    assert components["temp"].last_reading_at == t1
    assert components["hum"].last_reading_at == t0
    assert store.get_device(kit.id).last_reading_at == t1


def test_posting_again_replaces_values_instead_of_duplicating(store: Store, kit: Device) -> None:
    post_readings(store, kit, [row(T0, (55, 1)), row(T1, (55, 2))])
    post_readings(store, kit, [row(T1, (55, 2.5)), row(T1, ("temp", 3))])  # last one wins
    assert stored(store, kit) == [("temp", parse_time(T0), 1.0), ("temp", parse_time(T1), 3.0)]
    post_readings(store, kit, [row(T0, (55, 0))])  # an older reading: last_reading_at stays
    assert store.get_device(kit.id).last_reading_at == parse_time(T1)


def test_empty_readings_store_nothing(store: Store, kit: Device) -> None:
    assert post_readings(store, kit, []) == 0
    assert post_readings(store, kit, [row(T0), row(T1, (55, None))]) == 0
    assert store.get_device(kit.id).last_reading_at is None


def test_every_problem_is_listed_and_nothing_is_stored(store: Store, kit: Device) -> None:
    data = [
        row(T0, (55, 20)),
        row("", (55, 1)),
        row(None, (55, 1)),
        {"sensors": []},
        row("yesterday", (55, 1)),
        row(12345, (55, 1)),
        row(T0, (999, 1), ("nope", 1), ("", 1), (True, 1), (None, 1), ([55], 1)),
        row(T0, (55, "warm"), (56, True), (87, "nan"), (10, {"v": 1}), (55, 10**400)),
        "not an object",
        {"recorded_at": T0, "sensors": "55:1"},
        {"recorded_at": T0, "sensors": [55]},
    ]
    problems = refusal(store, data)
    assert problems == {
        "data[1].recorded_at": ["is blank: every reading needs its timestamp"],
        "data[2].recorded_at": ["is blank: every reading needs its timestamp"],
        "data[3].recorded_at": ["is blank: every reading needs its timestamp"],
        "data[4].recorded_at": ["'yesterday' is not an ISO 8601 timestamp"],
        "data[5].recorded_at": ["must be an ISO 8601 timestamp such as 2024-05-01T10:00:00Z"],
        "data[6].sensors[0].id": ["unknown sensor 999"],
        "data[6].sensors[1].id": ["unknown sensor 'nope'"],
        "data[6].sensors[2].id": ["must be a sensor id or key"],
        "data[6].sensors[3].id": ["must be a sensor id or key"],
        "data[6].sensors[4].id": ["must be a sensor id or key"],
        "data[6].sensors[5].id": ["must be a sensor id or key"],
        "data[7].sensors[0].value": ["'warm' is not a finite number"],
        "data[7].sensors[1].value": ["'True' is not a finite number"],
        "data[7].sensors[2].value": ["'nan' is not a finite number"],
        "data[7].sensors[3].value": ["\"{'v': 1}\" is not a finite number"],
        "data[7].sensors[4].value": [f"{str(10**400)[:40]!r} is not a finite number"],
        "data[8]": ["must be an object with recorded_at and sensors"],
        "data[9].sensors": ["must be an array of {id, value} objects"],
        "data[10].sensors[0]": ["must be an object with id and value"],
    }
    with pytest.raises(InvalidItems):
        post_readings(store, kit, data)
    assert stored(store, kit) == []
    assert store.device_components(kit.id) == []


def test_at_most_a_hundred_items_are_listed(store: Store, kit: Device) -> None:
    with pytest.raises(InvalidItems) as refused:
        check_readings(store, [row("") for _ in range(250)])
    assert len(refused.value.problems) == 100
    assert refused.value.message.endswith("(and 247 more)")


def test_data_must_be_an_array(store: Store, kit: Device) -> None:
    assert refusal(store, {"recorded_at": T0}) == {"data": ["must be an array of readings"]}


def test_readings_more_than_a_day_ahead_are_refused(store: Store, kit: Device) -> None:
    now = parse_time(T0)
    ok = "2024-05-02T10:00:00Z"  # exactly a day ahead
    assert check_readings(store, [row(ok, (55, 1))], now=now)[0].time == now + FUTURE_TOLERANCE_MS
    problems = refusal(store, [row("2024-05-02T10:00:01Z", (55, 1))], now=now)
    assert problems == {
        "data[0].recorded_at": ["'2024-05-02T10:00:01Z' is more than a day in the future"]
    }


def test_a_key_with_digits_names_a_sensor_by_key(store: Store, kit: Device) -> None:
    """The reference read any id with a digit as a number, so `pm25` could not be used."""
    [reading] = check_readings(store, [row(T0, ("pm25", 5))])
    assert reading.sensor.id == 87


# -- who may post -------------------------------------------------------------------------------
def test_who_may_post(store: Store, kit: Device) -> None:
    same_org_user = owner(store, "carl@acme.example")
    admin = owner(store, "root@acme.example", admin=True)
    stranger_admin = owner(store, "root@globex.example", "globex", admin=True)
    other_kit, _ = device(store, owner(store), "other")

    def user(email: str, org: int, *, is_admin: bool = False) -> Principal:
        return Principal("token", email, organization_id=org, is_admin=is_admin)

    allowed = [
        device_principal(kit),
        user(kit.owner_email, kit.organization_id),
        user(kit.owner_email.upper(), kit.organization_id),
        user(admin.email, admin.organization_id, is_admin=True),
        Principal("token", "operator", is_admin=True),  # a global admin
    ]
    for caller in allowed:
        assert device_for_posting(store, caller, str(kit.id)) == kit
    refused = [
        device_principal(other_kit),
        user(same_org_user.email, same_org_user.organization_id),
        user(stranger_admin.email, stranger_admin.organization_id, is_admin=True),
        Principal("token", kit.owner_email),  # a stateless token named like the owner
        Principal("api_key", "acme", organization_id=kit.organization_id),
        None,
    ]
    for refused_caller in refused:
        with pytest.raises(Forbidden):
            device_for_posting(store, refused_caller, str(kit.id))
    with pytest.raises(NotFound):
        device_for_posting(store, device_principal(kit), str(kit.id + 100))


@pytest.mark.parametrize("text", ["", "abc", "-1", "1.0", "\u0661", "9" * 19, " 1"])
def test_device_ids_that_cannot_exist_are_not_found(text: str) -> None:
    with pytest.raises(NotFound):
        parse_device_id(text)
