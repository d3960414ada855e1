"""Each rule of the filter language, on both backends (see geoseries/filters.py)."""

from __future__ import annotations

from typing import Any

import pytest

from geoseries.errors import ValidationFailed
from geoseries.filters import (
    Absent,
    AllOf,
    AnyOf,
    Compare,
    Constant,
    Contains,
    Covers,
    DocId,
    Exists,
    Filter,
    GeometryType,
    InBoxes,
    Instant,
    Matches,
    Not,
    OneOf,
    Op,
    Property,
    Time,
    Within,
)
from geoseries.geometry import point
from geoseries.model import BBox, Dataset, FeatureInput, ObservationInput
from geoseries.queries import observation_document_id
from geoseries.store import Store
from geoseries.times import format_time
from tests.store.helpers import document_ids, observations, stations, write, write_features

WHEN = 1_687_252_800_000  # 2023-06-20T09:20:00.000Z
BOX = {"type": "Polygon", "coordinates": [[[10, 10], [12, 10], [12, 12], [10, 12], [10, 10]]]}


@pytest.fixture
def sites(store: Store) -> Dataset:
    dataset = stations(store)
    write_features(
        store,
        dataset,
        [
            FeatureInput(
                "num", point(2.35, 48.85), {"v": 3, "name": "Élan Vital", "deep": {"a": 1}}
            ),
            FeatureInput(
                "text", point(-179.5, 0), {"v": "3", "name": "rivière", "when": format_time(WHEN)}
            ),
            FeatureInput("bool", point(179.5, 0), {"v": True, "name": None}),
            FeatureInput("null", BOX, {"v": None, "name": "ÇA VA"}),
            FeatureInput("none", None, {"name": "nowhere", "v": 10.5}),
        ],
    )
    return dataset


def ids(store: Store, dataset: Dataset, where: Filter) -> list[str]:
    found = document_ids(store, dataset, where=where)
    assert store.count_documents(dataset, where) == len(found)
    return found


