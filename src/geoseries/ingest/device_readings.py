"""A device's readings (smartcitizen.md §3.8, §5.4): who may post them, checking, storing.

The payload is `{"data": [{"recorded_at": "...", "sensors": [{"id": 55, "value": 21.5}]}]}`;
a sensor is named by its catalogue id (a number or a string of digits) or by its key (`temp`).
Every row is checked before anything is written and any problem refuses the whole payload
(DECISIONS.md: all or nothing), listing every offending item. Accepted values go to the series
of the device's components (created on first use) in one write transaction, idempotently on
(series, time), and raise the `last_reading_at` of the components and the device.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import islice

from geoseries.auth.principal import Principal
from geoseries.errors import Forbidden, InvalidItems, NotFound
from geoseries.ingest.records import number
from geoseries.model import MAX_SENSOR_ID, SENSOR_KEY, Device, Sensor, now_ms
from geoseries.store import Store
from geoseries.times import parse_time

FUTURE_TOLERANCE_MS = 86_400_000
"""Readings more than a day ahead of the server's clock are refused (the reference's rule)."""
MAX_ID_DIGITS = 18
MAX_REPORTED = 3
"""Problems quoted in the error message."""
MAX_LISTED = 100
"""Items the error lists (a huge bad payload must not get a huger answer)."""

SensorRef = int | str
"""A sensor as a reading names it: its id, or its key."""
Problem = Callable[[str, str], None]
"""Records a problem: (path of the offending item, what is wrong)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One checked value of one catalogue sensor at one instant."""

    time: int
    sensor: Sensor
    value: float


@dataclass(frozen=True, slots=True)
class _Named:
    """A value whose sensor is not looked up yet; `path` says where the sensor is named."""

    path: str
    time: int
    sensor: SensorRef
    value: float


# -- who may post ----------------------------------------------------------------------------------
def device_for_posting(store: Store, caller: Principal | None, device_id: str) -> Device:
    """The device `device_id` if `caller` may post its readings.

    Allowed: the device's own token, its owner, an admin of the owner's organization, a global
    admin. Anonymous callers are Forbidden before the device is looked up, so they learn
    nothing; an unknown device is NotFound; anyone else is Forbidden.
    """
    if caller is None:
        raise Forbidden("posting readings needs the device's token or its owner's credentials")
    device = store.get_device(parse_device_id(device_id))
    if not may_post(caller, device):
        raise Forbidden(f"only device {device.id}, its owner or an admin may post its readings")
    return device


def parse_device_id(text: str) -> int:
    """A device id given as text; NotFound for anything that cannot be one."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        raise NotFound(f"device {text[:40]!r} does not exist", field="device")
    return int(text)


def may_post(caller: Principal, device: Device) -> bool:
    if caller.kind == "device":
        return caller.subject == str(device.id)
    owner = (
        caller.kind in ("token", "user")
        and caller.subject.lower() == device.owner_email
        and caller.organization_id == device.organization_id
    )
    return owner or caller.administers(device.organization_id)


# -- checking --------------------------------------------------------------------------------------
def check_readings(store: Store, data: object, *, now: int | None = None) -> list[Reading]:
    """Every reading of `data` (the payload's `data` member) with its sensor known to exist.

    Raises InvalidItems listing the problems (bad rows; unknown sensors of entries whose time and
    value are valid) when there is any: the first MAX_LISTED items, the message counts them all.
    `null` values are left out, as the compact MQTT form drops them.
    """
    problems: dict[str, list[str]] = {}
    named = _readings(data, (now_ms() if now is None else now) + FUTURE_TOLERANCE_MS, problems)
    known = _sensors(store, named)
    readings = []
    for value in named:
        sensor = known.get(value.sensor)
        if sensor is None:
            problems.setdefault(value.path, []).append(f"unknown sensor {value.sensor!r}")
        else:
            readings.append(Reading(value.time, sensor, value.value))
    if problems:
        raise InvalidItems(_summary(problems), dict(islice(problems.items(), MAX_LISTED)))
    return readings


