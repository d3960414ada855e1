"""The `$group` expression evaluator (spec/kano.md §5.5): MongoDB semantics, errors as null."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoseries.query.expressions import (
    ACCUMULATORS,
    OPERATORS,
    Accumulator,
    accumulate,
    evaluate,
)
from geoseries.times import parse_time

T0 = parse_time("2023-06-20T09:20:05.123Z")  # a Tuesday, day 171
DOC: dict[str, Any] = {
    "time": T0,
    "properties": {"H": 2.5, "Q": 10, "name": "La Loire", "nested": {"x": 3}, "zero": 0},
    "geometry": {"type": "Point", "coordinates": [1.0, 2.0]},
}
MOMENT = datetime(2023, 6, 20, 9, 20, 5, 123000, tzinfo=UTC)


def docs(*values: object) -> list[dict[str, Any]]:
    return [{"time": T0 + index, "properties": {"H": value}} for index, value in enumerate(values)]


def test_allow_list_matches_the_spec() -> None:
    assert frozenset({"$sum", "$avg", "$first", "$last", "$max", "$min"}) == ACCUMULATORS
    spec = [
        *("$add", "$subtract", "$multiply", "$divide", "$mod", "$abs", "$ceil", "$floor"),
        *("$round", "$trunc", "$sqrt", "$pow", "$exp", "$ln", "$log", "$log10"),
        *("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$cmp", "$and", "$or", "$not"),
        *("$dateToString", "$year", "$month", "$dayOfMonth", "$hour", "$minute", "$second"),
        *("$dayOfWeek", "$dayOfYear", "$week", "$cond", "$ifNull", "$switch"),
        *("$toString", "$toInt", "$toDouble"),
    ]
    assert set(spec) <= set(OPERATORS)
    assert set(OPERATORS) - set(spec) <= ACCUMULATORS


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("$properties.H", 2.5),
        ("$properties.nested.x", 3),
        ("$properties.missing", None),
        ("$properties.H.deeper", None),
        ("$geometry.type", "Point"),
        ("$time", MOMENT),
        ("text", "text"),
        (7, 7),
        (None, None),
        (True, True),
        (["$properties.Q", 1], [10, 1]),
        ({"a": "$properties.Q"}, {"a": 10}),
        ("$$ROOT", None),
        ({"$unknown": 1}, None),
        ({"$add": 1, "$sub": 2}, None),
    ],
)
def test_values(expression: object, value: object) -> None:
    assert evaluate(expression, DOC) == value


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ({"$add": ["$properties.H", "$properties.Q", 1]}, 13.5),
        ({"$add": ["$time", 1000]}, datetime(2023, 6, 20, 9, 20, 6, 123000, tzinfo=UTC)),
        ({"$add": ["$time", "$time"]}, None),
        ({"$add": [1, None]}, None),
        ({"$add": [1, "a"]}, None),
        ({"$subtract": ["$properties.Q", 4]}, 6),
        ({"$subtract": ["$time", {"$add": ["$time", -60000]}]}, 60000),
        ({"$subtract": ["$time", 5]}, datetime(2023, 6, 20, 9, 20, 5, 118000, tzinfo=UTC)),
        ({"$multiply": ["$properties.H", 4]}, 10.0),
        ({"$divide": ["$properties.Q", 4]}, 2.5),
        ({"$divide": ["$properties.Q", "$properties.zero"]}, None),
        ({"$mod": [-7, 3]}, -1),
        ({"$mod": [7.5, 2]}, 1.5),
        ({"$mod": [7, 0]}, None),
        ({"$abs": -2}, 2),
        ({"$ceil": 1.2}, 2),
        ({"$floor": [1.8]}, 1),
        ({"$round": [2.5]}, 2),
        ({"$round": [1.2345, 2]}, 1.23),
        ({"$round": [1234, -2]}, 1200),
        ({"$trunc": [-1.77, 1]}, -1.7),
        ({"$sqrt": 16}, 4.0),
        ({"$sqrt": -1}, None),
        ({"$pow": [2, 10]}, 1024),
        ({"$pow": [-8, 0.5]}, None),
        ({"$pow": [10.0, 400]}, None),
        ({"$exp": 0}, 1.0),
        ({"$ln": 0}, None),
        ({"$log": [8, 2]}, 3.0),
        ({"$log10": 1000}, 3.0),
        ({"$abs": "x"}, None),
        ({"$abs": [1, 2]}, None),
    ],
)
def test_arithmetic(expression: object, value: object) -> None:
    result = evaluate(expression, DOC)
    if isinstance(value, float):
        assert result == pytest.approx(value)
    else:
        assert result == value


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ({"$eq": ["$properties.Q", 10.0]}, True),
        ({"$ne": ["$properties.Q", "10"]}, True),
        ({"$gt": ["$properties.H", 2]}, True),
        ({"$gte": ["a", 5]}, True),  # strings sort after numbers (BSON order)
        ({"$lt": [None, 0]}, True),
        ({"$lte": ["$time", "$time"]}, True),
        ({"$cmp": [1, 2]}, -1),
        ({"$cmp": ["b", "a"]}, 1),
        ({"$eq": [1]}, None),
        ({"$and": [1, "a", True]}, True),
        ({"$and": [1, 0]}, False),
        ({"$or": [None, False, 0]}, False),
        ({"$or": ["", False]}, True),
        ({"$not": [0]}, True),
        ({"$not": ["$properties.H"]}, False),
    ],
)
def test_comparison_and_logic(expression: object, value: object) -> None:
    assert evaluate(expression, DOC) == value


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ({"$cond": [{"$gt": ["$properties.H", 2]}, "high", "low"]}, "high"),
        ({"$cond": {"if": {"$gt": ["$properties.H", 3]}, "then": "high", "else": "low"}}, "low"),
        ({"$cond": [1, 2]}, None),
        ({"$ifNull": ["$properties.missing", "$properties.Q"]}, 10),
        ({"$ifNull": ["$properties.H", 0]}, 2.5),
        ({"$ifNull": ["$properties.missing", None, 5]}, 5),
        (
            {
                "$switch": {
                    "branches": [
                        {"case": {"$lt": ["$properties.H", 1]}, "then": "low"},
                        {"case": {"$lt": ["$properties.H", 3]}, "then": "mid"},
                    ],
                    "default": "high",
                }
            },
            "mid",
        ),
        ({"$switch": {"branches": [{"case": False, "then": 1}], "default": 2}}, 2),
        ({"$switch": {"branches": [{"case": False, "then": 1}]}}, None),
        ({"$switch": {"branches": [{"case": False}]}}, None),
    ],
)
def test_conditionals(expression: object, value: object) -> None:
    assert evaluate(expression, DOC) == value


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ({"$toString": "$properties.Q"}, "10"),
        ({"$toString": 2.0}, "2"),
        ({"$toString": 2.5}, "2.5"),
        ({"$toString": True}, "true"),
        ({"$toString": "$time"}, "2023-06-20T09:20:05.123Z"),
        ({"$toString": "$properties.missing"}, None),
        ({"$toString": [[1]]}, None),
        ({"$toInt": "$properties.H"}, 2),
        ({"$toInt": "-42"}, -42),
        ({"$toInt": "4.2"}, None),
        ({"$toInt": False}, 0),
        ({"$toInt": "$time"}, None),
        ({"$toDouble": "1e3"}, 1000.0),
        ({"$toDouble": "nan"}, None),
        ({"$toDouble": "x"}, None),
        ({"$toDouble": "$time"}, float(T0)),
        ({"$toDouble": True}, 1.0),
    ],
)
def test_conversions(expression: object, value: object) -> None:
    assert evaluate(expression, DOC) == value


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("$year", 2023),
        ("$month", 6),
        ("$dayOfMonth", 20),
        ("$hour", 9),
        ("$minute", 20),
        ("$second", 5),
        ("$dayOfWeek", 3),  # Sunday = 1
        ("$dayOfYear", 171),
        ("$week", 25),
    ],
)
def test_date_parts_in_utc(operator: str, value: int) -> None:
    assert evaluate({operator: "$time"}, DOC) == value
    assert evaluate({operator: ["$time"]}, DOC) == value
    assert evaluate({operator: {"date": "$time"}}, DOC) == value


def test_date_parts_with_a_timezone() -> None:
    assert evaluate({"$hour": {"date": "$time", "timezone": "Europe/Paris"}}, DOC) == 11
    assert evaluate({"$hour": {"date": "$time", "timezone": "-03:30"}}, DOC) == 5
    assert evaluate({"$hour": {"date": "$time", "timezone": "Nowhere/Land"}}, DOC) is None


def test_date_parts_of_non_dates_are_null() -> None:
    assert evaluate({"$year": "$properties.H"}, DOC) is None
    assert evaluate({"$year": "$properties.missing"}, DOC) is None


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        ({"format": "%Y-%m-%dT%H:%M:%S", "date": "$time"}, "2023-06-20T09:20:05"),
        ({"date": "$time"}, "2023-06-20T09:20:05.123Z"),
        ({"format": "%j %w %u %U %V %G %z %Z %%", "date": "$time"}, "171 3 2 25 25 2023 +0000 0 %"),
        ({"format": "%H", "date": "$time", "timezone": "+02:00"}, "11"),
        ({"format": "%Q", "date": "$time"}, None),
        ({"format": "%Y", "date": "$properties.missing", "onNull": "none"}, "none"),
        ({"format": "%Y", "date": "$properties.H"}, None),
        ({"format": 3, "date": "$time"}, None),
        ({"format": "%Y"}, None),
        ({"format": "%Y", "date": "$time", "extra": 1}, None),
    ],
)
def test_date_to_string(spec: dict[str, object], value: object) -> None:
    assert evaluate({"$dateToString": spec}, DOC) == value


def test_accumulators_as_expressions() -> None:
    assert evaluate({"$sum": [1, 2, "a", None]}, DOC) == 3
    assert evaluate({"$sum": [[1, 2, 3]]}, DOC) == 6
    assert evaluate({"$avg": [1, 2]}, DOC) == 1.5
    assert evaluate({"$max": [1, "a", None]}, DOC) == "a"
    assert evaluate({"$min": [[3, 1, 2]]}, DOC) == 1
    assert evaluate({"$first": [[3, 1]]}, DOC) == 3
    assert evaluate({"$last": "$geometry.coordinates"}, DOC) == 2.0
    assert evaluate({"$first": "$properties.H"}, DOC) is None


@pytest.mark.parametrize(
    ("op", "values", "result"),
    [
        ("$sum", (1, 2.5, None, "x", True), 3.5),
        ("$sum", (), 0),
        ("$avg", (1, 2, None), 1.5),
        ("$avg", (None, "a"), None),
        ("$first", (None, 2), None),
        ("$first", (), None),
        ("$last", (1, 2), 2),
        ("$max", (1, 5, None, 3), 5),
        ("$max", (None,), None),
        ("$min", (4, 2, 9), 2),
        ("$push", (1,), None),
    ],
)
def test_accumulate(op: str, values: tuple[object, ...], result: object) -> None:
    assert accumulate(Accumulator("x", op, "$properties.H"), docs(*values)) == result


def test_accumulate_an_expression_per_document() -> None:
    count = Accumulator("n", "$sum", 1)
    above = Accumulator("above", "$sum", {"$cond": [{"$gt": ["$properties.H", 1]}, 1, 0]})
    latest = Accumulator("latest", "$max", "$time")
    group = docs(0.5, 1.5, 2.5)
    assert accumulate(count, group) == 3
    assert accumulate(above, group) == 2
    assert accumulate(latest, group) == datetime(2023, 6, 20, 9, 20, 5, 125000, tzinfo=UTC)


def test_deep_expressions_are_null_not_errors() -> None:
    expression: object = "$properties.H"
    for _ in range(5000):
        expression = {"$abs": expression}
    assert evaluate(expression, DOC) is None


_NAMES = [*sorted(OPERATORS), "$nope", "if", "then", "else", "branches", "case", "date", "format"]
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.sampled_from(["$time", "$properties.H", "$properties.name", "$geometry", "%Y%j", "UTC"]),
    st.text(max_size=6),
)
_EXPRESSIONS = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(_NAMES), children, min_size=1, max_size=3),
    ),
    max_leaves=25,
)


@settings(max_examples=1000, deadline=None)
@given(_EXPRESSIONS, st.sampled_from(sorted(ACCUMULATORS)))
def test_evaluation_never_raises(expression: object, op: str) -> None:
    evaluate(expression, DOC)
    accumulate(Accumulator("x", op, expression), [DOC, {"time": 2**62}, {}])
