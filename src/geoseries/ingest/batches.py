"""Batching observations for bulk writes, resolving (feature, variable) to series ids once."""

from __future__ import annotations

from collections.abc import Callable

from geoseries.model import Dataset, Observation
from geoseries.store import SeriesKey, Writer

BATCH_SIZE = 10_000
ObservationTuple = tuple[str, str, int, float]


class ObservationBatcher:
    """Collects (key, variable, time, value) rows and writes them in batches of BATCH_SIZE."""

    def __init__(
        self,
        writer: Writer,
        dataset: Dataset,
        *,
        batch_size: int = BATCH_SIZE,
        on_flush: Callable[[], None] | None = None,
    ) -> None:
        self._writer = writer
        self._dataset = dataset
        self._batch_size = batch_size
        self._on_flush = on_flush
        self._series: dict[SeriesKey, int] = {}
        self._pending: list[ObservationTuple] = []
        self.written = 0

    def add(self, key: str, variable: str, time: int, value: float) -> None:
        self._pending.append((key, variable, time, value))
        if len(self._pending) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        series = self._series
        missing = {
            (key, variable)
            for key, variable, _, _ in self._pending
            if (key, variable) not in series
        }
        if missing:
            series.update(self._writer.resolve_series(self._dataset, missing))
        rows = [
            Observation(series[(k, v)], time, value, None) for k, v, time, value in self._pending
        ]
        self.written += self._writer.write_observations(rows)
        self._pending = []
        if self._on_flush is not None:
            self._on_flush()
