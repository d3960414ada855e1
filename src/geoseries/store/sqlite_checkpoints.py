"""SQLite checkpoints on a thread of their own, off the writer's commits.

In WAL mode a commit appends the pages it changed to the WAL; a *checkpoint* copies them back
into the database file (and syncs both). By default SQLite runs it inside the COMMIT that
leaves more than 1,000 pages in the WAL: a bulk write of 10,000 observations spread over a
thousand series changes about 2,500 pages, so every such commit also copied and synced them,
half its time. The store's writer connection turns that off (`wal_autocheckpoint = 0`) and tells
this thread what it committed; the thread runs a PASSIVE checkpoint (it waits for no reader or
writer) at once after a large write, or `DELAY` seconds after a small one, gathering a trickle
of small writes (MQTT readings) into one checkpoint. Readers and the next write go on meanwhile.

Durability does not change: a commit is in the WAL before it is acknowledged, as before.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import cast

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

ROWS = 1_000
"""Rows committed since the last checkpoint that start one at once."""
DELAY = 1.0
"""Seconds the checkpoint of fewer rows waits for more."""


def driver(conn: Connection) -> sqlite3.Connection:
    return cast(sqlite3.Connection, conn.connection.driver_connection)


class Checkpointer:
    def __init__(self, engine: Engine) -> None:
        self._database = engine.url.database or ":memory:"
        self._own: sqlite3.Connection | None = None  # not the pool's: readers never wait for it
        self._own_lock = threading.Lock()
        self._changed = threading.Condition()
        self._pending = 0  # rows committed since the last checkpoint
        self._since = 0.0  # when the first of them was committed (monotonic)
        self._seen: tuple[sqlite3.Connection | None, int] = (None, 0)  # writer's total_changes
        self._closed = False
        self._thread = threading.Thread(
            target=self._serve, name="geoseries-sqlite-checkpoints", daemon=True
        )
        self._thread.start()

    @staticmethod
    def take_over(conn: Connection) -> None:
        """Stop `conn` (the writer's) from checkpointing inside its commits."""
        driver(conn).execute("PRAGMA wal_autocheckpoint = 0")

    def committed(self, conn: Connection) -> None:
        """Called by the writer after each commit on `conn`: cheap, never raises."""
        raw = driver(conn)
        total = raw.total_changes  # rows changed since the connection opened
        last, seen = self._seen
        rows = total - seen if raw is last else total
        self._seen = (raw, total)
        if rows <= 0:
            return
        with self._changed:
            if not self._pending:
                self._since = time.monotonic()
            self._pending += rows
            self._changed.notify()

    def close(self) -> None:
        """Stop the thread. The database's last connection to close checkpoints what is left."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join()
        with self._own_lock:
            if self._own is not None:
                self._own.close()

    def _serve(self) -> None:
        while self._next():
            try:
                self.checkpoint()
            except sqlite3.Error as error:  # e.g. the file went away
                log.warning("SQLite checkpoint failed: %s", error)

    def _next(self) -> bool:
        """Wait until a checkpoint is due (True) or the checkpointer closes (False)."""
        with self._changed:
            while not self._closed:
                if self._pending >= ROWS:
                    break
                if self._pending:
                    left = self._since + DELAY - time.monotonic()
                    if left <= 0:
                        break
                    self._changed.wait(left)
                else:
                    self._changed.wait()
            self._pending = 0
            return not self._closed

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, frames in the WAL, frames copied back)."""
        with self._own_lock:
            if self._own is None:
                self._own = sqlite3.connect(
                    self._database, isolation_level=None, check_same_thread=False
                )
            busy, frames, copied = self._own.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(frames), int(copied)
