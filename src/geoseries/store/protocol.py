"""The typed interface every layer above `store/` programs against.

Arguments and results are core model objects, never HTTP requests or driver rows, so the same
code runs on SQLite and PostgreSQL and can be tested without a web server.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Protocol

from geoseries.filters import Field, Filter
from geoseries.model import (
    ApiKey,
    BBox,
    Component,
    Dataset,
    DatasetSpec,
    Device,
    DeviceSpec,
    Feature,
    FeatureInput,
    ObservationRow,
    ObservationValues,
    Organization,
    Sensor,
    User,
)
from geoseries.queries import Document, DocumentPage, DocumentQuery, SeriesQuery, SeriesRun

SeriesKey = tuple[str, str]
"""(feature key, variable)."""


class Writer(Protocol):
    """One write transaction: everything written through it lands together or not at all."""

    def upsert_features(self, dataset: Dataset, features: Sequence[FeatureInput]) -> int:
        """Insert or replace features by key; returns how many were written."""
        ...

    def resolve_series(self, dataset: Dataset, keys: Iterable[SeriesKey]) -> dict[SeriesKey, int]:
        """Series ids for (feature key, variable) pairs, creating features and series as needed.

        Unknown feature keys become features without geometry in the dataset that holds the
        features (the linked stations dataset for an observations dataset).
        """
        ...

    def known_series(self, dataset: Dataset, *, limit: int) -> dict[SeriesKey, int]:
        """Up to `limit` existing series of the dataset, so a bulk import can skip resolving."""
        ...

    def write_observations(self, rows: Sequence[ObservationValues]) -> int:
        """Write observations; the same (series, time) written twice keeps the last value."""
        ...

    def write_resolving(
        self,
        dataset: Dataset,
        new_series: Mapping[int, SeriesKey],
        rows: Sequence[ObservationValues],
    ) -> Future[dict[int, int]]:
        """Write observations whose series may not be known yet.

        A row may carry a negative placeholder instead of a series id: `new_series` maps the
        placeholders first used in this batch to their (feature key, variable); placeholders of
        earlier batches stay valid for the whole transaction. The writer resolves them (as
        `resolve_series` does) and the future gives placeholder -> series id, possibly before
        the write is done, so the caller never waits for it.
        """
        ...

    def features_by_key(self, dataset: Dataset, keys: Sequence[str]) -> dict[str, Feature]:
        """The stored features of `dataset` (itself, not its stations) among `keys`."""
        ...

    def insert_features(self, dataset: Dataset, features: Sequence[FeatureInput]) -> int:
        """Insert new features (returns how many); Conflict when a key is taken or repeated."""
        ...

    def delete_features(self, dataset: Dataset, keys: Sequence[str]) -> int:
        """Delete features with their series and observations; returns how many went."""
        ...

    def delete_observations_at(self, dataset: Dataset, feature_row_id: int, time: int) -> int:
        """Delete the observations of `dataset` of one feature at one instant."""
        ...

    def device_components(self, device: Device, sensors: Sequence[Sensor]) -> dict[int, Component]:
        """The device's component of each sensor (by sensor id), creating the missing ones
        with their series (variable: the component key) on the device's feature."""
        ...

    def raise_last_readings(self, device: Device, latest: Mapping[int, int]) -> None:
        """Raise `last_reading_at` of components (component id -> newest reading time) and of
        the device; a time older than the stored one changes nothing."""
        ...


