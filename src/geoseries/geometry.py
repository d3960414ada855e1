"""GeoJSON geometry validation and bounding boxes (WGS 84 longitude/latitude, RFC 7946).

The check is structural and strict, so that both backends accept exactly the same geometries:
positions of 2 or 3 finite numbers within longitude [-180, 180] and latitude [-90, 90], the
nesting each type requires, at least two positions in a line, closed rings of at least four.
Topology (self-intersections) is not checked, as PostGIS does not check it either.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from geoseries.errors import ValidationFailed

Bounds = tuple[float, float, float, float]
Position = tuple[float, float]

# type -> how deep its coordinates nest (0: one position, 1: a list of positions, ...)
DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
GEOMETRY_TYPES = frozenset({*DEPTH, "GeometryCollection"})


def geometry_bounds(geometry: Any, *, field: str = "geometry") -> Bounds:
    """Validate a GeoJSON geometry object and return (min_lon, min_lat, max_lon, max_lat).

    Raises ValidationFailed naming `field`, with the path of the offending part in the message.
    """
    try:
        positions = list(_positions(geometry, field))
    except ValueError as error:
        raise ValidationFailed(str(error), field=field) from None
    if not positions:
        raise ValidationFailed(f"{field} is empty", field=field)
    lons = [lon for lon, _ in positions]
    lats = [lat for _, lat in positions]
    return min(lons), min(lats), max(lons), max(lats)


def _positions(geometry: Any, field: str) -> Iterator[Position]:
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        raise ValueError(f"{field} is not a GeoJSON geometry")
    kind = geometry["type"]
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            raise ValueError(f"{field}.geometries must be an array")
        for index, member in enumerate(members):
            yield from _positions(member, f"{field}.geometries[{index}]")
        return
    yield from _walk(geometry.get("coordinates"), kind, DEPTH[kind], f"{field}.coordinates")


def _walk(coordinates: Any, kind: str, depth: int, field: str) -> Iterator[Position]:
    if depth == 0:
        yield _position(coordinates, field)
        return
    if not isinstance(coordinates, list):
        raise ValueError(f"{field} must be an array ({kind})")
    if depth == 1 and kind in ("LineString", "MultiLineString") and 0 < len(coordinates) < 2:
        raise ValueError(f"{field}: a line needs at least two positions")
    if depth == 1 and kind in ("Polygon", "MultiPolygon"):
        _check_ring(coordinates, field)
    for index, item in enumerate(coordinates):
        yield from _walk(item, kind, depth - 1, f"{field}[{index}]")


def _check_ring(ring: list[Any], field: str) -> None:
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise ValueError(
            f"{field}: a polygon ring needs four or more positions, the last equal to the first"
        )


def _position(value: Any, field: str) -> Position:
    if (
        not isinstance(value, list)
        or len(value) not in (2, 3)
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not all(math.isfinite(v) for v in value)
    ):
        raise ValueError(f"{field} is not a position [longitude, latitude]")
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"{field} lies outside longitude/latitude bounds")
    return lon, lat


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}
