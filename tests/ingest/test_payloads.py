"""Reading MQTT payloads: the accepted forms and the errors that drop a message."""

from __future__ import annotations

import orjson
import pytest

from geoseries.errors import InputRowError, ValidationFailed
from geoseries.ingest.payloads import payload_records, store_payload
from geoseries.model import DatasetKind, DatasetSpec
from geoseries.store import Store

ROW = {"station": "A", "time": "2024-01-01T00:00:00Z", "H": 1.5}


def test_one_object_is_one_record() -> None:
    assert payload_records(orjson.dumps(ROW)) == ("record", [(1, ROW)])


def test_an_array_numbers_records_by_position() -> None:
    unit, records = payload_records(orjson.dumps([ROW, {**ROW, "H": 2}]))
    assert unit == "record"
    assert [(n, r["H"]) for n, r in records] == [(1, 1.5), (2, 2)]


def test_a_feature_collection_yields_its_features() -> None:
    feature = {"type": "Feature", "geometry": None, "properties": ROW}
    payload = orjson.dumps({"type": "FeatureCollection", "features": [feature, feature]})
    assert payload_records(payload) == ("record", [(1, feature), (2, feature)])


def test_ndjson_numbers_records_by_line_and_skips_blank_lines() -> None:
    payload = b"\n".join([orjson.dumps(ROW), b"", orjson.dumps({**ROW, "H": 3})]) + b"\n"
    unit, records = payload_records(payload)
    assert unit == "line"
    assert [(n, r["H"]) for n, r in records] == [(1, 1.5), (3, 3)]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "the payload is empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{not json", "not JSON"),
        (b"42", "must be a JSON object"),
        (b'{"type": "FeatureCollection", "features": 3}', "no features array"),
        (b"[{}, 3]", "record 2: each record must be a JSON object"),
        (b'{"a": 1}\n[1]', "line 2: each line must be a JSON object"),
        (b'{"a": 1}\n{nope', "line 2: invalid JSON"),
    ],
)
def test_unreadable_payloads_are_refused(payload: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        payload_records(payload)


def test_a_bad_record_in_an_array_is_cited_by_position_and_nothing_is_written(store: Store) -> None:
    store.create_dataset(DatasetSpec("stations", feature_id="station"))
    hydro = store.create_dataset(
        DatasetSpec(
            "hydro",
            kind=DatasetKind.OBSERVATIONS,
            feature_id="station",
            variables=("H",),
            stations="stations",
        )
    )
    payload = orjson.dumps([ROW, {**ROW, "H": "high"}])
    with pytest.raises(InputRowError, match=r"^record 2: H must be a finite number") as raised:
        store_payload(store, hydro, payload)
    assert raised.value.field == "H"
    assert store.count_observations(hydro) == 0
    assert store_payload(store, hydro, orjson.dumps([ROW])) == 1
    assert store_payload(store, hydro, b"[]") == 0
