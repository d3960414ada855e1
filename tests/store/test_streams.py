"""Streamed reads (PostgreSQL: psycopg's chunked rows, see store/pg_stream.py), on both
backends: results of several chunks, empty results, abandoned streams, reads alongside."""

from __future__ import annotations

from itertools import islice

import pytest
from sqlalchemy import text

from geoseries.errors import GeoseriesError
from geoseries.model import ObservationInput
from geoseries.store import Store
from geoseries.store.pg_stream import CHUNK_ROWS
from geoseries.store.sql import SqlStore
from tests.store.helpers import observations, stations, write

STEPS = 2 * CHUNK_ROWS + 7


def test_a_result_of_several_chunks_streams_whole_and_in_order(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    write(store, hydro, [ObservationInput("A", "H", t, float(t)) for t in range(STEPS)])
    times = [row.time for row in store.iter_observations(hydro)]
    assert times == list(range(STEPS))


def test_an_empty_result_streams_nothing(store: Store) -> None:
    stations(store)
    assert list(store.iter_observations(observations(store))) == []
    assert list(store.iter_features(store.get_dataset("stations"))) == []


def test_abandoned_streams_give_their_connections_back(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    write(store, hydro, [ObservationInput("A", "H", t, 1.0) for t in range(STEPS)])
    for _ in range(30):  # more than the pool holds: each abandoned stream must be returned
        rows = store.iter_observations(hydro)
        assert [row.time for row in islice(rows, 3)] == [0, 1, 2]
        rows.close()  # type: ignore[attr-defined]
    assert sum(1 for _ in store.iter_observations(hydro)) == STEPS


def test_other_reads_run_while_a_stream_is_open(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    write(store, hydro, [ObservationInput("A", "H", t, 1.0) for t in range(STEPS)])
    rows = store.iter_observations(hydro)
    first = next(iter(rows))
    assert store.get_dataset(hydro.name).stored_variables == {"H"}  # another connection
    assert first.time == 0
    assert sum(1 for _ in rows) == STEPS - 1


def test_errors_raised_while_rows_are_fetched_are_the_stores(store: Store) -> None:
    """A row can fail as it is computed, after the query started: the error must still be the
    store's own (mapped to an HTTP status), not the driver's."""
    assert isinstance(store, SqlStore)
    failing = text(  # the first row is fine, the second overflows
        "WITH numbers (x) AS (VALUES (1), (-9223372036854775808)) SELECT abs(x) FROM numbers"
    )
    with pytest.raises(GeoseriesError):
        list(store._stream_tuples(failing))
    with pytest.raises(GeoseriesError):
        store._all_tuples(failing)
