"""Small builders shared by the store contract tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, select

from geoseries.geometry import point
from geoseries.model import (
    Dataset,
    DatasetKind,
    DatasetSpec,
    FeatureInput,
    Observation,
    ObservationInput,
    ObservationRow,
)
from geoseries.store import Store
from geoseries.store.sql import SqlStore


def stations(store: Store, name: str = "stations") -> Dataset:
    return store.create_dataset(DatasetSpec(name, kind=DatasetKind.STATIONS))


def observations(
    store: Store, name: str = "hydro", *, linked_to: str | None = "stations"
) -> Dataset:
    return store.create_dataset(
        DatasetSpec(name, kind=DatasetKind.OBSERVATIONS, stations=linked_to)
    )


def at(key: str, lon: float, lat: float, **properties: Any) -> FeatureInput:
    return FeatureInput(key, point(lon, lat), properties)


def write_features(store: Store, dataset: Dataset, features: Sequence[FeatureInput]) -> int:
    with store.writer() as writer:
        return writer.upsert_features(dataset, features)


def write(store: Store, dataset: Dataset, rows: Sequence[ObservationInput]) -> int:
    """Resolve series and write observations in one transaction, as the ingest layer does."""
    with store.writer() as writer:
        ids = writer.resolve_series(dataset, {(r.feature_key, r.variable) for r in rows})
        return writer.write_observations(
            [
                Observation(ids[(r.feature_key, r.variable)], r.time, r.value, r.raw_value)
                for r in rows
            ]
        )


def read(store: Store, dataset: Dataset, **window: int) -> list[ObservationRow]:
    return list(store.iter_observations(dataset, **window))


def keys(store: Store, dataset: Dataset, **query: Any) -> list[str]:
    return [feature.key for feature in store.iter_features(dataset, **query)]


def table_rows(store: Store, table: Table) -> list[Any]:
    """Rows of a table the Store protocol has no reader for (checked through the engine)."""
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return list(conn.execute(select(table)))


def table_count(store: Store, table: Table) -> int:
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def documents(store: Store, dataset: Dataset, **query: Any) -> list[Any]:
    """The documents of a DocumentQuery built from `query`."""
    from geoseries.queries import DocumentQuery

    return list(store.find_documents(dataset, DocumentQuery(**query)))


def document_ids(store: Store, dataset: Dataset, **query: Any) -> list[str]:
    return [document.id for document in documents(store, dataset, **query)]
