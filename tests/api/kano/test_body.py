"""Kano request bodies -> document inputs and patches (no database)."""

from __future__ import annotations

import orjson
import pytest

from geoseries.api.dialects.kano.body import document_patch, documents_to_create
from geoseries.errors import ValidationFailed


def dumps(value: object) -> bytes:
    return orjson.dumps(value)


def test_one_document_or_an_array() -> None:
    one, many = documents_to_create(dumps({"time": "2023-06-20T09:20:00Z", "properties": {}}))
    assert not many
    assert one[0].time == 1687252800000
    docs, many = documents_to_create(dumps([{"_id": "a"}, {"time": 5}]))
    assert many
    assert [d.id for d in docs] == ["a", None]
    assert [d.where for d in docs] == ["[0].", "[1]."]
    assert docs[1].time == 5
    assert one[0].where == ""
    assert [d.properties for d in docs] == [{}, {}]  # absent properties are empty
    assert [d.geometry for d in docs] == [None, None]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"", "body"),
        (b"{", "body"),
        (b"[]", "body"),
        (b"3", "body"),
        (b"[3]", "[0].body"),
        (dumps({"type": "Point"}), "type"),
        (dumps({"_id": 3}), "_id"),
        (dumps({"time": "soon"}), "time"),
        (dumps({"time": True}), "time"),
        (dumps({"time": 10**17}), "time"),
        (dumps({"properties": []}), "properties"),
        (dumps({"properties": None}), "properties"),
        (dumps({"geometry": "here"}), "geometry"),
        (dumps({"layer": "x"}), "layer"),
        (dumps([{"time": 1}, {"time": "soon"}]), "[1].time"),
        (dumps([{}, {}, {"properties": None}]), "[2].properties"),
        (dumps([{}, {"geometry": 1}]), "[1].geometry"),
        (dumps([{}, {"_id": 1}]), "[1]._id"),
        (dumps([{}, {"type": "x"}]), "[1].type"),
        (dumps([{}, {"b": 1, "a": 2}]), "[1].a"),
    ],
)
def test_bad_documents_name_the_member(body: bytes, field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        documents_to_create(body)
    assert raised.value.field == field


def test_patch_sets_members_like_mongodb_set() -> None:
    change = document_patch(dumps({"properties.name": "x", "geometry": None}))
    assert change.properties == {"name": "x"}
    assert not change.replace_properties
    assert change.set_geometry
    assert change.geometry is None
    whole = document_patch(dumps({"properties": {"a": 1}, "properties.b": 2}))
    assert whole.replace_properties
    assert whole.properties == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (dumps([1]), "body"),
        (dumps({"_id": "x"}), "_id"),
        (dumps({"time": 1}), "time"),
        (dumps({"level": 1}), "level"),
        (dumps({"properties": 1}), "properties"),
    ],
)
def test_bad_patches(body: bytes, field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        document_patch(body)
    assert raised.value.field == field
