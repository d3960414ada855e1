"""The compact `readings/raw` form: examples from the reference, and Hypothesis properties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoseries.errors import ValidationFailed
from geoseries.ingest.raw_readings import parse_raw

T = "2017-03-24T13:35:14Z"


def test_the_reference_example() -> None:
    assert parse_raw("{t:2017-03-24T13:35:14Z,29:48.45,13:66,12:null}") == [
        {"recorded_at": T, "sensors": [{"id": 29, "value": 48.45}, {"id": 13, "value": 66.0}]}
    ]


@pytest.mark.parametrize(
    "text",
    [
        "{ 29 : -48.45 , t : 2017-03-24T13:35:14Z , 13:66, }",
        "\n{29:-48.45,13:66,t:2017-03-24T13:35:14Z}\r\n",
        "{29:-48.45,12:null,t:2017-03-24T13:35:14Z,13:66,}",
    ],
)
def test_spaces_order_trailing_comma(text: str) -> None:
    assert parse_raw(text) == [
        {"recorded_at": T, "sensors": [{"id": 29, "value": -48.45}, {"id": 13, "value": 66.0}]}
    ]


def test_a_reading_without_values() -> None:
    assert parse_raw("{t:2017-03-24T13:35:14Z}") == [{"recorded_at": T, "sensors": []}]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "enclosed in braces"),
        ("t:2017-03-24T13:35:14Z", "enclosed in braces"),
        ("{}", "t, the time of the reading, is missing"),
        ("{29:1}", "t, the time of the reading, is missing"),
        ("{t:2017-03-24 13:35:14}", "is not YYYY-MM-DDTHH:MM:SSZ"),
        ("{t:2017-03-24T13:35:14.5Z}", "is not YYYY-MM-DDTHH:MM:SSZ"),
        ("{t:2017-02-30T13:35:14Z}", "not a valid date and time"),
        ("{t:2017-03-24T13:35:14Z,t:2017-03-24T13:35:14Z}", "t is given twice"),
        ("{t:2017-03-24T13:35:14Z,1:1,1:null}", "sensor 1 is given twice"),
        ("{t:2017-03-24T13:35:14Z,temp:1}", "neither t nor a sensor id"),
        ("{t:2017-03-24T13:35:14Z,-1:1}", "neither t nor a sensor id"),
        ("{t:2017-03-24T13:35:14Z,1:1e3}", "not a number or null"),
        ("{t:2017-03-24T13:35:14Z,1:.5}", "not a number or null"),
        ("{t:2017-03-24T13:35:14Z,1:}", "not a number or null"),
        ("{t:2017-03-24T13:35:14Z,1:NaN}", "not a number or null"),
        ("{t:2017-03-24T13:35:14Z,1}", "is not key:value"),
        ("{t:2017-03-24T13:35:14Z,,1:2}", "is not key:value"),
        ("{t:2017-03-24T13:35:14Z,1:2}}", "not a number or null"),
        ("{t:2017-03-24T13:35:14Z," + "1" * 40 + ":2}", "neither t nor a sensor id"),
        ("{t:" + "x" * 70_000 + "}", "longer than"),
    ],
)
def test_anything_else_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(ValidationFailed, match=reason) as refused:
        parse_raw(text)
    assert refused.value.field == "payload"


spaces = st.text(" \t", max_size=2)
times = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
)
values = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12).map(str),
    st.decimals(-(10**6), 10**6, places=3, allow_nan=False, allow_infinity=False).map(
        lambda d: f"{d:f}"
    ),
)


@given(
    time=times,
    readings=st.dictionaries(st.integers(0, 10**6), values, max_size=8),
    position=st.integers(0, 8),
    pad=spaces,
    trailing=st.booleans(),
)
def test_any_well_formed_message_is_read_back(
    time: str, readings: dict[int, str | None], position: int, pad: str, trailing: bool
) -> None:
    items = [
        f"{pad}{sensor}{pad}:{pad}{value or 'null'}{pad}" for sensor, value in readings.items()
    ]
    items.insert(min(position, len(items)), f"{pad}t{pad}:{pad}{time}{pad}")
    text = "{" + ",".join(items) + ("," if trailing else "") + "}"
    [reading] = parse_raw(text)
    assert reading["recorded_at"] == time
    assert reading["sensors"] == [
        {"id": sensor, "value": float(value)}
        for sensor, value in readings.items()
        if value is not None
    ]


def read_or_refused(text: str) -> None:
    """Parse `text`: either a reading or a ValidationFailed explaining why, nothing else."""
    try:
        readings = parse_raw(text)
    except ValidationFailed as refused:
        reason = refused.message
    else:
        reason = ""
        assert [set(r) for r in readings] == [{"recorded_at", "sensors"}]
    assert reason == "" or reason.startswith("raw readings: ")


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_never_crashes(text: str) -> None:
    read_or_refused(text)


@given(st.text(alphabet="{}t:,0123456789.-Z T null", max_size=80))
def test_near_misses_are_read_or_refused_never_crash(text: str) -> None:
    read_or_refused(text)
