"""Kano spatial parameters: the bbox and proximity shortcuts, and raw `geometry` operators.

spec/kano.md §3 as DECISIONS.md settles it:

- `south`/`north`/`west`/`east` need all four (a partial box is a 400, the reference returned an
  empty page); arrays of equal length are several boxes, OR-ed; `west > east` crosses the
  antimeridian (`InBoxes` semantics); edges are constant latitude/longitude lines.
- `longitude|centerLon`, `latitude|centerLat` with `distance` (metres) is a proximity search,
  sorted by distance when the request has no `$sort`; without `distance` it asks for the
  features covering the point (kdk#297).
- Raw `geometry[$near]`/`[$nearSphere]` is a 400 pointing to the proximity shortcut (the
  reference answered 500, kdk#345); `$geoWithin` `$centerSphere`/`$box` and `$geoIntersects` a
  Point are translated; any other geometry query (polygons need more bracket levels than qs
  parses, §2.1) is a 400.

Beyond the reference, coordinates are range-checked (longitudes in [-180, 180], latitudes in
[-90, 90], `south <= north`, distances >= 0) so MongoDB's out-of-bounds 500 becomes a 400.
Every shortcut and every `geometry` constraint of a request apply together (AND): the
reference's "a narrow bbox replaces the other geometry filters" was an artefact of its hooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geoseries.api.dialects.kano.readings import number, param_name
from geoseries.errors import ValidationFailed
from geoseries.filters import EARTH_RADIUS_M, Covers, Filter, InBoxes, Within
from geoseries.model import BBox

BBOX_KEYS = ("south", "north", "west", "east")
PROXIMITY_KEYS = ("longitude", "latitude", "centerLon", "centerLat", "distance")
SHORTCUT_KEYS = frozenset(BBOX_KEYS + PROXIMITY_KEYS)
"""Top-level parameters consumed here; below the top (inside `$or`) they are plain fields."""

GEO_OPERATORS = frozenset(
    {
        "$near",
        "$nearSphere",
        "$geoWithin",
        "$geoIntersects",
        "$maxDistance",
        "$minDistance",
        "$geometry",
        "$box",
        "$polygon",
        "$center",
        "$centerSphere",
    }
)
"""The whitelisted geo operators (§2.3); only `geometry` may use them."""

NEAR_HINT = (
    "is not supported: use the proximity shortcut "
    "longitude=<lon>&latitude=<lat>&distance=<metres> (results sorted by distance)"
)


def longitude(value: Any, param: str) -> float:
    degrees = number(value, param)
    if not -180 <= degrees <= 180:
        raise ValidationFailed(f"{param} must be a longitude in [-180, 180]", field=param)
    return degrees


def latitude(value: Any, param: str) -> float:
    degrees = number(value, param)
    if not -90 <= degrees <= 90:
        raise ValidationFailed(f"{param} must be a latitude in [-90, 90]", field=param)
    return degrees


def bbox_filter(params: Mapping[str, Any]) -> Filter | None:
    """The bbox shortcut (§3.1): None without any of its four keys."""
    present = [key for key in BBOX_KEYS if key in params]
    if not present:
        return None
    if len(present) < len(BBOX_KEYS):
        missing = [key for key in BBOX_KEYS if key not in params]
        raise ValidationFailed(
            f"a bounding box needs south, north, west and east: missing {', '.join(missing)}",
            field=missing[0],
        )
    values = [params[key] for key in BBOX_KEYS]
    if all(isinstance(value, list) for value in values):
        lengths = {len(value) for value in values}
        if len(lengths) != 1:
            raise ValidationFailed(
                "south, north, west and east must be arrays of the same length", field="south"
            )
        rows = [
            [
                (f"{key}[{index}]", value[index])
                for key, value in zip(BBOX_KEYS, values, strict=True)
            ]
            for index in range(lengths.pop())
        ]
    else:
        rows = [list(zip(BBOX_KEYS, values, strict=True))]
    return InBoxes(tuple(_box(row) for row in rows))


def _box(row: list[tuple[str, Any]]) -> BBox:
    (s_param, s), (n_param, n), (w_param, w), (e_param, e) = row
    south, north = latitude(s, s_param), latitude(n, n_param)
    if south > north:
        raise ValidationFailed(f"{s_param} must not be north of {n_param}", field=s_param)
    return BBox(west=longitude(w, w_param), south=south, east=longitude(e, e_param), north=north)


def proximity_filter(params: Mapping[str, Any]) -> tuple[Filter | None, tuple[float, float] | None]:
    """The proximity or location shortcut (§3.2, §3.3) and the point to sort by distance from.

    `centerLon`/`centerLat` win over `longitude`/`latitude`, as in the reference.
    """
    lon_key = "centerLon" if "centerLon" in params else "longitude"
    lat_key = "centerLat" if "centerLat" in params else "latitude"
    has_lon, has_lat = lon_key in params, lat_key in params
    if not (has_lon or has_lat):
        if "distance" in params:
            raise ValidationFailed("distance needs longitude and latitude", field="distance")
        return None, None
    if not (has_lon and has_lat):
        missing = "latitude" if has_lon else "longitude"
        raise ValidationFailed(
            f"a location needs both longitude and latitude: missing {missing}", field=missing
        )
    lon, lat = longitude(params[lon_key], lon_key), latitude(params[lat_key], lat_key)
    if "distance" not in params:
        return Covers(lon, lat), None
    metres = number(params["distance"], "distance")
    if metres < 0:
        raise ValidationFailed("distance must not be negative", field="distance")
    return Within(lon, lat, metres), (lon, lat)


def geometry_condition(operator: str, value: Any, param: str) -> Filter:
    """One raw geo operator on `geometry` (§3.4); `param` is `geometry[<operator>]`."""
    if operator in ("$near", "$nearSphere"):
        raise ValidationFailed(f"{param} {NEAR_HINT}", field=param)
    if operator == "$geoWithin" and isinstance(value, dict) and len(value) == 1:
        if "$centerSphere" in value:
            return _center_sphere(value["$centerSphere"], param_name(param, "$centerSphere"))
        if "$box" in value:
            return _box_operator(value["$box"], param_name(param, "$box"))
    if operator == "$geoIntersects" and isinstance(value, dict) and list(value) == ["$geometry"]:
        return _point(value["$geometry"], param_name(param, "$geometry"))
    raise ValidationFailed(
        f"{param} is not supported: use geometry[$geoWithin][$centerSphere], "
        "geometry[$geoWithin][$box], geometry[$geoIntersects][$geometry] with a Point, "
        "or the bbox and proximity shortcuts",
        field=param,
    )


def _pair(value: Any, param: str) -> tuple[float, float]:
    """`[lon, lat]` as written `param[0]`, `param[1]`."""
    if not (isinstance(value, list) and len(value) == 2):
        raise ValidationFailed(f"{param} must be a [longitude, latitude] pair", field=param)
    return longitude(value[0], f"{param}[0]"), latitude(value[1], f"{param}[1]")


def _center_sphere(value: Any, param: str) -> Filter:
    """`[[lon, lat], radians]`: a spherical cap, in metres on the 6 378 137 m sphere."""
    if not (isinstance(value, list) and len(value) == 2):
        raise ValidationFailed(f"{param} must be [[longitude, latitude], radians]", field=param)
    lon, lat = _pair(value[0], f"{param}[0]")
    radians = number(value[1], f"{param}[1]")
    if radians < 0:
        raise ValidationFailed(f"{param}[1] must not be negative", field=f"{param}[1]")
    return Within(lon, lat, radians * EARTH_RADIUS_M)


def _box_operator(value: Any, param: str) -> Filter:
    """`[[west, south], [east, north]]` (MongoDB's bottom-left and upper-right corners)."""
    if not (isinstance(value, list) and len(value) == 2):
        raise ValidationFailed(f"{param} must be [[west, south], [east, north]]", field=param)
    west, south = _pair(value[0], f"{param}[0]")
    east, north = _pair(value[1], f"{param}[1]")
    if south > north:
        raise ValidationFailed(f"{param}: south must not be north of north", field=param)
    return InBoxes((BBox(west=west, south=south, east=east, north=north),))


def _point(value: Any, param: str) -> Filter:
    """`{type: Point, coordinates: [lon, lat]}`: the features covering that point."""
    if not (isinstance(value, dict) and value.get("type") == "Point" and "coordinates" in value):
        raise ValidationFailed(
            f"{param} must be a Point (type=Point and coordinates): other geometries "
            "cannot be expressed in a query string, use the bbox shortcut",
            field=param,
        )
    lon, lat = _pair(value["coordinates"], param_name(param, "coordinates"))
    return Covers(lon, lat)
