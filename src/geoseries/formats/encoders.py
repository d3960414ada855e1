"""GeoJSON FeatureCollection, CSV and NDJSON as streams of byte chunks (orjson underneath)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

CHUNK_ITEMS = 500


def feature_collection(features: Iterable[dict[str, Any]], **members: Any) -> Iterator[bytes]:
    """`{"type":"FeatureCollection","features":[...], **members}` streamed feature by feature."""
    yield b'{"type":"FeatureCollection","features":['
    parts: list[bytes] = []
    first = True
    for feature in features:
        parts.append(orjson.dumps(feature) if first else b"," + orjson.dumps(feature))
        first = False
        if len(parts) >= CHUNK_ITEMS:
            yield b"".join(parts)
            parts = []
    parts.append(b"]")
    for name, value in members.items():
        parts.append(b',"' + name.encode() + b'":' + orjson.dumps(value))
    parts.append(b"}")
    yield b"".join(parts)


def ndjson(objects: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    parts: list[bytes] = []
    for item in objects:
        parts.append(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE))
        if len(parts) >= CHUNK_ITEMS:
            yield b"".join(parts)
            parts = []
    if parts:
        yield b"".join(parts)


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % CHUNK_ITEMS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
