"""GeoJSON geometry validation and bounding boxes (WGS 84 longitude/latitude)."""

from __future__ import annotations

from typing import Any

from geoseries.errors import ValidationFailed

Bounds = tuple[float, float, float, float]
GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)


def geometry_bounds(geometry: Any, *, field: str = "geometry") -> Bounds:
    """Validate a GeoJSON geometry object and return (min_lon, min_lat, max_lon, max_lat).

    Raises ValidationFailed naming `field` when the object is not a usable geometry or lies
    outside longitude [-180, 180] / latitude [-90, 90].
    """
    # shapely (and numpy) take a tenth of a second to import: only feature writes pay for it.
    import shapely.geometry
    from shapely.errors import GEOSException

    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        raise ValidationFailed(f"{field} is not a GeoJSON geometry", field=field)
    try:
        shape = shapely.geometry.shape(geometry)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValidationFailed(
            f"{field} is not a valid {geometry['type']}: {exc}", field=field
        ) from exc
    if shape.is_empty:
        raise ValidationFailed(f"{field} is empty", field=field)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in shape.bounds)
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationFailed(f"{field} lies outside longitude/latitude bounds", field=field)
    return min_lon, min_lat, max_lon, max_lat


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}
