"""`geoseries import`: stream a CSV, NDJSON or GeoJSON file into a dataset.

The whole file is one write transaction: a bad record anywhere aborts the import with its line
number and nothing of the file is stored. Memory stays flat whatever the file size: records are
read one at a time and written in batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geoseries.ingest.batches import ObservationBatcher
from geoseries.ingest.csv_observations import CsvPlan, add_csv_observations
from geoseries.ingest.records import RecordReader
from geoseries.ingest.sources import (
    CountingReader,
    Source,
    csv_reader,
    detect_format,
    records,
)
from geoseries.model import Dataset, FeatureInput
from geoseries.store import Store, Writer

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
    reader = RecordReader(dataset, unit=source.unit)
    batch: list[FeatureInput] = []
    count = written = 0
    for number, record in records(source):
        batch.append(reader.feature(record, number))
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
    reader = RecordReader(dataset, unit=source.unit)
    batcher = ObservationBatcher(
        writer, dataset, on_flush=lambda: report(source.counter.consumed), preload=True
    )
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
    header, reader = csv_reader(source)
    plan = CsvPlan(dataset, header)
    batcher = ObservationBatcher(
        writer, dataset, on_flush=lambda: report(source.counter.consumed), preload=True
    )
    count = add_csv_observations(plan, reader, batcher)
    batcher.flush()
    return ImportReport(records=count, features=0, observations=batcher.written)
