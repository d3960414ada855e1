"""Reading Kano query-string values: text, numbers, booleans, instants, integers.

`qs` hands every value over as a string (spec/kano.md §2.1), so each parameter says how to read
its text. Geoseries reads them as DECISIONS.md ("Kano features dialect") settles: a number when
the text parses as a finite float, else an ISO 8601 date-time (naive = UTC), else the string.
Every failure is a `ValidationFailed` naming the parameter as the client wrote it (`time[$gte]`,
`$or[0][properties.H][$gt]`), since bad input never yields a 5xx (DECISIONS.md, "Everywhere").
"""

from __future__ import annotations

import math
import re
from typing import Any

from geoseries.errors import ValidationFailed
from geoseries.filters import Instant, Scalar
from geoseries.times import EARLIEST, LATEST, parse_time

_INTEGER = re.compile(r"\s*[+-]?\d{1,30}\s*")
"""Integers as `$limit`/`$skip` accept them (bounded length: `int()` refuses 4300+ digits)."""


def param_name(prefix: str, key: str) -> str:
    """The parameter as written in the query string: `key` at the top, `prefix[key]` below."""
    return f"{prefix}[{key}]" if prefix else key


def text(value: Any, param: str) -> str:
    """`value` if it is a string (one query-string value), else a 400 naming `param`."""
    if isinstance(value, str):
        return value
    shape = "a list" if isinstance(value, list) else "an object"
    if not isinstance(value, list | dict):
        shape = "not a plain value"
    raise ValidationFailed(f"{param} must be a single value, got {shape}", field=param)


def finite_float(value: str) -> float | None:
    """The number `value` reads as (`float`, finite), or None.

    Underscores (`1_000`, which Python's `float` accepts) are refused: no client means them.
    """
    if "_" in value:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def number(value: Any, param: str) -> float:
    """A finite number, or a 400 naming `param` (bbox and proximity shortcuts, §3)."""
    reading = finite_float(text(value, param))
    if reading is None:
        raise ValidationFailed(f"{param} must be a number, got {value!r}", field=param)
    return reading


def instant(value: str) -> Instant | None:
    """The instant `value` reads as: a finite number is epoch milliseconds, else ISO 8601."""
    reading = finite_float(value)
    if reading is not None:
        ms = round(reading)
        return Instant(ms) if EARLIEST <= ms <= LATEST else None
    try:
        return Instant(parse_time(value))
    except (ValueError, OverflowError):
        return None


def time_value(value: Any, param: str) -> Instant:
    """A value given to `time`: an instant, or a 400 naming `param` (DECISIONS.md)."""
    reading = instant(text(value, param))
    if reading is None:
        raise ValidationFailed(
            f"{param} must be an ISO 8601 date-time or epoch milliseconds, got {value!r}",
            field=param,
        )
    return reading


def comparison_value(value: str) -> Scalar:
    """`$lt`-style operand: a finite number, else an ISO 8601 instant, else the text
    (spec/kano.md §2.2 rule 5 as DECISIONS.md settles it)."""
    reading = finite_float(value)
    if reading is not None:
        return reading
    try:
        return Instant(parse_time(value))
    except (ValueError, OverflowError):
        return value


def equality_candidates(value: str) -> tuple[Scalar, ...]:
    """What an equality on `value` matches: the raw text, or its number or boolean reading.

    kdk#863: over REST every value is text, so `properties.H=0.397` never matched a number;
    DECISIONS.md makes it match both (`code_station=%23X1` still matches the text only).
    """
    candidates: list[Scalar] = [value]
    reading = finite_float(value)
    if reading is not None:
        candidates.append(reading)
    if value in ("true", "false"):
        candidates.append(value == "true")
    return tuple(candidates)


def integer(value: Any, param: str) -> int:
    """`abs(parseInt(value))` for integer text, as the adapter reads `$limit`/`$skip` (§4.1);
    anything that is not an integer is a 400 (the reference silently used its default)."""
    written = text(value, param)
    if not _INTEGER.fullmatch(written):
        raise ValidationFailed(f"{param} must be an integer, got {written!r}", field=param)
    return abs(int(written))
