"""How each backend reads a JSON value and folds text: the only dialect-specific SQL of the
document queries (see `filter_sql`).

A JSON value is described by two expressions: its *kind* and its raw *value*. Kinds are
normalized across backends to `null`, `true`, `false`, `number`, `string`, `array`, `object`,
and SQL NULL when the value is missing, so every typed comparison is written once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.expression import FromClause, TableClause

from geoseries.store.text_fold import ACCENTED, FOLD_FUNCTION, PLAIN

NUMBER = "number"
STRING = "string"
TEXT_KINDS = (STRING, "array", "object")
SQLITE_RANKS = {
    "null": 0,
    "integer": 1,
    "real": 1,
    "text": 2,
    "object": 3,
    "array": 4,
    "false": 5,
    "true": 6,
}
"""SQLite's `json_type`s in MongoDB's order of kinds (RANKS)."""
RANKS = {"null": 0, NUMBER: 1, STRING: 2, "object": 3, "array": 4, "false": 5, "true": 6}
"""MongoDB's order of kinds: missing and null first, numbers, strings, then the rest."""
RANK_KINDS = tuple(sorted(RANKS, key=RANKS.__getitem__))
"""The kind of each rank."""
"""Kinds whose `text` is meaningful (and ordered by byte value)."""


@dataclass(frozen=True, slots=True)
class JsonRef:
    """A JSON value inside a column: its normalized kind, raw value, number and text."""

    kind: ColumnElement[Any]
    value: ColumnElement[Any]
    number: ColumnElement[Any]
    """The value as a double when it is a number, else NULL."""
    text: ColumnElement[Any]
    """The value as text when it is a string (or JSON text of an array/object), else NULL."""
    node: ColumnElement[Any] | None = None
    """The JSON value itself, where the backend can compare it whole (PostgreSQL's jsonb)."""
    rank: ColumnElement[Any] | None = None
    """The kind's rank in RANKS order, where the backend computes it more cheaply than from
    `kind` (one simple CASE on the backend's own type name instead of one test per kind)."""
    json_type: ColumnElement[Any] | None = None
    """SQLite's own `json_type` of the value, for the cheap typed equality of `equals`."""
    column: ColumnElement[Any] | None = None
    """The JSON column the value was looked up in, and `path` in it: PostgreSQL's `equals`
    adds a containment test that its GIN index on the column answers."""
    path: tuple[str, ...] = ()
    indexed_text: ColumnElement[Any] | None = None
    """An indexed text column holding the value wherever it is a short string, NULL elsewhere
    (`features.id_value`, see `JsonSql.identifying`): string equality reads its index."""


