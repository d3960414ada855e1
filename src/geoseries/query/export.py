"""Exporting a dataset as a stream of bytes, in a form `geoseries import` reads back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from geoseries.errors import ValidationFailed
from geoseries.formats import encoders
from geoseries.model import Dataset, Feature, ObservationRow
from geoseries.store import Store
from geoseries.times import format_time

ExportFormat = Literal["csv", "ndjson", "geojson"]


def export_dataset(
    store: Store,
    dataset: Dataset,
    file_format: ExportFormat,
    *,
    start: int | None = None,
    end: int | None = None,
) -> Iterator[bytes]:
    """Observations of an observations dataset (in [start, end)), else its features."""
    if dataset.holds_observations:
        rows = store.iter_observations(dataset, start=start, end=end)
        return _observations(dataset, rows, file_format)
    return _features(dataset, store.iter_features(dataset), file_format)


def _observations(
    dataset: Dataset, rows: Iterator[ObservationRow], file_format: ExportFormat
) -> Iterator[bytes]:
    key = dataset.feature_id or "feature"
    if file_format == "csv":
        table = ((r.feature_key, r.variable, format_time(r.time), r.value) for r in rows)
        return encoders.csv_rows([key, "variable", "time", "value"], table)
    records = (
        {key: r.feature_key, "variable": r.variable, "time": format_time(r.time), "value": r.value}
        for r in rows
    )
    if file_format == "ndjson":
        return encoders.ndjson(records)
    features = (
        {"type": "Feature", "time": r["time"], "geometry": None, "properties": r} for r in records
    )
    return encoders.feature_collection(features)


def _features(
    dataset: Dataset, features: Iterator[Feature], file_format: ExportFormat
) -> Iterator[bytes]:
    if file_format == "csv":
        raise ValidationFailed("features export as geojson or ndjson, not csv", field="format")
    geojson = (feature_as_geojson(dataset, f) for f in features)
    if file_format == "ndjson":
        return encoders.ndjson(geojson)
    return encoders.feature_collection(geojson)


def feature_as_geojson(dataset: Dataset, feature: Feature) -> dict[str, Any]:
    properties = dict(feature.properties)
    if dataset.feature_id:
        properties.setdefault(dataset.feature_id, feature.key)
    return {
        "type": "Feature",
        "id": feature.key,
        "geometry": feature.geometry,
        "properties": properties,
    }
