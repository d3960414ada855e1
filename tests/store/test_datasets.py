"""Datasets: naming, the stations link, listing and deletion, on both backends."""

from __future__ import annotations

import pytest

from geoseries.errors import Conflict, NotFound, ValidationFailed
from geoseries.model import DatasetKind, DatasetSpec, ObservationInput
from geoseries.store import Store
from geoseries.store import schema as t
from tests.store.helpers import (
    at,
    keys,
    observations,
    read,
    stations,
    table_count,
    write,
    write_features,
)


def test_create_and_get(store: Store) -> None:
    spec = DatasetSpec(
        "hydro.stations_v2",
        kind=DatasetKind.STATIONS,
        feature_id="code_station",
        label="Hydrometric stations",
        variables=("H", "Q"),
        public=True,
    )
    created = store.create_dataset(spec)
    assert created.name == "hydro.stations_v2"
    assert created.kind is DatasetKind.STATIONS
    assert created.feature_id == "code_station"
    assert created.label == "Hydrometric stations"
    assert created.variables == ("H", "Q")
    assert created.public is True
    assert created.stations_dataset_id is None
    assert created.organization_id is None
    assert not created.holds_observations
    assert store.get_dataset("hydro.stations_v2") == created


def test_defaults(store: Store) -> None:
    created = store.create_dataset(DatasetSpec("plain"))
    assert (created.kind, created.variables, created.public, created.label) == (
        DatasetKind.STATIONS,
        (),
        False,
        None,
    )


def test_duplicate_name_is_a_conflict(store: Store) -> None:
    store.create_dataset(DatasetSpec("rivers"))
    with pytest.raises(Conflict, match="rivers"):
        store.create_dataset(DatasetSpec("rivers", kind=DatasetKind.ASSETS))
    assert store.get_dataset("rivers").kind is DatasetKind.STATIONS


@pytest.mark.parametrize(
    "name",
    [
        "",
        "-leading-dash",
        ".hidden",
        "with space",
        "slash/name",
        "é",
        "x" * 65,
        "trailing\n",
        "a#b",
    ],
)
def test_bad_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        store.create_dataset(DatasetSpec(name))
    assert caught.value.field == "name"
    assert store.list_datasets() == []


def test_longest_name_is_accepted(store: Store) -> None:
    assert store.create_dataset(DatasetSpec("x" * 64)).name == "x" * 64


def test_observations_dataset_links_to_stations(store: Store) -> None:
    linked_to = stations(store)
    hydro = observations(store)
    assert hydro.kind is DatasetKind.OBSERVATIONS
    assert hydro.holds_observations
    assert hydro.stations_dataset_id == linked_to.id


@pytest.mark.parametrize("kind", [DatasetKind.STATIONS, DatasetKind.DEVICES, DatasetKind.ASSETS])
def test_only_observations_datasets_link_to_stations(store: Store, kind: DatasetKind) -> None:
    stations(store)
    with pytest.raises(ValidationFailed) as caught:
        store.create_dataset(DatasetSpec("linked", kind=kind, stations="stations"))
    assert caught.value.field == "stations"


def test_link_to_a_missing_dataset_is_refused(store: Store) -> None:
    with pytest.raises(ValidationFailed) as caught:
        observations(store, linked_to="nowhere")
    assert caught.value.field == "stations"
    assert store.list_datasets() == []


def test_link_to_an_observations_dataset_is_refused(store: Store) -> None:
    stations(store)
    observations(store, "first")
    with pytest.raises(ValidationFailed, match="holds observations") as caught:
        observations(store, "second", linked_to="first")
    assert caught.value.field == "stations"


def test_dataset_owned_by_organization(store: Store) -> None:
    acme = store.create_organization("acme", api_key_hash="a" * 64, key_prefix="gs_aaaa")
    owned = store.create_dataset(DatasetSpec("owned", organization="acme"))
    assert owned.organization_id == acme.id


def test_dataset_of_unknown_organization_is_refused(store: Store) -> None:
    with pytest.raises(NotFound) as caught:
        store.create_dataset(DatasetSpec("owned", organization="nobody"))
    assert caught.value.field == "organization"
    assert store.list_datasets() == []


def test_list_is_ordered_by_name(store: Store) -> None:
    """By bytes, as SQLite compares text (a locale collation would interleave cases)."""
    for name in ["b", "A", "x_x", "a", "B.1", "B-2"]:
        store.create_dataset(DatasetSpec(name))
    assert [d.name for d in store.list_datasets()] == ["A", "B-2", "B.1", "a", "b", "x_x"]


def test_missing_dataset_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound) as caught:
        store.get_dataset("nothing")
    assert caught.value.field == "dataset"
    with pytest.raises(NotFound):
        store.delete_dataset("nothing")


def test_delete_removes_features_series_and_observations(store: Store) -> None:
    own = stations(store)
    other = stations(store, "other")
    write_features(store, own, [at("A", 1, 2), at("B", 3, 4)])
    write_features(store, other, [at("A", 1, 2)])
    write(store, own, [ObservationInput("A", "H", 1000, 1.5)])
    write(store, other, [ObservationInput("A", "H", 1000, 7.0)])

    store.delete_dataset("stations")

    assert [d.name for d in store.list_datasets()] == ["other"]
    with pytest.raises(NotFound):
        store.get_dataset("stations")
    assert table_count(store, t.observations) == 1
    assert table_count(store, t.series) == 1
    assert table_count(store, t.features) == 1
    assert keys(store, other) == ["A"]
    assert [r.value for r in read(store, other)] == [7.0]


def test_delete_observations_dataset_keeps_its_stations(store: Store) -> None:
    linked_to = stations(store)
    hydro = observations(store)
    write(store, hydro, [ObservationInput("S1", "H", 1000, 1.0)])
    store.delete_dataset("hydro")
    assert keys(store, linked_to) == ["S1"]
    assert table_count(store, t.observations) == 0
    assert table_count(store, t.series) == 0


def test_delete_stations_removes_observations_of_linked_datasets(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    write(store, hydro, [ObservationInput("S1", "H", 1000, 1.0)])
    store.delete_dataset("stations")
    hydro = store.get_dataset("hydro")
    assert hydro.stations_dataset_id is None
    assert read(store, hydro) == []
    assert store.count_observations(hydro) == 0
    assert table_count(store, t.observations) == 0


def test_name_is_free_again_after_delete(store: Store) -> None:
    first = stations(store)
    write_features(store, first, [at("A", 1, 2)])
    store.delete_dataset("stations")
    second = stations(store)
    assert store.count_features(second) == 0


def test_a_dataset_by_row_id(store: Store) -> None:
    created = store.create_dataset(DatasetSpec("by-id"))
    assert store.get_dataset_by_id(created.id) == created
    with pytest.raises(NotFound):
        store.get_dataset_by_id(created.id + 1000)


def test_a_dataset_lists_the_variables_it_has_series_of(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    assert hydro.stored_variables == frozenset()
    write(store, hydro, [ObservationInput("A", "H", 0, 1.0), ObservationInput("B", "Q", 0, 2.0)])
    write(store, hydro, [ObservationInput("C", "H", 0, 3.0)])  # H again: listed once
    assert store.get_dataset(hydro.name).stored_variables == {"H", "Q"}
    assert {d.name: d.stored_variables for d in store.list_datasets()}[hydro.name] == {"H", "Q"}
    assert table_count(store, t.dataset_variables) == 2
    store.delete_dataset(hydro.name)
    assert table_count(store, t.dataset_variables) == 0
