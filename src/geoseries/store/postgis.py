"""PostgreSQL + PostGIS backend: GiST-indexed geometry, COPY through a staging table.

Observations are COPied into a per-session temporary table and moved into `observations` when
the write transaction commits: COPY is several times faster than pipelined upserts. The move is
a plain INSERT when every (series, time) is new, the common case of an import; when one is not,
an INSERT ... ON CONFLICT keeps the store's rule that the last write wins, both within the
transaction (highest `seq`) and against what is already stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    create_engine,
    exc,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.dml import Insert

from geoseries.errors import ValidationFailed
from geoseries.model import BBox, ObservationValues
from geoseries.store.sql import SqlStore

STAGE = "observations_stage"
CREATE_STAGE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} "
    "(seq bigserial, series_id bigint, time bigint, value float8, raw_value float8) "
    "ON COMMIT DELETE ROWS"
)
COPY_STAGE = f"COPY {STAGE} (series_id, time, value, raw_value) FROM STDIN (FORMAT BINARY)"
# The common case, new observations only: a plain INSERT, without sorting or conflict handling.
MOVE_STAGE = (
    "INSERT INTO observations (series_id, time, value, raw_value) "
    f"SELECT series_id, time, value, raw_value FROM {STAGE}"
)
# Otherwise: the last staged write of each (series, time) replaces what is stored.
UPSERT_STAGE = (
    "INSERT INTO observations (series_id, time, value, raw_value) "
    "SELECT DISTINCT ON (series_id, time) series_id, time, value, raw_value "
    f"FROM {STAGE} "
    "ORDER BY series_id, time, seq DESC "
    "ON CONFLICT (series_id, time) DO UPDATE "
    "SET value = excluded.value, raw_value = excluded.raw_value"
)
PLACEHOLDERS = "placeholders"
"""`Connection.info` entry: placeholder -> series id, for the COPY loop (see write_resolving)."""
STAGED = "staged"
"""`Connection.info` flag: this transaction has rows in the staging table."""


def postgres_engine(url: str) -> Engine:
    driver_url = url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "postgres://", "postgresql+psycopg://", 1
    )
    return create_engine(driver_url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class PostgisStore(SqlStore):
    backend = "postgresql"

    def _insert(self, table: Table) -> Insert:
        return pg_insert(table)

    def _bbox_predicate(self, bbox: BBox) -> ColumnElement[bool]:
        """`&&` lets the GiST index find candidates; the stored double bounds decide exactly."""
        envelope = func.ST_MakeEnvelope(bbox.west, bbox.south, bbox.east, bbox.north, 4326)
        index_hit = literal_column("features.geom").op("&&")(envelope)
        return and_(index_hit, super()._bbox_predicate(bbox))

    def _write_observations(self, conn: Connection, rows: Sequence[ObservationValues]) -> int:
        raw: psycopg.Connection[object] = conn.connection.driver_connection  # type: ignore[assignment]
        try:
            if not conn.info.get(STAGED):
                raw.execute(CREATE_STAGE)
                conn.info[STAGED] = True
            real = conn.info.get(PLACEHOLDERS, {})
            with raw.cursor() as cursor, cursor.copy(COPY_STAGE) as copy:
                copy.set_types(["int8", "int8", "float8", "float8"])
                write = copy.write_row
                for row in rows:
                    write(row if row[0] >= 0 else (real[row[0]], row[1], row[2], row[3]))
        except psycopg.Error as error:
            # Raised by the driver directly, not through SQLAlchemy: wrap it the way SQLAlchemy
            # would, so `translated` maps it to a core error like any other.
            raise exc.DBAPIError.instance(COPY_STAGE, None, error, psycopg.Error) from error
        return len(rows)

    def _finish_writes(self, conn: Connection) -> None:
        """Move the staged observations into `observations` (once, before commit)."""
        if not conn.info.pop(STAGED, False):
            return
        try:
            with conn.begin_nested():  # a savepoint: a conflict undoes only this attempt
                conn.exec_driver_sql(MOVE_STAGE)
        except exc.IntegrityError:  # a (series, time) already stored, or staged twice
            conn.exec_driver_sql(UPSERT_STAGE)

    def _remember_placeholders(self, conn: Connection, ids: dict[int, int], *, first: bool) -> None:
        if first:
            conn.info[PLACEHOLDERS] = {}
        conn.info[PLACEHOLDERS].update(ids)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with super()._transaction() as conn:
                try:
                    yield conn
                finally:
                    conn.info.pop(PLACEHOLDERS, None)
        except exc.InternalError as error:
            # PostGIS reports a GeoJSON it cannot read (while computing the generated `geom`
            # column) as an internal error: that is the client's invalid geometry.
            if "INSERT INTO features" not in str(error.statement):
                raise
            raise ValidationFailed(
                f"geometry rejected by PostGIS: {str(error.orig).strip()}", field="geometry"
            ) from error
