"""Compile the filter language (`geoseries.filters`) to SQL predicates over documents.

Every predicate is two-valued (never SQL NULL): a missing field makes a leaf false rather than
unknown, so `Not` keeps MongoDB's meaning ("the documents the part refuses"). Leaves on JSON are
wrapped in `... IS TRUE`; leaves on columns that are never NULL (times, ids, keys) are
left bare so the indexes on them stay usable.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true

from geoseries.errors import ValidationFailed
from geoseries.filters import (
    EARTH_RADIUS_M,
    Absent,
    AllOf,
    AnyOf,
    Compare,
    Constant,
    Contains,
    Covers,
    DocId,
    Exists,
    Filter,
    InBoxes,
    Instant,
    Matches,
    Not,
    OneOf,
    Op,
    Scalar,
    Time,
    Within,
)
from geoseries.model import BBox
from geoseries.queries import decode_observation_document_id
from geoseries.store import schema as t
from geoseries.store.documents_source import Source
from geoseries.store.json_sql import NUMBER, STRING, JsonRef
from geoseries.store.schema import ID_VALUE_LENGTH
from geoseries.store.text_fold import compiled_pattern, fold
from geoseries.times import format_time

OPERATORS: dict[Op, Callable[[Any, Any], Any]] = {
    Op.EQ: operator.eq,
    Op.LT: operator.lt,
    Op.LTE: operator.le,
    Op.GT: operator.gt,
    Op.GTE: operator.ge,
}
DEGREE_SLACK = 1e-9
"""Widens the index pre-filter of `Within` beyond any rounding of its bounds (degrees)."""


def compile_filter(source: Source, where: Filter) -> ColumnElement[bool]:
    """The SQL predicate of `where` over the documents of `source`."""
    match where:
        case Compare(field, Op.NE, value):
            return not_(compile_filter(source, Compare(field, Op.EQ, value)))
        case Compare(field, op, value):
            return _compare(source, field, op, value)
        case OneOf(field, values, negate):
            found = _any([_compare(source, field, Op.EQ, value) for value in values])
            return not_(found) if negate else found
        case Exists(field, exists):
            present = _exists(source, field)
            return present if exists else not_(present)
        case Matches(field, pattern):
            return _text_test(source, field, lambda text: _regexp(text, pattern))
        case Contains(field, text, case_sensitive):
            needle = fold(text, case_sensitive=case_sensitive)
            sql = source.json_sql
            return _text_test(
                source,
                field,
                lambda value: (
                    sql.position(sql.fold(value, case_sensitive=case_sensitive), needle) > 0
                ),
            )
        case InBoxes(boxes):
            return _located(_any([source.bbox(box) for box in boxes]))
        case Within(lon, lat, metres):
            distance = haversine(source, lon, lat)
            return _located(and_(_within_band(source, lon, lat, metres), distance <= metres))
        case Covers(lon, lat):
            return _located(source.bbox(BBox(lon, lat, lon, lat)))
        case AllOf(parts):
            return _all([compile_filter(source, part) for part in parts])
        case AnyOf(parts):
            return _any([compile_filter(source, part) for part in parts])
        case Not(part):
            return not_(compile_filter(source, part))
        case Constant(value):
            return true() if value else false()
    raise AssertionError(f"unknown filter {where!r}")


def _all(parts: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return and_(*parts) if parts else true()


def _any(parts: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*parts) if parts else false()


def _known(predicate: ColumnElement[Any]) -> ColumnElement[bool]:
    """`predicate`, false where it is unknown (a missing value).

    `IS TRUE` rather than `coalesce(..., false)`: PostgreSQL estimates `x IS TRUE` by `x`
    itself, while a coalesce looked like a coin flip to it, and a station's week then became a
    scan of every observation.
    """
    return predicate.is_(true())


# -- comparisons ------------------------------------------------------------------------------
def _compare(source: Source, field: Any, op: Op, value: Scalar) -> ColumnElement[bool]:
    compare = OPERATORS[op]
    match field:
        case Time():
            if source.time is None or not isinstance(value, Instant):
                return false()
            return compare(source.time, value.ms)  # type: ignore[no-any-return]
        case DocId():
            return _compare_id(source, compare, value)
        case Absent():
            return false()
    if isinstance(value, Instant):
        value = format_time(value.ms)
    ref = source.operand(field)
    indexed = ref.indexed_text  # NULL where the value is no short string: false, not unknown
    short = isinstance(value, str) and len(value) <= ID_VALUE_LENGTH  # longer: only in the JSON
    if op is Op.EQ and indexed is not None and short:
        return and_(indexed.is_not(None), indexed == value)
    if op is Op.EQ and (equal := source.json_sql.equals(ref, value)) is not None:
        narrowed = source.json_sql.containing(ref, value)  # outside IS TRUE, for the index
        return _known(equal) if narrowed is None else and_(narrowed, _known(equal))
    if isinstance(value, bool):
        kind = "true" if value else "false"
        return _known(and_(ref.kind.in_(("true", "false")), compare(ref.kind, kind)))
    if isinstance(value, str):
        sql = source.json_sql
        return _known(and_(ref.kind == STRING, compare(sql.ordered(ref.text), value)))
    return _known(and_(ref.kind == NUMBER, compare(ref.number, float(value))))


def _compare_id(
    source: Source, compare: Callable[[Any, Any], Any], value: Scalar
) -> ColumnElement[bool]:
    """Ids are text: a key (stations) or 24 hex digits ordered as (feature row id, time)."""
    if not isinstance(value, str):
        return false()
    f = t.features.c
    if source.time is None:
        return compare(f.key, value)  # type: ignore[no-any-return]
    decoded = decode_observation_document_id(value)
    if decoded is None:
        return false()
    feature_id, time = decoded
    if compare is operator.eq:
        return and_(f.id == feature_id, source.time == time)
    strictly = operator.lt if compare in (operator.lt, operator.le) else operator.gt
    return or_(strictly(f.id, feature_id), and_(f.id == feature_id, compare(source.time, time)))


def _exists(source: Source, field: Any) -> ColumnElement[bool]:
    match field:
        case Time():
            return true() if source.time is not None else false()
        case DocId():
            return true()
        case Absent():
            return false()
    return source.operand(field).kind.is_not(None)


def _text_test(
    source: Source, field: Any, test: Callable[[ColumnElement[Any]], ColumnElement[Any]]
) -> ColumnElement[bool]:
    """`test` on the field's text; false unless the field is a string."""
    match field:
        case Time() | Absent():
            return false()
        case DocId():
            if source.time is None:
                return _known(test(t.features.c.key))
            return false()  # the encoded id of an observation document is not stored text
    ref: JsonRef = source.operand(field)
    return _known(and_(ref.kind == STRING, test(ref.text)))


