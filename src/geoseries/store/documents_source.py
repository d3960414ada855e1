"""Where the fields of a document come from in SQL, and how documents are ordered.

A document query always has `features` in its FROM clause. On an observations dataset it also
has one observation row per (series, time), and `time` is that row's time column (an alias when
the row is read by a correlated subquery). Fields resolve against these columns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Text, case, cast, select

from geoseries.filters import Absent, DocId, Field, GeometryType, Property, Time
from geoseries.model import BBox, Dataset, JSONObject
from geoseries.store import schema as t
from geoseries.store.json_sql import NUMBER, JsonRef, JsonSql


@dataclass(frozen=True, slots=True)
class Source:
    dataset: Dataset
    json_sql: JsonSql
    bbox: Callable[[BBox], ColumnElement[bool]]
    """The store's bbox predicate on `features` (antimeridian-aware)."""
    time: ColumnElement[int] | None
    """The document's time column; None on a stations dataset."""
    variables: frozenset[str] = frozenset()
    """The dataset's variables: properties of that name read the observed value."""

    def at(self, time: ColumnElement[int]) -> Source:
        """The same documents read through another observation row (a correlated alias)."""
        return Source(self.dataset, self.json_sql, self.bbox, time, self.variables)

    def operand(self, field: Property | GeometryType) -> JsonRef:
        """The JSON value of a property or of the geometry's type."""
        f = t.features.c
        if isinstance(field, GeometryType):
            return self.json_sql.lookup(f.geometry, ("type",))
        if self._identifies(field):
            return self.json_sql.identifying(f.properties, field.name, f.id_value)
        stored = self.json_sql.lookup(f.properties, (field.name, *field.path))
        if self.time is None or field.name not in self.variables:
            return stored
        return self._observed(field, stored)

    def _identifies(self, field: Property) -> bool:
        """Whether `field` is the features' `featureId` property, which `features.id_value`
        holds where it is a string (see `schema.id_value`), and not an observed variable."""
        return (
            not field.path
            and field.name == self.dataset.holder_feature_id
            and not (self.time is not None and field.name in self.variables)
        )

    def _observed(self, field: Property, stored: JsonRef) -> JsonRef:
        """A variable's value at the document's time overrides the feature's property."""
        value = self.variable_value(field.name)
        if field.path:  # a number has no members: only the feature's property, when unobserved
            kind, raw, number, text = (
                case((value.is_(None), part))
                for part in (stored.kind, stored.value, stored.number, stored.text)
            )
            return JsonRef(kind, raw, number, text)
        return JsonRef(
            kind=case((value.is_not(None), NUMBER), else_=stored.kind),
            value=case((value.is_not(None), self.json_sql.number_value(value)), else_=stored.value),
            number=case((value.is_not(None), value), else_=stored.number),
            text=case((value.is_(None), stored.text)),
        )

    def variable_value(self, variable: str) -> ColumnElement[Any]:
        """The value of `variable` at the document's (feature, time): two index seeks."""
        assert self.time is not None
        s, o = t.series.alias(), t.observations.alias()
        return (
            select(o.c.value)
            .select_from(s.join(o, o.c.series_id == s.c.id))
            .where(
                s.c.dataset_id == self.dataset.id,
                s.c.feature_id == t.features.c.id,
                s.c.variable == variable,
                o.c.time == self.time,
            )
            .correlate_except(s, o)
            .scalar_subquery()
        )

    def value_keys(self, field: Field) -> list[ColumnElement[Any]]:
        """Columns ordering documents by `field` (MongoDB's order); empty when it cannot vary."""
        match field:
            case Time():
                return [] if self.time is None else [self.time]
            case DocId():
                return self.id_keys()
            case Absent():
                return []
        return self.json_sql.sort_keys(self.operand(field))

    def id_keys(self) -> list[ColumnElement[Any]]:
        """Order of document ids: keys by byte value; observation ids as (feature id, time)."""
        f = t.features.c
        return [f.key] if self.time is None else [f.id, self.time]

    def tie_breakers(self) -> list[ColumnElement[Any]]:
        """Appended to every order so pages are stable: key, or time then feature id."""
        f = t.features.c
        return [f.key] if self.time is None else [self.time, f.id]


FEATURE_JSON_COLUMNS = (
    cast(t.features.c.geometry, Text).label("geometry"),
    cast(t.features.c.properties, Text).label("properties"),
)
"""The feature's geometry and properties as JSON text, for `FeatureJson` to decode. Built
once: each new `Text()` cost SQLAlchemy an introspection of the type to find the statement's
cache key."""


class FeatureJson:
    """Decoded geometry and properties per feature row.

    An observations page repeats each feature on every time step: decoding its JSON once, with
    orjson, instead of once per row through the driver is most of the cost of a page. The
    cache is bounded, so memory stays flat however long the stream.
    """

    LIMIT = 4096

    def __init__(self) -> None:
        self._decoded: dict[int, tuple[JSONObject | None, JSONObject]] = {}

    def __call__(
        self, feature_id: int, geometry: str | None, properties: str
    ) -> tuple[JSONObject | None, JSONObject]:
        found = self._decoded.get(feature_id)
        if found is None:
            if len(self._decoded) >= self.LIMIT:
                self._decoded.clear()
            found = (None if geometry is None else loads_json(geometry), loads_json(properties))
            self._decoded[feature_id] = found
        return found


def loads_json(text: str) -> Any:
    """JSON text read back from the database (orjson; `json` for what orjson refuses)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # e.g. an integer beyond 64 bits, which json reads
        return json.loads(text)
