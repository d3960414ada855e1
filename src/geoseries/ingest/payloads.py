"""One pushed payload (an MQTT message, an HTTP batch) -> features or observations, atomically.

A payload is UTF-8 JSON: one record object, a JSON array of records, a GeoJSON
FeatureCollection, or NDJSON (one record object per line). Records follow the rules of
`RecordReader`. The whole payload is read and checked before anything is written, so a bad
record anywhere means nothing of the payload is stored, and the write transaction stays short.
"""

from __future__ import annotations

from typing import Any

import orjson

from geoseries.errors import InputRowError, ValidationFailed
from geoseries.ingest.batches import ObservationBatcher
from geoseries.ingest.records import RecordReader
from geoseries.ingest.sources import ndjson_lines
from geoseries.model import Dataset
from geoseries.store import Store

Record = dict[str, Any]


def payload_records(payload: bytes) -> tuple[str, list[tuple[int, Record]]]:
    """What numbers the records ("record" or "line") and the numbered records of a payload.

    Raises ValidationFailed when the payload is none of the accepted forms. Records of an object,
    array or FeatureCollection are numbered by position, NDJSON records by line.
    """
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(f"the payload is not UTF-8: {error}") from error
    if not text.strip():
        raise ValidationFailed("the payload is empty")
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        if "\n" not in text.strip():
            raise ValidationFailed(f"the payload is not JSON: {error}") from error
        return "line", list(ndjson_lines(text.splitlines()))
    if isinstance(document, list):
        items: list[Any] = document
    elif isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise ValidationFailed("the FeatureCollection has no features array", field="features")
        items = features
    elif isinstance(document, dict):
        items = [document]
    else:
        raise ValidationFailed("the payload must be a JSON object, an array or NDJSON lines")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InputRowError(number, "each record must be a JSON object", unit="record")
    return "record", list(enumerate(items, start=1))


def store_payload(store: Store, dataset: Dataset, payload: bytes) -> int:
    """Store a payload in one transaction; returns how many observations or features it wrote.

    Raises ValidationFailed (InputRowError for a bad record) before writing anything, and
    Unavailable when the database cannot be reached (then nothing was committed).
    """
    unit, records = payload_records(payload)
    reader = RecordReader(dataset, unit=unit)
    if not dataset.holds_observations:
        features = [reader.feature(record, number) for number, record in records]
        if not features:
            return 0
        with store.writer() as writer:
            return writer.upsert_features(dataset, features)
    rows = [row for number, record in records for row in reader.observations(record, number)]
    if not rows:
        return 0
    with store.writer() as writer:
        batcher = ObservationBatcher(writer, dataset)
        for key, variable, time, value in rows:
            batcher.add(key, variable, time, value)
        batcher.flush()
        return batcher.written
