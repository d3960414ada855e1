"""The core data model shared by every dialect (see DESIGN.md, "The core model").

Plain frozen dataclasses: no database, HTTP or dialect concerns. Times are UTC instants in
integer milliseconds since the epoch.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

JSONObject = dict[str, Any]
DATASET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""Dataset names, matched with `fullmatch`."""
SENSOR_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,59}")
"""Sensor keys, matched with `fullmatch`: never all digits, which name sensors by id."""
MAX_SENSOR_ID = 2**31 - 1


class DatasetKind(StrEnum):
    STATIONS = "stations"
    OBSERVATIONS = "observations"
    DEVICES = "devices"
    ASSETS = "assets"


@dataclass(frozen=True, slots=True)
class Organization:
    id: int
    name: str
    created_at: int


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    organization_id: int
    permissions: tuple[str, ...]
    is_admin: bool


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An organization's API key as it is listed: its prefix, never the key or its digest."""

    id: int
    organization_id: int
    prefix: str
    created_at: int
    revoked_at: int | None
    """When it was revoked (ms since the epoch); None while it is live."""


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """What a caller asks for when creating a dataset."""

    name: str
    kind: DatasetKind = DatasetKind.STATIONS
    feature_id: str | None = None
    label: str | None = None
    variables: tuple[str, ...] = ()
    stations: str | None = None
    organization: str | None = None
    public: bool = False


@dataclass(frozen=True, slots=True)
class Dataset:
    id: int
    name: str
    kind: DatasetKind
    feature_id: str | None
    label: str | None
    variables: tuple[str, ...]
    stations_dataset_id: int | None
    organization_id: int | None
    public: bool
    created_at: int
    stored_variables: frozenset[str] = frozenset()
    """The variables the dataset has series of (or had: the set never shrinks). A property of
    that name in a document is an observed value."""
    stations_feature_id: str | None = None
    """The `featureId` of the linked stations dataset, if any."""

    @property
    def holds_observations(self) -> bool:
        return self.kind is DatasetKind.OBSERVATIONS

    @property
    def holder_feature_id(self) -> str | None:
        """The `featureId` of the dataset whose features this one's documents describe: the
        linked stations dataset's, else its own."""
        if self.stations_dataset_id is not None:
            return self.stations_feature_id
        return self.feature_id


@dataclass(frozen=True, slots=True)
class BBox:
    """An axis-aligned box in degrees; `west > east` crosses the antimeridian."""

    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True, slots=True)
class FeatureInput:
    """A feature to write: `key` is its identifier inside the dataset (e.g. a station code)."""

    key: str
    geometry: JSONObject | None = None
    properties: JSONObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Feature:
    id: int
    dataset_id: int
    key: str
    geometry: JSONObject | None
    properties: JSONObject


@dataclass(frozen=True, slots=True)
class Series:
    id: int
    dataset_id: int
    feature_id: int
    variable: str


@dataclass(frozen=True, slots=True)
class ObservationInput:
    """One value of one variable of one feature at one instant, before series are resolved."""

    feature_key: str
    variable: str
    time: int
    value: float
    raw_value: float | None = None


ObservationValues = tuple[int, int, float, float | None]
"""(series id, time in ms, value, raw value): what bulk writes take, as plain tuples."""


class Observation(NamedTuple):
    """A stored value. A tuple, because bulk writes pass millions of them straight to the driver."""

    series_id: int
    time: int
    value: float
    raw_value: float | None


@dataclass(frozen=True, slots=True)
class ObservationRow:
    """An observation joined with its feature key and variable, as exports and queries read it."""

    feature_key: str
    variable: str
    time: int
    value: float
    raw_value: float | None


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """What a caller asks for when creating a device (its token is issued separately)."""

    name: str
    owner_id: int
    description: str | None = None
    is_private: bool = False
    geometry: JSONObject | None = None


@dataclass(frozen=True, slots=True)
class Device:
    """A device (a Smart Citizen kit): a feature of the devices dataset that posts readings.

    Its feature's key is `str(id)`; its token is stored only as a hash (`token_prefix` tells
    tokens apart). `organization_id` is its owner's organization.
    """

    id: int
    uuid: str
    name: str
    description: str | None
    owner_id: int
    owner_email: str
    organization_id: int
    dataset_id: int
    feature_id: int
    """Row id of its feature in the devices dataset."""
    is_private: bool
    last_reading_at: int | None
    token_prefix: str | None
    """The first characters of its token; None when it has no token (revoked)."""
    created_at: int


@dataclass(frozen=True, slots=True)
class Sensor:
    """An entry of the global sensor catalogue: what firmware sends values of, by id or key."""

    id: int
    uuid: str
    name: str
    description: str
    default_key: str
    """The short metric name (`temp`, `hum`) a device's component is named after."""
    unit: str | None


@dataclass(frozen=True, slots=True)
class Component:
    """A sensor on one device: its values are the series `series_id` (variable `key`)."""

    id: int
    device_id: int
    sensor_id: int
    series_id: int
    key: str
    last_reading_at: int | None


def now_ms() -> int:
    """The current UTC instant in integer milliseconds."""
    return time.time_ns() // 1_000_000
