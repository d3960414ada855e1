"""PostgreSQL + PostGIS backend: GiST-indexed geometry, COPY through a staging table.

Each batch of observations is COPied straight into `observations` inside a savepoint: COPY is
several times faster than pipelined upserts, and new observations are the common case of an
import. When a (series, time) of the batch is already stored or repeated, the savepoint is
rolled back and the batch goes through a per-connection temporary table and one INSERT ...
ON CONFLICT, which keeps the store's rule that the last write wins, within the batch (highest
`seq`) and against what is stored. Each write transaction runs on a thread of its own, so the
server writes one batch while Python prepares the next.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from time import monotonic

import psycopg
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    create_engine,
    event,
    exc,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.dml import Insert

from geoseries.errors import ValidationFailed
from geoseries.model import BBox, ObservationValues
from geoseries.store import pg_stream
from geoseries.store.errors import translated
from geoseries.store.json_sql import PostgresJson
from geoseries.store.sql import SqlStore
from geoseries.store.writer_thread import ThreadedWriter, WriterThread

STAGE = "observations_stage"
CREATE_STAGE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} "
    "(seq bigserial, series_id bigint, time bigint, value float8, raw_value float8) "
    "ON COMMIT DELETE ROWS"
)
EMPTY_STAGE = f"TRUNCATE {STAGE}"
COPY_STAGE = f"COPY {STAGE} (series_id, time, value, raw_value) FROM STDIN (FORMAT BINARY)"
COPY_OBSERVATIONS = (
    "COPY observations (series_id, time, value, raw_value) FROM STDIN (FORMAT BINARY)"
)
# On conflict: the last staged write of each (series, time) replaces what is stored.
UPSERT_STAGE = (
    "INSERT INTO observations (series_id, time, value, raw_value) "
    "SELECT DISTINCT ON (series_id, time) series_id, time, value, raw_value "
    f"FROM {STAGE} "
    "ORDER BY series_id, time, seq DESC "
    "ON CONFLICT (series_id, time) DO UPDATE "
    "SET value = excluded.value, raw_value = excluded.raw_value"
)
IDLE_PING_SECONDS = 5.0
"""A pooled connection idle for longer is pinged before use (see `_ping_idle`)."""
PLACEHOLDERS = "placeholders"
"""`Connection.info` entry: placeholder -> series id, for the COPY loop (see write_resolving)."""


def postgres_engine(url: str) -> Engine:
    driver = f"postgresql+{pg_stream.DRIVER}://"
    driver_url = url.replace("postgresql://", driver, 1).replace("postgres://", driver, 1)
    # LIFO: consecutive requests reuse the same warm connections, on which psycopg prepares
    # repeated statements (after 5 uses), so PostgreSQL stops planning them every time.
    engine = create_engine(driver_url, pool_size=10, max_overflow=10, pool_use_lifo=True)
    _ping_idle(engine)

    @event.listens_for(engine, "connect")
    def _create_stage(dbapi_conn: psycopg.Connection[object], _record: object) -> None:
        dbapi_conn.execute(CREATE_STAGE)
        # JIT compiling pays off for long analytical queries; ours are short, and it added
        # tens of milliseconds to them (bench/kano_queries.py).
        dbapi_conn.execute("SET jit = off")
        dbapi_conn.commit()

    return engine


def _ping_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has been idle a while.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip per statement of a
    request. A connection used moments ago is alive unless the server went away just then, and
    that disconnect invalidates the whole pool at once (one request answers 503).
    """

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_conn: object, record: ConnectionPoolEntry) -> None:
        record.info["used_at"] = monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry, _proxy: object) -> None:
        if monotonic() - record.info.get("used_at", 0.0) <= IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except psycopg.Error as error:  # the pool replaces the connection and tries again
            raise exc.DisconnectionError(str(error)) from error


class PostgisStore(SqlStore):
    backend = "postgresql"
    json_sql = PostgresJson()

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        # One statement needs no transaction: autocommit saves the BEGIN and ROLLBACK round
        # trips around each lookup (a dataset, a token's revocation, a page's count) and each
        # streamed read (see pg_stream).
        self._lookups = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._streams = self._lookups

    def _insert(self, table: Table) -> Insert:
        return pg_insert(table)

    def _bbox_predicate(self, bbox: BBox) -> ColumnElement[bool]:
        """`&&` lets the GiST index find candidates; the stored double bounds decide exactly."""
        envelope = func.ST_MakeEnvelope(bbox.west, bbox.south, bbox.east, bbox.north, 4326)
        index_hit = literal_column("features.geom").op("&&")(envelope)
        return and_(index_hit, super()._bbox_predicate(bbox))

    def _write_observations(self, conn: Connection, rows: Sequence[ObservationValues]) -> int:
        try:
            with conn.begin_nested():  # a savepoint: a conflict undoes only this attempt
                _copy(conn, rows, COPY_OBSERVATIONS)
        except exc.IntegrityError:  # a (series, time) already stored, or twice in the batch
            _copy(conn, rows, COPY_STAGE)
            conn.exec_driver_sql(UPSERT_STAGE)
            conn.exec_driver_sql(EMPTY_STAGE)
        return len(rows)

    def _remember_placeholders(self, conn: Connection, ids: dict[int, int], *, first: bool) -> None:
        if first:
            conn.info[PLACEHOLDERS] = {}
        conn.info[PLACEHOLDERS].update(ids)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with _geometry_errors(), super()._transaction() as conn:
            yield conn

    @contextmanager
    def writer(self) -> Iterator[ThreadedWriter]:  # type: ignore[override]
        """A transaction on a thread of its own, which ends with it."""
        thread = WriterThread(self.engine, _begin)
        try:
            with (
                _geometry_errors(),
                translated("a unique value is already taken"),
                thread.session() as session,
            ):
                yield ThreadedWriter(self, session)
        finally:
            thread.close()


def _copy(conn: Connection, rows: Sequence[ObservationValues], statement: str) -> None:
    """COPY rows in binary, mapping placeholder series ids (see Writer.write_resolving)."""
    raw: psycopg.Connection[object] = conn.connection.driver_connection  # type: ignore[assignment]
    real = conn.info.get(PLACEHOLDERS, {})
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(["int8", "int8", "float8", "float8"])
            write = copy.write_row
            for row in rows:
                write(row if row[0] >= 0 else (real[row[0]], row[1], row[2], row[3]))
    except psycopg.Error as error:
        # Raised by the driver directly, not through SQLAlchemy: wrap it the way SQLAlchemy
        # would, so a unique violation is an IntegrityError and `translated` maps the rest.
        raise exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error


def _begin(conn: Connection) -> None:
    conn.info.pop(PLACEHOLDERS, None)
    conn.begin()


@contextmanager
def _geometry_errors() -> Iterator[None]:
    """PostGIS reports a GeoJSON it cannot read (computing the generated `geom` column) as an
    internal error: that is the client's invalid geometry."""
    try:
        yield
    except exc.InternalError as error:
        if "INSERT INTO features" not in str(error.statement):
            raise
        raise ValidationFailed(
            f"geometry rejected by PostGIS: {str(error.orig).strip()}", field="geometry"
        ) from error
