"""Writer threads: a write transaction served by a thread of its own.

SQLite allows one writer at a time: its store funnels every write through one such thread,
which turns lock contention into an orderly queue and keeps readers (WAL) unblocked. PostgreSQL
gives each write transaction its own thread. Either way the caller parses the next batch while
the database (which releases the GIL) writes the current one.

A *session* is one transaction: while it is open the thread serves only that session's calls,
so calls from other sessions never run inside it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from geoseries.model import (
    Component,
    Dataset,
    Device,
    Feature,
    FeatureInput,
    ObservationValues,
    Sensor,
)
from geoseries.store.protocol import SeriesKey
from geoseries.store.sql import SqlStore
from geoseries.store.writer import SqlWriter

T = TypeVar("T")
_END = object()


class WriterSession:
    """The caller's handle on an open transaction; `call` runs a function inside it."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[tuple[Any, Future[Any]]] = queue.SimpleQueue()

    def call(self, fn: Callable[[Connection], T]) -> T:
        return self.submit(fn).result()

    def submit(self, fn: Callable[[Connection], T]) -> Future[T]:
        """Queue `fn` and return at once; a failure also fails every later call and the commit."""
        future: Future[T] = Future()
        self._calls.put((fn, future))
        return future

    def _end(self, commit: bool) -> None:
        future: Future[None] = Future()
        self._calls.put((_END if commit else None, future))
        future.result()


class WriterThread:
    """`begin` starts each transaction; `committed`, if given, is told of each commit (on the
    writer thread, so it must be quick)."""

    def __init__(
        self,
        engine: Engine,
        begin: Callable[[Connection], None],
        committed: Callable[[Connection], None] | None = None,
    ) -> None:
        self._engine = engine
        self._begin = begin
        self._committed = committed
        self._sessions: queue.SimpleQueue[WriterSession | None] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._serve, name="geoseries-sqlite-writer", daemon=True
        )
        self._thread.start()

    @contextmanager
    def session(self) -> Iterator[WriterSession]:
        """Open a transaction on the writer thread; commit on success, roll back on error."""
        session = WriterSession()
        self._sessions.put(session)
        try:
            yield session
        except BaseException:
            session._end(commit=False)
            raise
        session._end(commit=True)

    def close(self) -> None:
        self._sessions.put(None)
        self._thread.join()

    def _serve(self) -> None:
        conn: Connection | None = None
        try:
            while (session := self._sessions.get()) is not None:
                try:
                    # Connect on first use, and again after a failed attempt: a database that
                    # cannot be opened fails each session instead of killing the thread (which
                    # would leave every later session waiting forever).
                    conn = conn or self._engine.connect()
                except Exception as refused:
                    self._refuse(session, refused)
                    continue
                self._serve_session(conn, session)
        finally:
            if conn is not None:
                conn.close()

    @staticmethod
    def _refuse(session: WriterSession, error: BaseException) -> None:
        while True:
            fn, future = session._calls.get()
            future.set_exception(error) if fn is not None else future.set_result(None)
            if fn is _END or fn is None:
                return

    def _serve_session(self, conn: Connection, session: WriterSession) -> None:
        error: BaseException | None = None
        try:
            self._begin(conn)
        except Exception as refused:  # the database refused to start a transaction
            error = refused
        while True:
            fn, future = session._calls.get()
            if fn is _END or fn is None:
                if error is None:
                    if self._finish(conn, future, commit=fn is _END) and self._committed:
                        self._committed(conn)
                    return
                if conn.in_transaction():
                    conn.rollback()
                # A commit reports why the transaction failed; a rollback was asked for anyway.
                future.set_exception(error) if fn is _END else future.set_result(None)
                return
            if error is not None:
                future.set_exception(error)
                continue
            try:
                future.set_result(fn(conn))
            except Exception as failed:
                error = failed
                future.set_exception(failed)

    @staticmethod
    def _finish(conn: Connection, future: Future[None], *, commit: bool) -> bool:
        """End the transaction as asked; True when it committed."""
        try:
            conn.commit() if commit else conn.rollback()
        except Exception as error:
            conn.rollback()
            future.set_exception(error)
            return False
        future.set_result(None)
        return commit


