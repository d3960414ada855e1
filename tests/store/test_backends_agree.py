"""SQLite and PostGIS give the same answers to the same questions about the same data.

Hypothesis writes random features (points, small boxes, no geometry; keys with odd characters)
and observations (with resent duplicates) to both backends, then compares bbox queries
(including ones across the antimeridian), time windows and counts, and checks both against a
plain-Python reading of the same data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoseries.geometry import geometry_bounds
from geoseries.model import BBox, Dataset, DatasetKind, DatasetSpec, FeatureInput, ObservationInput
from geoseries.store import Store
from tests.store.helpers import write, write_features

pytestmark = pytest.mark.postgres

NAMES = itertools.count()
ODD_KEYS = ["#", "a#1", "A#1", "a 1", "a/b", "a%20", "ü", "Z", "z", "_", "💧", "'", '"', "a\\b"]
PLAIN_CHARACTERS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")

keys = st.one_of(st.sampled_from(ODD_KEYS), st.text(PLAIN_CHARACTERS, min_size=1, max_size=8))
variables = st.sampled_from(["H", "Q", "h", "T#1", "pm2.5"])
longitudes = st.floats(-180, 180, allow_nan=False)
latitudes = st.floats(-90, 90, allow_nan=False)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(PLAIN_CHARACTERS, max_size=10),
)
properties = st.dictionaries(st.text(PLAIN_CHARACTERS, max_size=6), json_scalars, max_size=3)


@st.composite
def boxes(draw: st.DrawFn) -> dict[str, Any]:
    """A small polygon (a closed box) that stays within longitude/latitude bounds."""
    west = draw(st.floats(-180, 179, allow_nan=False))
    south = draw(st.floats(-90, 89, allow_nan=False))
    east = west + draw(st.floats(0.001, 1))
    north = south + draw(st.floats(0.001, 1))
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


points = st.builds(
    lambda lon, lat: {"type": "Point", "coordinates": [lon, lat]}, longitudes, latitudes
)
geometries = st.one_of(st.none(), points, boxes())
features = st.lists(st.builds(FeatureInput, keys, geometries, properties), max_size=12)
observation_values = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def observation_batches(draw: st.DrawFn, known_keys: list[str]) -> list[list[ObservationInput]]:
    """One to three transactions of observations, often resending the same (series, time)."""
    feature_keys = st.sampled_from(known_keys) | keys if known_keys else keys
    times = st.integers(0, 20).map(lambda minute: minute * 60_000) | st.integers(-(2**40), 2**42)
    row = st.builds(
        ObservationInput,
        feature_keys,
        variables,
        times,
        observation_values,
        st.none() | observation_values,
    )
    return draw(st.lists(st.lists(row, max_size=15), min_size=1, max_size=3))


@st.composite
def bboxes(draw: st.DrawFn, edges: list[tuple[float, float]]) -> BBox:
    """Random boxes; some cross the antimeridian (west > east), some share a feature's edges."""
    lon = st.sampled_from([x for x, _ in edges]) | longitudes if edges else longitudes
    lat = st.sampled_from([y for _, y in edges]) | latitudes if edges else latitudes
    west, east = draw(lon), draw(lon)
    south, north = sorted([draw(lat), draw(lat)])
    return BBox(west, south, east, north)


@dataclass
class Datasets:
    stations: Dataset
    observations: Dataset


def create(store: Store, number: int) -> Datasets:
    stations = store.create_dataset(DatasetSpec(f"stations-{number}"))
    observations = store.create_dataset(
        DatasetSpec(f"observations-{number}", kind=DatasetKind.OBSERVATIONS, stations=stations.name)
    )
    return Datasets(stations, observations)


def json_numbers(value: Any) -> Any:
    """JSON with its numbers as Decimals: jsonb keeps numbers as decimals, so 4.4e16 (a float
    on SQLite) reads back as the int 44000000000000000 on PostgreSQL: the same JSON number."""
    if isinstance(value, dict):
        return {k: json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_numbers(v) for v in value]
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def answers(store: Store, datasets: Datasets, bbox_list: list[BBox], windows: list[Window]) -> Any:
    """Everything the queries under test return, free of backend-specific ids."""
    stations, observations = datasets.stations, datasets.observations
    return {
        "features": [
            (f.key, json_numbers(f.geometry), json_numbers(f.properties))
            for f in store.iter_features(stations)
        ],
        "feature_count": store.count_features(stations),
        "bbox": [[f.key for f in store.iter_features(stations, bbox=bbox)] for bbox in bbox_list],
        "observations": [
            list(store.iter_observations(observations, start=start, end=end))
            for start, end in windows
        ],
        "observation_count": store.count_observations(observations),
    }


def in_bbox(feature: FeatureInput, bbox: BBox) -> bool:
    if feature.geometry is None:
        return False
    min_lon, min_lat, max_lon, max_lat = geometry_bounds(feature.geometry)
    if not (min_lat <= bbox.north and max_lat >= bbox.south):
        return False
    if bbox.west <= bbox.east:
        return min_lon <= bbox.east and max_lon >= bbox.west
    return max_lon >= bbox.west or min_lon <= bbox.east


Window = tuple[int | None, int | None]
windows = st.tuples(
    st.none() | st.integers(-(2**41), 2**42), st.none() | st.integers(-(2**41), 2**42)
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written=features, data=st.data())
def test_backends_agree(
    backends: tuple[Store, Store], written: list[FeatureInput], data: st.DataObject
) -> None:
    known_keys = sorted({f.key for f in written})
    batches = data.draw(observation_batches(known_keys), label="observations")
    edges = [
        corner
        for f in written
        if f.geometry is not None
        for corner in itertools.pairwise(geometry_bounds(f.geometry))
    ]
    bbox_list = data.draw(st.lists(bboxes(edges), min_size=1, max_size=6), label="bboxes")
    window_list: list[Window] = [
        (None, None),
        *data.draw(st.lists(windows, max_size=4), label="windows"),
    ]

    number = next(NAMES)
    results = []
    for store in backends:
        datasets = create(store, number)
        try:
            write_features(store, datasets.stations, written)
            for batch in batches:
                write(store, datasets.observations, batch)
            results.append(answers(store, datasets, bbox_list, window_list))
        finally:
            store.delete_dataset(datasets.observations.name)
            store.delete_dataset(datasets.stations.name)
    on_sqlite, on_postgres = results
    assert on_sqlite == on_postgres

    # And both agree with a plain reading of what was written: last write wins.
    latest = {f.key: f for f in written}
    assert [key for key, _, _ in on_sqlite["features"]] == sorted(
        latest.keys() | {r.feature_key for batch in batches for r in batch}, key=str.encode
    )
    for bbox, found in zip(bbox_list, on_sqlite["bbox"], strict=True):
        assert found == sorted((k for k, f in latest.items() if in_bbox(f, bbox)), key=str.encode)
    last_value = {
        (r.feature_key, r.variable, r.time): (r.value, r.raw_value) for b in batches for r in b
    }
    assert on_sqlite["observation_count"] == len(last_value)
    everything = on_sqlite["observations"][0]
    assert {
        (r.feature_key, r.variable, r.time): (r.value, r.raw_value) for r in everything
    } == last_value
    assert [(r.feature_key.encode(), r.variable.encode(), r.time) for r in everything] == sorted(
        (r.feature_key.encode(), r.variable.encode(), r.time) for r in everything
    )
