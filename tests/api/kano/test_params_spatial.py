"""Kano spatial shortcuts and raw geometry operators (spec/kano.md §3; DECISIONS.md)."""

from __future__ import annotations

import math

import pytest

from geoseries.api.dialects.kano.params import AggregateRequest, FindRequest, parse_find
from geoseries.api.dialects.kano.qs import parse_query
from geoseries.errors import ValidationFailed
from geoseries.filters import (
    EARTH_RADIUS_M,
    AllOf,
    Compare,
    Covers,
    Filter,
    InBoxes,
    Op,
    Time,
    Within,
)
from geoseries.model import BBox
from geoseries.queries import SortKey
from tests.api.kano.datasets import STATIONS as DATASET


def find(query: str) -> FindRequest:
    request = parse_find(parse_query(query), DATASET)
    assert isinstance(request, FindRequest)
    return request


def where(query: str) -> Filter:
    return find(query).query.where


def refused(query: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_find(parse_query(query), DATASET)
    return caught.value


# -- bbox ------------------------------------------------------------------------------------
def test_bbox_of_the_kano_guide() -> None:
    query = "south=44.96479793033104&north=45.02695045318546&west=-0.17578125&east=-0.087890625"
    assert where(query) == InBoxes(
        (
            BBox(
                west=-0.17578125,
                south=44.96479793033104,
                east=-0.087890625,
                north=45.02695045318546,
            ),
        )
    )


def test_antimeridian_box_keeps_west_greater_than_east() -> None:
    assert where("south=-10&north=10&west=179&east=-179") == InBoxes(
        (BBox(west=179, south=-10, east=-179, north=10),)
    )
    # a wrapped width over 180 degrees is the union too (the reference selected everything)
    assert where("south=-10&north=10&west=10&east=-10") == InBoxes(
        (BBox(west=10, south=-10, east=-10, north=10),)
    )


def test_whole_world_box() -> None:
    assert where("south=-90&north=90&west=-180&east=180") == InBoxes(
        (BBox(west=-180, south=-90, east=180, north=90),)
    )


def test_several_boxes_from_parallel_arrays() -> None:
    query = "south[]=0&south[]=10&north[]=1&north[]=11&west[]=2&west[]=170&east[]=3&east[]=-170"
    assert where(query) == InBoxes(
        (BBox(west=2, south=0, east=3, north=1), BBox(west=170, south=10, east=-170, north=11))
    )


def test_partial_bbox_names_the_missing_parameters() -> None:
    error = refused("south=1&north=2&west=3")
    assert "east" in error.message
    assert error.field == "east"
    error = refused("south=1")
    assert "north, west, east" in error.message


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("south=a&north=2&west=3&east=4", "south"),
        ("south=&north=2&west=3&east=4", "south"),
        ("south=1&north=2&west=3&east=inf", "east"),
        ("south[]=1&south[]=x&north[]=2&north[]=3&west[]=3&west[]=3&east[]=4&east[]=4", "south[1]"),
        ("south[]=1&north[]=2&west[]=3&east[]=4&east[]=5", "south"),
        ("south[]=1&north=2&west=3&east=4", "south"),
        ("south=-91&north=2&west=3&east=4", "south"),
        ("south=1&north=2&west=181&east=4", "west"),
        ("south=3&north=2&west=1&east=4", "south"),
    ],
)
def test_bad_bbox_values(query: str, param: str) -> None:
    assert refused(query).field == param


def test_bbox_and_other_filters_combine() -> None:
    assert where("south=0&north=1&west=0&east=1&time[$gte]=0") == AllOf(
        (Compare(Time(), Op.GTE, _instant(0)), InBoxes((BBox(0, 0, 1, 1),)))
    )


def _instant(ms: int) -> object:
    from geoseries.filters import Instant

    return Instant(ms)


# -- proximity and location ------------------------------------------------------------------
def test_proximity_sorts_by_distance_without_sort() -> None:
    request = find("longitude=5.03&latitude=43.83&distance=1000")
    assert request.query.where == Within(5.03, 43.83, 1000)
    assert request.query.nearest == (5.03, 43.83)


