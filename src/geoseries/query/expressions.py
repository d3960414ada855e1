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
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

Expression = Any
"""JSON-like: str, int, float, bool, None, lists and dicts of expressions."""

Document = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Accumulator:
    """`name: {op: expression}` of a MongoDB `$group` stage; `op` is one of ACCUMULATORS."""

    name: str
    op: str
    expression: Expression


class _Null(Exception):
    """Evaluation yields null (MongoDB would raise an error or return null)."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT_TEXT = re.compile(r"[+-]?\d{1,18}")
_SPECIFIER = re.compile(r"%(.)")


def evaluate(expression: Expression, document: Document) -> object:
    """The value of `expression` for one document; None when evaluation fails."""
    try:
        return _eval(expression, document)
    except (_Null, ArithmeticError, ValueError, TypeError, RecursionError):
        return None


def accumulate(accumulator: Accumulator, documents: Sequence[Document]) -> object:
    """The accumulator's value over the documents of one group (in the group's order)."""
    values = [evaluate(accumulator.expression, document) for document in documents]
    reduce = _ACCUMULATE.get(accumulator.op)
    try:
        return None if reduce is None else reduce(values)
    except (_Null, TypeError):
        return None


# -- values ----------------------------------------------------------------------------------
def _eval(expression: Expression, document: Document) -> object:
    if isinstance(expression, str):
        if expression.startswith("$$"):
            raise _Null  # system variables ($$ROOT, $$NOW...) are not supported
        return _field(document, expression[1:]) if expression.startswith("$") else expression
    if isinstance(expression, list):
        return [_eval(item, document) for item in expression]
    if isinstance(expression, dict):
        keys = list(expression)
        if len(keys) == 1 and keys[0].startswith("$"):
            implementation = OPERATORS.get(keys[0])
            if implementation is None:
                raise _Null
            return implementation(expression[keys[0]], document)
        if any(key.startswith("$") for key in keys):
            raise _Null
        return {key: _eval(value, document) for key, value in expression.items()}
    return expression


def _field(document: Document, path: str) -> object:
    """The value at a dotted path (None when missing); `time` in ms becomes a datetime."""
    value: object = document
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    if path == "time" and _is_number(value):
        return _EPOCH + timedelta(milliseconds=float(value))  # type: ignore[arg-type]
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: object) -> float:
    if not _is_number(value):
        raise _Null
    return value  # type: ignore[return-value]


def _date(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise _Null
    return value


def _truthy(value: object) -> bool:
    """MongoDB's truth: false, null, missing and 0 are false; everything else is true."""
    return not (value is None or value is False or (_is_number(value) and value == 0))


