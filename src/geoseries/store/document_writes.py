"""Writes a features API needs beyond bulk upserts: strict inserts and deletions.

Functions of an open write connection, called by `SqlWriter` (one transaction each time).
`observations` has no foreign key to `series` (it keeps bulk writes fast), so deleting a feature
or a document deletes its observations explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Text, cast, delete, select
from sqlalchemy.sql.dml import Insert

from geoseries.errors import Conflict
from geoseries.model import Dataset, Feature, FeatureInput, now_ms
from geoseries.store import schema as t
from geoseries.store.batching import chunks
from geoseries.store.documents_source import loads_json

FeatureValues = Callable[[Dataset, FeatureInput, int], dict[str, Any]]


def features_by_key(conn: Connection, dataset_id: int, keys: Sequence[str]) -> dict[str, Feature]:
    """The stored features of `dataset_id` among `keys` (JSON decoded by orjson: a bulk write
    of observations looks up every feature it names)."""
    f = t.features.c
    found: dict[str, Feature] = {}
    json_columns = (cast(f.geometry, Text), cast(f.properties, Text))
    for chunk in chunks(keys):
        query = select(f.id, f.key, *json_columns).where(
            f.dataset_id == dataset_id, f.key.in_(chunk)
        )
        for row_id, key, geometry, properties in conn.execute(query):
            decoded = None if geometry is None else loads_json(geometry)
            found[key] = Feature(row_id, dataset_id, key, decoded, loads_json(properties))
    return found


def insert_features(
    conn: Connection,
    insert: Insert,
    dataset: Dataset,
    features: Sequence[FeatureInput],
    values: FeatureValues,
) -> int:
    """Insert new features; Conflict naming the first key that is taken (or repeated)."""
    keys = [feature.key for feature in features]
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise Conflict(f"id {key!r} appears twice in the request", field="_id")
        seen.add(key)
    taken = features_by_key(conn, dataset.id, keys)
    if taken:
        first = next(key for key in keys if key in taken)
        raise Conflict(f"id {first!r} is already taken in {dataset.name!r}", field="_id")
    stamp = now_ms()
    conn.execute(insert, [values(dataset, feature, stamp) for feature in features])
    return len(features)


def delete_features(conn: Connection, dataset: Dataset, keys: Sequence[str]) -> int:
    """Delete features of `dataset` with their series and observations; how many went."""
    f, s = t.features.c, t.series.c
    doomed = select(f.id).where(f.dataset_id == dataset.id, f.key.in_(keys))
    doomed_series = select(s.id).where(s.feature_id.in_(doomed))
    conn.execute(delete(t.observations).where(t.observations.c.series_id.in_(doomed_series)))
    return conn.execute(delete(t.features).where(f.id.in_(doomed))).rowcount


def delete_observations_at(
    conn: Connection, dataset: Dataset, feature_row_id: int, time: int
) -> int:
    """Delete the observations of `dataset` of one feature at one instant; how many went."""
    s, o = t.series.c, t.observations.c
    series_ids = select(s.id).where(s.dataset_id == dataset.id, s.feature_id == feature_row_id)
    query = delete(t.observations).where(o.series_id.in_(series_ids), o.time == time)
    return conn.execute(query).rowcount
