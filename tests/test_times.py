from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoseries.times import EARLIEST, LATEST, format_time, parse_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-06-20T09:20:00.000Z", 1687252800000),
        ("2023-06-20T09:20:00Z", 1687252800000),
        ("2023-06-20T09:20:00", 1687252800000),  # naive means UTC
        ("2023-06-20T11:20:00+02:00", 1687252800000),
        ("2023-06-20", 1687219200000),
        ("2023-06-20T09:20:00.123Z", 1687252800123),
        ("1687252800000", 1687252800000),
        ("-1000", -1000),
    ],
)
def test_parse_time_reads_iso_8601_and_epoch_milliseconds(text: str, expected: int) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2023-13-01", "12:00", "1.5"])
def test_parse_time_refuses_what_is_not_an_instant(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_time(text)


def test_format_time_renders_milliseconds_and_z() -> None:
    assert format_time(1687252800123) == "2023-06-20T09:20:00.123Z"
    assert format_time(0) == "1970-01-01T00:00:00.000Z"


@given(st.integers(min_value=-2_000_000_000_000, max_value=32_000_000_000_000))
def test_format_then_parse_round_trips(ms: int) -> None:
    assert parse_time(format_time(ms)) == ms


@given(st.integers(min_value=EARLIEST, max_value=LATEST))
def test_format_time_is_isoformat_in_milliseconds_with_z(ms: int) -> None:
    moment = datetime(1970, 1, 1) + timedelta(milliseconds=ms)
    assert format_time(ms) == moment.isoformat(timespec="milliseconds") + "Z"


def test_format_time_at_the_ends_of_its_range() -> None:
    assert format_time(EARLIEST) == "0001-01-01T00:00:00.000Z"
    assert format_time(LATEST) == "9999-12-31T23:59:59.999Z"
    assert format_time(-1) == "1969-12-31T23:59:59.999Z"
