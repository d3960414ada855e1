"""Streamed PostgreSQL results in one round trip: psycopg's `Cursor.stream` behind SQLAlchemy.

SQLAlchemy streams a result (`yield_per`, `stream_results`) from a server-side cursor: BEGIN,
DECLARE, a FETCH per batch, CLOSE and ROLLBACK, each a round trip, and the cursor's plan is
chosen for a fast start. A station's week paid 1.5 ms for them (bench/kano_queries.py). libpq
17+ can instead send one query and receive its rows in chunks as they come (psycopg's
`stream(size=...)`): memory stays flat, no transaction is needed, and the query is planned as
any other. The dialect below hands SQLAlchemy such a cursor for the store's streamed reads
(execution option `sql.STREAMED`, read through SQLAlchemy's plain strategy, which keeps no rows
back) and wherever it would have declared a server-side one; everything else is psycopg's
dialect unchanged.

Streaming holds the connection until the last row is read, or until the result is closed
(psycopg then cancels the query): another statement must use another connection, which the
store's read helpers always do.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

import psycopg
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg, PGExecutionContext_psycopg

from geoseries.store.sql import BATCH_ROWS, STREAMED

DRIVER = "geoseries_psycopg"
"""The driver name of URLs using this dialect: `postgresql+geoseries_psycopg://...`."""


class StreamCursor:
    """The part of a DBAPI cursor SQLAlchemy uses to read a streamed result."""

    arraysize = BATCH_ROWS
    rowcount = -1

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor
        self._rows: Iterator[Any] = iter(())
        self._first: list[Any] = []
        self.description: Any = None

    def execute(self, statement: str, parameters: Any = None) -> None:
        self._rows = self._cursor.stream(statement, parameters, size=BATCH_ROWS)
        self._first = list(islice(self._rows, 1))  # the first chunk: the columns are known
        self.description = self._cursor.description
        if self.description is None:  # no rows, so no chunk that psycopg describes: plan only
            self._cursor.execute(f"SELECT * FROM ({statement}) AS streamed LIMIT 0", parameters)
            self.description = self._cursor.description

    def fetchmany(self, size: int | None = None) -> list[Any]:
        wanted = size or self.arraysize
        rows, self._first = self._first, []
        rows += islice(self._rows, wanted - len(rows))
        return rows

    def fetchall(self) -> list[Any]:
        rows, self._first = self._first, []
        rows += self._rows
        return rows

    def fetchone(self) -> Any:
        rows = self.fetchmany(1)
        return rows[0] if rows else None

    def close(self) -> None:
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()  # an unfinished stream: psycopg cancels the query, drains what came
        self._cursor.close()


class StreamingContext(PGExecutionContext_psycopg):
    def create_cursor(self) -> Any:
        """A streaming cursor for the store's streamed reads (the `STREAMED` option) and
        wherever SQLAlchemy would declare a server-side cursor (`stream_results`)."""
        if self.execution_options.get(STREAMED):
            return self.create_server_side_cursor()
        return super().create_cursor()

    def create_server_side_cursor(self) -> Any:
        cursor: psycopg.Cursor[Any] = self._dbapi_connection.cursor()  # type: ignore[assignment]
        return StreamCursor(cursor)


class StreamingDialect(PGDialect_psycopg):
    """psycopg's dialect, streaming results in chunks instead of through server-side cursors."""

    execution_ctx_cls = StreamingContext
    supports_statement_cache = True


registry.register(f"postgresql.{DRIVER}", __name__, "StreamingDialect")
