"""SQLite's single writer: one thread owns the only write connection.

SQLite allows one writer at a time. Funnelling every write through one thread turns lock
contention into an orderly queue, keeps readers (WAL) unblocked, and lets Python parse the next
batch while SQLite (which releases the GIL) writes the current one.

A *session* is one transaction: while it is open the thread serves only that session's calls,
so calls from other sessions never run inside it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

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
    def __init__(self, engine: Engine, begin: Callable[[Connection], None]) -> None:
        self._engine = engine
        self._begin = begin
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
                    self._finish(conn, future, commit=fn is _END)
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
    def _finish(conn: Connection, future: Future[None], *, commit: bool) -> None:
        try:
            conn.commit() if commit else conn.rollback()
        except Exception as error:
            conn.rollback()
            future.set_exception(error)
        else:
            future.set_result(None)
