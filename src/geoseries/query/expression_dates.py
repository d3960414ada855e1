"""Date operators of the expression evaluator: parts, time zones and `$dateToString`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from geoseries.query.expression_core import (
    Document,
    Expression,
    Implementation,
    Null,
    arguments,
    date,
    evaluate_raw,
)

SPECIFIER = re.compile(r"%(.)")


def _zone(name: object) -> tzinfo:
    """A timezone: an Olson name, `UTC`, or an offset `+HH:MM` / `+HHMM` / `+HH`."""
    if name is None:
        return UTC
    if not isinstance(name, str):
        raise Null
    offset = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", name)
    if offset:
        sign = -1 if offset[1] == "-" else 1
        return timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3] or 0)))
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as error:
        raise Null from error


def date_part(part: Callable[[datetime], int]) -> Implementation:
    """`{$year: <date>}`, `{$year: [<date>]}` or `{$year: {date: <date>, timezone: <tz>}}`."""

    def implementation(raw: Expression, document: Document) -> object:
        if isinstance(raw, dict) and "date" in raw and set(raw) <= {"date", "timezone"}:
            value, zone = (
                evaluate_raw(raw["date"], document),
                _zone(evaluate_raw(raw.get("timezone"), document)),
            )
        else:
            (value,), zone = arguments(raw, document, 1), UTC
        return None if value is None else part(date(value).astimezone(zone))

    return implementation


DATE_PARTS: Mapping[str, Callable[[datetime], int]] = {
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


def format_date(pattern: str, moment: datetime) -> str:
    def specifier(found: re.Match[str]) -> str:
        render = _SPECIFIERS.get(found[1])
        if render is None:
            raise Null
        return render(moment)

    return SPECIFIER.sub(specifier, pattern)


def date_to_string(raw: Expression, document: Document) -> object:
    """`{format?, date, timezone?, onNull?}`; the default format is ISO 8601 with ms and Z."""
    if not isinstance(raw, dict) or "date" not in raw:
        raise Null
    if not set(raw) <= {"format", "date", "timezone", "onNull"}:
        raise Null
    value = evaluate_raw(raw["date"], document)
    if value is None:
        return evaluate_raw(raw.get("onNull"), document)
    pattern = evaluate_raw(raw.get("format", "%Y-%m-%dT%H:%M:%S.%LZ"), document)
    if not isinstance(pattern, str):
        raise Null
    zone = _zone(evaluate_raw(raw.get("timezone"), document))
    return format_date(pattern, date(value).astimezone(zone))


DATE_OPERATORS: Mapping[str, Implementation] = {
    "$dateToString": date_to_string,
    **{name: date_part(part) for name, part in DATE_PARTS.items()},
}
