"""Streaming readers for CSV, NDJSON and GeoJSON files: records one at a time, constant memory.

Each reader yields `(number, record)` where `number` is what an error message should cite: the
line of a CSV or NDJSON file, the feature's position in a GeoJSON file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import ijson
import orjson

from geoseries.errors import InputRowError, ValidationFailed

Format = Literal["csv", "ndjson", "geojson"]
SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".geojson": "geojson",
    ".json": "geojson",
}


def detect_format(path: Path) -> Format:
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(SUFFIXES))
        raise ValidationFailed(
            f"cannot tell the format of {path.name}: use one of {known}", field="file"
        ) from None


class CountingReader(io.RawIOBase):
    """A binary file wrapper that counts bytes read, for progress bars."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)


@dataclass
class Source:
    """An open input file: where we are in it and how big it is."""

    counter: CountingReader
    size: int
    format: Format

    @property
    def unit(self) -> str:
        """What error messages count: features of a GeoJSON file, lines of the others."""
        return "feature" if self.format == "geojson" else "line"

    def text(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(
            io.BufferedReader(self.counter, 1 << 20), encoding="utf-8-sig", newline=""
        )


def csv_reader(source: Source) -> tuple[list[str], Any]:
    """The header of a CSV file and the csv reader positioned on its first data row."""
    reader = csv.reader(source.text())
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InputRowError(
            1, "the file is empty; a header row is required", field="header"
        ) from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise InputRowError(1, f"unreadable CSV: {error}") from error
    return header, reader


def csv_data_rows(reader: Any) -> Iterator[list[str]]:
    """The reader's rows, with decoding and quoting errors reported by line."""
    try:
        yield from reader
    except (csv.Error, UnicodeDecodeError) as error:
        raise InputRowError(reader.line_num + 1, f"unreadable CSV: {error}") from error


def csv_records(source: Source) -> Iterator[tuple[int, dict[str, str]]]:
    header, reader = csv_reader(source)
    for row in csv_data_rows(reader):
        if not row:
            continue
        number = reader.line_num
        if len(row) != len(header):
            raise InputRowError(number, f"expected {len(header)} columns, found {len(row)}")
        yield number, dict(zip(header, row, strict=True))


def ndjson_records(source: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    return ndjson_lines(source.text())


def ndjson_lines(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The JSON object of each non-blank line, numbered from 1."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise InputRowError(number, f"invalid JSON: {error}") from error
        if not isinstance(record, dict):
            raise InputRowError(number, "each line must be a JSON object")
        yield number, record


def geojson_records(source: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    """Features of a FeatureCollection (or of a top-level array), streamed with ijson."""
    stream = io.BufferedReader(source.counter, 1 << 20)
    first = stream.peek(64).lstrip()[:1]
    prefix = "item" if first == b"[" else "features.item"
    number = 0
    try:
        for number, record in enumerate(ijson.items(stream, prefix, use_float=True), start=1):
            if not isinstance(record, dict):
                raise InputRowError(number, "each feature must be a JSON object", unit="feature")
            yield number, record
    except ijson.JSONError as error:
        raise InputRowError(number + 1, f"invalid JSON: {error}", unit="feature") from error
    if number == 0 and first not in (b"[", b"{"):
        raise InputRowError(
            1, "not a GeoJSON FeatureCollection or array of features", unit="feature"
        )


def records(source: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    if source.format == "csv":
        return csv_records(source)
    if source.format == "ndjson":
        return ndjson_records(source)
    return geojson_records(source)
