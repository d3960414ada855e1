"""The core of the expression evaluator: values, field paths, null and operator plumbing.

See `geoseries.query.expressions` for the language. Operators live in that module (and dates
in `expression_dates`); they register in `OPERATORS`, which evaluation reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

Expression = Any
"""JSON-like: str, int, float, bool, None, lists and dicts of expressions."""

Document = Mapping[str, Any]
Implementation = Callable[[Expression, Document], object]

OPERATORS: dict[str, Implementation] = {}
"""Every expression operator, filled by `expressions` (and `expression_dates`) at import."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Null(Exception):
    """Evaluation yields null (MongoDB would raise an error or return null)."""


# -- values ----------------------------------------------------------------------------------
def evaluate_raw(expression: Expression, document: Document) -> object:
    if isinstance(expression, str):
        if expression.startswith("$$"):
            raise Null  # system variables ($$ROOT, $$NOW...) are not supported
        return field(document, expression[1:]) if expression.startswith("$") else expression
    if isinstance(expression, list):
        return [evaluate_raw(item, document) for item in expression]
    if isinstance(expression, dict):
        keys = list(expression)
        if len(keys) == 1 and keys[0].startswith("$"):
            implementation = OPERATORS.get(keys[0])
            if implementation is None:
                raise Null
            return implementation(expression[keys[0]], document)
        if any(key.startswith("$") for key in keys):
            raise Null
        return {key: evaluate_raw(value, document) for key, value in expression.items()}
    return expression


def field(document: Document, path: str) -> object:
    """The value at a dotted path (None when missing); `time` in ms becomes a datetime."""
    value: object = document
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    if path == "time" and is_number(value):
        return EPOCH + timedelta(milliseconds=float(value))  # type: ignore[arg-type]
    return value


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(value: object) -> float:
    if not is_number(value):
        raise Null
    return value  # type: ignore[return-value]


def date(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise Null
    return value


def truthy(value: object) -> bool:
    """MongoDB's truth: false, null, missing and 0 are false; everything else is true."""
    return not (value is None or value is False or (is_number(value) and value == 0))


def order(value: object) -> tuple[int, Any]:
    """BSON comparison order: null < numbers < strings < objects < arrays < booleans < dates."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (5, value)
    if is_number(value):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, dict):
        return (3, tuple((key, order(item)) for key, item in value.items()))
    if isinstance(value, list):
        return (4, tuple(order(item) for item in value))
    if isinstance(value, datetime):
        return (6, value)
    raise Null


# -- operator plumbing -----------------------------------------------------------------------


def arguments(raw: Expression, document: Document, count: int | None = None) -> list[object]:
    items = raw if isinstance(raw, list) else [raw]
    if count is not None and len(items) != count:
        raise Null
    return [evaluate_raw(item, document) for item in items]


def numeric(function: Callable[..., object], count: int | None) -> Implementation:
    """An operator on numbers: null if any argument is null, an error if one is not a number."""

    def implementation(raw: Expression, document: Document) -> object:
        values = arguments(raw, document, count)
        if any(value is None for value in values):
            return None
        return function(*(number(value) for value in values))

    return implementation


def plain(function: Callable[..., object], count: int | None) -> Implementation:
    def implementation(raw: Expression, document: Document) -> object:
        return function(*arguments(raw, document, count))

    return implementation


def optional(function: Callable[[Any], object]) -> Implementation:
    """A one-argument operator that maps null to null."""

    def implementation(raw: Expression, document: Document) -> object:
        (value,) = arguments(raw, document, 1)
        return None if value is None else function(value)

    return implementation
