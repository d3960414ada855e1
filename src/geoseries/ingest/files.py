"""`geoseries import`: stream a CSV, NDJSON or GeoJSON file into a dataset.

The whole file is one write transaction: a bad record anywhere aborts the import with its line
number and nothing of the file is stored. Memory stays flat whatever the file size: records are
read one at a time and written in batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from geoseries.errors import InputRowError
from geoseries.ingest.batches import ObservationBatcher
from geoseries.ingest.records import LAT_COLUMNS, LON_COLUMNS, RecordReader
from geoseries.ingest.sources import CountingReader, Source, csv_rows, detect_format, records
from geoseries.model import Dataset, FeatureInput
from geoseries.store import Store, Writer
from geoseries.times import parse_time

Progress = Callable[[int, int], None]
"""Called with (bytes read, file size) after each batch."""

FEATURE_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class ImportReport:
    records: int
    features: int
    observations: int


def import_file(
    store: Store, dataset: Dataset, path: Path, *, progress: Progress | None = None
) -> ImportReport:
    """Import `path` into `dataset` atomically; raises InputRowError on the first bad record."""
    file_format = detect_format(path)
    with path.open("rb") as raw:
        source = Source(CountingReader(raw), path.stat().st_size, file_format)

        def report(done: int) -> None:
            if progress is not None:
                progress(done, source.size)

        with store.writer() as writer:
            if not dataset.holds_observations:
                result = _import_features(writer, dataset, source, report)
            elif file_format == "csv":
                result = _import_csv_observations(writer, dataset, source, report)
            else:
                result = _import_record_observations(writer, dataset, source, report)
        report(source.size)
    return result


def _import_features(
    writer: Writer, dataset: Dataset, source: Source, report: Callable[[int], None]
) -> ImportReport:
    reader = RecordReader(dataset)
    unit = "feature" if source.format == "geojson" else "line"
    batch: list[FeatureInput] = []
    count = written = 0
    for number, record in records(source):
        try:
            batch.append(reader.feature(record, number))
        except InputRowError as error:
            raise InputRowError(
                number, error.message.split(": ", 1)[1], field=error.field, unit=unit
            ) from error
        count += 1
        if len(batch) >= FEATURE_BATCH:
            written += writer.upsert_features(dataset, batch)
            batch = []
            report(source.counter.consumed)
    written += writer.upsert_features(dataset, batch)
    return ImportReport(records=count, features=written, observations=0)


def _import_record_observations(
    writer: Writer, dataset: Dataset, source: Source, report: Callable[[int], None]
) -> ImportReport:
    reader = RecordReader(dataset)
    batcher = ObservationBatcher(writer, dataset, on_flush=lambda: report(source.counter.consumed))
    count = 0
    for number, record in records(source):
        for key, variable, time, value in reader.observations(record, number):
            batcher.add(key, variable, time, value)
        count += 1
    batcher.flush()
    return ImportReport(records=count, features=0, observations=batcher.written)


def _import_csv_observations(
    writer: Writer, dataset: Dataset, source: Source, report: Callable[[int], None]
) -> ImportReport:
    """The hot path for large CSV files: column positions resolved once from the header.

    Any row the fast path cannot read is re-read by the general RecordReader, which raises the
    precise, line-numbered error.
    """
    header, rows = csv_rows(source)
    plan = _CsvPlan(dataset, header)
    reader = RecordReader(dataset)
    batcher = ObservationBatcher(writer, dataset, on_flush=lambda: report(source.counter.consumed))
    add = batcher.add
    count = 0
    last_text, last_time = "", 0
    for number, row in rows:
        count += 1
        try:
            if len(row) != plan.width:
                raise ValueError
            key = row[plan.key]
            text = row[plan.time]
            if text != last_text:
                last_text, last_time = text, parse_time(text)
            if not key:
                raise ValueError
            for position, variable in plan.values(row):
                value = float(row[position])
                if not math.isfinite(value):
                    raise ValueError
                add(key, variable, last_time, value)
        except (ValueError, OverflowError, IndexError):
            if len(row) != plan.width:
                raise InputRowError(
                    number, f"expected {plan.width} columns, found {len(row)}"
                ) from None
            list(reader.observations(dict(zip(header, row, strict=True)), number))
            raise InputRowError(number, "unreadable row") from None
    batcher.flush()
    return ImportReport(records=count, features=0, observations=batcher.written)


class _CsvPlan:
    """Where the key, time and values sit in each row of an observations CSV."""

    def __init__(self, dataset: Dataset, header: list[str]) -> None:
        self.width = len(header)
        key_column = dataset.feature_id or "feature"
        position = {name: index for index, name in enumerate(header)}
        for required in (key_column, "time"):
            if required not in position:
                raise InputRowError(1, f"the header has no {required!r} column", field=required)
        self.key = position[key_column]
        self.time = position["time"]
        self.long = "variable" in position and "value" in position
        if self.long:
            self.variable, self.value = position["variable"], position["value"]
            self.wide: list[tuple[int, str]] = []
            return
        skip = {key_column, "time", dataset.label, *LON_COLUMNS, *LAT_COLUMNS}
        names: Iterable[str] = dataset.variables or [n for n in header if n not in skip]
        self.wide = [(position[name], name) for name in names if name in position]
        if not self.wide:
            raise InputRowError(1, "the header names no variable column", field="header")

    def values(self, row: list[str]) -> Iterable[tuple[int, str]]:
        if self.long:
            if not row[self.variable]:
                raise ValueError("no variable")
            return ((self.value, row[self.variable]),)
        return [(position, variable) for position, variable in self.wide if row[position]]
