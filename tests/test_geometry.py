from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoseries.errors import ValidationFailed
from geoseries.geometry import geometry_bounds

RING = [[0, 0], [1, 0], [1, 1], [0, 0]]


@pytest.mark.parametrize(
    ("geometry", "bounds"),
    [
        ({"type": "Point", "coordinates": [1.5, -2]}, (1.5, -2, 1.5, -2)),
        ({"type": "Point", "coordinates": [1, 2, 300]}, (1, 2, 1, 2)),  # altitude allowed
        ({"type": "LineString", "coordinates": [[-180, -90], [180, 90]]}, (-180, -90, 180, 90)),
        ({"type": "Polygon", "coordinates": [RING]}, (0, 0, 1, 1)),
        (
            {"type": "MultiPolygon", "coordinates": [[RING], [[[5, 5], [6, 5], [6, 6], [5, 5]]]]},
            (0, 0, 6, 6),
        ),
        ({"type": "MultiPoint", "coordinates": [[3, 4], [-3, -4]]}, (-3, -4, 3, 4)),
        ({"type": "MultiLineString", "coordinates": [[[0, 0], [2, 2]]]}, (0, 0, 2, 2)),
        (
            {
                "type": "GeometryCollection",
                "geometries": [{"type": "Point", "coordinates": [7, 8]}],
            },
            (7, 8, 7, 8),
        ),
    ],
)
def test_bounds_of_valid_geometries(geometry: dict[str, Any], bounds: tuple[float, ...]) -> None:
    assert geometry_bounds(geometry) == bounds


@pytest.mark.parametrize(
    ("geometry", "fragment"),
    [
        (None, "not a GeoJSON geometry"),
        ({"type": "Circle", "coordinates": [0, 0]}, "not a GeoJSON geometry"),
        ({"type": "Point", "coordinates": [[1, 2]]}, "coordinates is not a position"),
        ({"type": "Point", "coordinates": [1]}, "not a position"),
        ({"type": "Point", "coordinates": [1, True]}, "not a position"),
        ({"type": "Point", "coordinates": [1, "2"]}, "not a position"),
        ({"type": "Point", "coordinates": [float("nan"), 2]}, "not a position"),
        ({"type": "Point", "coordinates": [181, 2]}, "outside"),
        ({"type": "Point", "coordinates": [1, -90.5]}, "outside"),
        ({"type": "LineString", "coordinates": [[0, 0]]}, "at least two positions"),
        ({"type": "LineString", "coordinates": {"a": 1}}, "must be an array"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "ring"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}, "ring"),
        ({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1]]]]}, "ring"),
        ({"type": "MultiPoint", "coordinates": []}, "empty"),
        ({"type": "GeometryCollection", "geometries": "x"}, "geometries must be an array"),
        ({"type": "GeometryCollection", "geometries": [{"type": "Point"}]}, "geometries[0]"),
    ],
)
def test_invalid_geometries_are_refused(geometry: Any, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        geometry_bounds(geometry, field="where")
    assert fragment in caught.value.message
    assert caught.value.field == "where"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
)


@given(st.sampled_from(["Point", "LineString", "Polygon", "MultiPolygon", "Nope"]), JSON)
def test_any_input_gives_bounds_or_a_validation_error(kind: str, coordinates: Any) -> None:
    try:
        west, south, east, north = geometry_bounds({"type": kind, "coordinates": coordinates})
    except ValidationFailed:
        return
    assert -180 <= west <= east <= 180
    assert -90 <= south <= north <= 90
