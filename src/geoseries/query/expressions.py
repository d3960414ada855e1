"""A small evaluator of MongoDB-style aggregation expressions, for custom group accumulators.

Kano's `$group[<name>][<$acc>]=<expr>` (spec/kano.md §5.5, kdk#625, hardened by kdk#1381) adds
accumulators computed over the documents of each aggregation group. Geoseries evaluates them
here, outside the database, so every backend gives the same answer and no client text ever
reaches a query language: only the operators of the allow-list below exist, and each is a
Python function (DECISIONS.md: expressions are evaluated by a safe evaluator, never `eval`).

A document is a dict such as `{"time": <epoch ms>, "properties": {...}, "geometry": {...}}`.
Expressions follow MongoDB's syntax: `"$properties.H"` reads a field (`"$time"` reads the
instant as a UTC `datetime`), other strings and numbers are literals, `{"$op": args}` applies an
operator, lists and other dicts are evaluated element by element. Like MongoDB's null, a missing
field is None; unlike MongoDB, which fails the whole request, an error inside an expression
(division by zero, a date part of a number, an unknown operator) makes that expression None.
Date results are timezone-aware `datetime`s in UTC, for the caller to render.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from geoseries.query.expression_core import (
    EPOCH,
    OPERATORS,
    Document,
    Expression,
    Implementation,
    Null,
    arguments,
    evaluate_raw,
    is_number,
    number,
    numeric,
    optional,
    order,
    plain,
    truthy,
)
from geoseries.query.expression_dates import DATE_OPERATORS, format_date

__all__ = ["ACCUMULATORS", "OPERATORS", "Accumulator", "Expression", "accumulate", "evaluate"]

_INT_TEXT = re.compile(r"[+-]?\d{1,18}")


@dataclass(frozen=True, slots=True)
class Accumulator:
    """`name: {op: expression}` of a MongoDB `$group` stage; `op` is one of ACCUMULATORS."""

    name: str
    op: str
    expression: Expression


def evaluate(expression: Expression, document: Document) -> object:
    """The value of `expression` for one document; None when evaluation fails."""
    try:
        return evaluate_raw(expression, document)
    except (Null, ArithmeticError, ValueError, TypeError, RecursionError):
        return None


def accumulate(accumulator: Accumulator, documents: Sequence[Document]) -> object:
    """The accumulator's value over the documents of one group (in the group's order)."""
    values = [evaluate(accumulator.expression, document) for document in documents]
    reduce = _ACCUMULATE.get(accumulator.op)
    try:
        return None if reduce is None else reduce(values)
    except (Null, TypeError):
        return None


# -- arithmetic ------------------------------------------------------------------------------
def _add(*values: object) -> object:
    if any(value is None for value in values):
        return None
    dates = [value for value in values if isinstance(value, datetime)]
    total = sum(number(value) for value in values if not isinstance(value, datetime))
    if len(dates) > 1:
        raise Null
    return dates[0] + timedelta(milliseconds=total) if dates else total


def _subtract(left: object, right: object) -> object:
    if left is None or right is None:
        return None
    if isinstance(left, datetime):
        if isinstance(right, datetime):
            return (left - right) // timedelta(milliseconds=1)
        return left - timedelta(milliseconds=number(right))
    return number(left) - number(right)


def _mod(left: float, right: float) -> float:
    if right == 0:
        raise Null
    if isinstance(left, int) and isinstance(right, int):
        return int(math.copysign(abs(left) % abs(right), left))  # sign of the dividend
    return math.fmod(left, right)


def _pow(base: float, exponent: float) -> float:
    if isinstance(base, int) and isinstance(exponent, int) and 0 <= exponent <= 1024:
        exact: int = base**exponent
        return exact
    result: object = float(base) ** float(exponent)
    if not isinstance(result, float):  # a negative base with a fractional exponent
        raise Null
    return result


def _rounding(function: Callable[[float], float]) -> Implementation:
    """`$round` / `$trunc`: `[number, place]` or a number; `place` in [-20, 100]."""

    def implementation(raw: Expression, document: Document) -> object:
        values = arguments(raw, document)
        if len(values) not in (1, 2) or any(value is None for value in values):
            return None
        value = number(values[0])
        place = int(number(values[1])) if len(values) == 2 else 0
        if not -20 <= place <= 100:
            raise Null
        scale = 10.0**place
        result = function(value * scale) / scale
        return int(result) if isinstance(value, int) and place <= 0 else result

    return implementation


def _product(*values: float) -> float:
    return math.prod(values)


# -- comparison, logic, conditions -----------------------------------------------------------
def _comparison(test: Callable[[int], bool]) -> Implementation:
    def implementation(raw: Expression, document: Document) -> object:
        left, right = arguments(raw, document, 2)
        a, b = order(left), order(right)
        return test((a > b) - (a < b))

    return implementation


def _cmp(raw: Expression, document: Document) -> object:
    left, right = arguments(raw, document, 2)
    a, b = order(left), order(right)
    return (a > b) - (a < b)


def _cond(raw: Expression, document: Document) -> object:
    if isinstance(raw, dict) and set(raw) == {"if", "then", "else"}:
        test, then, otherwise = raw["if"], raw["then"], raw["else"]
    elif isinstance(raw, list) and len(raw) == 3:
        test, then, otherwise = raw
    else:
        raise Null
    return evaluate_raw(then if truthy(evaluate_raw(test, document)) else otherwise, document)


def _if_null(raw: Expression, document: Document) -> object:
    if not isinstance(raw, list) or len(raw) < 2:
        raise Null
    for item in raw[:-1]:
        value = evaluate_raw(item, document)
        if value is not None:
            return value
    return evaluate_raw(raw[-1], document)


def _switch(raw: Expression, document: Document) -> object:
    if not isinstance(raw, dict) or not isinstance(raw.get("branches"), list):
        raise Null
    for branch in raw["branches"]:
        if not isinstance(branch, dict) or set(branch) != {"case", "then"}:
            raise Null
        if truthy(evaluate_raw(branch["case"], document)):
            return evaluate_raw(branch["then"], document)
    if "default" not in raw:
        raise Null
    return evaluate_raw(raw["default"], document)


# -- conversions -----------------------------------------------------------------------------
def _to_string(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_date("%Y-%m-%dT%H:%M:%S.%LZ", value.astimezone(UTC))
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if is_number(value):
        return repr(value)
    raise Null


def _to_int(value: object) -> int:
    if isinstance(value, str):
        if not _INT_TEXT.fullmatch(value):
            raise Null
        return int(value)
    if isinstance(value, bool):
        return int(value)
    return math.trunc(number(value))


def _to_double(value: object) -> float:
    if isinstance(value, str):
        result = float(value)
        if "_" in value or not math.isfinite(result):
            raise Null
        return result
    if isinstance(value, datetime):
        return float((value - EPOCH) // timedelta(milliseconds=1))
    return float(number(value)) if not isinstance(value, bool) else float(value)


# -- accumulators ----------------------------------------------------------------------------
def _sum(values: Sequence[object]) -> object:
    return sum(value for value in values if is_number(value))  # type: ignore[misc]


def _avg(values: Sequence[object]) -> object:
    numbers = [number(value) for value in values if is_number(value)]
    return sum(numbers) / len(numbers) if numbers else None


def _extreme(pick: Callable[..., object]) -> Callable[[Sequence[object]], object]:
    def reduce(values: Sequence[object]) -> object:
        present = [value for value in values if value is not None]
        return pick(present, key=order) if present else None

    return reduce


_ACCUMULATE: Mapping[str, Callable[[Sequence[object]], object]] = {
    "$sum": _sum,
    "$avg": _avg,
    "$first": lambda values: values[0] if values else None,
    "$last": lambda values: values[-1] if values else None,
    "$max": _extreme(max),
    "$min": _extreme(min),
}
ACCUMULATORS = frozenset(_ACCUMULATE)
"""The `$group` accumulators a client may use (§5.5)."""


def _array_form(reduce: Callable[[Sequence[object]], object]) -> Implementation:
    """An accumulator used as an expression: over one array argument, or over its arguments."""

    def implementation(raw: Expression, document: Document) -> object:
        values = arguments(raw, document)
        if len(values) == 1 and isinstance(values[0], list):
            values = values[0]
        return reduce(values)

    return implementation


def _element(index: int) -> Implementation:
    """`$first` / `$last` as expressions: an element of an array (null for null or [])."""

    def implementation(raw: Expression, document: Document) -> object:
        (value,) = arguments(raw, document, 1)
        if value is None:
            return None
        if not isinstance(value, list):
            raise Null
        return value[index] if value else None

    return implementation


OPERATORS.update(
    {
        "$add": plain(_add, None),
        "$subtract": plain(_subtract, 2),
        "$multiply": numeric(_product, None),
        "$divide": numeric(lambda left, right: left / right, 2),
        "$mod": numeric(_mod, 2),
        "$abs": numeric(abs, 1),
        "$ceil": numeric(math.ceil, 1),
        "$floor": numeric(math.floor, 1),
        "$round": _rounding(round),
        "$trunc": _rounding(math.trunc),
        "$sqrt": numeric(math.sqrt, 1),
        "$pow": numeric(_pow, 2),
        "$exp": numeric(math.exp, 1),
        "$ln": numeric(math.log, 1),
        "$log": numeric(math.log, 2),
        "$log10": numeric(math.log10, 1),
        "$eq": _comparison(lambda sign: sign == 0),
        "$ne": _comparison(lambda sign: sign != 0),
        "$gt": _comparison(lambda sign: sign > 0),
        "$gte": _comparison(lambda sign: sign >= 0),
        "$lt": _comparison(lambda sign: sign < 0),
        "$lte": _comparison(lambda sign: sign <= 0),
        "$cmp": _cmp,
        "$and": plain(lambda *values: all(truthy(value) for value in values), None),
        "$or": plain(lambda *values: any(truthy(value) for value in values), None),
        "$not": plain(lambda value: not truthy(value), 1),
        "$cond": _cond,
        "$ifNull": _if_null,
        "$switch": _switch,
        "$toString": optional(_to_string),
        "$toInt": optional(_to_int),
        "$toDouble": optional(_to_double),
        **DATE_OPERATORS,
        "$sum": _array_form(_sum),
        "$avg": _array_form(_avg),
        "$max": _array_form(_ACCUMULATE["$max"]),
        "$min": _array_form(_ACCUMULATE["$min"]),
        "$first": _element(0),
        "$last": _element(-1),
    }
)
"""Every expression operator a client may use: §5.5's allow-list (accumulators included, in
their MongoDB expression forms)."""
