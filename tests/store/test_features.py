"""Feature upserts and bounding-box queries, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from geoseries.errors import ValidationFailed
from geoseries.geometry import point
from geoseries.model import BBox, FeatureInput
from geoseries.store import Store
from tests.store.helpers import at, keys, stations, write_features

SQUARE = {"type": "Polygon", "coordinates": [[[10, 10], [12, 10], [12, 12], [10, 12], [10, 10]]]}


def test_insert_and_read_back(store: Store) -> None:
    dataset = stations(store)
    written = write_features(
        store,
        dataset,
        [
            at("B", 2.5, 48.1, name="Bravo", depth=3),
            FeatureInput("A", SQUARE, {"tags": ["x", "y"]}),
        ],
    )
    assert written == 2
    features = list(store.iter_features(dataset))
    assert [f.key for f in features] == ["A", "B"]
    assert features[0].geometry == SQUARE
    assert features[0].properties == {"tags": ["x", "y"]}
    assert features[1].geometry == point(2.5, 48.1)
    assert features[1].properties == {"name": "Bravo", "depth": 3}
    assert {f.dataset_id for f in features} == {dataset.id}
    assert store.count_features(dataset) == 2


def test_upsert_replaces_by_key(store: Store) -> None:
    dataset = stations(store)
    write_features(store, dataset, [at("A", 1, 1, name="old", gone=True)])
    [before] = store.iter_features(dataset)
    write_features(store, dataset, [at("A", 5, 5, name="new")])
    [after] = store.iter_features(dataset)
    assert after.id == before.id
    assert after.geometry == point(5, 5)
    assert after.properties == {"name": "new"}
    assert keys(store, dataset, bbox=BBox(0, 0, 2, 2)) == []
    assert keys(store, dataset, bbox=BBox(4, 4, 6, 6)) == ["A"]


def test_same_key_twice_in_one_batch_keeps_the_last(store: Store) -> None:
    dataset = stations(store)
    write_features(store, dataset, [at("A", 1, 1, n=1), at("B", 0, 0), at("A", 2, 2, n=2)])
    by_key = {f.key: f for f in store.iter_features(dataset)}
    assert by_key["A"].properties == {"n": 2}
    assert by_key["A"].geometry == point(2, 2)
    assert store.count_features(dataset) == 2


def test_keys_are_scoped_to_their_dataset(store: Store) -> None:
    first, second = stations(store, "first"), stations(store, "second")
    write_features(store, first, [at("A", 1, 1)])
    write_features(store, second, [at("A", 2, 2)])
    [in_first] = store.iter_features(first)
    [in_second] = store.iter_features(second)
    assert in_first.id != in_second.id
    assert in_first.geometry == point(1, 1)


def test_feature_without_geometry(store: Store) -> None:
    dataset = stations(store)
    write_features(store, dataset, [FeatureInput("nowhere", None, {"a": 1}), at("here", 1, 1)])
    assert keys(store, dataset) == ["here", "nowhere"]
    [nowhere] = [f for f in store.iter_features(dataset) if f.key == "nowhere"]
    assert nowhere.geometry is None
    assert keys(store, dataset, bbox=BBox(-180, -90, 180, 90)) == ["here"]


def test_geometry_can_be_removed_and_added_back(store: Store) -> None:
    dataset = stations(store)
    write_features(store, dataset, [at("A", 1, 1)])
    write_features(store, dataset, [FeatureInput("A", None)])
    assert keys(store, dataset, bbox=BBox(0, 0, 2, 2)) == []
    write_features(store, dataset, [at("A", 1, 1)])
    assert keys(store, dataset, bbox=BBox(0, 0, 2, 2)) == ["A"]


def test_altitude_is_kept_and_ignored_by_bbox(store: Store) -> None:
    dataset = stations(store)
    geometry = {"type": "Point", "coordinates": [1.5, 2.5, 120.0]}
    write_features(store, dataset, [FeatureInput("A", geometry)])
    [feature] = store.iter_features(dataset)
    assert feature.geometry == geometry
    assert keys(store, dataset, bbox=BBox(1, 2, 2, 3)) == ["A"]


INVALID_GEOMETRIES: list[Any] = [
    {"type": "Point", "coordinates": [200, 0]},
    {"type": "Point", "coordinates": [0, 91]},
    {"type": "Point", "coordinates": []},
    {"type": "Point"},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]},
    {"type": "Polygon", "coordinates": [[0, 0], [1, 0], [1, 1], [0, 0]]},
    {"type": "LineString", "coordinates": [[0, 0]]},
    {"type": "Circle", "coordinates": [0, 0]},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}},
    "POINT (0 0)",
    [0, 0],
]


@pytest.mark.parametrize("geometry", INVALID_GEOMETRIES, ids=repr)
def test_invalid_geometry_writes_nothing(store: Store, geometry: Any) -> None:
    dataset = stations(store)
    bad = FeatureInput("bad", geometry)
    with pytest.raises(ValidationFailed) as caught:
        write_features(store, dataset, [at("good", 1, 1), bad])
    assert caught.value.field == "geometry"
    assert store.count_features(dataset) == 0


def test_invalid_geometry_rolls_back_earlier_writes_of_the_transaction(store: Store) -> None:
    dataset = stations(store)

    def good_then_bad() -> None:
        with store.writer() as writer:
            writer.upsert_features(dataset, [at("good", 1, 1)])
            writer.upsert_features(dataset, [FeatureInput("bad", point(0, 95))])

    with pytest.raises(ValidationFailed):
        good_then_bad()
    assert store.count_features(dataset) == 0


def test_empty_batch(store: Store) -> None:
    dataset = stations(store)
    assert write_features(store, dataset, []) == 0
    assert store.count_features(dataset) == 0


def test_odd_keys_and_ordering(store: Store) -> None:
    """Keys are compared and ordered by their UTF-8 bytes on both backends."""
    dataset = stations(store)
    odd = ["b", "B", "a#1", "a 1", "a/1", "é", "Z", "_", "%", "💧", "a'1", 'a"1', "1"]
    write_features(store, dataset, [FeatureInput(key) for key in odd])
    assert keys(store, dataset) == sorted(odd, key=lambda key: key.encode())


def test_bbox_points(store: Store) -> None:
    dataset = stations(store)
    write_features(
        store,
        dataset,
        [at("inside", 5, 5), at("west-edge", 0, 5), at("corner", 10, 10), at("outside", 10.5, 5)],
    )
    assert keys(store, dataset, bbox=BBox(0, 0, 10, 10)) == ["corner", "inside", "west-edge"]
    assert keys(store, dataset, bbox=BBox(4.9, 4.9, 5.1, 5.1)) == ["inside"]
    assert keys(store, dataset, bbox=BBox(20, 20, 30, 30)) == []


def test_bbox_uses_exact_bounds(store: Store) -> None:
    """Both backends index approximate (float32) boxes; the answer must still be exact."""
    dataset = stations(store)
    write_features(store, dataset, [at("A", 10.000000001, 0)])
    assert keys(store, dataset, bbox=BBox(0, -1, 10.0000000005, 1)) == []
    assert keys(store, dataset, bbox=BBox(0, -1, 10.000000001, 1)) == ["A"]


def test_bbox_polygons_intersecting_by_bounds(store: Store) -> None:
    dataset = stations(store)
    write_features(store, dataset, [FeatureInput("square", SQUARE), at("far", -50, -50)])
    assert keys(store, dataset, bbox=BBox(11, 11, 20, 20)) == ["square"]
    assert keys(store, dataset, bbox=BBox(10.5, 10.5, 11.5, 11.5)) == ["square"]
    assert keys(store, dataset, bbox=BBox(12.1, 10, 13, 12)) == []


def test_bbox_across_the_antimeridian(store: Store) -> None:
    dataset = stations(store)
    write_features(
        store,
        dataset,
        [
            at("fiji", 178.4, -18.1),
            at("samoa", -171.8, -13.8),
            at("dateline", 180, 0),
            at("west-dateline", -180, 0),
            at("greenwich", 0, 51.5),
            at("north", 179, 60),
        ],
    )
    pacific = BBox(170, -30, -165, 10)
    assert keys(store, dataset, bbox=pacific) == ["dateline", "fiji", "samoa", "west-dateline"]
    assert keys(store, dataset, bbox=BBox(179, -20, -179, 0)) == ["dateline", "west-dateline"]
    assert keys(store, dataset, bbox=BBox(-170, -90, 170, 90)) == ["greenwich"]


def test_bbox_only_searches_its_dataset(store: Store) -> None:
    first, second = stations(store, "first"), stations(store, "second")
    write_features(store, first, [at("A", 1, 1)])
    write_features(store, second, [at("B", 1, 1)])
    assert keys(store, first, bbox=BBox(0, 0, 2, 2)) == ["A"]
    assert keys(store, second, bbox=BBox(0, 0, 2, 2)) == ["B"]


def test_bbox_with_tiny_coordinates(store: Store) -> None:
    """Below float32's normal range the R*Tree's outward rounding fails; the answer must not."""
    dataset = stations(store)
    write_features(store, dataset, [at("tiny", 1e-40, 2.9e-83), at("zero", 0, 0)])
    assert keys(store, dataset, bbox=BBox(1e-40, 2.9e-83, 1e-40, 2.9e-83)) == ["tiny"]
    assert keys(store, dataset, bbox=BBox(-1e-300, -1e-300, 1e-300, 1e-300)) == ["zero"]
