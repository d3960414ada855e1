"""Series resolution and observation writes and reads, on both backends."""

from __future__ import annotations

import pytest

from geoseries.errors import ValidationFailed
from geoseries.model import Observation, ObservationInput, ObservationRow
from geoseries.store import Store
from tests.store.helpers import at, keys, observations, read, stations, write, write_features

H = 3_600_000


def test_resolve_series_creates_missing_features_in_the_stations_dataset(store: Store) -> None:
    linked_to = stations(store)
    hydro = observations(store)
    write_features(store, linked_to, [at("S1", 1, 1, name="known")])
    with store.writer() as writer:
        ids = writer.resolve_series(hydro, [("S1", "H"), ("S1", "Q"), ("S2", "H")])
    assert len(set(ids.values())) == 3
    assert keys(store, linked_to) == ["S1", "S2"]
    assert keys(store, hydro) == []
    by_key = {f.key: f for f in store.iter_features(linked_to)}
    assert by_key["S1"].properties == {"name": "known"}
    assert by_key["S2"].geometry is None
    assert by_key["S2"].properties == {}


def test_resolve_series_is_stable_across_transactions(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    with store.writer() as writer:
        first = writer.resolve_series(hydro, [("S1", "H"), ("S2", "H")])
        again = writer.resolve_series(hydro, [("S2", "H"), ("S1", "H")])
    with store.writer() as writer:
        later = writer.resolve_series(hydro, iter([("S1", "H"), ("S2", "H"), ("S3", "H")]))
    assert again == first
    assert {k: later[k] for k in first} == first
    assert later[("S3", "H")] not in first.values()


def test_resolve_series_without_stations_link_uses_the_dataset_itself(store: Store) -> None:
    own = stations(store)
    unlinked = observations(store, "unlinked", linked_to=None)
    with store.writer() as writer:
        writer.resolve_series(own, [("A", "H")])
        writer.resolve_series(unlinked, [("B", "H")])
    assert keys(store, own) == ["A"]
    assert keys(store, unlinked) == ["B"]


def test_series_of_two_datasets_sharing_stations_are_distinct(store: Store) -> None:
    stations(store)
    first, second = observations(store, "first"), observations(store, "second")
    write(store, first, [ObservationInput("S1", "H", 0, 1.0)])
    write(store, second, [ObservationInput("S1", "H", 0, 2.0)])
    assert [r.value for r in read(store, first)] == [1.0]
    assert [r.value for r in read(store, second)] == [2.0]


def test_write_and_read_ordered(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    rows = [
        ObservationInput("S2", "H", 2 * H, 2.0),
        ObservationInput("S1", "Q", 1 * H, 10.0, raw_value=10.4),
        ObservationInput("S1", "H", 3 * H, 1.3),
        ObservationInput("S1", "H", 1 * H, 1.1),
    ]
    assert write(store, hydro, rows) == 4
    assert read(store, hydro) == [
        ObservationRow("S1", "H", 1 * H, 1.1, None),
        ObservationRow("S1", "H", 3 * H, 1.3, None),
        ObservationRow("S1", "Q", 1 * H, 10.0, 10.4),
        ObservationRow("S2", "H", 2 * H, 2.0, None),
    ]
    assert store.count_observations(hydro) == 4


def test_time_range_is_half_open(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    write(store, hydro, [ObservationInput("S1", "H", t * H, float(t)) for t in range(10)])
    assert [r.time // H for r in read(store, hydro, start=3 * H, end=6 * H)] == [3, 4, 5]
    assert [r.time // H for r in read(store, hydro, start=8 * H)] == [8, 9]
    assert [r.time // H for r in read(store, hydro, end=2 * H)] == [0, 1]
    assert read(store, hydro, start=5 * H, end=5 * H) == []


def test_times_before_1970_and_far_ahead(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    times = [-2_208_988_800_000, 0, 4_102_444_800_000]
    write(store, hydro, [ObservationInput("S1", "H", t, 1.0) for t in times])
    assert [r.time for r in read(store, hydro)] == times


def test_same_series_and_time_twice_keeps_one_row_last_wins(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    write(store, hydro, [ObservationInput("S1", "H", H, 1.0, raw_value=1.0)])
    write(store, hydro, [ObservationInput("S1", "H", H, 2.0)])
    assert read(store, hydro) == [ObservationRow("S1", "H", H, 2.0, None)]
    assert store.count_observations(hydro) == 1


def test_duplicates_within_one_batch_last_wins(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    write(
        store,
        hydro,
        [
            ObservationInput("S1", "H", H, 1.0),
            ObservationInput("S1", "H", H, 3.0),
            ObservationInput("S1", "H", H, 2.0),
        ],
    )
    assert read(store, hydro) == [ObservationRow("S1", "H", H, 2.0, None)]


def test_duplicates_within_one_transaction_last_wins(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    write(
        store, hydro, [ObservationInput("S1", "H", H, 0.5), ObservationInput("S1", "H", 2 * H, 0.5)]
    )
    with store.writer() as writer:
        [series] = writer.resolve_series(hydro, [("S1", "H")]).values()
        writer.write_observations([Observation(series, H, 1.0, None)])
        writer.write_observations(
            [Observation(series, H, 2.0, 2.5), Observation(series, 3 * H, 3.0, None)]
        )
        writer.write_observations([Observation(series, 2 * H, 4.0, None)])
    assert read(store, hydro) == [
        ObservationRow("S1", "H", H, 2.0, 2.5),
        ObservationRow("S1", "H", 2 * H, 4.0, None),
        ObservationRow("S1", "H", 3 * H, 3.0, None),
    ]


def test_many_rows(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    rows = [ObservationInput(f"S{i % 7}", "HQ"[i % 2], i * 60_000, i / 3) for i in range(5_000)]
    write(store, hydro, rows)
    write(store, hydro, rows[:2_000])
    assert store.count_observations(hydro) == 5_000
    got = read(store, hydro)
    assert len(got) == 5_000
    assert sorted((r.feature_key, r.variable, r.time, r.value) for r in got) == sorted(
        (r.feature_key, r.variable, r.time, r.value) for r in rows
    )


def test_empty_write(store: Store) -> None:
    hydro = observations(store, linked_to=None)
    with store.writer() as writer:
        assert writer.write_observations([]) == 0
        assert writer.resolve_series(hydro, []) == {}
    assert read(store, hydro) == []


@pytest.mark.parametrize(("value", "raw"), [(float("nan"), None), (1.0, float("nan"))])
def test_nan_is_refused(store: Store, value: float, raw: float | None) -> None:
    stations(store)
    hydro = observations(store)
    with pytest.raises(ValidationFailed):
        write(
            store,
            hydro,
            [ObservationInput("S1", "H", 0, 1.0), ObservationInput("S1", "H", H, value, raw)],
        )
    assert read(store, hydro) == []


@pytest.mark.parametrize(
    ("value", "raw_value", "field"),
    [
        (float("inf"), None, "value"),
        (-float("inf"), 1.0, "value"),
        (1.0, float("-inf"), "raw_value"),
    ],
)
def test_infinities_are_refused(
    store: Store, value: float, raw_value: float | None, field: str
) -> None:
    stations(store)
    hydro = observations(store)
    with pytest.raises(ValidationFailed, match="finite") as caught:
        write(store, hydro, [ObservationInput("S1", "H", 0, value, raw_value)])
    assert caught.value.field == field
    assert read(store, hydro) == []