V = Property("v")


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (Compare(V, Op.EQ, 3.0), ["num"]),
        (Compare(V, Op.EQ, 3), ["num"]),
        (Compare(V, Op.EQ, "3"), ["text"]),
        (Compare(V, Op.EQ, True), ["bool"]),
        (Compare(V, Op.EQ, False), []),
        (Compare(V, Op.NE, 3.0), ["bool", "none", "null", "text"]),
        (Compare(V, Op.GT, 2.0), ["none", "num"]),
        (Compare(V, Op.LTE, 3.0), ["num"]),
        (Compare(V, Op.LT, "4"), ["text"]),
        (Compare(V, Op.GTE, "3"), ["text"]),
        (Compare(Property("deep", ("a",)), Op.EQ, 1.0), ["num"]),
        (Compare(Property("deep", ("b",)), Op.NE, 1.0), ["bool", "none", "null", "num", "text"]),
        (Compare(Property("missing"), Op.EQ, 1.0), []),
        (Compare(Property("missing"), Op.NE, 1.0), ["bool", "none", "null", "num", "text"]),
        (Compare(Property("when"), Op.EQ, Instant(WHEN)), ["text"]),
        (Compare(Property("when"), Op.GT, Instant(WHEN - 1)), ["text"]),
        (Compare(Property("when"), Op.LT, Instant(WHEN)), []),
        (Compare(Time(), Op.GT, Instant(0)), []),
        (Compare(Time(), Op.NE, Instant(0)), ["bool", "none", "null", "num", "text"]),
        (Compare(DocId(), Op.EQ, "num"), ["num"]),
        (Compare(DocId(), Op.GT, "n"), ["none", "null", "num", "text"]),
        (Compare(DocId(), Op.EQ, 1.0), []),
        (Compare(GeometryType(), Op.EQ, "Polygon"), ["null"]),
        (Compare(Absent("level"), Op.EQ, 1.0), []),
        (Compare(Absent("level"), Op.NE, 1.0), ["bool", "none", "null", "num", "text"]),
        (OneOf(V, (3.0, "3")), ["num", "text"]),
        (OneOf(V, (3.0, "3"), negate=True), ["bool", "none", "null"]),
        (OneOf(V, ()), []),
        (OneOf(V, (), negate=True), ["bool", "none", "null", "num", "text"]),
        (Exists(V), ["bool", "none", "null", "num", "text"]),
        (Exists(Property("when")), ["text"]),
        (Exists(Property("when"), exists=False), ["bool", "none", "null", "num"]),
        (Exists(GeometryType(), exists=False), ["none"]),
        (Exists(Time()), []),
        (Not(Compare(Property("when"), Op.EQ, "x")), ["bool", "none", "null", "num", "text"]),
        (Not(Compare(V, Op.GT, 5.0)), ["bool", "null", "num", "text"]),
        (AllOf(()), ["bool", "none", "null", "num", "text"]),
        (AnyOf(()), []),
        (AnyOf((Compare(V, Op.EQ, True), Compare(DocId(), Op.EQ, "num"))), ["bool", "num"]),
        (AllOf((Exists(V), Not(Exists(GeometryType())))), ["none"]),
        (Constant(False), []),
        (Not(Constant(False)), ["bool", "none", "null", "num", "text"]),
    ],
)
def test_typed_comparisons(
    store: Store, sites: Dataset, where: Filter, expected: list[str]
) -> None:
    assert sorted(ids(store, sites, where)) == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (Matches(Property("name"), "^riv"), ["text"]),
        (Matches(Property("name"), "Vital$"), ["num"]),
        (Matches(Property("name"), "a|o"), ["none", "num"]),
        (Matches(Property("v"), "^3$"), ["text"]),  # the number 3 is not text
        (Matches(DocId(), "^n"), ["none", "null", "num"]),
        (Not(Matches(Property("name"), "x")), ["bool", "none", "null", "num", "text"]),
        (Contains(Property("name"), "elan"), ["num"]),
        (Contains(Property("name"), "RIVIERE"), ["text"]),
        (Contains(Property("name"), "ça"), ["null"]),
        (Contains(Property("name"), "Elan", case_sensitive=True), ["num"]),
        (Contains(Property("name"), "elan", case_sensitive=True), []),
        (Contains(Property("name"), "%"), []),  # not a LIKE pattern
        (Contains(Property("v"), "3"), ["text"]),
        (Not(Contains(Property("name"), "e")), ["bool", "null"]),
    ],
)
def test_text_filters(store: Store, sites: Dataset, where: Filter, expected: list[str]) -> None:
    assert sorted(ids(store, sites, where)) == expected


def test_an_invalid_pattern_is_refused(store: Store, sites: Dataset) -> None:
    with pytest.raises(ValidationFailed):
        ids(store, sites, Matches(Property("name"), "("))


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (InBoxes((BBox(0, 40, 5, 50),)), ["num"]),
        (InBoxes((BBox(179, -1, -179, 1),)), ["bool", "text"]),  # across the antimeridian
        (InBoxes((BBox(0, 40, 5, 50), BBox(11, 11, 13, 13))), ["null", "num"]),
        (InBoxes(()), []),
        (Not(InBoxes((BBox(0, 40, 5, 50),))), ["bool", "none", "null", "text"]),
        (Within(2.35, 48.0, 95_000), ["num"]),
        (Within(2.35, 48.0, 94_000), []),
        (Within(180.0, 0.0, 60_000), ["bool", "text"]),
        (Within(11.0, 11.0, 1.0), ["null"]),  # the centre of the polygon's bounds
        (Not(Within(2.35, 48.0, 95_000)), ["bool", "none", "null", "text"]),
        (Covers(11.5, 10.5), ["null"]),
        (Covers(2.35, 48.85), ["num"]),
        (Covers(13.0, 10.5), []),
    ],
)
def test_spatial_filters(store: Store, sites: Dataset, where: Filter, expected: list[str]) -> None:
    assert sorted(ids(store, sites, where)) == expected


@pytest.fixture
def hydro(store: Store, sites: Dataset) -> Dataset:
    dataset = observations(store)
    write(
        store,
        dataset,
        [
            ObservationInput("num", "H", WHEN, 1.5),
            ObservationInput("num", "Q", WHEN, 7.0),
            ObservationInput("num", "H", WHEN + 60_000, 2.5),
            ObservationInput("text", "H", WHEN, 0.5),
            ObservationInput("text", "v", WHEN + 60_000, 99.0),
        ],
    )
    return store.get_dataset(dataset.name)  # read again: now with its stored variables


