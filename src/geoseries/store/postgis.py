"""PostgreSQL + PostGIS backend: GiST-indexed geometry, COPY through a staging table."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, create_engine, func, literal_column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.dml import Insert

from geoseries.model import BBox, Observation
from geoseries.store.sql import SqlStore

STAGE = "observations_stage"
CREATE_STAGE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} "
    "(seq bigserial, series_id bigint, time bigint, value float8, raw_value float8) "
    "ON COMMIT DELETE ROWS"
)
COPY_STAGE = f"COPY {STAGE} (series_id, time, value, raw_value) FROM STDIN (FORMAT BINARY)"
# Last write wins inside one transaction (highest seq), and against what is already stored.
FLUSH_STAGE = (
    "INSERT INTO observations (series_id, time, value, raw_value) "
    f"SELECT DISTINCT ON (series_id, time) series_id, time, value, raw_value FROM {STAGE} "
    "ORDER BY series_id, time, seq DESC "
    "ON CONFLICT (series_id, time) DO UPDATE SET value = excluded.value, raw_value = excluded.raw_value"
)


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
        envelope = func.ST_MakeEnvelope(bbox.west, bbox.south, bbox.east, bbox.north, 4326)
        index_hit = literal_column("features.geom").op("&&")(envelope)
        return and_(index_hit, super()._bbox_predicate(bbox))

    def _write_observations(self, conn: Connection, rows: Sequence[Observation]) -> int:
        raw: psycopg.Connection[object] = conn.connection.driver_connection  # type: ignore[assignment]
        if not conn.info.get("staged"):
            raw.execute(CREATE_STAGE)
        with raw.cursor() as cursor, cursor.copy(COPY_STAGE) as copy:
            copy.set_types(["int8", "int8", "float8", "float8"])
            for o in rows:
                copy.write_row(o)
        conn.info["staged"] = True
        return len(rows)

    def _finish_writes(self, conn: Connection) -> None:
        if conn.info.pop("staged", False):
            conn.exec_driver_sql(FLUSH_STAGE)
