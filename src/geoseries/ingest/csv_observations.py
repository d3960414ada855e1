"""The hot path of `geoseries import`: observations from a large CSV file.

Column positions are resolved once from the header; each row then costs a few list lookups, a
cached time parse, `float()` and one `ObservationBatcher.add`. A row the fast path cannot read is
handed to the general RecordReader, which raises the precise, line-numbered error.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from typing import Any

from geoseries.errors import InputRowError
from geoseries.ingest.batches import ObservationBatcher
from geoseries.ingest.records import LAT_COLUMNS, LON_COLUMNS, RecordReader
from geoseries.model import Dataset
from geoseries.times import parse_time

TIME_CACHE = 100_000
"""Distinct time texts remembered: stations of one network report on the same ticks."""


class CsvPlan:
    """Where the key, the time and the values sit in each row of an observations CSV."""

    def __init__(self, dataset: Dataset, header: list[str]) -> None:
        self.header = header
        self.width = len(header)
        key_column = dataset.feature_id or "feature"
        position = {name: index for index, name in enumerate(header)}
        for required in (key_column, "time"):
            if required not in position:
                raise InputRowError(1, f"the header has no {required!r} column", field=required)
        self.key = position[key_column]
        self.time = position["time"]
        self.variable: int | None = None
        if "variable" in position and "value" in position:  # long form
            self.variable = position["variable"]
            self.cells = [(position["value"], "")]
            return
        skip = {key_column, "time", dataset.label, *LON_COLUMNS, *LAT_COLUMNS}
        names: Iterable[str] = dataset.variables or [n for n in header if n not in skip]
        self.cells = [(position[name], name) for name in names if name in position]
        if not self.cells:
            raise InputRowError(1, "the header names no variable column", field="header")


def add_csv_observations(plan: CsvPlan, reader: Any, batcher: ObservationBatcher) -> int:
    """Add the observations of every row of the csv `reader` to `batcher`; returns the rows read.

    The loop uses the batcher's bulk interface and reads the csv reader directly: a method call
    or a generator in between would each cost a quarter of the whole import.
    """
    key_at, time_at, variable_at, width, cells = (
        plan.key,
        plan.time,
        plan.variable,
        plan.width,
        plan.cells,
    )
    series, new_series = batcher.series_ids, batcher.new_series
    pending, batch_size = batcher.pending, batcher.batch_size
    times: dict[str, int] = {}
    isfinite = math.isfinite
    count = 0
    row: list[str] = []
    try:
        for row in reader:
            if len(row) != width or not row[key_at]:
                if not row:
                    continue  # a blank line
                raise ValueError("unreadable row")
            count += 1
            text = row[time_at]
            time = times.get(text)
            if time is None:
                if len(times) >= TIME_CACHE:
                    times.clear()
                time = times[text] = parse_time(text)
            key = row[key_at]
            for position, name in cells:
                cell = row[position]
                if cell:
                    value = float(cell)
                    if not isfinite(value):
                        raise ValueError("not finite")
                    pair = (key, name or row[variable_at])  # type: ignore[index]
                    if not pair[1]:
                        raise ValueError("no variable")
                    series_id = series.get(pair)
                    if series_id is None:
                        series_id = new_series(pair)
                    pending.append((series_id, time, value, None))
            if len(pending) >= batch_size:
                batcher.flush()
                pending = batcher.pending
    except (ValueError, OverflowError) as error:
        raise _row_error(plan, RecordReader(batcher.dataset), row, reader.line_num) from error
    except (csv.Error, UnicodeDecodeError) as error:
        raise InputRowError(reader.line_num + 1, f"unreadable CSV: {error}") from error
    return count


def _row_error(plan: CsvPlan, reader: RecordReader, row: list[str], line: int) -> InputRowError:
    """The precise error for a row the fast path refused."""
    if len(row) != plan.width:
        return InputRowError(line, f"expected {plan.width} columns, found {len(row)}")
    try:
        list(reader.observations(dict(zip(plan.header, row, strict=True)), line))
    except InputRowError as error:
        return error
    return InputRowError(line, "unreadable row")  # pragma: no cover - the reader always objects
