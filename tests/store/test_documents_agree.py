"""SQLite and PostGIS select, order and count the same documents for random filters.

Hypothesis writes a few features (properties of every JSON kind, text of ASCII and the accented
letters `text_fold` knows) and observations, then compares what both backends answer to random
filters, sorts and distinct queries. Row ids may differ between the backends, so documents are
compared as (feature key, time).
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoseries.filters import (
    AllOf,
    AnyOf,
    Compare,
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
from geoseries.model import BBox, Dataset, DatasetKind, DatasetSpec, FeatureInput, ObservationInput
from geoseries.queries import DocumentQuery, SortKey, decode_observation_document_id
from geoseries.store import Store
from geoseries.store.text_fold import ACCENTED
from tests.store.helpers import write, write_features

pytestmark = pytest.mark.postgres

NAMES = itertools.count()
LETTERS = st.sampled_from("abcABC xyz-1" + ACCENTED)
texts = st.text(LETTERS, max_size=5)
numbers = st.integers(-5, 5) | st.sampled_from([0.5, -2.25, 1e-3, 0.1 + 0.2])
scalars = st.none() | st.booleans() | numbers | texts
json_values = scalars | st.lists(numbers, max_size=2) | st.dictionaries(st.just("k"), numbers)
PROPERTIES = ["p", "q", "H"]
properties = st.dictionaries(st.sampled_from(PROPERTIES), json_values, max_size=3)
points = st.builds(
    lambda lon, lat: {"type": "Point", "coordinates": [lon, lat]},
    st.integers(-180, 180),
    st.integers(-80, 80),
)
features = st.lists(
    st.builds(FeatureInput, st.sampled_from("ABCDEFG"), st.none() | points, properties),
    max_size=6,
    unique_by=lambda f: f.key,
)
times = st.integers(0, 4).map(lambda n: n * 60_000)
filter_values = st.booleans() | numbers | texts | times.map(Instant)
fields = st.sampled_from([Property("p"), Property("q"), Property("H"), Property("p", ("k",))])
fields = fields | st.sampled_from([Time(), DocId(), GeometryType()])
leaves = st.one_of(
    st.builds(Compare, fields, st.sampled_from(list(Op)), filter_values),
    st.builds(OneOf, fields, st.lists(filter_values, max_size=3).map(tuple), st.booleans()),
    st.builds(Exists, fields, st.booleans()),
    st.builds(Matches, fields, st.sampled_from(["^a", "b$", "[xy]", "é|1"])),
    st.builds(Contains, fields, texts, st.booleans()),
    st.builds(
        InBoxes,
        st.lists(
            st.builds(
                BBox,
                st.integers(-180, 180),
                st.integers(-80, 0),
                st.integers(-180, 180),
                st.integers(0, 80),
            ),
            max_size=2,
        ).map(tuple),
    ),
    st.builds(Within, st.integers(-180, 180), st.integers(-80, 80), st.sampled_from([1e5, 3e6])),
    st.builds(Covers, st.integers(-180, 180), st.integers(-80, 80)),
)
filters = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda parts: AllOf(tuple(parts))),
        st.lists(inner, max_size=3).map(lambda parts: AnyOf(tuple(parts))),
        st.builds(Not, inner),
    ),
    max_leaves=5,
)


def numbers_as_decimals(value: Any) -> Any:
    """1 and 1.0 are one JSON number (jsonb keeps 1.0, SQLite reads 1.0 back as 1.0 or 1)."""
    if isinstance(value, dict):
        return {k: numbers_as_decimals(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [numbers_as_decimals(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(repr(float(value)))
    return value


def answers(store: Store, where: Filter, sort_field: Any, number: int) -> Any:
    stations = store.get_dataset(f"s{number}")
    hydro = store.get_dataset(f"o{number}")
    keys = {f.id: f.key for f in store.iter_features(stations)}

    def named(document_id: str, dataset: Dataset) -> Any:
        if not dataset.holds_observations:
            return document_id
        decoded = decode_observation_document_id(document_id)
        assert decoded is not None
        return (keys[decoded[0]], decoded[1])

    result = {}
    for dataset in (stations, hydro):
        found = store.find_documents(dataset, DocumentQuery(where=where))
        result[dataset.holds_observations] = {
            "found": sorted(
                (named(d.id, dataset), numbers_as_decimals(d.properties)) for d in found
            ),
            "count": store.count_documents(dataset, where),
            "sorted": [
                named(d.id, dataset)
                for d in store.find_documents(
                    dataset, DocumentQuery(where=where, sort=(SortKey(sort_field, True),))
                )
            ]
            if not dataset.holds_observations
            else None,
            "distinct": numbers_as_decimals(
                [
                    v
                    for v in store.distinct_values(dataset, Property("p"), where)
                    if not isinstance(v, (dict, list))
                ]
            ),
        }
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    written=features,
    observed=st.lists(
        st.builds(
            ObservationInput, st.sampled_from("ABC"), st.sampled_from(["H", "p"]), times, numbers
        ),
        max_size=8,
    ),
    where=filters,
    sort_field=st.sampled_from([Property("p"), Property("q"), GeometryType(), DocId()]),
)
def test_backends_agree_on_documents(
    backends: tuple[Store, Store],
    written: list[FeatureInput],
    observed: list[ObservationInput],
    where: Filter,
    sort_field: Any,
) -> None:
    number = next(NAMES)
    results = []
    for store in backends:
        stations = store.create_dataset(DatasetSpec(f"s{number}"))
        hydro = store.create_dataset(
            DatasetSpec(f"o{number}", kind=DatasetKind.OBSERVATIONS, stations=stations.name)
        )
        try:
            write_features(store, stations, written)
            write(
                store,
                hydro,
                [
                    ObservationInput(o.feature_key, o.variable, o.time, float(o.value))
                    for o in observed
                ],
            )
            results.append(answers(store, where, sort_field, number))
        finally:
            store.delete_dataset(hydro.name)
            store.delete_dataset(stations.name)
    on_sqlite, on_postgres = results
    assert on_sqlite == on_postgres
    for answer in on_sqlite.values():
        assert answer["count"] == len(answer["found"])
