"""Dataset descriptions the parameter tests parse against (no database needed)."""

from __future__ import annotations

from geoseries.model import Dataset, DatasetKind

OBSERVATIONS = Dataset(
    id=2,
    name="hubeau-hydro-observations",
    kind=DatasetKind.OBSERVATIONS,
    feature_id="code_station",
    label="name",
    variables=("H", "Q"),
    stations_dataset_id=1,
    organization_id=None,
    public=False,
    created_at=0,
)
"""Hub'Eau observations as Kano serves them: keyed by `code_station`, labelled by `name`."""

STATIONS = Dataset(
    id=1,
    name="hubeau-hydro-stations",
    kind=DatasetKind.STATIONS,
    feature_id=None,
    label="name",
    variables=(),
    stations_dataset_id=None,
    organization_id=None,
    public=False,
    created_at=0,
)
"""Hub'Eau stations as Kano serves them (a probe service: no `featureId`)."""
