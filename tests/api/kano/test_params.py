"""Kano query strings -> core requests: dispatch, paging, sort, select, distinct, seeds.

spec/kano.md §2.3-§4 and DECISIONS.md; filters, spatial and aggregation rules have their own
test_params_*.py files.
"""

from __future__ import annotations

import pytest

from geoseries.api.dialects.kano.params import (
    AggregateRequest,
    DistinctRequest,
    FindRequest,
    KanoRequest,
    parse_find,
)
from geoseries.api.dialects.kano.qs import parse_query
from geoseries.errors import Forbidden, ValidationFailed
from geoseries.filters import (
    EVERYTHING,
    Absent,
    AllOf,
    Compare,
    GeometryType,
    InBoxes,
    Instant,
    OneOf,
    Op,
    Property,
    Time,
)
from geoseries.model import BBox
from geoseries.queries import DocumentQuery, SeriesQuery, SortKey
from tests.api.kano.datasets import OBSERVATIONS


def parse(query: str, **limits: int) -> KanoRequest:
    return parse_find(parse_query(query), OBSERVATIONS, **limits)


def find(query: str, **limits: int) -> FindRequest:
    request = parse(query, **limits)
    assert isinstance(request, FindRequest)
    return request


def refused(query: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse(query)
    return caught.value


def ms(text: str) -> Instant:
    from geoseries.times import parse_time

    return Instant(parse_time(text))


# -- the seed's documented requests (Kano guide, spec/kano.md §5.6) -------------------------
def test_seed_available_stations() -> None:
    request = find(
        "south=44.96479793033104&north=45.02695045318546&west=-0.17578125"
        "&east=-0.087890625&jwt=your_token"
    )
    box = BBox(-0.17578125, 44.96479793033104, -0.087890625, 45.02695045318546)
    assert request == FindRequest(DocumentQuery(where=InBoxes((box,))), None, True)


def test_seed_available_observations_most_recent_first() -> None:
    request = find(
        "south=44&north=45&west=-0.5&east=0.5&time[$gte]=2020-07-31T06:30:00Z"
        "&time[$lte]=2020-07-31T07:30:00Z&$sort[time]=-1&jwt=your_token"
    )
    assert request.query == DocumentQuery(
        where=AllOf(
            (
                Compare(Time(), Op.GTE, ms("2020-07-31T06:30:00Z")),
                Compare(Time(), Op.LTE, ms("2020-07-31T07:30:00Z")),
                InBoxes((BBox(-0.5, 44, 0.5, 45),)),
            )
        ),
        sort=(SortKey(Time(), descending=True),),
    )


def test_seed_observations_at_a_station() -> None:
    request = parse(
        "$groupBy=code_station&$aggregate[0]=H&$aggregate[1]=Q"
        "&properties.code_station=%23X331001001&time[$gte]=2020-07-29T00:00:00Z"
        "&time[$lte]=2020-07-30T00:00:00Z&jwt=your_token"
    )
    assert request == AggregateRequest(
        SeriesQuery(
            elements=("H", "Q"),
            where=AllOf(
                (
                    OneOf(Property("code_station"), ("#X331001001",)),
                    Compare(Time(), Op.GTE, ms("2020-07-29T00:00:00Z")),
                    Compare(Time(), Op.LTE, ms("2020-07-30T00:00:00Z")),
                )
            ),
            group_by=("code_station",),
        ),
        (),
    )


def test_seed_latest_observations() -> None:
    request = parse(
        "$groupBy=code_station&$aggregate[0]=H&$aggregate[1]=Q"
        "&properties.code_station=%23K447001001&time[$lte]=2023-06-20T10:00:00Z"
        "&$limit=1&$sort[time]=-1&jwt=your_token"
    )
    assert isinstance(request, AggregateRequest)
    assert request.query.first_only
    assert request.query.descending
    assert request.query.group_by == ("code_station",)


def test_unescaped_hash_is_a_fragment_clients_never_send() -> None:
    # the guide's link text shows `#X331001001`; HTTP clients cut the URL there
    request = parse("$groupBy=code_station&$aggregate[0]=H&properties.code_station=")
    assert isinstance(request, AggregateRequest)
    assert request.query.where == OneOf(Property("code_station"), ("",))


def test_percent_23_codes_keep_their_hash() -> None:
    request = find("properties.code_station[$in][]=%23A001&properties.code_station[$in][]=%23B001")
    assert request.query.where == OneOf(Property("code_station"), ("#A001", "#B001"))


# -- dropped and ignored parameters ----------------------------------------------------------
def test_credentials_geojson_and_collation_are_dropped() -> None:
    request = find(
        "jwt=a&access_token=b&geoJson=true&$locale=fr&$collation[locale]=fr&$collation[strength]=1"
    )
    assert request == FindRequest(DocumentQuery(), None, True)


def test_dropped_names_are_fields_below_the_top() -> None:
    assert find("$or[0][jwt]=a").query.where != EVERYTHING


# -- paging ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "limit", "skip"),
    [
        ("", 5000, 0),
        ("$limit=10&$skip=20", 10, 20),
        ("$limit=-3&$skip=-4", 3, 4),
        ("$limit=0", 0, 0),
        ("$limit=5000", 5000, 0),
        ("$limit=5001", 5000, 0),
        ("$limit=99999999999999999999", 5000, 0),
        ("$limit=%2B7", 7, 0),
        ("$limit=+7", 7, 0),  # `+` is a space, which parseInt skips
    ],
)
def test_limit_and_skip(query: str, limit: int, skip: int) -> None:
    request = find(query)
    assert (request.query.limit, request.query.skip) == (limit, skip)


