"""UTC instants as integer milliseconds: parsing ISO 8601 / epoch text and rendering it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def parse_time(text: str) -> int:
    """Milliseconds since the epoch for ISO 8601 text (naive means UTC) or integer epoch ms.

    Raises ValueError for anything else, so callers can report the offending field.
    """
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // MILLISECOND


def format_time(ms: int) -> str:
    """ISO 8601 with milliseconds and Z, e.g. `2023-06-20T09:20:00.000Z`."""
    moment = EPOCH + ms * MILLISECOND
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
