"""Streamed reads (PostgreSQL: psycopg's chunked rows, see store/pg_stream.py), on both
backends: results of several chunks, empty results, abandoned streams, reads alongside."""

from __future__ import annotations

from itertools import islice

import psycopg
import pytest
from sqlalchemy import text

from geoseries.errors import GeoseriesError
from geoseries.model import ObservationInput
from geoseries.store import Store, open_store, postgis
from geoseries.store.sql import BATCH_ROWS, SqlStore
from tests import services
from tests.store.helpers import observations, stations, write

STEPS = 2 * BATCH_ROWS + 7


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


def test_a_streamed_result_read_whole_or_by_one(store: Store) -> None:
    """SQLAlchemy reads a stream with fetchmany, fetchall (`all()`) or fetchone (`first()`)."""
    assert isinstance(store, SqlStore)
    numbers = text("WITH numbers (n) AS (VALUES (1), (2), (3)) SELECT n FROM numbers ORDER BY n")
    with store._streams.connect() as conn:
        streamed = conn.execution_options(stream_results=True)
        assert [row.n for row in streamed.execute(numbers).all()] == [1, 2, 3]
        assert streamed.execute(numbers).first() == (1,)
        assert streamed.execute(text("SELECT 1 WHERE false")).first() is None


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced_before_use(
    postgres_server: services.Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection idle for long is pinged first: one the server ended (a restart, an
    idle timeout) is replaced, and the read succeeds."""
    store = open_store(postgres_server.create_database())
    try:
        stations(store)
        assert store.get_dataset("stations").name == "stations"  # a pooled connection now
        assert isinstance(store, SqlStore)
        with psycopg.connect(str(store.engine.url.set(drivername="postgresql"))) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        monkeypatch.setattr(postgis, "IDLE_PING_SECONDS", -1.0)  # every connection is idle
        assert store.get_dataset("stations").name == "stations"
    finally:
        store.close()
