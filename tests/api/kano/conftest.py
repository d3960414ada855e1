"""A small hydrometry fixture served by the real app, as Kano's Hub'Eau layer serves it.

Three stations (`hubeau-stations`, keyed by `code_station`, labelled by `name`) and their water
level H and flow Q every 10 minutes over one day (`hubeau-observations`), starting at T0.
Tokens are Kano-style stateless tokens signed by the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geoseries.auth.tokens import TokenService
from geoseries.geometry import point
from geoseries.ingest.batches import ObservationBatcher
from geoseries.model import DatasetKind, DatasetSpec, FeatureInput
from geoseries.store import Store
from geoseries.times import parse_time

T0 = parse_time("2023-06-20T00:00:00Z")
STEP = 10 * 60 * 1000
STEPS = 144
STATIONS = {
    "#K447001001": ("La Loire à Blois", 1.3351479476905552, 47.584957074484784),
    "#X331001001": ("La Durance à Cavaillon", 5.032432216493836, 43.82748690979179),
    "#P726151001": ("L'Isle à Abzac", -0.12606156299146137, 45.02191991211479),
}
CODES = sorted(STATIONS)


def level(index: int, step: int) -> float:
    """H of station `index` at `step`: distinct per station and time, easy to recompute."""
    return round(0.5 + index + step / 1000, 3)


def flow(index: int, step: int) -> float:
    return round(10.0 * (index + 1) + step / 10, 1)


@dataclass
class Kano:
    client: TestClient
    token: Callable[..., str]

    def get(self, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self._auth(token), **kwargs)

    def json(self, path: str, *, status: int = 200, token: str | None = None) -> Any:
        response = self.get(path, token=token)
        assert response.status_code == status, response.text
        return response.json()

    def _auth(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token('features')}"}


def load_hydrometry(store: Store) -> None:
    stations = store.create_dataset(
        DatasetSpec("hubeau-stations", feature_id="code_station", label="name", public=True)
    )
    observations = store.create_dataset(
        DatasetSpec(
            "hubeau-observations",
            kind=DatasetKind.OBSERVATIONS,
            feature_id="code_station",
            label="name",
            variables=("H", "Q"),
            stations="hubeau-stations",
            public=True,
        )
    )
    with store.writer() as writer:
        writer.upsert_features(
            stations,
            [
                FeatureInput(code, point(lon, lat), {"code_station": code, "name": name})
                for code, (name, lon, lat) in STATIONS.items()
            ],
        )
        batcher = ObservationBatcher(writer, observations)
        for index, code in enumerate(CODES):
            for step in range(STEPS):
                batcher.add(code, "H", T0 + step * STEP, level(index, step))
                batcher.add(code, "Q", T0 + step * STEP, flow(index, step))
        batcher.flush()


@pytest.fixture
def kano(client: TestClient, app_store: Store) -> Kano:
    load_hydrometry(app_store)
    tokens: TokenService = client.app.state.tokens  # type: ignore[attr-defined]

    def token(*permissions: str) -> str:
        return tokens.issue_stateless("test", permissions=permissions).token

    return Kano(client, token)
