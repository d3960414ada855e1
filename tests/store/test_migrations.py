"""The Alembic migration on both backends, and what it adds on PostGIS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from geoseries.errors import ValidationFailed
from geoseries.geometry import point
from geoseries.model import FeatureInput, ObservationInput
from geoseries.store import Store, open_store
from geoseries.store.migrate import (
    HEAD,
    alembic_head,
    current_revision,
    downgrade,
    ensure_current,
)
from geoseries.store.sql import SqlStore
from geoseries.store.sqlite import sqlite_engine
from tests import services
from tests.store.helpers import observations, stations, write, write_features


def test_schema_is_current_and_reopening_is_harmless(store: Store, database_url: str) -> None:
    assert isinstance(store, SqlStore)
    assert current_revision(store.engine) == HEAD
    assert alembic_head(store.engine) == HEAD  # HEAD names the newest migration file
    write_features(store, stations(store), [FeatureInput("A", point(1, 2))])
    again = open_store(database_url)
    try:
        assert [f.key for f in again.iter_features(again.get_dataset("stations"))] == ["A"]
    finally:
        again.close()


def test_downgrade_to_base_then_upgrade_again(database_url: str) -> None:
    store = open_store(database_url)
    assert isinstance(store, SqlStore)
    try:
        downgrade(store.engine, "base")
        assert current_revision(store.engine) is None
        with store.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names()) - {"alembic_version", "spatial_ref_sys"}
        assert tables == set()
        ensure_current(store.engine)
        assert current_revision(store.engine) == HEAD
        write_features(store, stations(store), [FeatureInput("A", point(1, 2))])
        assert [f.key for f in store.iter_features(store.get_dataset("stations"))] == ["A"]
    finally:
        store.close()


def test_an_empty_database_has_no_revision(tmp_path: Path) -> None:
    engine = sqlite_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert current_revision(engine) is None
    finally:
        engine.dispose()


@pytest.fixture
def postgis(postgres_server: services.Postgres) -> Iterator[SqlStore]:
    opened = open_store(postgres_server.create_database())
    assert isinstance(opened, SqlStore)
    yield opened
    opened.close()


@pytest.mark.postgres
def test_geom_column_follows_geometry(postgis: SqlStore) -> None:
    dataset = stations(postgis)
    write_features(
        postgis,
        dataset,
        [
            FeatureInput("flat", point(1.5, 2.5)),
            FeatureInput("high", {"type": "Point", "coordinates": [3, 4, 500]}),
            FeatureInput("none"),
        ],
    )
    query = text("SELECT key, ST_AsText(geom), ST_SRID(geom) FROM features ORDER BY key")
    with postgis.engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(query)]
    assert rows == [
        ("flat", "POINT(1.5 2.5)", 4326),
        ("high", "POINT(3 4)", 4326),
        ("none", None, None),
    ]
    write_features(
        postgis, dataset, [FeatureInput("flat", None), FeatureInput("none", point(7, 8))]
    )
    with postgis.engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(query)]
    assert rows == [
        ("flat", None, None),
        ("high", "POINT(3 4)", 4326),
        ("none", "POINT(7 8)", 4326),
    ]


@pytest.mark.postgres
def test_geom_has_a_gist_index_used_by_bbox_queries(postgis: SqlStore) -> None:
    dataset = stations(postgis)
    write_features(
        postgis,
        dataset,
        [FeatureInput(str(i), point(i % 360 - 180, i % 180 - 90)) for i in range(2000)],
    )
    with postgis.engine.connect() as conn:
        definition = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'features_geom'")
        ).scalar_one()
        conn.execute(text("ANALYZE features"))
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                text(
                    "EXPLAIN SELECT id FROM features "
                    "WHERE geom && ST_MakeEnvelope(0, 0, 1, 1, 4326)"
                )
            )
        )
    assert "USING gist (geom)" in definition
    assert "features_geom" in plan


@pytest.mark.postgres
def test_text_columns_sort_by_bytes(postgis: SqlStore) -> None:
    query = text(
        "SELECT table_name || '.' || column_name FROM information_schema.columns "
        "WHERE collation_name = 'C' AND table_schema = 'public' "
        "AND table_name IN ('organizations', 'datasets', 'features', 'series') ORDER BY 1"
    )
    with postgis.engine.connect() as conn:
        columns = list(conn.execute(query).scalars())
    assert columns == ["datasets.name", "features.key", "organizations.name", "series.variable"]


@pytest.mark.postgres
def test_unreadable_geojson_is_a_validation_error(postgis: SqlStore) -> None:
    """What PostGIS cannot read surfaces as ValidationFailed, not as a driver error."""
    dataset = stations(postgis)
    nested = {"type": "Point", "coordinates": [[1, 2]]}  # a position nested once too deep
    with pytest.raises(ValidationFailed) as caught:
        write_features(
            postgis, dataset, [FeatureInput("ok", point(0, 0)), FeatureInput("odd", nested)]
        )
    assert caught.value.field == "geometry"
    assert postgis.count_features(dataset) == 0


def test_the_stored_variables_migration_lists_existing_series(database_url: str) -> None:
    store = open_store(database_url)
    assert isinstance(store, SqlStore)
    try:
        stations(store)
        hydro = observations(store)
        write(
            store, hydro, [ObservationInput("A", "H", 0, 1.0), ObservationInput("A", "Q", 0, 2.0)]
        )
        downgrade(store.engine, "0004")  # series written before the table existed
        ensure_current(store.engine)
        assert store.get_dataset(hydro.name).stored_variables == {"H", "Q"}
    finally:
        store.close()
