"""GeoJSON FeatureCollection, CSV and NDJSON as streams of byte chunks (orjson underneath)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from itertools import chain, islice
from typing import Any, TypeVar

import orjson

CHUNK_ITEMS = 500
T = TypeVar("T")


def feature_collection(features: Iterable[dict[str, Any]], **members: Any) -> Iterator[bytes]:
    """`{"type":"FeatureCollection","features":[...], **members}` streamed feature by feature.

    Members come after the features, so one still being computed (a Future) is only waited
    for once the features are sent.
    """
    yield b'{"type":"FeatureCollection","features":'
    yield from json_array(features)
    parts: list[bytes] = []
    for name, value in members.items():
        resolved = value.result() if isinstance(value, Future) else value
        parts.append(b',"' + name.encode() + b'":' + orjson.dumps(resolved))
    parts.append(b"}")
    yield b"".join(parts)


def json_array(items: Iterable[Any]) -> Iterator[bytes]:
    """`[...]` streamed in chunks of CHUNK_ITEMS items, each chunk encoded by one call."""
    yield b"["
    iterator = iter(items)
    separator = b""
    while chunk := list(islice(iterator, CHUNK_ITEMS)):
        yield separator + orjson.dumps(chunk)[1:-1]
        separator = b","
    yield b"]"


def primed(items: Iterable[T]) -> Iterator[T]:
    """`items` with its first element already taken: a lazy query fails now, not mid-stream.

    Streaming responses send their status before the body; an error raised by the first read
    of a database cursor (a refused query) must surface while an error status can still be sent.
    """
    iterator = iter(items)
    try:
        head = next(iterator)
    except StopIteration:
        return iter(())
    return chain((head,), iterator)


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