def test_proximity_with_sort_keeps_the_sort() -> None:
    request = find("longitude=5&latitude=43&distance=10&$sort[time]=-1")
    assert request.query.nearest is None
    assert request.query.sort == (SortKey(Time(), descending=True),)


def test_center_aliases_win() -> None:
    request = find("centerLon=1&centerLat=2&longitude=9&latitude=9&distance=5")
    assert request.query.where == Within(1, 2, 5)


def test_location_without_distance_covers_the_point() -> None:
    request = find("longitude=1.5&latitude=47")
    assert request.query.where == Covers(1.5, 47)
    assert request.query.nearest is None


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("longitude=1", "latitude"),
        ("latitude=1", "longitude"),
        ("distance=10", "distance"),
        ("longitude=a&latitude=1", "longitude"),
        ("longitude=1&latitude=1&distance=-5", "distance"),
        ("longitude=1&latitude=1&distance=far", "distance"),
        ("longitude=200&latitude=1", "longitude"),
    ],
)
def test_bad_proximity(query: str, param: str) -> None:
    assert refused(query).field == param


def test_proximity_on_the_aggregation_path_filters_only() -> None:
    request = parse_find(parse_query("$aggregate=H&longitude=1&latitude=2&distance=3"), DATASET)
    assert isinstance(request, AggregateRequest)
    assert request.query.where == Within(1, 2, 3)


# -- raw geometry operators ------------------------------------------------------------------
@pytest.mark.parametrize("operator", ["$near", "$nearSphere"])
def test_near_points_to_the_shortcut(operator: str) -> None:
    error = refused(
        f"geometry[{operator}][$geometry][type]=Point&geometry[{operator}][$geometry][coordinates][]=1"
        f"&geometry[{operator}][$geometry][coordinates][]=2&geometry[{operator}][$maxDistance]=10"
    )
    assert error.field == f"geometry[{operator}]"
    assert "longitude" in error.message
    assert "distance" in error.message


def test_center_sphere_is_within_metres() -> None:
    assert where(
        "geometry[$geoWithin][$centerSphere][0][]=5&geometry[$geoWithin][$centerSphere][0][]=43"
        "&geometry[$geoWithin][$centerSphere][1]=0.001"
    ) == Within(5, 43, 0.001 * EARTH_RADIUS_M)


def test_geo_within_box() -> None:
    assert where(
        "geometry[$geoWithin][$box][0][]=-1&geometry[$geoWithin][$box][0][]=40"
        "&geometry[$geoWithin][$box][1][]=2&geometry[$geoWithin][$box][1][]=45"
    ) == InBoxes((BBox(west=-1, south=40, east=2, north=45),))


def test_geo_intersects_point_is_covers() -> None:
    assert where(
        "geometry[$geoIntersects][$geometry][type]=Point"
        "&geometry[$geoIntersects][$geometry][coordinates][]=1"
        "&geometry[$geoIntersects][$geometry][coordinates][]=2"
    ) == Covers(1, 2)


@pytest.mark.parametrize(
    ("query", "param"),
    [
        (
            "geometry[$geoIntersects][$geometry][type]=Polygon",
            "geometry[$geoIntersects][$geometry]",
        ),
        ("geometry[$geoWithin][$polygon][0][]=1", "geometry[$geoWithin]"),
        ("geometry[$geoWithin][$centerSphere]=1", "geometry[$geoWithin][$centerSphere]"),
        (
            "geometry[$geoWithin][$centerSphere][0][]=1&geometry[$geoWithin][$centerSphere][1]=x",
            "geometry[$geoWithin][$centerSphere][0]",
        ),
        ("geometry[$box]=1", "geometry[$box]"),
        ("geometry[$maxDistance]=1", "geometry[$maxDistance]"),
    ],
)
def test_other_geometry_queries_are_refused(query: str, param: str) -> None:
    assert refused(query).field == param


def test_radians_convert_on_the_reference_sphere() -> None:
    request = find(
        "geometry[$geoWithin][$centerSphere][0][]=0&geometry[$geoWithin][$centerSphere][0][]=0"
        f"&geometry[$geoWithin][$centerSphere][1]={math.pi}"
    )
    assert request.query.where == Within(0, 0, math.pi * 6_378_137)
