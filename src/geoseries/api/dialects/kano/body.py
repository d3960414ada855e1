"""Kano request bodies -> core document inputs (`POST` and `PATCH /api/<dataset>[/<id>]`).

A `POST` body is one GeoJSON-like feature or an array of them: `{_id?, type?: "Feature",
time?, geometry?, properties?}`, `time` as ISO 8601 (naive = UTC) or epoch milliseconds. A
`PATCH` body sets top-level members as MongoDB's `$set` does (which Feathers' adapter uses):
`properties` replaces every property, `properties.<name>` one of them, `geometry` the geometry.
Unknown members are refused rather than silently dropped: Geoseries keeps no free-form
top-level fields.
"""

from __future__ import annotations

from typing import Any

import orjson

from geoseries.errors import ValidationFailed
from geoseries.model import JSONObject
from geoseries.query.feature_writes import DocumentInput, DocumentPatch, document_where
from geoseries.times import EARLIEST, LATEST, parse_time

MEMBERS = frozenset({"_id", "type", "time", "geometry", "properties"})


def documents_to_create(body: bytes) -> tuple[list[DocumentInput], bool]:
    """The documents of a POST body, and whether it was an array (the answer mirrors it)."""
    parsed = _json(body)
    if isinstance(parsed, dict):
        return [_document(parsed, None)], False
    if isinstance(parsed, list):
        if not parsed:
            raise ValidationFailed("the array of documents is empty", field="body")
        return [_document(item, n) for n, item in enumerate(parsed)], True
    raise ValidationFailed("the body must be a JSON object or an array of objects", field="body")


def document_patch(body: bytes) -> DocumentPatch:
    parsed = _json(body)
    if not isinstance(parsed, dict):
        raise ValidationFailed("a patch is a JSON object", field="body")
    properties: JSONObject = {}
    replace = False
    set_geometry = False
    geometry: JSONObject | None = None
    for name, value in parsed.items():
        if name == "properties":
            properties = {**_object(value, "properties"), **properties}
            replace = True
        elif name.startswith("properties.") and len(name) > len("properties."):
            properties[name.removeprefix("properties.")] = value
        elif name == "geometry":
            set_geometry = True
            geometry = None if value is None else _object(value, "geometry")
        elif name in ("_id", "type", "time"):
            raise ValidationFailed(f"{name} cannot be patched", field=name)
        else:
            raise ValidationFailed(f"unknown member {name!r}", field=name)
    return DocumentPatch(properties, replace, set_geometry, geometry)


def _json(body: bytes) -> Any:
    if not body.strip():
        raise ValidationFailed("the body is empty", field="body")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ValidationFailed(f"the body is not JSON: {error}", field="body") from error


def _document(item: Any, index: int | None) -> DocumentInput:
    """Hot: a bulk POST reads thousands. Field names for errors are made only on an error."""
    if not isinstance(item, dict):
        raise ValidationFailed("a document is a JSON object", field=_field(index, "body"))
    if not MEMBERS.issuperset(item):
        name = sorted(item.keys() - MEMBERS)[0]
        raise ValidationFailed(f"unknown member {name!r}", field=_field(index, name))
    if item.get("type", "Feature") != "Feature":
        raise ValidationFailed('type must be "Feature"', field=_field(index, "type"))
    identifier = item.get("_id")
    if identifier is not None and not isinstance(identifier, str):
        raise ValidationFailed("_id must be a string", field=_field(index, "_id"))
    geometry = item.get("geometry")
    if geometry is not None and not isinstance(geometry, dict):
        _object(geometry, _field(index, "geometry"))
    properties = item.get("properties")
    if not isinstance(properties, dict):
        if properties is not None or "properties" in item:  # absent is empty, null is not
            _object(properties, _field(index, "properties"))
        properties = {}
    return DocumentInput(index, identifier, _time(item.get("time"), index), geometry, properties)


def _field(index: int | None, name: str) -> str:
    """A member's name in errors: `[3].time` for the fourth document of an array."""
    return f"{document_where(index)}{name}"


def _time(value: Any, index: int | None) -> int | None:
    if value is None:
        return None
    if type(value) is int and EARLIEST <= value <= LATEST:  # not a bool, whose type is bool
        return value
    if isinstance(value, str):
        try:
            return parse_time(value)
        except (ValueError, OverflowError):
            pass
    raise ValidationFailed(
        f"time must be ISO 8601 or epoch milliseconds, got {value!r}", field=_field(index, "time")
    )


def _object(value: Any, where: str) -> JSONObject:
    if not isinstance(value, dict):
        raise ValidationFailed(f"{where} must be a JSON object", field=where)
    return value
