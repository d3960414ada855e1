"""Load the bundled demo sample so a newcomer sees data at once (`geoseries serve --demo`).

Two datasets named as in the Kano guide: `hubeau-stations` (five river gauges) and
`hubeau-observations` (water level H in metres and flow Q in m3/s every 10 minutes over the
last seven days, so "latest value" queries show recent data). Loading twice changes nothing
but the newest readings.
"""

from __future__ import annotations

import math
from importlib.resources import files

import orjson

from geoseries.errors import NotFound
from geoseries.ingest.batches import ObservationBatcher
from geoseries.ingest.records import RecordReader
from geoseries.model import Dataset, DatasetKind, DatasetSpec, now_ms
from geoseries.store import Store

STATIONS = "hubeau-stations"
OBSERVATIONS = "hubeau-observations"
STEP_MS = 10 * 60 * 1000
DAYS = 7


def load_demo(store: Store) -> tuple[Dataset, Dataset]:
    stations = _dataset(
        store, DatasetSpec(STATIONS, feature_id="code_station", label="name", public=True)
    )
    observations = _dataset(
        store,
        DatasetSpec(
            OBSERVATIONS,
            kind=DatasetKind.OBSERVATIONS,
            feature_id="code_station",
            label="name",
            variables=("H", "Q"),
            stations=STATIONS,
            public=True,
        ),
    )
    collection = orjson.loads(files("geoseries.demo").joinpath("stations.geojson").read_bytes())
    reader = RecordReader(stations)
    features = [
        reader.feature(record, n) for n, record in enumerate(collection["features"], start=1)
    ]
    end = now_ms() // STEP_MS * STEP_MS
    with store.writer() as writer:
        writer.upsert_features(stations, features)
        batcher = ObservationBatcher(writer, observations)
        for index, feature in enumerate(features):
            for step in range(DAYS * 24 * 6):
                time = end - step * STEP_MS
                level = _water_level(index, time)
                batcher.add(feature.key, "H", time, level)
                batcher.add(feature.key, "Q", time, round(12.0 * (index + 1) * level**1.6, 2))
        batcher.flush()
    return stations, observations


def _water_level(station: int, time: int) -> float:
    """A smooth, plausible level: a tide-like daily cycle over a slow flood wave."""
    hours = time / 3_600_000
    daily = 0.15 * math.sin(2 * math.pi * (hours / 12.42 + station / 5))
    flood = 0.6 * math.exp(-((((hours % (DAYS * 24)) - 60) / 30) ** 2))
    return round(0.4 + 0.2 * station + daily + flood, 3)


def _dataset(store: Store, spec: DatasetSpec) -> Dataset:
    try:
        return store.get_dataset(spec.name)
    except NotFound:
        return store.create_dataset(spec)
