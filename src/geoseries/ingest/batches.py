"""Batching observations for bulk writes, resolving (feature, variable) to series ids once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from geoseries.model import Dataset, ObservationValues
from geoseries.store import SeriesKey, Writer

BATCH_SIZE = 50_000
PRELOAD_LIMIT = 200_000
"""Most series ids a bulk import loads up front (a few tens of MB at most)."""


class ObservationBatcher:
    """Collects observations and writes them in batches of BATCH_SIZE.

    The per-row work of a million-row import is one dict lookup and one tuple. A new
    (feature, variable) pair gets a negative placeholder id that the writer resolves with the
    batch (`Writer.write_resolving`), so parsing never waits for the database; once the real ids
    come back, later rows use them directly.

    `add` serves every caller. The CSV hot path, where a method call per row costs a quarter of
    the import, appends to `pending` itself: it looks ids up in `series_ids`, asks
    `new_series` for unknown pairs, and calls `flush` once `pending` holds `batch_size` rows.
    """

    def __init__(
        self,
        writer: Writer,
        dataset: Dataset,
        *,
        batch_size: int = BATCH_SIZE,
        on_flush: Callable[[], None] | None = None,
        preload: bool = False,
    ) -> None:
        """`preload` loads the dataset's existing series ids first: worth it for big imports."""
        self._writer = writer
        self.dataset = dataset
        self.batch_size = batch_size
        self._on_flush = on_flush
        self.series_ids = writer.known_series(dataset, limit=PRELOAD_LIMIT) if preload else {}
        self._new: dict[int, SeriesKey] = {}
        self._unresolved: list[tuple[dict[int, SeriesKey], Future[dict[int, int]]]] = []
        self.pending: list[ObservationValues] = []
        self._placeholders = 0
        self.written = 0

    def add(self, key: str, variable: str, time: int, value: float) -> None:
        series_id = self.series_ids.get((key, variable))
        if series_id is None:
            series_id = self.new_series((key, variable))
        self.pending.append((series_id, time, value, None))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def new_series(self, key: SeriesKey) -> int:
        """A placeholder id for a (feature, variable) pair not seen before."""
        self._placeholders += 1
        self._new[-self._placeholders] = key
        self.series_ids[key] = -self._placeholders
        return -self._placeholders

    def flush(self) -> None:
        """Hand the collected rows to the writer (which may still be writing them on return)."""
        self._learn_resolved()
        if not self.pending:
            return
        if self._placeholders:
            new, self._new = self._new, {}
            resolved = self._writer.write_resolving(self.dataset, new, self.pending)
            self._unresolved.append((new, resolved))
        else:
            self._writer.write_observations(self.pending)
        self.written += len(self.pending)
        self.pending = []
        if self._on_flush is not None:
            self._on_flush()

    def _learn_resolved(self) -> None:
        """Swap placeholders for real series ids wherever the writer has resolved them."""
        waiting = []
        for new, resolved in self._unresolved:
            if resolved.done():
                for placeholder, series_id in resolved.result().items():
                    self.series_ids[new[placeholder]] = series_id
            else:
                waiting.append((new, resolved))
        self._unresolved = waiting
