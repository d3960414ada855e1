"""Creating, patching and removing documents of a dataset (a features API's writes).

- A stations dataset stores each document as a feature. Its key is the given id, else the value
  of the dataset's `featureId` property, else 24 random hex digits. A taken key is a Conflict.
- An observations dataset stores each document's numeric variables (the dataset's declared
  `variables`, else every numeric property but the `featureId` and label) as observations of
  the feature named by its `featureId` property, at its time. The document's geometry and other
  properties describe that feature (in the linked stations dataset, or the dataset itself): a
  new feature is created with them; an existing one only gains properties and a geometry it
  lacks, so observations never rewrite a station. Writing the same feature, variable and time
  again replaces the value (observations are idempotent).

Every request is one transaction: a bad document anywhere means nothing is written.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from geoseries.errors import ValidationFailed
from geoseries.geometry import geometry_bounds
from geoseries.model import (
    Dataset,
    Feature,
    FeatureInput,
    JSONObject,
    Observation,
    ObservationValues,
)
from geoseries.queries import (
    Document,
    decode_observation_document_id,
    document_id_parts,
)
from geoseries.store import Store, Writer

T = TypeVar("T")

MAX_ID_LENGTH = 64
NUMBERS = (int, float)


class DocumentInput(NamedTuple):
    """A document to create, as a dialect read it from a request body: the `position`-th of
    an array, or None for a lone one. A tuple: bulk requests hold thousands."""

    position: int | None
    id: str | None
    time: int | None
    geometry: JSONObject | None
    properties: JSONObject

    @property
    def where(self) -> str:
        """What starts the names of its fields in errors: `[3].` for the fourth of an array.
        Made only for an error (a bulk request would format thousands for nothing)."""
        return document_where(self.position)


def document_where(position: int | None) -> str:
    return "" if position is None else f"[{position}]."


@dataclass(frozen=True, slots=True)
class DocumentPatch:
    """Changes to one document: `properties` set (all of them when `replace_properties`, else
    only the given keys); `geometry` replaced when `set_geometry`."""

    properties: JSONObject = field(default_factory=dict)
    replace_properties: bool = False
    set_geometry: bool = False
    geometry: JSONObject | None = None


def create(
    store: Store,
    dataset: Dataset,
    documents: Sequence[DocumentInput],
    present: Callable[[Document], T],
) -> list[T]:
    """Store `documents` in one transaction; returns them as they now read, each passed
    through `present` (how the caller renders a document) while the writer stores them."""
    if dataset.holds_observations:
        return _create_observations(store, dataset, documents, present)
    features = [_station(dataset, document) for document in documents]
    with store.writer() as writer:
        writer.insert_features(dataset, features)
    return [present(Document(f.key, None, f.geometry, f.properties)) for f in features]


def patch(store: Store, dataset: Dataset, document_id: str, change: DocumentPatch) -> Document:
    """Apply `change` to one document; returns it as it now reads."""
    current = store.get_document(dataset, document_id)
    if dataset.holds_observations:
        return _patch_observation(store, dataset, current, change)
    kept = {} if change.replace_properties else current.properties
    properties = {**kept, **change.properties}
    geometry = change.geometry if change.set_geometry else current.geometry
    _check_geometry(geometry, "geometry")
    with store.writer() as writer:
        writer.upsert_features(dataset, [FeatureInput(current.id, geometry, properties)])
    return Document(current.id, None, geometry, properties)


def remove(store: Store, dataset: Dataset, document_id: str) -> Document:
    """Delete one document; returns it as it read before."""
    current = store.get_document(dataset, document_id)
    with store.writer() as writer:
        if dataset.holds_observations:
            writer.delete_observations_at(dataset, *_feature_and_time(current))
        else:
            writer.delete_features(dataset, [current.id])
    return current


# -- stations ------------------------------------------------------------------------------
def _station(dataset: Dataset, document: DocumentInput) -> FeatureInput:
    if document.time is not None:
        raise ValidationFailed(
            f"dataset {dataset.name!r} holds stations, which have no time",
            field=f"{document.where}time",
        )
    _check_geometry(document.geometry, f"{document.where}geometry")
    key = document.id
    if key is None and dataset.feature_id is not None:
        value = document.properties.get(dataset.feature_id)
        key = None if value is None or value == "" else str(value)
    if key is None:
        key = secrets.token_hex(12)
    _check_id(key, f"{document.where}_id")
    return FeatureInput(key, document.geometry, document.properties)


def _check_id(key: str, where: str) -> None:
    if not 1 <= len(key) <= MAX_ID_LENGTH:
        raise ValidationFailed(f"an id has 1 to {MAX_ID_LENGTH} characters", field=where)


def _check_geometry(geometry: JSONObject | None, where: str) -> None:
    if geometry is None:
        return
    try:
        geometry_bounds(geometry)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field=where) from error


# -- observations --------------------------------------------------------------------------
class _Reading(NamedTuple):
    key: str
    time: int
    values: dict[str, float]
    geometry: JSONObject | None
    properties: JSONObject


def _create_observations(
    store: Store,
    dataset: Dataset,
    documents: Sequence[DocumentInput],
    present: Callable[[Document], T],
) -> list[T]:
    """All documents are read and checked before the transaction starts (a bad one changes
    nothing), then written in one batch, sorted by key. Chunks pipelined with the writer were
    tried: a bulk request spreads each chunk over every station, so per-chunk feature and
    series lookups cost more than the overlap saved."""
    readings = [_reading(dataset, document) for document in documents]
    holder = _holder(store, dataset)
    with store.writer() as writer:
        features = _ensure_features(writer, holder, readings)
        pairs = {(r.key, variable) for r in readings for variable in r.values}
        series = writer.resolve_series(dataset, pairs)
        rows: list[ObservationValues] = [
            (series[(r.key, variable)], r.time, value, None)
            for r in readings
            for variable, value in r.values.items()
        ]
        # In key order a batch spread over many series touches each page once; stable, so a
        # time repeated in the request still ends with its last value.
        rows.sort(key=itemgetter(0, 1))
        writer.write_observations(rows)
        # Built and presented while the writer stores the rows (it releases the GIL): the
        # answer is ready when the commit is.
        heads, tails = document_id_parts(
            (feature.id for feature in features.values()), (r.time for r in readings)
        )
        return [
            present(
                Document(
                    heads[feature.id] + tails[r.time],
                    r.time,
                    feature.geometry,
                    {**feature.properties, **r.values},
                )
            )
            for r in readings
            for feature in (features[r.key],)  # looked up once per document
        ]


def _reading(dataset: Dataset, document: DocumentInput) -> _Reading:
    where = document.where
    if document.id is not None:
        raise ValidationFailed(
            "observation documents are identified by their feature and time; omit _id",
            field=f"{where}_id",
        )
    if document.time is None:
        raise ValidationFailed("an observation needs a time", field=f"{where}time")
    if dataset.feature_id is None:
        raise ValidationFailed(
            f"dataset {dataset.name!r} has no featureId to name the observed feature",
            field=f"{where}properties",
        )
    key_value = document.properties.get(dataset.feature_id)
    if key_value is None or key_value == "" or isinstance(key_value, dict | list):
        raise ValidationFailed(
            f"an observation names its feature in properties.{dataset.feature_id}",
            field=f"{where}properties.{dataset.feature_id}",
        )
    if document.geometry is not None:
        _check_geometry(document.geometry, f"{where}geometry")
    values: dict[str, float] = {}
    others: JSONObject = {}
    declared = dataset.variables
    for name, value in document.properties.items():
        numeric = type(value) in NUMBERS
        if name in declared or (
            not declared and numeric and name != dataset.feature_id and name != dataset.label
        ):
            values[name] = _variable_value(name, value, where)
        else:
            others[name] = value
    if not values:
        raise ValidationFailed(
            "an observation needs at least one numeric variable", field=f"{where}properties"
        )
    return _Reading(str(key_value), document.time, values, document.geometry, others)


def _holder(store: Store, dataset: Dataset) -> Dataset:
    """The dataset whose features an observations dataset observes."""
    if dataset.stations_dataset_id is None:
        return dataset
    return store.get_dataset_by_id(dataset.stations_dataset_id)


def _feature_and_time(document: Document) -> tuple[int, int]:
    """(feature row id, time) of an observation document the store returned."""
    decoded = decode_observation_document_id(document.id)
    assert decoded is not None, "the store names observation documents with decodable ids"
    return decoded


def _ensure_features(
    writer: Writer, holder: Dataset, readings: Sequence[_Reading]
) -> dict[str, Feature]:
    """The observed features, creating missing ones and filling in what existing ones lack."""
    described: dict[str, _Reading] = {}
    for reading in readings:
        described.setdefault(reading.key, reading)
    existing = writer.features_by_key(holder, list(described))
    changed = [
        update
        for key, reading in described.items()
        if (update := _filled_in(existing.get(key), reading)) is not None
    ]
    if changed:
        writer.upsert_features(holder, changed)
        existing = writer.features_by_key(holder, list(described))
    return existing


def _filled_in(feature: Feature | None, reading: _Reading) -> FeatureInput | None:
    """The feature with what `reading` adds to it; None when it adds nothing."""
    if feature is None:
        return FeatureInput(reading.key, reading.geometry, reading.properties)
    missing = {k: v for k, v in reading.properties.items() if k not in feature.properties}
    geometry = feature.geometry if feature.geometry is not None else reading.geometry
    if not missing and geometry is feature.geometry:
        return None
    return FeatureInput(feature.key, geometry, {**feature.properties, **missing})


def _patch_observation(
    store: Store, dataset: Dataset, current: Document, change: DocumentPatch
) -> Document:
    _, time = _feature_and_time(current)
    if change.set_geometry:
        raise ValidationFailed(
            "an observation's geometry is its feature's: patch the feature", field="geometry"
        )
    values = _patched_values(dataset, change.properties)
    key = _feature_key(dataset, current)
    with store.writer() as writer:
        series = writer.resolve_series(dataset, {(key, variable) for variable in values})
        writer.write_observations(
            [Observation(series[(key, v)], time, value, None) for v, value in values.items()]
        )
    return Document(current.id, current.time, current.geometry, {**current.properties, **values})


def _variable_value(name: str, value: Any, where: str) -> float:
    """A variable's value: a finite number (`type`, not isinstance: a bool is an int, not a
    number here)."""
    if type(value) not in NUMBERS or not math.isfinite(value):
        raise ValidationFailed(
            f"variable {name} must be a finite number, got {value!r}",
            field=f"{where}properties.{name}",
        )
    return float(value)


def _patched_values(dataset: Dataset, properties: JSONObject) -> dict[str, float]:
    values: dict[str, float] = {}
    for name, value in properties.items():
        if dataset.variables and name not in dataset.variables:
            raise ValidationFailed(
                f"{name} is not a variable of {dataset.name!r}; patch the feature instead",
                field=f"properties.{name}",
            )
        values[name] = _variable_value(name, value, "")
    if not values:
        raise ValidationFailed("nothing to patch: give variables in properties", field="properties")
    return values


def _feature_key(dataset: Dataset, document: Document) -> str:
    key = document.properties.get(dataset.feature_id or "")
    if key is None:
        raise ValidationFailed(
            f"the document has no properties.{dataset.feature_id}", field="properties"
        )
    return str(key)