def _regexp(text: ColumnElement[Any], pattern: str) -> ColumnElement[Any]:
    try:
        compiled_pattern(pattern)
    except re.error as error:
        raise ValidationFailed(f"invalid regular expression: {error}", field="pattern") from error
    return text.regexp_match(pattern)


# -- space ------------------------------------------------------------------------------------
def _located(predicate: ColumnElement[bool]) -> ColumnElement[bool]:
    """`predicate` on the feature's bounds, false (not unknown) for a feature without them."""
    return and_(t.features.c.min_lon.is_not(None), predicate)


def haversine(source: Source, lon: float, lat: float) -> ColumnElement[float]:
    """Metres from (lon, lat) to the centre of the feature's bounds, on EARTH_RADIUS_M's sphere.

    The same formula on both backends (and in the tests); NULL for a feature without bounds.
    """
    f = t.features.c
    centre_lon = func.radians((f.min_lon + f.max_lon) / 2)
    centre_lat = func.radians((f.min_lat + f.max_lat) / 2)
    half_dlat = func.sin((centre_lat - math.radians(lat)) / 2)
    half_dlon = func.sin((centre_lon - math.radians(lon)) / 2)
    a = (
        half_dlat * half_dlat
        + math.cos(math.radians(lat)) * func.cos(centre_lat) * half_dlon * half_dlon
    )
    return 2 * EARTH_RADIUS_M * func.asin(func.sqrt(source.json_sql.least(a, 1.0)))


def _within_band(source: Source, lon: float, lat: float, metres: float) -> ColumnElement[bool]:
    """Bounds that can hold a centre within `metres`: a box the spatial index can search."""
    angle = metres / EARTH_RADIUS_M
    dlat = math.degrees(angle) + DEGREE_SLACK
    if dlat >= 180:
        return true()
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if abs(lat) + dlat >= 90:  # the circle holds a pole: every longitude
        return source.bbox(BBox(-180.0, south, 180.0, north))
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat)))))
    dlon += DEGREE_SLACK
    if dlon >= 180:
        return source.bbox(BBox(-180.0, south, 180.0, north))
    west = (lon - dlon + 180) % 360 - 180
    east = (lon + dlon + 180) % 360 - 180
    return source.bbox(BBox(west, south, east, north))
