from __future__ import annotations

from geoseries.ingest.demo import DAYS, load_demo
from geoseries.model import now_ms
from geoseries.store import Store


def test_demo_loads_recent_readings_and_reloads_idempotently(store: Store) -> None:
    stations, observations = load_demo(store)
    assert store.count_features(stations) == 5
    count = store.count_observations(observations)
    assert count == 5 * 2 * DAYS * 24 * 6
    newest = max(r.time for r in store.iter_observations(observations))
    assert now_ms() - newest < 11 * 60 * 1000
    load_demo(store)
    assert store.count_features(stations) == 5
    assert store.count_observations(observations) <= count + 5 * 2