def feature_id(store: Store, dataset: Dataset, key: str) -> int:
    return next(f.id for f in store.iter_features(dataset) if f.key == key)


def test_observation_fields(store: Store, sites: Dataset, hydro: Dataset) -> None:
    num, text = feature_id(store, sites, "num"), feature_id(store, sites, "text")
    a, b = observation_document_id(num, WHEN), observation_document_id(num, WHEN + 60_000)
    c, d = observation_document_id(text, WHEN), observation_document_id(text, WHEN + 60_000)
    cases: list[tuple[Filter, list[str]]] = [
        (Compare(Time(), Op.EQ, Instant(WHEN)), [a, c]),
        (Compare(Time(), Op.GT, Instant(WHEN)), [b, d]),
        (Compare(Time(), Op.EQ, format_time(WHEN)), []),  # a time is not text
        (Compare(Property("H"), Op.GT, 1.0), [a, b]),
        (Compare(Property("Q"), Op.EQ, 7.0), [a]),
        (Exists(Property("Q")), [a]),
        (Not(Exists(Property("H"))), [d]),
        (Compare(Property("v"), Op.EQ, 99.0), [d]),  # the variable overrides the feature's v
        (Compare(Property("v"), Op.EQ, "3"), [c]),  # ... only where it is observed
        (Compare(Property("v"), Op.EQ, 3.0), [a, b]),
        (Compare(DocId(), Op.EQ, b), [b]),
        (Compare(DocId(), Op.EQ, "not an id"), []),
        (Compare(DocId(), Op.NE, b), [a, c, d]),
        (Compare(DocId(), Op.LT, c), [a, b]),
        (Compare(DocId(), Op.GTE, b), [b, c, d]),
        (InBoxes((BBox(0, 40, 5, 50),)), [a, b]),
        (Compare(Property("name"), Op.EQ, "rivière"), [c, d]),
    ]
    for where, expected in cases:
        assert sorted(ids(store, hydro, where)) == sorted(expected), where


def test_stations_datasets_have_no_time(store: Store, sites: Dataset) -> None:
    assert ids(store, sites, Exists(Time())) == []
    assert len(ids(store, sites, Exists(Time(), exists=False))) == 5


def test_a_property_path_under_a_variable_reads_the_feature(store: Store, sites: Dataset) -> None:
    dataset = observations(store)
    write(store, dataset, [ObservationInput("num", "deep", WHEN, 1.0)])
    write(store, dataset, [ObservationInput("num", "H", WHEN + 1, 1.0)])
    dataset = store.get_dataset(dataset.name)
    found: Any = ids(store, dataset, Compare(Property("deep", ("a",)), Op.EQ, 1.0))
    num = feature_id(store, sites, "num")
    assert found == [observation_document_id(num, WHEN + 1)]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (Compare(Property("code"), Op.EQ, "x"), ["plain"]),  # not in an array, not nested
        (Not(Compare(Property("code"), Op.EQ, "x")), ["array", "nested", "other", "true"]),
        (Compare(Property("code"), Op.EQ, True), ["true"]),
        (Compare(Property("code"), Op.EQ, "y"), []),
        (Compare(Property("code", ("k",)), Op.EQ, "x"), ["nested"]),
        (
            AnyOf((Compare(Property("code"), Op.EQ, "x"), Exists(Property("other")))),
            ["other", "plain"],
        ),
    ],
)
def test_equality_on_strings_and_booleans_is_exact(
    store: Store, where: Filter, expected: list[str]
) -> None:
    """PostgreSQL narrows these with a containment test its GIN index answers: it must not
    change what matches (an array holding the value, a nested object, another type)."""
    dataset = stations(store)
    write_features(
        store,
        dataset,
        [
            FeatureInput("plain", None, {"code": "x"}),
            FeatureInput("array", None, {"code": ["x"]}),
            FeatureInput("nested", None, {"code": {"k": "x"}}),
            FeatureInput("true", None, {"code": True}),
            FeatureInput("other", None, {"other": "x"}),
        ],
    )
    assert sorted(ids(store, dataset, where)) == expected
