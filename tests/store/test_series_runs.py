"""Time series per group of documents (SeriesQuery), on both backends."""

from __future__ import annotations

import pytest

from geoseries.filters import Compare, Instant, Op, Property, Time, all_of
from geoseries.geometry import point
from geoseries.model import Dataset, FeatureInput, ObservationInput
from geoseries.queries import SeriesPoint, SeriesQuery, observation_document_id
from geoseries.store import Store
from geoseries.store.documents_source import FeatureJson
from tests.store.helpers import at, observations, stations, write, write_features

T = 1_700_000_000_000


@pytest.fixture
def hydro(store: Store) -> Dataset:
    sites = stations(store)
    write_features(
        store,
        sites,
        [
            at("A1", 1, 1, basin="north", code="A1"),
            at("A2", 2, 2, basin="north", code="A2"),
            at("B1", 3, 3, basin="south", code="B1"),
            FeatureInput("C1", None, {"code": "C1"}),  # no basin, no geometry
        ],
    )
    dataset = observations(store)
    write(
        store,
        dataset,
        [
            ObservationInput("A1", "H", T, 1.0),
            ObservationInput("A1", "H", T + 2, 2.0),
            ObservationInput("A1", "Q", T + 1, 10.0),
            ObservationInput("A2", "H", T + 1, 3.0),
            ObservationInput("B1", "H", T, 4.0),
            ObservationInput("B1", "Q", T + 3, 40.0),
            ObservationInput("C1", "H", T + 5, 5.0),
        ],
    )
    return store.get_dataset(dataset.name)  # read again: now with its stored variables


def all_points(store: Store, dataset: Dataset, query: SeriesQuery) -> list[SeriesPoint]:
    return [point for run in store.series_runs(dataset, query) for point in run.points()]


def points(store: Store, dataset: Dataset, query: SeriesQuery) -> list[tuple[object, ...]]:
    return [(p.group, p.element, p.time, p.value) for p in all_points(store, dataset, query)]


def test_points_grouped_by_property(store: Store, hydro: Dataset) -> None:
    found = points(store, hydro, SeriesQuery(("Q", "H"), group_by=("basin",)))
    assert found == [
        ((None,), "H", T + 5, 5.0),  # missing group value first
        (("north",), "Q", T + 1, 10.0),  # elements in query order
        (("north",), "H", T, 1.0),
        (("north",), "H", T + 1, 3.0),
        (("north",), "H", T + 2, 2.0),
        (("south",), "Q", T + 3, 40.0),
        (("south",), "H", T, 4.0),
    ]


def test_descending_orders_time_within_a_group(store: Store, hydro: Dataset) -> None:
    query = SeriesQuery(("H",), group_by=("basin",), descending=True)
    found = [p[2] for p in points(store, hydro, query) if p[0] == ("north",)]
    assert found == [T + 2, T + 1, T]


def test_first_only_keeps_the_first_point_per_group_and_element(
    store: Store, hydro: Dataset
) -> None:
    latest = SeriesQuery(("H", "Q"), group_by=("basin",), first_only=True, descending=True)
    assert points(store, hydro, latest) == [
        ((None,), "H", T + 5, 5.0),
        (("north",), "H", T + 2, 2.0),
        (("north",), "Q", T + 1, 10.0),
        (("south",), "H", T, 4.0),
        (("south",), "Q", T + 3, 40.0),
    ]
    earliest = SeriesQuery(("H",), group_by=("basin",), first_only=True)
    assert [p[2:] for p in points(store, hydro, earliest)] == [(T + 5, 5.0), (T, 1.0), (T, 4.0)]


def test_first_only_respects_the_filter(store: Store, hydro: Dataset) -> None:
    where = all_of(
        Compare(Time(), Op.LT, Instant(T + 2)), Compare(Property("H"), Op.GT, 1.5)
    )  # documents A2@T+1 (H 3) and B1@T (H 4) only
    query = SeriesQuery(("H", "Q"), where=where, group_by=("basin",), first_only=True)
    assert points(store, hydro, query) == [
        (("north",), "H", T + 1, 3.0),
        (("south",), "H", T, 4.0),
    ]
    every = SeriesQuery(("H", "Q"), where=where, group_by=("basin",))
    assert points(store, hydro, every) == points(store, hydro, query)