class JsonSql(ABC):
    """The SQL each backend needs; subclasses implement it for SQLite and PostgreSQL."""

    LOOKUPS = 1024
    """How many (column, path) expressions `lookup` and `identifying` keep."""

    def __init__(self) -> None:
        self._lookups: dict[tuple[int, int, tuple[str, ...]], tuple[Any, JsonRef]] = {}
        """(id of the JSON column, id of the `identifying` text column or 0, path) -> (the
        columns, held so their ids stay theirs; the expressions)."""

    def lookup(self, column: ColumnElement[Any], path: tuple[str, ...]) -> JsonRef:
        """The JSON value at `path` in `column`. Built once per (column, path): SQLAlchemy
        expressions are immutable, and building these was a good part of a small query's
        time."""
        key = (id(column), 0, path)
        found = self._lookups.get(key)
        if found is not None and found[0] is column:  # the id of a column no longer held
            return found[1]
        return self._remember(key, column, self._lookup(column, path))

    def _remember(self, key: tuple[int, int, tuple[str, ...]], held: Any, ref: JsonRef) -> JsonRef:
        if len(self._lookups) >= self.LOOKUPS:
            self._lookups.clear()
        self._lookups[key] = (held, ref)
        return ref

    @abstractmethod
    def _lookup(self, column: ColumnElement[Any], path: tuple[str, ...]) -> JsonRef:
        """Each backend's own SQL."""

    def identifying(
        self, column: ColumnElement[Any], name: str, id_value: ColumnElement[Any]
    ) -> JsonRef:
        """The top-level property `name` of `column`, read from the text column `id_value`
        where that holds it (the feature's `featureId` when it is a string, see
        `schema.id_value`) and from the JSON elsewhere: orders and group keys on a dataset's
        `featureId` then skip the JSON functions (two per point of a station's week). Built
        once per (column, id_value, name), as `lookup`."""
        key = (id(column), id(id_value), (name,))
        found = self._lookups.get(key)
        if found is not None:
            held_column, held_id_value = found[0]
            if held_column is column and held_id_value is id_value:
                return found[1]
        stored = self.lookup(column, (name,))
        held = id_value.is_not(None)
        rank = stored.rank
        if rank is None:
            rank = case(*((stored.kind == kind, n) for kind, n in RANKS.items()), else_=0)
        ref = JsonRef(
            kind=case((held, literal(STRING)), else_=stored.kind),
            value=case((held, id_value), else_=stored.value),
            number=case((id_value.is_(None), stored.number)),
            text=case((held, id_value), else_=stored.text),
            node=stored.node,  # whole-value comparisons keep reading the JSON
            rank=case((held, RANKS[STRING]), else_=rank),
            json_type=(
                None
                if stored.json_type is None
                else case((held, literal("text")), else_=stored.json_type)
            ),
            column=stored.column,
            path=stored.path,
            indexed_text=id_value,
        )
        return self._remember(key, (column, id_value), ref)

    def ordered(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        """`text` compared by code point (UTF-8 byte order), as SQLite always does."""
        return text

    def equals(self, ref: JsonRef, value: str | float | bool) -> ColumnElement[Any] | None:
        """A simpler test of `ref = value` (same type, same value), or None for the generic one.

        Worth it where the planner estimates a plain equality better than a chain of CASEs.
        """
        return None

    def containing(self, ref: JsonRef, value: str | float | bool) -> ColumnElement[Any] | None:
        """A test true wherever `ref = value` is (never unknown), which an index can answer:
        added to the equality to narrow the rows it reads. None where there is none."""
        return None

    @abstractmethod
    def fold(self, text: ColumnElement[Any], *, case_sensitive: bool) -> ColumnElement[Any]:
        """Each backend's own SQL."""

    @abstractmethod
    def collected(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        """An aggregate: the group's `text` values as a list (None or [] for no rows)."""

    @abstractmethod
    def position(self, haystack: ColumnElement[Any], needle: str) -> ColumnElement[Any]:
        """Each backend's own SQL."""

    @abstractmethod
    def least(self, a: ColumnElement[Any], b: float) -> ColumnElement[Any]:
        """Each backend's own SQL."""

    def number_value(self, number: ColumnElement[Any]) -> ColumnElement[Any]:
        """A double as a raw JSON value (what `JsonRef.value` holds for a number)."""
        return number

    def sort_keys(self, ref: JsonRef) -> list[ColumnElement[Any]]:
        """(rank of kind, number, text): MongoDB-like order of JSON values of any kind."""
        rank = ref.rank
        if rank is None:
            rank = case(*((ref.kind == kind, n) for kind, n in RANKS.items()), else_=0)
        return [rank, ref.number, self.ordered(ref.text)]

    def group_keys(self, ref: JsonRef) -> list[ColumnElement[Any]]:
        """Columns ordering values as `sort_keys` does, the last one the raw value, which
        `group_value` reads back with the rank: grouping sorts by them."""
        rank, number, _ = self.sort_keys(ref)
        return [rank, number, self.ordered(ref.value)]

    def group_value(self, keys: Sequence[Any]) -> object:
        """The value whose `group_keys` were read as `keys`."""
        return decode(RANK_KINDS[keys[0]], keys[-1])

    def once_per_row_of(
        self, table: TableClause, columns: Sequence[Label[Any]]
    ) -> tuple[list[ColumnElement[Any]], FromClause]:
        """`columns` (expressions on `table`'s columns) computed once per row of `table`, not
        once per row of what `table` is joined to, and what to select them from in its place.
        SQLite has no LATERAL: the columns as they are, from `table`."""
        return list(columns), table


def decode(kind: str | None, value: object) -> object:
    """The Python value of a (kind, raw value) pair read back from either backend."""
    if kind is None or kind == "null":
        return None
    if kind in ("true", "false"):
        return kind == "true"
    if kind == STRING or not isinstance(value, str):
        return value
    return orjson.loads(value)  # numbers as text (PostgreSQL), arrays and objects


class SqliteJson(JsonSql):
    def _lookup(self, column: ColumnElement[Any], path: tuple[str, ...]) -> JsonRef:
        if any('"' in key or "\x00" in key for key in path):  # what a quoted label cannot hold
            return self._walk(column, path)
        where = "$" + "".join(f'."{key}"' for key in path)
        return self._ref(func.json_type(column, where), func.json_extract(column, where))

    def _walk(self, column: ColumnElement[Any], path: tuple[str, ...]) -> JsonRef:
        """Keys SQLite's path syntax cannot quote, reached through `json_each`."""
        value: ColumnElement[Any] = column
        kind: ColumnElement[Any] = func.json_type(column)
        for key in path:
            each = func.json_each(value).table_valued("key", "value", "type")
            value = select(each.c.value).where(each.c.key == key).scalar_subquery()
            kind = select(each.c.type).where(each.c.key == key).scalar_subquery()
        return self._ref(kind, value)

    def _ref(self, json_type: ColumnElement[Any], value: ColumnElement[Any]) -> JsonRef:
        """Simple CASEs (`CASE json_type(...) WHEN ...`): SQLite evaluates the JSON function
        once per row instead of once per WHEN, which the week of a station feels."""
        return JsonRef(
            kind=case(
                {"integer": NUMBER, "real": NUMBER, "text": STRING},
                value=json_type,
                else_=json_type,
            ),
            value=value,
            number=case({"integer": value, "real": value}, value=json_type),
            text=case({"text": value, "array": value, "object": value}, value=json_type),
            rank=case(SQLITE_RANKS, value=json_type, else_=0),
            json_type=json_type,
        )

    def equals(self, ref: JsonRef, value: str | float | bool) -> ColumnElement[Any] | None:
        """Typed equality on SQLite's own types: one `json_type`, one `json_extract`."""
        if ref.json_type is None:
            return None
        if isinstance(value, bool):
            return ref.json_type == ("true" if value else "false")
        if isinstance(value, str):
            return and_(ref.json_type == "text", ref.value == value)
        return and_(ref.json_type.in_(("integer", "real")), ref.value == float(value))

    def collected(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.json_group_array(text, type_=JSON)

    def fold(self, text: ColumnElement[Any], *, case_sensitive: bool) -> ColumnElement[Any]:
        return getattr(func, FOLD_FUNCTION)(text, int(case_sensitive))  # type: ignore[no-any-return]

    def position(self, haystack: ColumnElement[Any], needle: str) -> ColumnElement[Any]:
        return func.instr(haystack, needle)

    def least(self, a: ColumnElement[Any], b: float) -> ColumnElement[Any]:
        return func.min(a, b)

    def group_keys(self, ref: JsonRef) -> list[ColumnElement[Any]]:
        """(rank, value): two JSON calls per row. Within one rank SQLite's own order of
        `json_extract` values is MongoDB's (numbers by value, strings by bytes)."""
        if ref.rank is None:
            return super().group_keys(ref)
        return [ref.rank, ref.value]


class PostgresJson(JsonSql):
    def _lookup(self, column: ColumnElement[Any], path: tuple[str, ...]) -> JsonRef:
        keys = [literal(key, Text) for key in path]
        node = func.jsonb_extract_path(column, *keys, type_=JSONB)
        json_type = func.jsonb_typeof(node, type_=Text)
        value = func.jsonb_extract_path_text(column, *keys, type_=Text)
        return JsonRef(
            kind=case((json_type == "boolean", value), else_=json_type),
            value=value,
            number=case((json_type == NUMBER, cast(value, Float))),
            text=case((json_type.in_(TEXT_KINDS), value)),
            node=node,
            column=column,
            path=path,
            rank=case(  # a simple CASE: one jsonb_typeof per row, not one per kind
                {kind: rank for kind, rank in RANKS.items() if kind not in ("true", "false")},
                value=json_type,
                else_=case(
                    (value == "true", RANKS["true"]),
                    (json_type == "boolean", RANKS["false"]),
                    else_=RANKS["null"],
                ),
            ),
        )

    def equals(self, ref: JsonRef, value: str | float | bool) -> ColumnElement[Any] | None:
        """jsonb equality is typed: "1" is not 1, and 1 = 1.0 as numbers."""
        if ref.node is None:
            return None
        kind = Boolean if isinstance(value, bool) else Text if isinstance(value, str) else Float
        return ref.node == func.to_jsonb(literal(value, kind), type_=JSONB)

    def containing(self, ref: JsonRef, value: str | float | bool) -> ColumnElement[Any] | None:
        """`properties @> {"code": v}` for a string or a boolean, which the GIN index on
        features' properties answers instead of reading every feature. Numbers are left out:
        `equals` compares the double's 15-digit numeric, this would compare the JSON text's.
        Top-level keys only: deeper, a key may be an array's index, which containment is not."""
        if ref.column is None or len(ref.path) != 1 or not isinstance(value, str | bool):
            return None
        document = cast(literal(orjson.dumps({ref.path[0]: value}).decode(), Text), JSONB)
        return ref.column.op("@>")(document)

    def ordered(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return text.collate("C")

    def collected(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.array_agg(text)

    def fold(self, text: ColumnElement[Any], *, case_sensitive: bool) -> ColumnElement[Any]:
        plain = func.translate(text, ACCENTED, PLAIN, type_=Text)
        return plain if case_sensitive else func.lower(plain, type_=Text)

    def position(self, haystack: ColumnElement[Any], needle: str) -> ColumnElement[Any]:
        return func.strpos(haystack, literal(needle, Text), type_=Integer)

    def least(self, a: ColumnElement[Any], b: float) -> ColumnElement[Any]:
        return func.least(a, b, type_=Float)

    def number_value(self, number: ColumnElement[Any]) -> ColumnElement[Any]:
        """float8 as text is the shortest text that reads back as the same double (PG 12+)."""
        return cast(number, Text)

    def once_per_row_of(
        self, table: TableClause, columns: Sequence[Label[Any]]
    ) -> tuple[list[ColumnElement[Any]], FromClause]:
        """A LATERAL subquery on `table`: a station's week, grouped by a property, computed the
        group keys on each of its 2,000 rows and sorted by them (bench/kano_queries.py).
        OFFSET 0 keeps the planner from pulling the expressions back up into the join."""
        per_row = select(*columns).correlate(table).offset(0).lateral(f"{table.name}_once")
        return [per_row.c[column.name] for column in columns], table.join(per_row, true())
