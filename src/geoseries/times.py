"""UTC instants as integer milliseconds: parsing ISO 8601 / epoch text and rendering it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = datetime(1970, 1, 1)
"""For rendering: a naive datetime's isoformat has no offset to strip."""
EARLIEST = -62_135_596_800_000  # 0001-01-01T00:00:00Z, the range of ISO 8601 years
LATEST = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
MILLISECOND = timedelta(milliseconds=1)


@lru_cache(maxsize=1 << 16)
def parse_time(text: str) -> int:
    """Milliseconds since the epoch for ISO 8601 text (naive means UTC) or integer epoch ms.

    Cached: bulk writes and queries repeat the same instants (every station at each step).

    Raises ValueError for anything else, so callers can report the offending field.
    """
    if text.isdigit() or (text[:1] == "-" and text[1:].isdigit()):
        # before fromisoformat, which reads 8 digits as a date (YYYYMMDD)
        ms = int(text)
        if not EARLIEST <= ms <= LATEST:
            raise ValueError(f"epoch milliseconds {text} fall outside years 1-9999")
        return ms
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        stripped = text.strip()
        if stripped == text:
            raise
        return parse_time(stripped)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // MILLISECOND


@lru_cache(maxsize=1 << 16)
def format_time(ms: int) -> str:
    """ISO 8601 with milliseconds and Z, e.g. `2023-06-20T09:20:00.000Z`.

    Cached (a page repeats its time steps for every feature and variable). Uncached, it joins
    the day's text (cached too) with pieces read from tables: a bulk POST renders thousands of
    new instants, and four formatted numbers each cost three times as much.
    """
    day, rest = divmod(ms, 86_400_000)
    minute, rest = divmod(rest, 60_000)
    second, millisecond = divmod(rest, 1000)
    return _day_text(day) + _CLOCK_MINUTES[minute] + _SECONDS[second] + _MILLISECONDS[millisecond]


_CLOCK_MINUTES = tuple(f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60))
_SECONDS = tuple(f"{second:02d}." for second in range(60))
_MILLISECONDS = tuple(f"{millisecond:03d}Z" for millisecond in range(1000))


@lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    """`YYYY-MM-DDT` of a day counted from 1970-01-01."""
    return (NAIVE_EPOCH + timedelta(days=day)).date().isoformat() + "T"
