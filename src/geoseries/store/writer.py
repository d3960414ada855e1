"""`SqlWriter`: the writes of one open transaction (see `Writer` in protocol.py).

Shared by both backends; each runs it on its writer threads (see writer_thread.py). Series ids
learnt in a transaction are cached for its remainder, so a bulk write resolves each
(feature, variable) once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, null, select

from geoseries.errors import ValidationFailed
from geoseries.geometry import geometry_bounds
from geoseries.model import (
    Component,
    Dataset,
    Device,
    Feature,
    FeatureInput,
    ObservationValues,
    Sensor,
    now_ms,
)
from geoseries.store import document_writes
from geoseries.store import schema as t
from geoseries.store import sensors as sensors_module
from geoseries.store.batching import chunks
from geoseries.store.protocol import SeriesKey

if TYPE_CHECKING:
    from geoseries.store.sql import SqlStore


class SqlWriter:
    """Writes inside one open transaction (see `Writer` in protocol.py)."""

    def __init__(self, store: SqlStore, conn: Connection) -> None:
        self.store = store
        self.conn = conn
        self._series: dict[tuple[int, SeriesKey], int] = {}
        self._feature_rows: dict[tuple[int, str], int] = {}
        """(dataset id, key) -> feature row id, learnt in this transaction: a bulk write looks
        its features up once to describe them and again to resolve their series."""
        self._placeholders_known = False

    def upsert_features(self, dataset: Dataset, features: Sequence[FeatureInput]) -> int:
        if not features:
            return 0
        stamp = now_ms()
        # One row per key, the last one winning, as row-by-row upserts would do: PostgreSQL
        # refuses to update the same row twice in one statement.
        latest = {feature.key: feature for feature in features}
        rows = [feature_values(dataset, feature, stamp) for feature in latest.values()]
        stmt = self.store._insert(t.features)
        stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=["dataset_id", "key"],
            set_={
                name: getattr(stmt.excluded, name)  # type: ignore[attr-defined]
                for name in (
                    "geometry",
                    "properties",
                    "id_value",
                    "min_lon",
                    "min_lat",
                    "max_lon",
                    "max_lat",
                    "updated_at",
                )
            },
        )
        self.conn.execute(stmt, rows)
        return len(rows)

    def resolve_series(self, dataset: Dataset, keys: Iterable[SeriesKey]) -> dict[SeriesKey, int]:
        keys = list(keys)  # read twice below: an iterator would be empty the second time
        wanted = {key for key in keys if (dataset.id, key) not in self._series}
        if wanted:
            feature_ids = self._feature_ids(
                dataset.stations_dataset_id or dataset.id,
                dataset.holder_feature_id,
                {k for k, _ in wanted},
                key_property=dataset.feature_id,
            )
            self._create_series(dataset.id, [(feature_ids[k], k, v) for k, v in wanted])
        return {key: self._series[(dataset.id, key)] for key in keys}

    def write_observations(self, rows: Sequence[ObservationValues]) -> int:
        if not all(map(math.isfinite, map(itemgetter(2), rows))):
            raise ValidationFailed("observation values must be finite numbers", field="value")
        if not all(map(_finite_or_none, map(itemgetter(3), rows))):
            raise ValidationFailed("raw values must be finite numbers", field="raw_value")
        return self.store._write_observations(self.conn, rows) if rows else 0

    def known_series(self, dataset: Dataset, *, limit: int) -> dict[SeriesKey, int]:
        s, f = t.series.c, t.features.c
        query = (
            select(f.key, s.variable, s.id)
            .select_from(t.series.join(t.features, s.feature_id == f.id))
            .where(s.dataset_id == dataset.id)
            .limit(limit)
        )
        return {(row.key, row.variable): row.id for row in self.conn.execute(query)}

    def write_resolving(
        self,
        dataset: Dataset,
        new_series: Mapping[int, SeriesKey],
        rows: Sequence[ObservationValues],
    ) -> Future[dict[int, int]]:
        resolved: Future[dict[int, int]] = Future()
        resolved.set_result(self.resolve_placeholders(dataset, new_series))
        self.write_observations(rows)
        return resolved

    def resolve_placeholders(
        self, dataset: Dataset, new_series: Mapping[int, SeriesKey]
    ) -> dict[int, int]:
        """Series ids for new placeholders, which later bulk writes of this transaction map."""
        if not new_series:
            return {}
        ids = self.resolve_series(dataset, new_series.values())
        real = {placeholder: ids[key] for placeholder, key in new_series.items()}
        self.store._remember_placeholders(self.conn, real, first=not self._placeholders_known)
        self._placeholders_known = True
        return real

    def _feature_ids(
        self,
        dataset_id: int,
        id_property: str | None,
        keys: set[str],
        *,
        key_property: str | None = None,
    ) -> dict[str, int]:
        """Row ids of features by key in dataset `dataset_id` (whose `featureId` is
        `id_property`), creating missing ones without geometry.

        A created feature's properties hold its key under `key_property` (the observations
        dataset's `featureId`), so filters on that property find it like any described feature.
        """
        f = t.features.c
        known = {
            k: self._feature_rows[(dataset_id, k)]
            for k in keys
            if (dataset_id, k) in self._feature_rows
        }
        unknown = keys - known.keys()
        found = known | self._lookup(
            select(f.key, f.id).where(f.dataset_id == dataset_id), f.key, unknown
        )
        missing = keys - found.keys()
        if missing:
            stamp = now_ms()
            rows = [
                row_values(
                    dataset_id,
                    id_property,
                    FeatureInput(key, None, {key_property: key} if key_property else {}),
                    stamp,
                )
                for key in sorted(missing)
            ]
            insert = self.store._insert(t.features).on_conflict_do_nothing()  # type: ignore[attr-defined]
            self.conn.execute(insert, rows)
            found |= self._lookup(
                select(f.key, f.id).where(f.dataset_id == dataset_id), f.key, missing
            )
        return found

    def _create_series(self, dataset_id: int, wanted: list[tuple[int, str, str]]) -> None:
        """Learn the ids of the wanted series, inserting only those that do not exist yet
        (most requests of a running ingest only write series that exist)."""
        by_feature = {fid: key for fid, key, _ in wanted}
        self._learn_series(dataset_id, by_feature)
        missing = [
            (fid, var) for fid, key, var in wanted if (dataset_id, (key, var)) not in self._series
        ]
        if missing:
            insert = self.store._insert(t.series).on_conflict_do_nothing()  # type: ignore[attr-defined]
            rows = [{"dataset_id": dataset_id, "feature_id": f, "variable": v} for f, v in missing]
            self.conn.execute(insert, rows)
            listed = self.store._insert(t.dataset_variables).on_conflict_do_nothing()  # type: ignore[attr-defined]
            variables = sorted({v for _, v in missing})
            self.conn.execute(
                listed, [{"dataset_id": dataset_id, "variable": v} for v in variables]
            )
            self._learn_series(dataset_id, {fid: by_feature[fid] for fid, _ in missing})

    def _learn_series(self, dataset_id: int, by_feature: Mapping[int, str]) -> None:
        """Cache the ids of every series of the dataset on these features (row id -> key)."""
        s = t.series.c
        query = select(s.feature_id, s.variable, s.id).where(s.dataset_id == dataset_id)
        for chunk in chunks(sorted(by_feature)):
            for row in self.conn.execute(query.where(s.feature_id.in_(chunk))):
                self._series[(dataset_id, (by_feature[row.feature_id], row.variable))] = row.id

    def features_by_key(self, dataset: Dataset, keys: Sequence[str]) -> dict[str, Feature]:
        found = document_writes.features_by_key(self.conn, dataset.id, keys)
        self._feature_rows.update(((dataset.id, key), f.id) for key, f in found.items())
        return found

    def insert_features(self, dataset: Dataset, features: Sequence[FeatureInput]) -> int:
        insert = self.store._insert(t.features)
        return document_writes.insert_features(self.conn, insert, dataset, features, feature_values)

    def delete_features(self, dataset: Dataset, keys: Sequence[str]) -> int:
        self._feature_rows.clear()  # deleted rows (and their series) must not be reused
        self._series.clear()
        return document_writes.delete_features(self.conn, dataset, keys)

    def delete_observations_at(self, dataset: Dataset, feature_row_id: int, time: int) -> int:
        return document_writes.delete_observations_at(self.conn, dataset, feature_row_id, time)

    def device_components(self, device: Device, sensors: Sequence[Sensor]) -> dict[int, Component]:
        return sensors_module.ensure_components(self, device, sensors)

    def raise_last_readings(self, device: Device, latest: Mapping[int, int]) -> None:
        sensors_module.raise_last_readings(self.conn, device, latest)

    def _lookup(self, query: Any, column: Any, values: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunks(sorted(values)):
            found.update(
                (row[0], row[1]) for row in self.conn.execute(query.where(column.in_(chunk)))
            )
        return found


def _finite_or_none(value: float | None) -> bool:
    """Finite numbers only: neither backend can store NaN or infinities the same way."""
    return value is None or math.isfinite(value)


def feature_values(dataset: Dataset, feature: FeatureInput, stamp: int) -> dict[str, Any]:
    """The `features` row of a feature of `dataset`."""
    return row_values(dataset.id, dataset.feature_id, feature, stamp)


def row_values(
    dataset_id: int, id_property: str | None, feature: FeatureInput, stamp: int
) -> dict[str, Any]:
    """The `features` row of a feature of the dataset `dataset_id`, whose `featureId` is
    `id_property`: its bounds come from its geometry, its `id_value` from its properties."""
    bounds = geometry_bounds(feature.geometry) if feature.geometry is not None else (None,) * 4
    return {
        "dataset_id": dataset_id,
        "key": feature.key,
        # SQL NULL, not JSON null: "no geometry" must read as NULL to PostGIS and to SQL filters.
        "geometry": feature.geometry if feature.geometry is not None else null(),
        "properties": feature.properties,
        "id_value": t.id_value(feature.properties, id_property),
        "min_lon": bounds[0],
        "min_lat": bounds[1],
        "max_lon": bounds[2],
        "max_lat": bounds[3],
        "created_at": stamp,
        "updated_at": stamp,
    }