class ThreadedWriter:
    """A Writer whose every call runs inside a writer thread's open transaction.

    Observation batches are queued without waiting (one at a time); everything else waits.
    """

    def __init__(self, store: SqlStore, session: WriterSession) -> None:
        self._session = session
        self._inner: SqlWriter | None = None
        self._store = store
        self._in_flight: Future[int] | None = None

    def _writer(self, conn: Connection) -> SqlWriter:
        if self._inner is None:
            self._inner = SqlWriter(self._store, conn)
        return self._inner

    def upsert_features(self, dataset: Dataset, features: Sequence[FeatureInput]) -> int:
        return self._call(lambda writer: writer.upsert_features(dataset, features))

    def resolve_series(self, dataset: Dataset, keys: Iterable[SeriesKey]) -> dict[SeriesKey, int]:
        wanted = list(keys)
        return self._call(lambda writer: writer.resolve_series(dataset, wanted))

    def known_series(self, dataset: Dataset, *, limit: int) -> dict[SeriesKey, int]:
        return self._call(lambda writer: writer.known_series(dataset, limit=limit))

    def features_by_key(self, dataset: Dataset, keys: Sequence[str]) -> dict[str, Feature]:
        return self._call(lambda writer: writer.features_by_key(dataset, keys))

    def insert_features(self, dataset: Dataset, features: Sequence[FeatureInput]) -> int:
        return self._call(lambda writer: writer.insert_features(dataset, features))

    def delete_features(self, dataset: Dataset, keys: Sequence[str]) -> int:
        return self._call(lambda writer: writer.delete_features(dataset, keys))

    def delete_observations_at(self, dataset: Dataset, feature_row_id: int, time: int) -> int:
        return self._call(
            lambda writer: writer.delete_observations_at(dataset, feature_row_id, time)
        )

    def device_components(self, device: Device, sensors: Sequence[Sensor]) -> dict[int, Component]:
        return self._call(lambda writer: writer.device_components(device, sensors))

    def raise_last_readings(self, device: Device, latest: Mapping[int, int]) -> None:
        self._call(lambda writer: writer.raise_last_readings(device, latest))

    def _call(self, fn: Callable[[SqlWriter], T]) -> T:
        """Run `fn` on the transaction's writer, after any queued observation batch."""
        if self._in_flight is not None:
            self._in_flight.result()
        return self._session.call(lambda conn: fn(self._writer(conn)))

    def write_resolving(
        self,
        dataset: Dataset,
        new_series: Mapping[int, SeriesKey],
        rows: Sequence[ObservationValues],
    ) -> Future[dict[int, int]]:
        """Queue resolution and write as one job; the ids are known before the write ends."""
        resolved: Future[dict[int, int]] = Future()

        def job(conn: Connection) -> int:
            writer = self._writer(conn)
            try:
                resolved.set_result(writer.resolve_placeholders(dataset, new_series))
            except Exception as error:
                resolved.set_exception(error)
                raise
            return writer.write_observations(rows)

        self._queue_write(job)
        return resolved

    def write_observations(self, rows: Sequence[ObservationValues]) -> int:
        """Queue the batch and return, so the caller parses the next one meanwhile.

        At most one batch waits in the queue (memory stays flat); a failed batch fails every
        later call and the commit, so nothing of the transaction is stored.
        """
        self._queue_write(lambda conn: self._writer(conn).write_observations(rows))
        return len(rows)

    def _queue_write(self, job: Callable[[Connection], int]) -> None:
        """Queue a write once the previous one is done: at most one batch waits in memory."""
        if self._in_flight is not None:
            self._in_flight.result()
        self._in_flight = self._session.submit(job)
