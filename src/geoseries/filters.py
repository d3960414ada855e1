"""The dialect-neutral filter language: what a query asks of each document, before any SQL.

A leaf module (like `model`), so the store can take these objects as arguments.

A *document* is what a features API lists: a feature of a stations dataset, or one time step of
one feature of an observations dataset (its variables' values at that instant, see
`geoseries.queries`). Dialects parse their syntax into these objects; the store compiles
them to SQL on every backend. Semantics follow MongoDB's, which the Kano dialect exposes:

- a comparison on a field a document lacks is false (`NE` and `NIN` are then true);
- values are typed: a number never equals a string, an `Instant` compares with times (and with
  ISO 8601 text rendered as `2023-06-20T09:20:00.000Z`);
- `LT`/`LTE`/`GT`/`GTE` compare values of the same type only (numbers with numbers, text with
  text, instants with times).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from geoseries.model import BBox


@dataclass(frozen=True, slots=True)
class Instant:
    """A UTC instant in milliseconds since the epoch, as a filter value."""

    ms: int


Scalar = str | float | bool | Instant
"""A typed filter value. `int` is accepted where `float` is (numbers compare by value)."""


# -- fields ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DocId:
    """The document's identifier (`_id`)."""


@dataclass(frozen=True, slots=True)
class Time:
    """The document's instant; absent on documents of a stations dataset."""


@dataclass(frozen=True, slots=True)
class Property:
    """`properties.<name>[.<path>...]`. On an observations dataset a variable's name reads the
    document's value of that variable (a number)."""

    name: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GeometryType:
    """`geometry.type`: `Point`, `Polygon`, ... (absent when the feature has no geometry)."""


@dataclass(frozen=True, slots=True)
class Absent:
    """A field no document has (e.g. `level`): every comparison on it is false."""

    name: str


Field = DocId | Time | Property | GeometryType | Absent


# -- conditions ------------------------------------------------------------------------------
class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"


@dataclass(frozen=True, slots=True)
class Compare:
    """`field <op> value`. `EQ` on a missing field is false, `NE` true."""

    field: Field
    op: Op
    value: Scalar


@dataclass(frozen=True, slots=True)
class OneOf:
    """`field` equals one of `values` (`negate`: equals none of them, or is missing)."""

    field: Field
    values: tuple[Scalar, ...]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Exists:
    field: Field
    exists: bool = True


@dataclass(frozen=True, slots=True)
class Matches:
    """`field` is text matching the regular expression `pattern` (Python `re` syntax subset
    that PostgreSQL's `~` shares: classes, anchors, alternation, repetition)."""

    field: Field
    pattern: str


@dataclass(frozen=True, slots=True)
class Contains:
    """`field` is text containing `text`, ignoring accents and, unless `case_sensitive`, case."""

    field: Field
    text: str
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class InBoxes:
    """The feature's bounding box intersects one of `boxes` (a box with `west > east` crosses
    the antimeridian: [west, 180] and [-180, east]). Edges are constant lat/lon lines."""

    boxes: tuple[BBox, ...]


@dataclass(frozen=True, slots=True)
class Within:
    """The feature lies within `metres` of (lon, lat): haversine on a sphere of radius
    6 378 137 m, measured from the centre of the feature's bounding box."""

    lon: float
    lat: float
    metres: float


@dataclass(frozen=True, slots=True)
class Covers:
    """The feature's bounding box contains the point (lon, lat)."""

    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The documents `part` refuses (including those lacking the fields it tests)."""

    part: Filter


@dataclass(frozen=True, slots=True)
class Constant:
    """A filter decided while parsing (e.g. `type=Feature` is always true)."""

    value: bool


Filter = (
    Compare
    | OneOf
    | Exists
    | Matches
    | Contains
    | InBoxes
    | Within
    | Covers
    | AllOf
    | AnyOf
    | Not
    | Constant
)

EVERYTHING: Filter = AllOf(())
"""The filter every document passes."""

EARTH_RADIUS_M = 6_378_137.0
"""The sphere of proximity queries (spec/kano.md §3.2, MongoDB's `$centerSphere`)."""


def all_of(*parts: Filter) -> Filter:
    """The conjunction of `parts`, flattened: `all_of()` is EVERYTHING, one part is itself."""
    flat: list[Filter] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, AllOf) else (part,))
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat))
