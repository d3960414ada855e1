"""Kano time aggregation parameters (spec/kano.md §5; DECISIONS.md)."""

from __future__ import annotations

import pytest

from geoseries.api.dialects.kano.params import AggregateRequest, parse_find
from geoseries.api.dialects.kano.qs import parse_query
from geoseries.errors import Forbidden, ValidationFailed
from geoseries.filters import EVERYTHING, Compare, Op, Property
from geoseries.queries import SeriesQuery
from geoseries.query.expressions import Accumulator
from tests.api.kano.datasets import OBSERVATIONS as DATASET


def aggregate(query: str) -> AggregateRequest:
    request = parse_find(parse_query(query), DATASET)
    assert isinstance(request, AggregateRequest)
    return request


def refused(query: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_find(parse_query(query), DATASET)
    return caught.value


def forbidden(query: str) -> Forbidden:
    with pytest.raises(Forbidden) as caught:
        parse_find(parse_query(query), DATASET)
    return caught.value


@pytest.mark.parametrize(
    ("query", "elements"),
    [
        ("$aggregate=H", ("H",)),
        ("$aggregate[]=H&$aggregate[]=geometry", ("H", "geometry")),
        ("$aggregate[0]=H&$aggregate[1]=Q&$aggregate[2]=H", ("H", "Q")),
    ],
)
def test_aggregate_elements(query: str, elements: tuple[str, ...]) -> None:
    assert aggregate(query).query.elements == elements


def test_defaults() -> None:
    assert aggregate("$aggregate=H") == AggregateRequest(SeriesQuery(("H",)), ())


@pytest.mark.parametrize(
    ("query", "group_by"),
    [
        ("$groupBy=code_station", ("code_station",)),
        ("$groupBy=properties.code_station", ("code_station",)),
        ("$groupBy[]=code_station&$groupBy[]=level", ("code_station", "level")),
    ],
)
def test_group_by_is_relative_to_properties(query: str, group_by: tuple[str, ...]) -> None:
    assert aggregate(f"$aggregate=H&{query}").query.group_by == group_by


@pytest.mark.parametrize(
    ("query", "first_only", "descending"),
    [
        ("$limit=1", True, False),
        ("$limit=1&$sort[time]=-1", True, True),
        ("$sort[time]=-1", False, True),
        ("$sort[time]=1", False, False),
        ("$limit=2", False, False),
        ("$limit=5000&$skip=10", False, False),
        ("$sort[properties.H]=-1", False, False),
        ("$skip=not-a-number", False, False),
    ],
)
def test_limit_one_and_time_sort(query: str, first_only: bool, descending: bool) -> None:
    series = aggregate(f"$aggregate=H&$groupBy=code_station&{query}").query
    assert (series.first_only, series.descending) == (first_only, descending)


def test_filters_apply() -> None:
    assert aggregate("$aggregate=H&properties.H[$gt]=1").query.where == Compare(
        Property("H"), Op.GT, 1.0
    )
    assert aggregate("$aggregate=H&type=Feature").query.where == EVERYTHING


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("$aggregate=", "$aggregate"),
        ("$aggregate[0]=H&$aggregate[1]=", "$aggregate[1]"),
        ("$aggregate[a]=H", "$aggregate"),
        ("$aggregate=H&$groupBy=", "$groupBy"),
        ("$aggregate=H&$groupBy=properties.", "$groupBy"),
        ("$aggregate=H&$limit=one", "$limit"),
        ("$aggregate=H&$sort[time]=down", "$sort[time]"),
        ("$aggregate=H&$select=a", "$select"),
        ("$groupBy=code_station", "$groupBy"),
        ("$group[n][$sum]=1", "$group"),
    ],
)
def test_bad_aggregation(query: str, param: str) -> None:
    assert refused(query).field == param


# -- $group ----------------------------------------------------------------------------------
def test_group_accumulators() -> None:
    request = aggregate(
        "$aggregate=H&$group[maxH][$max]=$properties.H&$group[n][$sum]=1"
        "&$group[late][$last][$dateToString][format]=%25Y&$group[late][$last][$dateToString][date]=$time"
        "&$group[s][$avg][$multiply][]=$properties.H&$group[s][$avg][$multiply][]=2.5"
    )
    assert request.accumulators == (
        Accumulator("maxH", "$max", "$properties.H"),
        Accumulator("n", "$sum", 1),
        Accumulator("late", "$last", {"$dateToString": {"format": "%Y", "date": "$time"}}),
        Accumulator("s", "$avg", {"$multiply": ["$properties.H", 2.5]}),
    )


@pytest.mark.parametrize("accumulator", ["$sum", "$avg", "$first", "$last", "$max", "$min"])
def test_allowed_accumulators(accumulator: str) -> None:
    request = aggregate(f"$aggregate=H&$group[x][{accumulator}]=$properties.H")
    assert request.accumulators == (Accumulator("x", accumulator, "$properties.H"),)


@pytest.mark.parametrize(
    "query",
    [
        "$group[x][$function][body]=f",
        "$group[x][$accumulator][init]=f",
        "$group[x][$max][$where]=1",
        "$group[x][$max][$cond][0][$lookup]=1",
        "$group[x][$push]=$properties.H",
    ],
)
def test_other_operators_are_forbidden(query: str) -> None:
    operator = query.split("[")[2].rstrip("]") if "$function" in query else None
    error = forbidden(f"$aggregate=H&{query}")
    assert error.message.startswith("You are not allowed to use $")
    assert error.message.endswith(" operator")
    if operator:
        assert operator in error.message


def test_forbidden_wins_over_other_errors() -> None:
    forbidden("$group[x][$function]=1&$limit=bad&south=1")


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("$group=1", "$group"),
        ("$group[x]=1", "$group[x]"),
        ("$group[x][$max]=1&$group[x][$min]=1", "$group[x]"),
        ("$group[x][$add][]=1", "$group[x][$add]"),
        ("$group[_id][$max]=1", "$group[_id]"),
        ("$group[a.b][$max]=1", "$group[a.b]"),
        ("$group[x][$max]=$$ROOT", "$group[x][$max]"),
        ("$group[x][$max]=$", "$group[x][$max]"),
        ("$group[x][$max][$add][]=$a..b", "$group[x][$max][$add][0]"),
    ],
)
def test_bad_group(query: str, param: str) -> None:
    assert refused(f"$aggregate=H&{query}").field == param
