"""Devices and their tokens, mixed into `SqlStore` (see `Store` in protocol.py).

A device is a feature of the devices dataset, keyed by the device id: the device row and its
feature are created in one transaction (the feature first under a provisional key, since the
id is only known once the device row exists). Tokens are stored as SHA-256 digests only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, Row, Select, select, update

from geoseries.errors import Conflict, NotFound, ValidationFailed
from geoseries.model import Dataset, DatasetKind, DatasetSpec, Device, DeviceSpec, FeatureInput
from geoseries.model import now_ms as now
from geoseries.store import schema as t
from geoseries.store.writer import feature_values

T = TypeVar("T")
MAX_NAME_LENGTH = 255


class _Sql(Protocol):
    """What the mixin uses of SqlStore."""

    engine: Engine

    def _write(self, fn: Callable[[Connection], T], conflict: str = ...) -> T: ...

    def _one(self, query: Any, params: dict[str, Any] | None = None) -> Row[Any] | None: ...

    def _all(self, query: Any, params: dict[str, Any] | None = None) -> list[Row[Any]]: ...

    def get_dataset(self, name: str) -> Dataset: ...

    def create_dataset(self, spec: DatasetSpec) -> Dataset: ...


class DeviceQueries:
    """Devices: creation, lookup by id or token digest, token rotation, listing."""

    def create_device(
        self: _Sql, spec: DeviceSpec, *, dataset: str, token_digest: str, token_prefix: str
    ) -> Device:
        name = spec.name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise ValidationFailed(
                f"a device name has 1 to {MAX_NAME_LENGTH} characters", field="name"
            )
        devices_dataset = _devices_dataset(self, dataset)
        properties: dict[str, Any] = {"name": name}
        if spec.description:
            properties["description"] = spec.description

        def insert(conn: Connection) -> int:
            stamp = now()
            provisional = FeatureInput(f"new-{uuid.uuid4()}", spec.geometry, properties)
            feature_id = conn.execute(
                t.features.insert()
                .values(feature_values(devices_dataset, provisional, stamp))
                .returning(t.features.c.id)
            ).scalar_one()
            device_id: int = conn.execute(
                t.devices.insert()
                .values(
                    uuid=str(uuid.uuid4()),
                    feature_id=feature_id,
                    owner_id=spec.owner_id,
                    name=name,
                    description=spec.description,
                    token_hash=token_digest,
                    token_prefix=token_prefix,
                    is_private=spec.is_private,
                    meta={},
                    created_at=stamp,
                )
                .returning(t.devices.c.id)
            ).scalar_one()
            conn.execute(
                update(t.features).where(t.features.c.id == feature_id).values(key=str(device_id))
            )
            return device_id

        device_id = self._write(insert, f"dataset {dataset!r} already has a feature of that id")
        return _get_device(self, device_id)

    def get_device(self: _Sql, device_id: int) -> Device:
        return _get_device(self, device_id)

    def device_for_token(self: _Sql, token_digest: str) -> Device | None:
        row = self._one(_device_query().where(t.devices.c.token_hash == token_digest))
        return None if row is None else _device(row)

    def set_device_token(
        self: _Sql, device_id: int, token_digest: str | None, token_prefix: str | None
    ) -> None:
        def change(conn: Connection) -> int:
            query = (
                update(t.devices)
                .where(t.devices.c.id == device_id)
                .values(token_hash=token_digest, token_prefix=token_prefix)
            )
            return conn.execute(query).rowcount

        if not self._write(change, "that token is already taken"):
            raise _missing(device_id)

    def list_devices(self: _Sql, *, owner_id: int | None = None) -> list[Device]:
        query = _device_query().order_by(t.devices.c.id)
        if owner_id is not None:
            query = query.where(t.devices.c.owner_id == owner_id)
        return [_device(row) for row in self._all(query)]


def _devices_dataset(store: _Sql, name: str) -> Dataset:
    """The devices dataset, created on first use (kind `devices`, no organization, private)."""
    try:
        dataset = store.get_dataset(name)
    except NotFound:
        try:
            return store.create_dataset(DatasetSpec(name, kind=DatasetKind.DEVICES, label="name"))
        except Conflict:  # created meanwhile by another process
            dataset = store.get_dataset(name)
    if dataset.kind is not DatasetKind.DEVICES or dataset.organization_id is not None:
        raise ValidationFailed(
            f"dataset {name!r} exists and is not an organization-less devices dataset; "
            "choose another with GEOSERIES_DEVICES__DATASET",
            field="dataset",
        )
    return dataset


def _device_query() -> Select[Any]:
    d, u, f = t.devices.c, t.users.c, t.features.c
    return select(
        d.id,
        d.uuid,
        d.name,
        d.description,
        d.owner_id,
        u.email,
        u.organization_id,
        f.dataset_id,
        d.feature_id,
        d.is_private,
        d.last_reading_at,
        d.token_prefix,
        d.created_at,
    ).select_from(
        t.devices.join(t.users, u.id == d.owner_id).join(t.features, f.id == d.feature_id)
    )


def _get_device(store: _Sql, device_id: int) -> Device:
    row = store._one(_device_query().where(t.devices.c.id == device_id))
    if row is None:
        raise _missing(device_id)
    return _device(row)


def _missing(device_id: int) -> NotFound:
    return NotFound(f"device {device_id} does not exist", field="device")


def _device(row: Row[Any]) -> Device:
    return Device(
        id=row.id,
        uuid=row.uuid,
        name=row.name,
        description=row.description,
        owner_id=row.owner_id,
        owner_email=row.email,
        organization_id=row.organization_id,
        dataset_id=row.dataset_id,
        feature_id=row.feature_id,
        is_private=bool(row.is_private),
        last_reading_at=row.last_reading_at,
        token_prefix=row.token_prefix,
        created_at=row.created_at,
    )
