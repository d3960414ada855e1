"""The sensor catalogue and devices' components, mixed into `SqlStore` and used by `SqlWriter`.

Sensors are a global catalogue with stable ids (firmware sends them) and unique keys. A
component joins a device to a sensor the first time the device sends a value of it: its key is
the sensor's key, suffixed `_1`, `_2`... when that key is taken on the device, and its values
are the series (device feature, component key) of the devices dataset.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import Connection, Row, bindparam, case, or_, select, update

from geoseries.errors import Conflict, ValidationFailed
from geoseries.model import MAX_SENSOR_ID, SENSOR_KEY, Component, Device, Sensor
from geoseries.store import schema as t
from geoseries.store.batching import chunks

if TYPE_CHECKING:
    from geoseries.store.writer import SqlWriter

T = TypeVar("T")


class _Sql(Protocol):
    def _write(self, fn: Callable[[Connection], T], conflict: str = ...) -> T: ...

    def _all(self, query: Any) -> list[Row[Any]]: ...

    def find_sensors(
        self, *, ids: Collection[int] = (), keys: Collection[str] = ()
    ) -> list[Sensor]: ...


class SensorQueries:
    """The sensor catalogue, and the components of a device."""

    def create_sensor(
        self: _Sql,
        sensor_id: int,
        *,
        name: str,
        description: str,
        default_key: str,
        unit: str | None = None,
    ) -> Sensor:
        _check_sensor(sensor_id, name, description, default_key)
        for taken in self.find_sensors(ids=[sensor_id], keys=[default_key]):
            if taken.id == sensor_id:
                raise Conflict(f"sensor {sensor_id} already exists ({taken.default_key})")
            raise Conflict(f"sensor key {default_key!r} is taken by sensor {taken.id}")
        sensor = Sensor(sensor_id, str(uuid.uuid4()), name, description, default_key, unit)

        def insert(conn: Connection) -> None:
            conn.execute(
                t.sensors.insert().values(
                    id=sensor.id,
                    uuid=sensor.uuid,
                    name=name,
                    description=description,
                    default_key=default_key,
                    unit=unit,
                )
            )

        self._write(insert, f"sensor {sensor_id} or key {default_key!r} already exists")
        return sensor

    def list_sensors(self: _Sql) -> list[Sensor]:
        return [_sensor(row) for row in self._all(select(t.sensors).order_by(t.sensors.c.id))]

    def find_sensors(
        self: _Sql, *, ids: Collection[int] = (), keys: Collection[str] = ()
    ) -> list[Sensor]:
        s = t.sensors.c
        found: dict[int, Sensor] = {}
        for id_chunk in chunks(sorted(set(ids))):
            query = select(t.sensors).where(s.id.in_(id_chunk))
            found.update((r.id, _sensor(r)) for r in self._all(query))
        for key_chunk in chunks(sorted(set(keys))):
            query = select(t.sensors).where(s.default_key.in_(key_chunk))
            found.update((r.id, _sensor(r)) for r in self._all(query))
        return [found[sensor_id] for sensor_id in sorted(found)]

    def device_components(self: _Sql, device_id: int) -> list[Component]:
        c = t.components.c
        query = select(t.components).where(c.device_id == device_id).order_by(c.key)
        return [_component(row) for row in self._all(query)]


def _check_sensor(sensor_id: int, name: str, description: str, default_key: str) -> None:
    if not 1 <= sensor_id <= MAX_SENSOR_ID:
        raise ValidationFailed(f"a sensor id is between 1 and {MAX_SENSOR_ID}", field="id")
    if not SENSOR_KEY.fullmatch(default_key):
        raise ValidationFailed(
            f"sensor key {default_key!r} must be 1-60 letters, digits, '_', '.' or '-', "
            "starting with a letter or '_'",
            field="default_key",
        )
    if not name.strip() or len(name) > 120:
        raise ValidationFailed("a sensor name has 1 to 120 characters", field="name")
    if not description.strip():
        raise ValidationFailed("a sensor needs a description", field="description")


# -- inside a write transaction (SqlWriter) ------------------------------------------------------
def ensure_components(
    writer: SqlWriter, device: Device, sensors: Sequence[Sensor]
) -> dict[int, Component]:
    """The device's component of each sensor (by sensor id), creating those it lacks."""
    conn = writer.conn
    existing = _components(conn, device.id)
    missing = {s.id: s for s in sensors if s.id not in existing}
    if missing:
        taken = {component.key for component in existing.values()}
        keys: dict[int, str] = {}
        for sensor in missing.values():
            keys[sensor.id] = free_key(sensor.default_key, taken)
            taken.add(keys[sensor.id])
        dataset = writer.store.get_dataset_by_id(device.dataset_id)
        feature_key = str(device.id)
        series = writer.resolve_series(dataset, [(feature_key, key) for key in keys.values()])
        rows = [
            {
                "device_id": device.id,
                "sensor_id": sensor_id,
                "series_id": series[(feature_key, key)],
                "key": key,
                "last_reading_at": None,
            }
            for sensor_id, key in keys.items()
        ]
        conn.execute(writer.store._insert(t.components).on_conflict_do_nothing(), rows)  # type: ignore[attr-defined]
        existing = _components(conn, device.id)
    if any(s.id not in existing for s in sensors):  # a concurrent writer took a key first
        raise Conflict("the device's components changed meanwhile; send the readings again")
    return {s.id: existing[s.id] for s in sensors}


def free_key(key: str, taken: Collection[str]) -> str:
    """`key`, else `key_1`, `key_2`... whichever the device does not use yet."""
    candidate, suffix = key, 0
    while candidate in taken:
        suffix += 1
        candidate = f"{key}_{suffix}"
    return candidate


def raise_last_readings(conn: Connection, device: Device, latest: Mapping[int, int]) -> None:
    """Raise `last_reading_at` of components (id -> newest time) and of their device."""
    if not latest:
        return
    c, d = t.components.c, t.devices.c
    newer: Any = bindparam("newest")
    conn.execute(
        update(t.components)
        .where(c.id == bindparam("component"))
        .values(last_reading_at=_raised(c.last_reading_at, newer)),
        [{"component": cid, "newest": time} for cid, time in latest.items()],
    )
    newest = max(latest.values())
    conn.execute(
        update(t.devices)
        .where(d.id == device.id)
        .values(last_reading_at=_raised(d.last_reading_at, newest))
    )


def _raised(column: Any, value: Any) -> Any:
    """`column` raised to `value` (NULL counts as lower than anything)."""
    return case((or_(column.is_(None), column < value), value), else_=column)


def _components(conn: Connection, device_id: int) -> dict[int, Component]:
    query = select(t.components).where(t.components.c.device_id == device_id)
    return {row.sensor_id: _component(row) for row in conn.execute(query)}


def _component(row: Row[Any]) -> Component:
    return Component(
        row.id, row.device_id, row.sensor_id, row.series_id, row.key, row.last_reading_at
    )


def _sensor(row: Row[Any]) -> Sensor:
    return Sensor(row.id, row.uuid, row.name, row.description, row.default_key, row.unit)