def test_without_group_by_each_document_is_its_group(store: Store, hydro: Dataset) -> None:
    where = Compare(Property("code"), Op.EQ, "A1")
    found = list(all_points(store, hydro, SeriesQuery(("H", "Q"), where=where)))
    a1 = found[0].document_id
    feature_id = int(a1[:10], 16)
    assert [(p.group, p.element, p.time, p.value) for p in found] == [
        ((observation_document_id(feature_id, T),), "H", T, 1.0),
        ((observation_document_id(feature_id, T + 1),), "Q", T + 1, 10.0),
        ((observation_document_id(feature_id, T + 2),), "H", T + 2, 2.0),
    ]
    assert found[0].properties == {"basin": "north", "code": "A1"}
    assert found[0].geometry == point(1, 1)
    first = SeriesQuery(("H", "Q"), where=where, first_only=True)
    assert [p.time for p in all_points(store, hydro, first)] == [T, T + 1, T + 2]


def test_geometry_element(store: Store, hydro: Dataset) -> None:
    query = SeriesQuery(("geometry", "H"), group_by=("basin",))
    found = [(p.group, p.element, p.time, p.value) for p in all_points(store, hydro, query)]
    north_geometries = [p for p in found if p[0] == ("north",) and p[1] == "geometry"]
    # one point per document having a geometry (A1 at T, T+1, T+2; A2 at T+1)
    assert [(p[2], p[3]) for p in north_geometries] == [
        (T, point(1, 1)),
        (T + 1, point(1, 1)),
        (T + 1, point(2, 2)),
        (T + 2, point(1, 1)),
    ]
    assert not [p for p in found if p[0] == (None,) and p[1] == "geometry"]  # C1 has none
    assert found.index(north_geometries[0]) < found.index((("north",), "H", T, 1.0))
    latest = SeriesQuery(("geometry",), group_by=("basin",), first_only=True, descending=True)
    assert points(store, hydro, latest) == [
        (("north",), "geometry", T + 2, point(1, 1)),
        (("south",), "geometry", T + 3, point(3, 3)),
    ]


def test_group_by_several_properties(store: Store, hydro: Dataset) -> None:
    query = SeriesQuery(("H",), group_by=("basin", "code"), first_only=True)
    assert [p[0] for p in points(store, hydro, query)] == [
        (None, "C1"),
        ("north", "A1"),
        ("north", "A2"),
        ("south", "B1"),
    ]


def test_unknown_elements_and_stations_datasets_have_no_points(
    store: Store, hydro: Dataset
) -> None:
    assert points(store, hydro, SeriesQuery(("level",))) == []
    assert points(store, hydro, SeriesQuery(())) == []
    sites = store.get_dataset("stations")
    assert points(store, sites, SeriesQuery(("H", "geometry"))) == []


def test_runs_are_a_feature_s_consecutive_points(store: Store, hydro: Dataset) -> None:
    """A group of one feature is one run per element; a group of several features whose
    points interleave in time is cut where the feature changes, keeping the points' order."""
    by_code = SeriesQuery(("H", "Q"), group_by=("code",))
    a1 = [run for run in store.series_runs(hydro, by_code) if run.group == ("A1",)]
    assert [(run.element, run.times, run.values) for run in a1] == [
        ("H", [T, T + 2], [1.0, 2.0]),
        ("Q", [T + 1], [10.0]),
    ]
    by_basin = SeriesQuery(("H",), group_by=("basin",))
    north = [run for run in store.series_runs(hydro, by_basin) if run.group == ("north",)]
    assert [(run.properties["code"], run.times) for run in north] == [
        ("A1", [T]),
        ("A2", [T + 1]),
        ("A1", [T + 2]),
    ]


def test_features_json_stays_right_across_batches_and_cache_clears(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3,000 rows come in two batches; with a cache of 2 features it is cleared on each one,
    while the run crossing the batches is still open."""
    monkeypatch.setattr(FeatureJson, "LIMIT", 2)
    sites = stations(store)
    codes = [f"S{n:02}" for n in range(30)]
    write_features(store, sites, [at(code, n, n, code=code) for n, code in enumerate(codes)])
    dataset = observations(store)
    write(store, dataset, [ObservationInput(c, "H", T + i, 1.0) for c in codes for i in range(100)])
    runs = list(
        store.series_runs(store.get_dataset(dataset.name), SeriesQuery(("H",), group_by=("code",)))
    )
    assert {run.group[0] for run in runs} == set(codes)
    assert all(run.properties == {"code": run.group[0]} for run in runs)
    assert sum(len(run.times) for run in runs) == 3000
