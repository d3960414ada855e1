"""SQLite: the writer's commits leave checkpoints to the checkpointer thread (SQLite only)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection

from geoseries.model import Observation
from geoseries.store import open_store, sqlite_checkpoints
from geoseries.store.sqlite import SqliteStore
from tests.store.helpers import at, observations, read, stations

ROWS = 1_200  # more than sqlite_checkpoints.ROWS


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints.db"


@pytest.fixture
def sqlite_store(database: Path) -> Iterator[SqliteStore]:
    store = open_store(f"sqlite:///{database}")
    assert isinstance(store, SqliteStore)
    yield store
    store.close()


def write_rows(store: SqliteStore, count: int, first: int = 0) -> None:
    hydro = store.get_dataset("hydro")
    with store.writer() as writer:
        writer.upsert_features(store.get_dataset("stations"), [at("S1", 1, 1)])
        series = writer.resolve_series(hydro, [("S1", "H")])[("S1", "H")]
        writer.write_observations(
            [Observation(series, first + n, float(n), None) for n in range(count)]
        )


def stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def changes(path: Path, since: tuple[int, int], *, within: float) -> bool:
    """Whether the database file (not its WAL) changes within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if stamp(path) != since:
            return True
        time.sleep(0.02)
    return False


def test_the_writer_never_checkpoints_in_its_commits(sqlite_store: SqliteStore) -> None:
    def autocheckpoint(conn: Connection) -> int:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())

    assert sqlite_store._write(autocheckpoint) == 0


def test_a_large_write_is_checkpointed_at_once(
    sqlite_store: SqliteStore, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_checkpoints, "DELAY", 60.0)  # only the size can start it
    stations(sqlite_store)
    observations(sqlite_store)
    time.sleep(0.1)
    sqlite_store._checkpoints.checkpoint()  # the datasets' pages are in the file
    before = stamp(database)
    write_rows(sqlite_store, ROWS)
    assert changes(database, before, within=10)
    assert len(read(sqlite_store, sqlite_store.get_dataset("hydro"))) == ROWS


def test_small_writes_wait_for_more_then_are_checkpointed(
    sqlite_store: SqliteStore, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_checkpoints, "DELAY", 1.0)
    stations(sqlite_store)
    observations(sqlite_store)
    time.sleep(0.1)
    sqlite_store._checkpoints.checkpoint()
    before = stamp(database)
    write_rows(sqlite_store, 3)
    assert not changes(database, before, within=0.3)  # gathered with what may follow
    assert changes(database, before, within=10)


def test_checkpoints_leave_nothing_behind_and_closing_keeps_every_row(database: Path) -> None:
    store = open_store(f"sqlite:///{database}")
    assert isinstance(store, SqliteStore)
    stations(store)
    observations(store)
    for run in range(3):
        write_rows(store, ROWS, first=run * ROWS)
    store.close()  # with a checkpoint perhaps still due: closing neither hangs nor loses rows
    reopened = open_store(f"sqlite:///{database}")
    try:
        assert len(read(reopened, reopened.get_dataset("hydro"))) == 3 * ROWS
        assert isinstance(reopened, SqliteStore)
        busy, frames, copied = reopened._checkpoints.checkpoint()
        assert busy == 0
        assert frames == copied
    finally:
        reopened.close()