class Store(Protocol):
    backend: str
    """`sqlite` or `postgresql`."""

    def close(self) -> None: ...

    def ping(self) -> None:
        """Raise Unavailable when the database cannot answer."""
        ...

    def writer(self) -> AbstractContextManager[Writer]:
        """Open a write transaction, committed when the block exits without an exception."""
        ...

    # Organizations and users
    def create_organization(
        self, name: str, *, api_key_hash: str, key_prefix: str
    ) -> Organization: ...

    def get_organization(self, name: str) -> Organization: ...

    def organization_for_key(self, key_digest: str) -> Organization:
        """The organization owning an unrevoked API key; NotAuthenticated otherwise."""
        ...

    def list_organizations(self) -> list[Organization]: ...

    def add_api_key(self, organization_id: int, *, api_key_hash: str, key_prefix: str) -> ApiKey:
        """Give an organization a further key; Conflict when the same key is stored already."""
        ...

    def list_api_keys(self, organization_id: int) -> list[ApiKey]:
        """An organization's keys, revoked ones included, oldest first."""
        ...

    def revoke_api_keys(self, organization_id: int, prefix: str) -> int:
        """Revoke the organization's live keys starting with `prefix`; returns how many."""
        ...

    def create_user(
        self,
        email: str,
        *,
        organization_id: int,
        password_hash: str | None,
        permissions: Sequence[str],
        is_admin: bool,
    ) -> User: ...

    def find_user(self, email: str) -> User | None:
        """The user with this e-mail (compared without case), None when there is none."""
        ...

    def password_hash_for(self, email: str) -> str | None:
        """The stored password hash of a user; None for a user without one (or no user).

        Kept apart from `User` so a hash never travels further than the password check.
        """
        ...

    def list_users(self, organization_id: int | None = None) -> list[User]:
        """Users ordered by e-mail: an organization's, or everyone's when it is None."""
        ...

    # Token revocation
    def revoke_token(self, jti: str, *, expires_at: int | None) -> None:
        """Refuse the token `jti` from now on; revoking it again changes nothing.

        `expires_at` (ms since the epoch, None: never) says when the entry may be purged.
        """
        ...

    def is_token_revoked(self, jti: str) -> bool: ...

    # Datasets
    def create_dataset(self, spec: DatasetSpec) -> Dataset: ...

    def get_dataset(self, name: str) -> Dataset:
        """The dataset as it is now. Document reads take it as read here: its
        `stored_variables` say which properties are observed values, so read it again after
        writing a variable it did not have."""
        ...

    def get_dataset_by_id(self, dataset_id: int) -> Dataset:
        """The dataset with this row id (e.g. the stations an observations dataset links to)."""
        ...

    def list_datasets(self) -> list[Dataset]: ...

    def delete_dataset(self, name: str) -> None: ...

    # Dataset sharing
    def share_dataset(self, dataset_id: int, organization_id: int) -> None:
        """Share a dataset with an organization; sharing it again changes nothing."""
        ...

    def unshare_dataset(self, dataset_id: int, organization_id: int) -> None:
        """Stop sharing a dataset with an organization; NotFound when it was not shared."""
        ...

    def dataset_shares(self, dataset_id: int) -> list[Organization]:
        """The organizations a dataset is shared with, ordered by name."""
        ...

    def shared_with(self, organization_id: int) -> set[int]:
        """Ids of the datasets shared with an organization (one query, for visibility tests)."""
        ...

    # Reading
    def iter_features(self, dataset: Dataset, *, bbox: BBox | None = None) -> Iterator[Feature]:
        """Features of a dataset, ordered by key; `bbox` keeps those whose bounds intersect it."""
        ...

    def count_features(self, dataset: Dataset) -> int: ...

    def iter_observations(
        self, dataset: Dataset, *, start: int | None = None, end: int | None = None
    ) -> Iterator[ObservationRow]:
        """Observations of a dataset in [start, end), ordered by feature key, variable, time."""
        ...

    def count_observations(self, dataset: Dataset) -> int: ...

    # Documents: what a features API lists (see geoseries.queries)
    def find_documents(self, dataset: Dataset, query: DocumentQuery) -> Iterator[Document]:
        """One page of the documents passing `query.where`, in its order."""
        ...

    def find_page(self, dataset: Dataset, query: DocumentQuery) -> DocumentPage:
        """One page (read whole: at most `query.limit` documents) and the total."""
        ...

    def count_documents(self, dataset: Dataset, where: Filter) -> int:
        """How many documents pass `where`."""
        ...

    def get_document(self, dataset: Dataset, document_id: str) -> Document:
        """The document with this id; NotFound when there is none."""
        ...

    def distinct_values(self, dataset: Dataset, field: Field, where: Filter) -> list[object]:
        """The distinct values of `field` among documents passing `where` (missing ones left
        out), ordered by value."""
        ...

    def series_runs(self, dataset: Dataset, query: SeriesQuery) -> Iterator[SeriesRun]:
        """The values of the query's elements per group, in runs ordered as SeriesRun says."""
        ...

    def record_ingest_error(
        self,
        *,
        topic: str,
        message: str,
        error: str,
        dataset_id: int | None,
        device_id: int | None = None,
    ) -> None: ...

    # Devices (see store/devices.py)
    def create_device(
        self, spec: DeviceSpec, *, dataset: str, token_digest: str, token_prefix: str
    ) -> Device:
        """Create a device and its feature in the devices dataset `dataset` (created on first
        use); its token is given as its SHA-256 digest and first characters."""
        ...

    def get_device(self, device_id: int) -> Device:
        """The device with this id; NotFound when there is none."""
        ...

    def device_for_token(self, token_digest: str) -> Device | None:
        """The device whose token has this SHA-256 digest; None when no device has it."""
        ...

    def set_device_token(
        self, device_id: int, token_digest: str | None, token_prefix: str | None
    ) -> None:
        """Replace a device's token (None: the device has none); NotFound for no device."""
        ...

    def list_devices(self, *, owner_id: int | None = None) -> list[Device]:
        """Devices ordered by id, only those of `owner_id` when given."""
        ...

    # The sensor catalogue (see store/sensors.py)
    def create_sensor(
        self,
        sensor_id: int,
        *,
        name: str,
        description: str,
        default_key: str,
        unit: str | None = None,
    ) -> Sensor:
        """Add a sensor; Conflict when its id or key is taken."""
        ...

    def list_sensors(self) -> list[Sensor]: ...

    def find_sensors(
        self, *, ids: Collection[int] = (), keys: Collection[str] = ()
    ) -> list[Sensor]:
        """The sensors whose id is among `ids` or key among `keys`, ordered by id."""
        ...

    def device_components(self, device_id: int) -> list[Component]:
        """A device's components, ordered by key."""
        ...
