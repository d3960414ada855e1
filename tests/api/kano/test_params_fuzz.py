"""Whatever the query, the Kano parameter layer answers a request or a 400/403, nothing else.

DECISIONS.md ("Everywhere"): bad input never yields a 5xx. Hypothesis feeds `parse_find` both
qs-shaped dicts built from the dialect's vocabulary and raw query strings through `qs`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoseries.api.dialects.kano.params import (
    AggregateRequest,
    DistinctRequest,
    FindRequest,
    parse_find,
)
from geoseries.api.dialects.kano.qs import parse_query
from geoseries.errors import Forbidden, ValidationFailed
from tests.api.kano.datasets import OBSERVATIONS as DATASET

KEYS = [
    "_id", "time", "type", "level", "geometry", "geometry.type", "properties.H",
    "properties.name", "properties.code_station", "south", "north", "west", "east",
    "longitude", "latitude", "centerLon", "centerLat", "distance", "jwt", "$limit", "$skip",
    "$sort", "$select", "$distinct", "$aggregate", "$groupBy", "$group", "$aggregation",
    "$or", "$and", "$nor", "$not", "$eq", "$ne", "$in", "$nin", "$lt", "$lte", "$gt", "$gte",
    "$exists", "$regex", "$options", "$search", "$caseSensitive", "$elemMatch", "$near",
    "$nearSphere", "$geoWithin", "$geoIntersects", "$geometry", "$centerSphere", "$box",
    "$maxDistance", "$max", "$sum", "$cond", "$dateToString", "$function", "coordinates",
    "asFeatureCollection", "$locale", "$collation", "if", "then", "else", "0", "1", "25",
]  # fmt: skip
VALUES = [
    "", "0", "1", "-1", "1.5", "1e3", "nan", "inf", "-inf", "true", "false", "Point",
    "Feature", "#X1", "2023-06-20T09:20:00Z", "2023-06-20", "((", "[a-", "a{99999999999}",
    "$properties.H", "$time", "$$ROOT", "$", "200", "-91", "9" * 40, " 7 ",
]  # fmt: skip

keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))
leaves = st.one_of(st.sampled_from(VALUES), st.text(max_size=12), st.just(True))
values: st.SearchStrategy[Any] = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=20,
)

queries = st.dictionaries(keys, values, max_size=6)

TOKENS = [*KEYS, *VALUES, "[", "]", "=", "&", "[]", "%23", "%2B", "%", "+"]
raw_queries = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)


def answers(params: dict[str, Any]) -> None:
    request: object
    try:
        request = parse_find(params, DATASET)
    except (ValidationFailed, Forbidden) as error:
        request = error
    assert isinstance(
        request, FindRequest | DistinctRequest | AggregateRequest | ValidationFailed | Forbidden
    )
    if isinstance(request, ValidationFailed | Forbidden):
        assert request.message


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries)
def test_any_qs_shaped_dict_is_a_request_or_a_client_error(params: dict[str, Any]) -> None:
    answers(params)


@settings(max_examples=1500, deadline=None)
@given(raw_queries)
def test_any_query_string_is_a_request_or_a_client_error(query: str) -> None:
    answers(parse_query(query))


def test_deep_nesting_is_a_client_error() -> None:
    params: dict[str, Any] = {"x": "1"}
    for _ in range(5000):
        params = {"$or": [params]}
    answers(params)
