"""Write transactions are all-or-nothing; ping and ingest errors, on both backends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from geoseries.errors import Unavailable, ValidationFailed
from geoseries.geometry import point
from geoseries.model import DatasetSpec, FeatureInput, Observation, ObservationInput
from geoseries.store import Store, open_store
from geoseries.store import schema as t
from tests.store.helpers import (
    at,
    keys,
    observations,
    read,
    stations,
    table_count,
    table_rows,
    write,
)


class Boom(Exception):
    pass


def test_exception_in_writer_leaves_nothing_written(store: Store) -> None:
    linked_to = stations(store)
    hydro = observations(store)

    def write_then_fail() -> None:
        with store.writer() as writer:
            writer.upsert_features(linked_to, [at("S1", 1, 1)])
            ids = writer.resolve_series(hydro, [("S1", "H"), ("S2", "H")])
            writer.write_observations([Observation(ids[("S1", "H")], 0, 1.0, None)])
            writer.write_observations([Observation(ids[("S2", "H")], 0, 2.0, None)])
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    assert keys(store, linked_to) == []
    assert read(store, hydro) == []
    assert table_count(store, t.series) == 0
    assert table_count(store, t.observations) == 0


def test_failed_transaction_does_not_leak_into_the_next(store: Store) -> None:
    stations(store)
    hydro = observations(store)

    def write_then_fail() -> None:
        with store.writer() as writer:
            [series] = writer.resolve_series(hydro, [("S1", "H")]).values()
            writer.write_observations([Observation(series, 0, 1.0, None)])
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    write(store, hydro, [ObservationInput("S2", "H", 3_600_000, 2.0)])
    assert [(r.feature_key, r.value) for r in read(store, hydro)] == [("S2", 2.0)]


def test_writers_one_after_another_all_commit(store: Store) -> None:
    stations(store)
    hydro = observations(store)
    for step in range(5):
        write(store, hydro, [ObservationInput("S1", "H", step, float(step))])
    assert [r.value for r in read(store, hydro)] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_reads_see_nothing_before_commit(store: Store) -> None:
    linked_to = stations(store)
    with store.writer() as writer:
        writer.upsert_features(linked_to, [at("S1", 1, 1)])
        assert keys(store, linked_to) == []
    assert keys(store, linked_to) == ["S1"]


def test_ping(store: Store) -> None:
    store.ping()


def test_ping_unreachable_sqlite(tmp_path: Path) -> None:
    (tmp_path / "is-a-directory").mkdir()
    store = open_store(f"sqlite:///{tmp_path / 'is-a-directory'}", migrate=False)
    try:
        with pytest.raises(Unavailable):
            store.ping()
    finally:
        store.close()


@pytest.mark.postgres
def test_ping_unreachable_postgres() -> None:
    store = open_store("postgresql://postgres@127.0.0.1:1/nothing", migrate=False)
    try:
        with pytest.raises(Unavailable):
            store.ping()
    finally:
        store.close()


def test_record_ingest_error(store: Store) -> None:
    hydro = store.create_dataset(DatasetSpec("hydro"))
    store.record_ingest_error(
        topic="device/sck/abc/readings", message="{bad", error="not JSON", dataset_id=hydro.id
    )
    store.record_ingest_error(topic="t", message="x" * 20_000, error="too long", dataset_id=None)
    rows = sorted(table_rows(store, t.ingest_errors), key=lambda row: row.id)
    assert [(r.topic, r.message, r.error, r.dataset_id) for r in rows[:1]] == [
        ("device/sck/abc/readings", "{bad", "not JSON", hydro.id)
    ]
    assert len(rows[1].message) == 10_000
    assert rows[1].dataset_id is None
    assert all(r.created_at > 0 for r in rows)


def test_ingest_errors_go_with_their_dataset(store: Store) -> None:
    hydro = store.create_dataset(DatasetSpec("hydro"))
    store.record_ingest_error(topic="t", message="m", error="e", dataset_id=hydro.id)
    store.delete_dataset("hydro")
    assert table_count(store, t.ingest_errors) == 0


def test_callers_exception_wins_over_an_earlier_caught_one(store: Store) -> None:
    dataset = stations(store)

    def catch_then_fail() -> None:
        with store.writer() as writer:
            writer.upsert_features(dataset, [at("good", 1, 1)])
            with pytest.raises(ValidationFailed):
                writer.upsert_features(dataset, [FeatureInput("bad", point(0, 95))])
            raise Boom

    with pytest.raises(Boom):
        catch_then_fail()
    assert keys(store, dataset) == []


def test_unopenable_sqlite_fails_writes_instead_of_hanging(tmp_path: Path) -> None:
    (tmp_path / "is-a-directory").mkdir()
    store = open_store(f"sqlite:///{tmp_path / 'is-a-directory'}", migrate=False)
    outcome: list[BaseException] = []

    def attempt() -> None:
        for _ in range(2):  # the second attempt must fail too, not wait for a dead thread
            try:
                store.create_organization("acme", api_key_hash="a" * 64, key_prefix="gs_aaaa")
            except BaseException as error:
                outcome.append(error)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=20)
    store.close()
    assert not worker.is_alive(), "the write waited forever"
    assert [type(error) for error in outcome] == [Unavailable, Unavailable]
