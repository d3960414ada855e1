"""Features keep their `featureId` value in `features.id_value` (see `schema.id_value`).

Queries on that property read the column instead of the JSON; they must answer exactly what
the JSON answers. Hypothesis checks it by writing the same features twice on each backend:
under stations whose `featureId` is `p` (the column is used) and under stations without one
(only the JSON is), then comparing every answer.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from geoseries.filters import Compare, Filter, OneOf, Op, Property
from geoseries.model import Dataset, DatasetKind, DatasetSpec, FeatureInput, ObservationInput
from geoseries.queries import DocumentQuery, SeriesQuery, SortKey
from geoseries.store import Store, open_store
from geoseries.store import schema as t
from geoseries.store.migrate import downgrade, ensure_current
from geoseries.store.sql import SqlStore
from tests.store.helpers import write, write_features
from tests.store.test_documents_agree import features, filters, numbers, numbers_as_decimals

pytestmark = pytest.mark.postgres

NAMES = itertools.count()
observed = st.lists(
    st.builds(
        ObservationInput,
        st.sampled_from("ABCH"),  # H: a feature only observations create
        st.sampled_from(["H", "q"]),
        st.integers(0, 3).map(lambda n: n * 60_000),
        numbers,
    ),
    max_size=8,
)


def datasets(store: Store, name: str, feature_id: str | None) -> tuple[Dataset, Dataset]:
    stations = store.create_dataset(DatasetSpec(f"{name}-s", feature_id=feature_id))
    hydro = store.create_dataset(
        DatasetSpec(
            f"{name}-o", kind=DatasetKind.OBSERVATIONS, stations=stations.name, feature_id="p"
        )
    )
    return stations, hydro


def answers(store: Store, stations: Dataset, hydro: Dataset, where: Filter) -> Any:
    stations, hydro = store.get_dataset(stations.name), store.get_dataset(hydro.name)
    keys = {f.id: f.key for f in store.iter_features(stations)}
    by_p = (SortKey(Property("p"), True),)
    result: dict[str, Any] = {
        "stations": [
            (d.id, numbers_as_decimals(d.properties))
            for d in store.find_documents(stations, DocumentQuery(where=where, sort=by_p))
        ],
        "count": store.count_documents(stations, where),
        "observations": store.count_documents(hydro, where),
        "distinct": numbers_as_decimals(
            [
                v
                for v in store.distinct_values(stations, Property("p"), where)
                if not isinstance(v, dict | list)
            ]
        ),
    }
    for first_only in (False, True):
        query = SeriesQuery(("H", "q"), where, ("p",), descending=first_only, first_only=first_only)
        result[f"series {first_only}"] = [
            (
                numbers_as_decimals(run.group),
                run.element,
                keys[run.feature_row_id],
                run.times,
                numbers_as_decimals(run.values),
            )
            for run in store.series_runs(hydro, query)
        ]
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written=features, readings=observed, where=filters)
def test_the_column_answers_what_the_json_answers(
    backends: tuple[Store, Store],
    written: list[FeatureInput],
    readings: list[ObservationInput],
    where: Filter,
) -> None:
    number = next(NAMES)
    for store in backends:
        found = []
        for feature_id in ("p", None):
            stations, hydro = datasets(store, f"{number}-{feature_id}", feature_id)
            try:
                write_features(store, stations, written)
                write(
                    store,
                    hydro,
                    [
                        ObservationInput(r.feature_key, r.variable, r.time, float(r.value))
                        for r in readings
                    ],
                )
                found.append(answers(store, stations, hydro, where))
            finally:
                store.delete_dataset(hydro.name)
                store.delete_dataset(stations.name)
        with_column, json_only = found
        assert with_column == json_only


def id_values(store: Store, dataset: Dataset) -> dict[str, str | None]:
    assert isinstance(store, SqlStore)
    f = t.features.c
    query = select(f.key, f.id_value).where(f.dataset_id == dataset.id)
    with store.engine.connect() as conn:
        return {row.key: row.id_value for row in conn.execute(query)}


def matching(store: Store, dataset: Dataset, where: Filter) -> list[str]:
    return sorted(d.id for d in store.find_documents(dataset, DocumentQuery(where=where)))


LONG = "x" * (t.ID_VALUE_LENGTH + 1)


def test_every_write_keeps_the_column(store: Store) -> None:
    stations, hydro = datasets(store, "kept", "p")
    write_features(
        store,
        stations,
        [
            FeatureInput("A", None, {"p": "a"}),
            FeatureInput("B", None, {"p": 7}),
            FeatureInput("C", None, {"p": LONG}),
            FeatureInput("D", None, {"q": "a"}),
        ],
    )
    write(store, hydro, [ObservationInput("N", "H", 0, 1.0)])  # creates N with {"p": "N"}
    assert id_values(store, stations) == {"A": "a", "B": None, "C": None, "D": None, "N": "N"}
    write_features(
        store, stations, [FeatureInput("A", None, {"p": 1}), FeatureInput("B", None, {"p": "b"})]
    )
    assert id_values(store, stations)["A"] is None
    assert id_values(store, stations)["B"] == "b"
    assert matching(store, stations, Compare(Property("p"), Op.EQ, "a")) == []
    assert matching(store, stations, Compare(Property("p"), Op.EQ, "b")) == ["B"]
    assert matching(store, stations, Compare(Property("p"), Op.EQ, LONG)) == ["C"]
    assert matching(store, stations, OneOf(Property("p"), ("b", 1, LONG), False)) == ["A", "B", "C"]
    assert matching(store, stations, Compare(Property("p"), Op.NE, "b")) == ["A", "C", "D", "N"]


def test_the_migration_fills_the_column_in(database_url: str) -> None:
    store = open_store(database_url)
    try:
        stations, _ = datasets(store, "migrated", "p")
        write_features(
            store,
            stations,
            [FeatureInput("A", None, {"p": "a"}), FeatureInput("B", None, {"p": 2})],
        )
        assert isinstance(store, SqlStore)
        downgrade(store.engine, "0006")
        ensure_current(store.engine)
        assert id_values(store, stations) == {"A": "a", "B": None}
        assert matching(store, stations, Compare(Property("p"), Op.EQ, "a")) == ["A"]
    finally:
        store.close()