def test_limits_are_configurable() -> None:
    assert find("", default_limit=10, max_limit=50).query.limit == 10
    assert find("$limit=100", default_limit=10, max_limit=50).query.limit == 50
    assert find("", default_limit=100, max_limit=50).query.limit == 50


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("$limit=ten", "$limit"),
        ("$limit=1.5", "$limit"),
        ("$limit=", "$limit"),
        ("$limit[]=1", "$limit"),
        ("$skip=1e3", "$skip"),
        ("$skip=99999999999999999999", "$skip"),
        ("$limit=" + "9" * 5000, "$limit"),
    ],
)
def test_bad_paging(query: str, param: str) -> None:
    error = refused(query)
    assert error.field == param
    assert param in error.message


# -- sort and select -------------------------------------------------------------------------
def test_sort_fields_map_like_filters_in_order() -> None:
    request = find("$sort[properties.H]=1&$sort[time]=-1&$sort[geometry.type]=1&$sort[level]=-1")
    assert request.query.sort == (
        SortKey(Property("H")),
        SortKey(Time(), descending=True),
        SortKey(GeometryType()),
        SortKey(Absent("level"), descending=True),
    )


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("$sort[time]=desc", "$sort[time]"),
        ("$sort[time]=2", "$sort[time]"),
        ("$sort=time", "$sort"),
    ],
)
def test_bad_sort(query: str, param: str) -> None:
    assert refused(query).field == param


@pytest.mark.parametrize(
    ("query", "select"),
    [
        ("$select=properties.name", ("properties.name",)),
        ("$select[]=properties.name&$select[]=geometry", ("properties.name", "geometry")),
        ("", None),
    ],
)
def test_select(query: str, select: tuple[str, ...] | None) -> None:
    assert find(query).select == select


def test_bad_select() -> None:
    assert refused("$select[a]=b").field == "$select"
    assert refused("$select=").field == "$select"


@pytest.mark.parametrize(
    ("query", "as_collection"),
    [("", True), ("asFeatureCollection=true", True), ("asFeatureCollection=false", False)],
)
def test_as_feature_collection(query: str, as_collection: bool) -> None:
    assert find(query).as_collection is as_collection


def test_bad_as_feature_collection() -> None:
    assert refused("asFeatureCollection=no").field == "asFeatureCollection"


# -- distinct --------------------------------------------------------------------------------
def test_distinct_with_a_filter() -> None:
    request = parse("$distinct=properties.code_station&time[$gte]=0")
    assert request == DistinctRequest(Property("code_station"), Compare(Time(), Op.GTE, Instant(0)))


@pytest.mark.parametrize(
    "extra", ["$limit=1", "$skip=1", "$sort[time]=1", "$select=a", "$aggregate=H"]
)
def test_distinct_refuses_paging_and_aggregation(extra: str) -> None:
    error = refused(f"$distinct=properties.code_station&{extra}")
    assert error.field == extra.split("=")[0].split("[")[0]


def test_bad_distinct() -> None:
    assert refused("$distinct=").field == "$distinct"
    assert refused("$distinct[]=a").field == "$distinct"


# -- forbidden -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    ["$aggregation[0][$match][a]=1", "$or[0][$aggregation]=1", "properties.x[$aggregation]=1"],
)
def test_aggregation_parameter_is_forbidden_anywhere(query: str) -> None:
    with pytest.raises(Forbidden, match="You are not allowed to perform aggregation"):
        parse(query)