def _order(value: object) -> tuple[int, Any]:
    """BSON comparison order: null < numbers < strings < objects < arrays < booleans < dates."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (5, value)
    if _is_number(value):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, dict):
        return (3, tuple((key, _order(item)) for key, item in value.items()))
    if isinstance(value, list):
        return (4, tuple(_order(item) for item in value))
    if isinstance(value, datetime):
        return (6, value)
    raise _Null


# -- operator plumbing -----------------------------------------------------------------------
Implementation = Callable[[Expression, Document], object]


def _args(raw: Expression, document: Document, count: int | None = None) -> list[object]:
    items = raw if isinstance(raw, list) else [raw]
    if count is not None and len(items) != count:
        raise _Null
    return [_eval(item, document) for item in items]


def _numeric(function: Callable[..., object], count: int | None) -> Implementation:
    """An operator on numbers: null if any argument is null, an error if one is not a number."""

    def implementation(raw: Expression, document: Document) -> object:
        values = _args(raw, document, count)
        if any(value is None for value in values):
            return None
        return function(*(_number(value) for value in values))

    return implementation


def _plain(function: Callable[..., object], count: int | None) -> Implementation:
    def implementation(raw: Expression, document: Document) -> object:
        return function(*_args(raw, document, count))

    return implementation


def _optional(function: Callable[[Any], object]) -> Implementation:
    """A one-argument operator that maps null to null."""

    def implementation(raw: Expression, document: Document) -> object:
        (value,) = _args(raw, document, 1)
        return None if value is None else function(value)

    return implementation


# -- arithmetic ------------------------------------------------------------------------------
def _add(*values: object) -> object:
    if any(value is None for value in values):
        return None
    dates = [value for value in values if isinstance(value, datetime)]
    total = sum(_number(value) for value in values if not isinstance(value, datetime))
    if len(dates) > 1:
        raise _Null
    return dates[0] + timedelta(milliseconds=total) if dates else total


def _subtract(left: object, right: object) -> object:
    if left is None or right is None:
        return None
    if isinstance(left, datetime):
        if isinstance(right, datetime):
            return (left - right) // timedelta(milliseconds=1)
        return left - timedelta(milliseconds=_number(right))
    return _number(left) - _number(right)


def _mod(left: float, right: float) -> float:
    if right == 0:
        raise _Null
    if isinstance(left, int) and isinstance(right, int):
        return int(math.copysign(abs(left) % abs(right), left))  # sign of the dividend
    return math.fmod(left, right)


def _pow(base: float, exponent: float) -> float:
    if isinstance(base, int) and isinstance(exponent, int) and 0 <= exponent <= 1024:
        exact: int = base**exponent
        return exact
    result: object = float(base) ** float(exponent)
    if not isinstance(result, float):  # a negative base with a fractional exponent
        raise _Null
    return result


def _rounding(function: Callable[[float], float]) -> Implementation:
    """`$round` / `$trunc`: `[number, place]` or a number; `place` in [-20, 100]."""

    def implementation(raw: Expression, document: Document) -> object:
        values = _args(raw, document)
        if len(values) not in (1, 2) or any(value is None for value in values):
            return None
        value = _number(values[0])
        place = int(_number(values[1])) if len(values) == 2 else 0
        if not -20 <= place <= 100:
            raise _Null
        scale = 10.0**place
        result = function(value * scale) / scale
        return int(result) if isinstance(value, int) and place <= 0 else result

    return implementation


def _product(*values: float) -> float:
    return math.prod(values)


# -- comparison, logic, conditions -----------------------------------------------------------
def _comparison(test: Callable[[int], bool]) -> Implementation:
    def implementation(raw: Expression, document: Document) -> object:
        left, right = _args(raw, document, 2)
        a, b = _order(left), _order(right)
        return test((a > b) - (a < b))

    return implementation


def _cmp(raw: Expression, document: Document) -> object:
    left, right = _args(raw, document, 2)
    a, b = _order(left), _order(right)
    return (a > b) - (a < b)


def _cond(raw: Expression, document: Document) -> object:
    if isinstance(raw, dict) and set(raw) == {"if", "then", "else"}:
        test, then, otherwise = raw["if"], raw["then"], raw["else"]
    elif isinstance(raw, list) and len(raw) == 3:
        test, then, otherwise = raw
    else:
        raise _Null
    return _eval(then if _truthy(_eval(test, document)) else otherwise, document)


def _if_null(raw: Expression, document: Document) -> object:
    if not isinstance(raw, list) or len(raw) < 2:
        raise _Null
    for item in raw[:-1]:
        value = _eval(item, document)
        if value is not None:
            return value
    return _eval(raw[-1], document)


def _switch(raw: Expression, document: Document) -> object:
    if not isinstance(raw, dict) or not isinstance(raw.get("branches"), list):
        raise _Null
    for branch in raw["branches"]:
        if not isinstance(branch, dict) or set(branch) != {"case", "then"}:
            raise _Null
        if _truthy(_eval(branch["case"], document)):
            return _eval(branch["then"], document)
    if "default" not in raw:
        raise _Null
    return _eval(raw["default"], document)


# -- conversions -----------------------------------------------------------------------------
def _to_string(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _format_date("%Y-%m-%dT%H:%M:%S.%LZ", value.astimezone(UTC))
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if _is_number(value):
        return repr(value)
    raise _Null


def _to_int(value: object) -> int:
    if isinstance(value, str):
        if not _INT_TEXT.fullmatch(value):
            raise _Null
        return int(value)
    if isinstance(value, bool):
        return int(value)
    return math.trunc(_number(value))


def _to_double(value: object) -> float:
    if isinstance(value, str):
        result = float(value)
        if "_" in value or not math.isfinite(result):
            raise _Null
        return result
    if isinstance(value, datetime):
        return float((value - _EPOCH) // timedelta(milliseconds=1))
    return float(_number(value)) if not isinstance(value, bool) else float(value)


# -- dates -----------------------------------------------------------------------------------
def _zone(name: object) -> tzinfo:
    """A timezone: an Olson name, `UTC`, or an offset `+HH:MM` / `+HHMM` / `+HH`."""
    if name is None:
        return UTC
    if not isinstance(name, str):
        raise _Null
    offset = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", name)
    if offset:
        sign = -1 if offset[1] == "-" else 1
        return timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3] or 0)))
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as error:
        raise _Null from error


def _date_part(part: Callable[[datetime], int]) -> Implementation:
    """`{$year: <date>}`, `{$year: [<date>]}` or `{$year: {date: <date>, timezone: <tz>}}`."""

    def implementation(raw: Expression, document: Document) -> object:
        if isinstance(raw, dict) and "date" in raw and set(raw) <= {"date", "timezone"}:
            value, zone = _eval(raw["date"], document), _zone(_eval(raw.get("timezone"), document))
        else:
            (value,), zone = _args(raw, document, 1), UTC
        return None if value is None else part(_date(value).astimezone(zone))

    return implementation


_DATE_PARTS: Mapping[str, Callable[[datetime], int]] = {
    "$year": lambda moment: moment.year,
    "$month": lambda moment: moment.month,
    "$dayOfMonth": lambda moment: moment.day,
    "$hour": lambda moment: moment.hour,
    "$minute": lambda moment: moment.minute,
    "$second": lambda moment: moment.second,
    "$dayOfWeek": lambda moment: moment.isoweekday() % 7 + 1,  # Sunday = 1
    "$dayOfYear": lambda moment: moment.timetuple().tm_yday,
    "$week": lambda moment: int(moment.strftime("%U")),  # weeks start on Sunday
}

_SPECIFIERS: Mapping[str, Callable[[datetime], str]] = {
    "Y": lambda moment: f"{moment.year:04d}",
    "m": lambda moment: f"{moment.month:02d}",
    "d": lambda moment: f"{moment.day:02d}",
    "H": lambda moment: f"{moment.hour:02d}",
    "M": lambda moment: f"{moment.minute:02d}",
    "S": lambda moment: f"{moment.second:02d}",
    "L": lambda moment: f"{moment.microsecond // 1000:03d}",
    "j": lambda moment: f"{moment.timetuple().tm_yday:03d}",
    "w": lambda moment: str(moment.isoweekday() % 7 + 1),
    "u": lambda moment: str(moment.isoweekday()),
    "U": lambda moment: moment.strftime("%U"),
    "V": lambda moment: f"{moment.isocalendar().week:02d}",
    "G": lambda moment: f"{moment.isocalendar().year:04d}",
    "z": lambda moment: moment.strftime("%z") or "+0000",
    "Z": lambda moment: str(int((moment.utcoffset() or timedelta()) // timedelta(minutes=1))),
    "%": lambda moment: "%",
}


def _format_date(pattern: str, moment: datetime) -> str:
    def specifier(found: re.Match[str]) -> str:
        render = _SPECIFIERS.get(found[1])
        if render is None:
            raise _Null
        return render(moment)

    return _SPECIFIER.sub(specifier, pattern)


def _date_to_string(raw: Expression, document: Document) -> object:
    """`{format?, date, timezone?, onNull?}`; the default format is ISO 8601 with ms and Z."""
    if not isinstance(raw, dict) or "date" not in raw:
        raise _Null
    if not set(raw) <= {"format", "date", "timezone", "onNull"}:
        raise _Null
    value = _eval(raw["date"], document)
    if value is None:
        return _eval(raw.get("onNull"), document)
    pattern = _eval(raw.get("format", "%Y-%m-%dT%H:%M:%S.%LZ"), document)
    if not isinstance(pattern, str):
        raise _Null
    zone = _zone(_eval(raw.get("timezone"), document))
    return _format_date(pattern, _date(value).astimezone(zone))


# -- accumulators ----------------------------------------------------------------------------
def _sum(values: Sequence[object]) -> object:
    return sum(value for value in values if _is_number(value))  # type: ignore[misc]


def _avg(values: Sequence[object]) -> object:
    numbers = [_number(value) for value in values if _is_number(value)]
    return sum(numbers) / len(numbers) if numbers else None


def _extreme(pick: Callable[..., object]) -> Callable[[Sequence[object]], object]:
    def reduce(values: Sequence[object]) -> object:
        present = [value for value in values if value is not None]
        return pick(present, key=_order) if present else None

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
        values = _args(raw, document)
        if len(values) == 1 and isinstance(values[0], list):
            values = values[0]
        return reduce(values)

    return implementation


def _element(index: int) -> Implementation:
    """`$first` / `$last` as expressions: an element of an array (null for null or [])."""

    def implementation(raw: Expression, document: Document) -> object:
        (value,) = _args(raw, document, 1)
        if value is None:
            return None
        if not isinstance(value, list):
            raise _Null
        return value[index] if value else None

    return implementation


OPERATORS: Mapping[str, Implementation] = {
    "$add": _plain(_add, None),
    "$subtract": _plain(_subtract, 2),
    "$multiply": _numeric(_product, None),
    "$divide": _numeric(lambda left, right: left / right, 2),
    "$mod": _numeric(_mod, 2),
    "$abs": _numeric(abs, 1),
    "$ceil": _numeric(math.ceil, 1),
    "$floor": _numeric(math.floor, 1),
    "$round": _rounding(round),
    "$trunc": _rounding(math.trunc),
    "$sqrt": _numeric(math.sqrt, 1),
    "$pow": _numeric(_pow, 2),
    "$exp": _numeric(math.exp, 1),
    "$ln": _numeric(math.log, 1),
    "$log": _numeric(math.log, 2),
    "$log10": _numeric(math.log10, 1),
    "$eq": _comparison(lambda sign: sign == 0),
    "$ne": _comparison(lambda sign: sign != 0),
    "$gt": _comparison(lambda sign: sign > 0),
    "$gte": _comparison(lambda sign: sign >= 0),
    "$lt": _comparison(lambda sign: sign < 0),
    "$lte": _comparison(lambda sign: sign <= 0),
    "$cmp": _cmp,
    "$and": _plain(lambda *values: all(_truthy(value) for value in values), None),
    "$or": _plain(lambda *values: any(_truthy(value) for value in values), None),
    "$not": _plain(lambda value: not _truthy(value), 1),
    "$cond": _cond,
    "$ifNull": _if_null,
    "$switch": _switch,
    "$toString": _optional(_to_string),
    "$toInt": _optional(_to_int),
    "$toDouble": _optional(_to_double),
    "$dateToString": _date_to_string,
    **{name: _date_part(part) for name, part in _DATE_PARTS.items()},
    "$sum": _array_form(_sum),
    "$avg": _array_form(_avg),
    "$max": _array_form(_ACCUMULATE["$max"]),
    "$min": _array_form(_ACCUMULATE["$min"]),
    "$first": _element(0),
    "$last": _element(-1),
}
"""Every expression operator a client may use: §5.5's allow-list (accumulators included, in
their MongoDB expression forms)."""
