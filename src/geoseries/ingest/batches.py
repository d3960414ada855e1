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
        self._batch_size = batch_size
        self._on_flush = on_flush
        self._series = writer.known_series(dataset, limit=PRELOAD_LIMIT) if preload else {}
        self._new: dict[int, SeriesKey] = {}
        self._unresolved: list[tuple[dict[int, SeriesKey], Future[dict[int, int]]]] = []
        self._rows: list[ObservationValues] = []
        self._placeholders = 0
        self.written = 0

    def add(self, key: str, variable: str, time: int, value: float) -> None:
        series_id = self._series.get((key, variable))
        if series_id is None:
            self._placeholders += 1
            series_id = -self._placeholders
            self._new[series_id] = (key, variable)
            self._series[(key, variable)] = series_id
        self._rows.append((series_id, time, value, None))
        if len(self._rows) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        """Hand the collected rows to the writer (which may still be writing them on return)."""
        self._learn_resolved()
        if not self._rows:
            return
        if self._placeholders:
            new, self._new = self._new, {}
            resolved = self._writer.write_resolving(self.dataset, new, self._rows)
            self._unresolved.append((new, resolved))
        else:
            self._writer.write_observations(self._rows)
        self.written += len(self._rows)
        self._rows = []
        if self._on_flush is not None:
            self._on_flush()

    def _learn_resolved(self) -> None:
        """Swap placeholders for real series ids wherever the writer has resolved them."""
        waiting = []
        for new, resolved in self._unresolved:
            if resolved.done():
                for placeholder, series_id in resolved.result().items():
                    self._series[new[placeholder]] = series_id
            else:
                waiting.append((new, resolved))
        self._unresolved = waiting
