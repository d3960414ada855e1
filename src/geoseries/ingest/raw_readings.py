"""The compact readings of Smart Citizen kits (smartcitizen.md §5.2, topic `.../readings/raw`).

    {t:2017-03-24T13:35:14Z,29:48.45,13:66,12:null}

One reading: `t` (exactly `YYYY-MM-DDTHH:MM:SSZ`, anywhere in the braces) and numeric sensor
ids with integer or decimal values (negatives allowed) or `null` (left out). Spaces may surround
every token and a trailing comma is allowed. The parser is strict otherwise: anything else,
a repeated key or a missing `t` is refused with the reason. The result is the `data` member of
the JSON form, checked and stored like any other readings.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from geoseries.errors import ValidationFailed

TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
SENSOR_ID = re.compile(r"[0-9]{1,18}")
NUMBER = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?")
"""Integers or decimals; 30 digits each side is more than any sensor sends."""
MAX_LENGTH = 65_536
SPACES = " \t\r\n"


def parse_raw(text: str) -> list[dict[str, Any]]:
    """The JSON form's `data` of one compact message: `[{"recorded_at", "sensors"}]`."""
    if len(text) > MAX_LENGTH:
        raise _refused(f"longer than {MAX_LENGTH} characters")
    body = text.strip(SPACES)
    if not (body.startswith("{") and body.endswith("}")):
        raise _refused("it must be enclosed in braces, e.g. {t:2024-05-01T10:00:00Z,55:21.5}")
    items = body[1:-1].split(",")
    if items and not items[-1].strip(SPACES):
        items.pop()  # a trailing comma, or nothing at all
    recorded_at: str | None = None
    sensors: dict[int, float | None] = {}
    for number, item in enumerate(items, start=1):
        key, colon, value = (part.strip(SPACES) for part in item.partition(":"))
        if not colon:
            raise _refused(f"item {number} {item.strip(SPACES)[:20]!r} is not key:value")
        if key == "t":
            if recorded_at is not None:
                raise _refused("t is given twice")
            recorded_at = _time(value)
        elif SENSOR_ID.fullmatch(key):
            sensor = int(key)
            if sensor in sensors:
                raise _refused(f"sensor {key} is given twice")
            sensors[sensor] = _value(key, value)
        else:
            raise _refused(f"key {key[:20]!r} is neither t nor a sensor id")
    if recorded_at is None:
        raise _refused("t, the time of the reading, is missing")
    values = [{"id": s, "value": v} for s, v in sensors.items() if v is not None]
    return [{"recorded_at": recorded_at, "sensors": values}]


def _time(value: str) -> str:
    if not TIME.fullmatch(value):
        raise _refused(f"t {value[:30]!r} is not YYYY-MM-DDTHH:MM:SSZ")
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise _refused(f"t {value!r} is not a valid date and time") from None
    return value


def _value(key: str, value: str) -> float | None:
    if value == "null":
        return None
    if not NUMBER.fullmatch(value):
        raise _refused(f"the value of sensor {key} ({value[:20]!r}) is not a number or null")
    return float(value)


def _refused(reason: str) -> ValidationFailed:
    return ValidationFailed(f"raw readings: {reason}", field="payload")