def _readings(data: object, latest: int, problems: dict[str, list[str]]) -> list[_Named]:
    def problem(path: str, reason: str) -> None:
        problems.setdefault(path, []).append(reason)

    if not isinstance(data, list):
        problem("data", "must be an array of readings")
        return []
    readings: list[_Named] = []
    for row, item in enumerate(data):
        path = f"data[{row}]"
        if not isinstance(item, dict):
            problem(path, "must be an object with recorded_at and sensors")
            continue
        time = _time(item.get("recorded_at"), latest, f"{path}.recorded_at", problem)
        sensors = item.get("sensors")
        if not isinstance(sensors, list):
            problem(f"{path}.sensors", "must be an array of {id, value} objects")
            continue
        for index, entry in enumerate(sensors):
            where = f"{path}.sensors[{index}]"
            if not isinstance(entry, dict):
                problem(where, "must be an object with id and value")
                continue
            sensor = _sensor_ref(entry.get("id"), f"{where}.id", problem)
            value = _value(entry.get("value"), f"{where}.value", problem)
            if time is not None and sensor is not None and value is not None:
                readings.append(_Named(f"{where}.id", time, sensor, value))
    return readings


def _time(value: object, latest: int, path: str, problem: Problem) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problem(path, "is blank: every reading needs its timestamp")
        return None
    if not isinstance(value, str):
        problem(path, "must be an ISO 8601 timestamp such as 2024-05-01T10:00:00Z")
        return None
    try:
        time = parse_time(value)
    except ValueError:
        problem(path, f"{value[:40]!r} is not an ISO 8601 timestamp")
        return None
    if time > latest:
        problem(path, f"{value[:40]!r} is more than a day in the future")
        return None
    return time


def _sensor_ref(value: object, path: str, problem: Problem) -> SensorRef | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
            return int(text)
        return text
    problem(path, "must be a sensor id or key")
    return None


def _value(value: object, path: str, problem: Problem) -> float | None:
    if value is None:
        return None  # no value: left out
    found = number(value)
    if found is None:
        problem(path, f"{str(value)[:40]!r} is not a finite number")
    return found


def _sensors(store: Store, named: list[_Named]) -> dict[SensorRef, Sensor]:
    """The named sensors that exist, by id (int) and by key (str): the two never collide."""
    if not named:
        return {}
    # What no sensor can be named is not looked up (the database may refuse it, e.g. a NUL).
    ids = {n.sensor for n in named if isinstance(n.sensor, int) and 0 < n.sensor <= MAX_SENSOR_ID}
    keys = {n.sensor for n in named if isinstance(n.sensor, str) and SENSOR_KEY.fullmatch(n.sensor)}
    found = store.find_sensors(ids=ids, keys=keys)
    return {**{s.id: s for s in found}, **{s.default_key: s for s in found}}


def _summary(problems: Mapping[str, list[str]]) -> str:
    listed = [f"{path}: {reason}" for path, reasons in problems.items() for reason in reasons]
    text = "; ".join(listed[:MAX_REPORTED])
    if len(listed) > MAX_REPORTED:
        text += f" (and {len(listed) - MAX_REPORTED} more)"
    return f"the readings were refused, nothing was stored: {text}"


# -- storing ---------------------------------------------------------------------------------------
def store_readings(store: Store, device: Device, readings: list[Reading]) -> int:
    """Write checked readings in one transaction; returns how many values were written.

    A (sensor, time) given twice keeps the last value, as the store does across requests.
    """
    if not readings:
        return 0
    sensors = {reading.sensor.id: reading.sensor for reading in readings}
    with store.writer() as writer:
        components = writer.device_components(device, list(sensors.values()))
        values: dict[tuple[int, int], float] = {}
        latest: dict[int, int] = {}
        for reading in readings:
            component = components[reading.sensor.id]
            values[(component.series_id, reading.time)] = reading.value
            latest[component.id] = max(latest.get(component.id, reading.time), reading.time)
        writer.write_observations([(s, t, v, None) for (s, t), v in values.items()])
        writer.raise_last_readings(device, latest)
    return len(values)


def post_readings(store: Store, device: Device, data: object) -> int:
    """Check then store a payload's `data`; nothing is stored when anything is wrong."""
    return store_readings(store, device, check_readings(store, data))
