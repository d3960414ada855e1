"""SQLite backend: WAL, one writer thread, checkpoints off its commits, R*Tree spatial index,
native upsert."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, create_engine, event, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

from geoseries.errors import ValidationFailed
from geoseries.model import BBox, ObservationValues
from geoseries.store import schema as t
from geoseries.store.errors import translated
from geoseries.store.json_sql import SqliteJson
from geoseries.store.sql import SqlStore
from geoseries.store.sqlite_checkpoints import Checkpointer
from geoseries.store.text_fold import FOLD_FUNCTION, sql_fold, sql_regexp
from geoseries.store.writer_thread import ThreadedWriter, WriterThread

T = TypeVar("T")
CACHE_KIB = 32 * 1024
"""Page cache per connection (SQLite's default is 2 MiB): a bulk write of observations spread
over a thousand series touches a thousand leaf pages, a page of documents as many."""
RTREE_SLACK = 1e-37
"""Larger than any error of the R*Tree's float32 rounding of tiny coordinates."""
# One statement per batch: SQLite reads the rows from a JSON array in C, with the GIL released,
# so Python parses the next batch meanwhile (executemany takes the GIL back for every row).
# SQLite's JSON numbers read back bit-exact (tests/store checks awkward doubles).
UPSERT = (
    "INSERT INTO observations (series_id, time, value, raw_value) SELECT {series}, "
    "value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) WHERE true "
    "ON CONFLICT (series_id, time) DO UPDATE "
    "SET value = excluded.value, raw_value = excluded.raw_value"
)
UPSERT_OBSERVATIONS = UPSERT.format(series="value ->> 0")
# A negative series id is a placeholder (see Writer.write_resolving), mapped in SQL by this
# temporary table of each connection: no Python work per row.
CREATE_PLACEHOLDERS = (
    "CREATE TEMP TABLE IF NOT EXISTS series_placeholders "
    "(id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL)"
)
UPSERT_PLACEHELD_OBSERVATIONS = UPSERT.format(
    series="CASE WHEN value ->> 0 >= 0 THEN value ->> 0 ELSE "
    "(SELECT series_id FROM temp.series_placeholders WHERE id = value ->> 0) END"
)


def sqlite_engine(url: str) -> Engine:
    """An engine with WAL, foreign keys, a busy timeout and explicit BEGIN handling."""
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url.replace("sqlite://", "sqlite+pysqlite://", 1), connect_args={"timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
        # Document filters: `REGEXP` (Matches) and accent folding (Contains), in Python.
        dbapi_conn.create_function("regexp", 2, sql_regexp, deterministic=True)
        dbapi_conn.create_function(FOLD_FUNCTION, 2, sql_fold, deterministic=True)
        dbapi_conn.execute(CREATE_PLACEHOLDERS)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            f"cache_size=-{CACHE_KIB}",
        ):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("writer") else "BEGIN")

    return engine


class SqliteStore(SqlStore):
    backend = "sqlite"
    json_sql = SqliteJson()

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._checkpoints = Checkpointer(engine)
        self._thread = WriterThread(engine, _begin_immediate, self._checkpoints.committed)

    def close(self) -> None:
        self._thread.close()
        self._checkpoints.close()
        super().close()

    def _insert(self, table: Table) -> Insert:
        return sqlite_insert(table)

    def _bbox_predicate(self, bbox: BBox) -> ColumnElement[bool]:
        """The R*Tree narrows the candidates; the exact test on the stored bounds decides.

        The R*Tree keeps 32-bit floats rounded outwards, so alone it also returns features that
        lie just outside the box (and that PostGIS, comparing doubles, leaves out). Its outward
        rounding fails below float32's normal range (|x| < 1.2e-38 may be stored as 0 on the
        wrong side), hence RTREE_SLACK, which changes nothing for larger coordinates.
        """
        rtree = t.features_rtree.c
        hits = select(rtree.id).where(
            rtree.min_lon <= bbox.east + RTREE_SLACK,
            rtree.max_lon >= bbox.west - RTREE_SLACK,
            rtree.min_lat <= bbox.north + RTREE_SLACK,
            rtree.max_lat >= bbox.south - RTREE_SLACK,
        )
        return and_(t.features.c.id.in_(hits), super()._bbox_predicate(bbox))

    def _write_observations(self, conn: Connection, rows: Sequence[ObservationValues]) -> int:
        try:
            batch = orjson.dumps(rows, default=tuple)  # default: Observation, a NamedTuple
        except orjson.JSONEncodeError as error:  # e.g. an integer beyond 64 bits
            raise ValidationFailed(f"observations out of range: {error}", field="time") from error
        placeheld = min(map(itemgetter(0), rows)) < 0
        conn.exec_driver_sql(
            UPSERT_PLACEHELD_OBSERVATIONS if placeheld else UPSERT_OBSERVATIONS, (batch,)
        )
        return len(rows)

    def _remember_placeholders(self, conn: Connection, ids: dict[int, int], *, first: bool) -> None:
        if first:
            conn.exec_driver_sql("DELETE FROM temp.series_placeholders")
        conn.exec_driver_sql(
            "INSERT INTO temp.series_placeholders (id, series_id) VALUES (?, ?)",
            list(ids.items()),
        )

    def _write(self, fn: Callable[[Connection], T], conflict: str = "already exists") -> T:
        with translated(conflict), self._thread.session() as session:
            return session.call(fn)

    @contextmanager
    def writer(self) -> Iterator[ThreadedWriter]:  # type: ignore[override]
        """A transaction on the store's one writer thread (SQLite allows one writer)."""
        with translated("a unique value is already taken"), self._thread.session() as session:
            yield ThreadedWriter(self, session)


def _begin_immediate(conn: Connection) -> None:
    if not conn.info.get("writer"):
        conn.info["writer"] = True
        Checkpointer.take_over(conn)
    conn.begin()
