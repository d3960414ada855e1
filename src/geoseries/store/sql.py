"""The one SQLAlchemy Core implementation of the Store protocol.

Backends subclass `SqlStore` and override only what differs: the dialect's upsert statement,
the spatial predicate, the bulk observation write and how a write transaction is run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Table,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.sql.dml import Insert

from geoseries.errors import NotAuthenticated, NotFound, ValidationFailed
from geoseries.filters import Field, Filter
from geoseries.model import (
    DATASET_NAME,
    ApiKey,
    BBox,
    Dataset,
    DatasetKind,
    DatasetSpec,
    Feature,
    ObservationRow,
    ObservationValues,
    Organization,
    User,
    now_ms,
)
from geoseries.queries import Document, DocumentPage, DocumentQuery, SeriesQuery, SeriesRun
from geoseries.store import documents, series_runs
from geoseries.store import schema as t
from geoseries.store.devices import DeviceQueries
from geoseries.store.errors import translated
from geoseries.store.json_sql import JsonSql
from geoseries.store.sensors import SensorQueries
from geoseries.store.writer import SqlWriter

T = TypeVar("T")


class SqlStore(DeviceQueries, SensorQueries):
    """Store over a SQLAlchemy engine. Reads use pooled connections; writes use `_write`.

    Devices and the sensor catalogue come from the mixins (store/devices.py, sensors.py).
    """

    backend = "sql"
    json_sql: JsonSql
    """How the backend reads JSON and folds text (document filters): each backend sets it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="geoseries-reader")
        """Runs reads alongside the request's thread, e.g. a page's count while it renders."""

    # -- backend hooks -------------------------------------------------------------------------
    def _insert(self, table: Table) -> Insert:
        """The dialect's INSERT, which knows `on_conflict_do_update/nothing`."""
        raise AssertionError("a backend must provide its dialect's insert")

    def _bbox_predicate(self, bbox: BBox) -> ColumnElement[bool]:
        """Features whose bounds intersect `bbox` (which never crosses the antimeridian)."""
        f = t.features.c
        return and_(
            f.min_lon <= bbox.east,
            f.max_lon >= bbox.west,
            f.min_lat <= bbox.north,
            f.max_lat >= bbox.south,
        )

    def _write_observations(self, conn: Connection, rows: Sequence[ObservationValues]) -> int:
        """Upsert observations in bulk: the fastest path each database offers."""
        raise AssertionError("a backend must provide its bulk observation write")

    def _remember_placeholders(self, conn: Connection, ids: dict[int, int], *, first: bool) -> None:
        """Make later bulk writes of this transaction map placeholder series ids to `ids`.

        `first` is true on the transaction's first call, so state of an earlier one is dropped.
        """
        raise AssertionError("a backend must map placeholder series ids")

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def _write(self, fn: Callable[[Connection], T], conflict: str = "already exists") -> T:
        """Run `fn` in its own write transaction."""
        with translated(conflict), self._transaction() as conn:
            return fn(conn)

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        self._readers.shutdown(wait=True)
        self.engine.dispose()

    def ping(self) -> None:
        with translated(), self.engine.connect() as conn:
            conn.execute(select(1))

    @contextmanager
    def writer(self) -> Iterator[SqlWriter]:
        with translated("a unique value is already taken"), self._transaction() as conn:
            yield SqlWriter(self, conn)

    # -- organizations and users ---------------------------------------------------------------
    def create_organization(self, name: str, *, api_key_hash: str, key_prefix: str) -> Organization:
        def insert(conn: Connection) -> Organization:
            created = now_ms()
            org_id = conn.execute(
                t.organizations.insert()
                .values(name=name, created_at=created)
                .returning(t.organizations.c.id)
            ).scalar_one()
            with translated(KEY_IN_USE):
                conn.execute(
                    t.api_keys.insert().values(
                        organization_id=org_id,
                        key_hash=api_key_hash,
                        prefix=key_prefix,
                        created_at=created,
                    )
                )
            return Organization(id=org_id, name=name, created_at=created)

        return self._write(insert, f"organization {name!r} already exists")

    def get_organization(self, name: str) -> Organization:
        row = self._one(select(t.organizations).where(t.organizations.c.name == name))
        if row is None:
            raise NotFound(f"organization {name!r} does not exist", field="organization")
        return Organization(id=row.id, name=row.name, created_at=row.created_at)

    def organization_for_key(self, key_digest: str) -> Organization:
        o, k = t.organizations.c, t.api_keys.c
        query = (
            select(o.id, o.name, o.created_at)
            .select_from(t.organizations.join(t.api_keys, k.organization_id == o.id))
            .where(k.key_hash == key_digest, k.revoked_at.is_(None))
        )
        row = self._one(query)
        if row is None:
            raise NotAuthenticated("unknown or revoked API key")
        return Organization(id=row.id, name=row.name, created_at=row.created_at)

    def list_organizations(self) -> list[Organization]:
        rows = self._all(select(t.organizations).order_by(t.organizations.c.name))
        return [Organization(id=r.id, name=r.name, created_at=r.created_at) for r in rows]

    def add_api_key(self, organization_id: int, *, api_key_hash: str, key_prefix: str) -> ApiKey:
        created = now_ms()

        def insert(conn: Connection) -> int:
            return conn.execute(  # type: ignore[no-any-return]
                t.api_keys.insert()
                .values(
                    organization_id=organization_id,
                    key_hash=api_key_hash,
                    prefix=key_prefix,
                    created_at=created,
                )
                .returning(t.api_keys.c.id)
            ).scalar_one()

        key_id = self._write(insert, KEY_IN_USE)
        return ApiKey(key_id, organization_id, key_prefix, created, None)

    def list_api_keys(self, organization_id: int) -> list[ApiKey]:
        k = t.api_keys.c
        query = (
            select(k.id, k.organization_id, k.prefix, k.created_at, k.revoked_at)
            .where(k.organization_id == organization_id)
            .order_by(k.created_at, k.id)
        )
        return [
            ApiKey(r.id, r.organization_id, r.prefix, r.created_at, r.revoked_at)
            for r in self._all(query)
        ]

    def revoke_api_keys(self, organization_id: int, prefix: str) -> int:
        k = t.api_keys.c

        def revoke(conn: Connection) -> int:
            query = (
                t.api_keys.update()
                .where(
                    k.organization_id == organization_id,
                    k.prefix == prefix,
                    k.revoked_at.is_(None),
                )
                .values(revoked_at=now_ms())
            )
            return conn.execute(query).rowcount

        return self._write(revoke)

    def create_user(
        self,
        email: str,
        *,
        organization_id: int,
        password_hash: str | None,
        permissions: Sequence[str],
        is_admin: bool,
    ) -> User:
        stored_email = normalized_email(email)

        def insert(conn: Connection) -> User:
            user_id = conn.execute(
                t.users.insert()
                .values(
                    email=stored_email,
                    organization_id=organization_id,
                    password_hash=password_hash,
                    permissions=list(permissions),
                    is_admin=is_admin,
                    created_at=now_ms(),
                )
                .returning(t.users.c.id)
            ).scalar_one()
            return User(user_id, stored_email, organization_id, tuple(permissions), is_admin)

        return self._write(insert, f"user {stored_email!r} already exists")

    def find_user(self, email: str) -> User | None:
        row = self._one(_USER_COLUMNS.where(t.users.c.email == normalized_email(email)))
        return None if row is None else _user(row)

    def password_hash_for(self, email: str) -> str | None:
        query = select(t.users.c.password_hash).where(t.users.c.email == normalized_email(email))
        digest: str | None = self._scalar(query)
        return digest

    def list_users(self, organization_id: int | None = None) -> list[User]:
        query = _USER_COLUMNS.order_by(t.users.c.email)
        if organization_id is not None:
            query = query.where(t.users.c.organization_id == organization_id)
        return [_user(row) for row in self._all(query)]

    # -- token revocation ----------------------------------------------------------------------
    def revoke_token(self, jti: str, *, expires_at: int | None) -> None:
        """Also purges entries of tokens that have expired since: they are refused anyway."""

        def insert(conn: Connection) -> None:
            revoked = t.revoked_tokens.c
            conn.execute(delete(t.revoked_tokens).where(revoked.expires_at < now_ms()))
            conn.execute(
                self._insert(t.revoked_tokens)
                .values(jti=jti, revoked_at=now_ms(), expires_at=expires_at)
                .on_conflict_do_nothing(index_elements=["jti"])  # type: ignore[attr-defined]
            )

        self._write(insert)

    def is_token_revoked(self, jti: str) -> bool:
        query = select(t.revoked_tokens.c.jti).where(t.revoked_tokens.c.jti == jti)
        return self._one(query) is not None

    # -- datasets ------------------------------------------------------------------------------
    def create_dataset(self, spec: DatasetSpec) -> Dataset:
        if not DATASET_NAME.fullmatch(spec.name):  # fullmatch: `$` would accept a trailing newline
            raise ValidationFailed(
                f"dataset name {spec.name!r} must be 1-64 letters, digits, '_', '.' or '-'",
                field="name",
            )
        if spec.stations is not None and spec.kind is not DatasetKind.OBSERVATIONS:
            raise ValidationFailed(
                "only an observations dataset links to stations", field="stations"
            )
        stations_id = self._stations_id(spec.stations)
        org_id = self.get_organization(spec.organization).id if spec.organization else None

        def insert(conn: Connection) -> int:
            return conn.execute(  # type: ignore[no-any-return]
                t.datasets.insert()
                .values(
                    name=spec.name,
                    kind=spec.kind.value,
                    feature_id=spec.feature_id,
                    label=spec.label,
                    variables=list(spec.variables),
                    stations_dataset_id=stations_id,
                    organization_id=org_id,
                    public=spec.public,
                    created_at=now_ms(),
                )
                .returning(t.datasets.c.id)
            ).scalar_one()

        self._write(insert, f"dataset {spec.name!r} already exists")
        return self.get_dataset(spec.name)

    def _stations_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        try:
            stations = self.get_dataset(name)
        except NotFound as error:
            raise ValidationFailed(error.message, field="stations") from error
        if stations.kind is DatasetKind.OBSERVATIONS:
            raise ValidationFailed(
                f"dataset {name!r} holds observations, not stations", field="stations"
            )
        return stations.id

    def get_dataset(self, name: str) -> Dataset:
        return self._dataset_where(t.datasets.c.name == name, f"dataset {name!r} does not exist")

    def get_dataset_by_id(self, dataset_id: int) -> Dataset:
        return self._dataset_where(t.datasets.c.id == dataset_id, "the dataset does not exist")

    def _dataset_where(self, condition: ColumnElement[bool], missing: str) -> Dataset:
        row = self._one(select(t.datasets).where(condition))
        if row is None:
            raise NotFound(missing, field="dataset")
        return _dataset(row)

    def list_datasets(self) -> list[Dataset]:
        return [_dataset(r) for r in self._all(select(t.datasets).order_by(t.datasets.c.name))]

    def delete_dataset(self, name: str) -> None:
        dataset = self.get_dataset(name)

        def remove(conn: Connection) -> None:
            own_features = select(t.features.c.id).where(t.features.c.dataset_id == dataset.id)
            doomed_series = select(t.series.c.id).where(
                or_(t.series.c.dataset_id == dataset.id, t.series.c.feature_id.in_(own_features))
            )
            conn.execute(
                delete(t.observations).where(t.observations.c.series_id.in_(doomed_series))
            )
            conn.execute(delete(t.datasets).where(t.datasets.c.id == dataset.id))

        self._write(remove)

    # -- dataset sharing -----------------------------------------------------------------------
    def share_dataset(self, dataset_id: int, organization_id: int) -> None:
        def insert(conn: Connection) -> None:
            conn.execute(
                self._insert(t.dataset_shares)
                .values(dataset_id=dataset_id, organization_id=organization_id, created_at=now_ms())
                .on_conflict_do_nothing(  # type: ignore[attr-defined]
                    index_elements=["dataset_id", "organization_id"]
                )
            )

        self._write(insert, "the dataset or the organization does not exist")

    def unshare_dataset(self, dataset_id: int, organization_id: int) -> None:
        s = t.dataset_shares.c

        def remove(conn: Connection) -> int:
            query = delete(t.dataset_shares).where(
                s.dataset_id == dataset_id, s.organization_id == organization_id
            )
            return conn.execute(query).rowcount

        if not self._write(remove):
            raise NotFound("the dataset is not shared with that organization", field="share")

    def dataset_shares(self, dataset_id: int) -> list[Organization]:
        o, s = t.organizations.c, t.dataset_shares.c
        query = (
            select(o.id, o.name, o.created_at)
            .select_from(t.organizations.join(t.dataset_shares, s.organization_id == o.id))
            .where(s.dataset_id == dataset_id)
            .order_by(o.name)
        )
        return [
            Organization(id=r.id, name=r.name, created_at=r.created_at) for r in self._all(query)
        ]

    def shared_with(self, organization_id: int) -> set[int]:
        s = t.dataset_shares.c
        query = select(s.dataset_id).where(s.organization_id == organization_id)
        return {row.dataset_id for row in self._all(query)}

    # -- reading -------------------------------------------------------------------------------
    def iter_features(self, dataset: Dataset, *, bbox: BBox | None = None) -> Iterator[Feature]:
        f = t.features.c
        query = select(f.id, f.dataset_id, f.key, f.geometry, f.properties).where(
            f.dataset_id == dataset.id
        )
        if bbox is not None:
            query = query.where(self._bbox_union(bbox))
        for row in self._stream(query.order_by(f.key)):
            yield Feature(row.id, row.dataset_id, row.key, row.geometry, row.properties)

    def _bbox_union(self, bbox: BBox) -> ColumnElement[bool]:
        if bbox.west <= bbox.east:
            return self._bbox_predicate(bbox)
        east_part = BBox(bbox.west, bbox.south, 180.0, bbox.north)
        west_part = BBox(-180.0, bbox.south, bbox.east, bbox.north)
        return or_(self._bbox_predicate(east_part), self._bbox_predicate(west_part))

    def count_features(self, dataset: Dataset) -> int:
        query = select(func.count()).where(t.features.c.dataset_id == dataset.id)
        return int(self._scalar(query))

    def iter_observations(
        self, dataset: Dataset, *, start: int | None = None, end: int | None = None
    ) -> Iterator[ObservationRow]:
        o, s, f = t.observations.c, t.series.c, t.features.c
        query = (
            select(f.key, s.variable, o.time, o.value, o.raw_value)
            .select_from(
                t.observations.join(t.series, o.series_id == s.id).join(
                    t.features, s.feature_id == f.id
                )
            )
            .where(s.dataset_id == dataset.id)
        )
        if start is not None:
            query = query.where(o.time >= start)
        if end is not None:
            query = query.where(o.time < end)
        for row in self._stream(query.order_by(f.key, s.variable, o.time)):
            yield ObservationRow(row.key, row.variable, row.time, row.value, row.raw_value)

    def count_observations(self, dataset: Dataset) -> int:
        o, s = t.observations.c, t.series.c
        query = (
            select(func.count())
            .select_from(t.observations.join(t.series, o.series_id == s.id))
            .where(s.dataset_id == dataset.id)
        )
        return int(self._scalar(query))

    # -- documents (see documents.py and series_runs.py) --------------------------------------
    def find_documents(self, dataset: Dataset, query: DocumentQuery) -> Iterator[Document]:
        return documents.find_documents(self, dataset, query)

    def find_page(self, dataset: Dataset, query: DocumentQuery) -> DocumentPage:
        return documents.find_page(self, dataset, query)

    def count_documents(self, dataset: Dataset, where: Filter) -> int:
        return documents.count_documents(self, dataset, where)

    def get_document(self, dataset: Dataset, document_id: str) -> Document:
        return documents.get_document(self, dataset, document_id)

    def distinct_values(self, dataset: Dataset, field: Field, where: Filter) -> list[object]:
        return documents.distinct_values(self, dataset, field, where)

    def series_runs(self, dataset: Dataset, query: SeriesQuery) -> Iterator[SeriesRun]:
        return series_runs.series_runs(self, dataset, query)

    def record_ingest_error(
        self,
        *,
        topic: str,
        message: str,
        error: str,
        dataset_id: int | None,
        device_id: int | None = None,
    ) -> None:
        def insert(conn: Connection) -> None:
            conn.execute(
                t.ingest_errors.insert().values(
                    dataset_id=dataset_id,
                    device_id=device_id,
                    topic=topic,
                    message=message[:10_000],
                    error=error,
                    created_at=now_ms(),
                )
            )

        self._write(insert)

    # -- read helpers --------------------------------------------------------------------------
    def _one(self, query: Any) -> Row[Any] | None:
        with translated(), self.engine.connect() as conn:
            return conn.execute(query).first()

    def _all(self, query: Any) -> list[Row[Any]]:
        with translated(), self.engine.connect() as conn:
            return list(conn.execute(query).all())  # all(): one fetchall, not a fetch per row

    def _scalar(self, query: Any) -> Any:
        with translated(), self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def _stream(self, query: Any) -> Iterator[Row[Any]]:
        """Rows from a server-side cursor: memory stays flat with result size."""
        for batch in self._stream_batches(query):  # a list per fetch, not a call per row
            yield from batch

    def _stream_batches(self, query: Any) -> Iterator[Sequence[Row[Any]]]:
        """The rows of `query` in lists of up to 2,000, from a server-side cursor."""
        with translated(), self.engine.connect() as conn:
            yield from conn.execution_options(yield_per=2000).execute(query).partitions()


KEY_IN_USE = "this API key is already in use: give another one, or none for a random key"
_USER_COLUMNS = select(
    t.users.c.id,
    t.users.c.email,
    t.users.c.organization_id,
    t.users.c.permissions,
    t.users.c.is_admin,
)
"""A user's columns but its password hash, which only `password_hash_for` reads."""


def _user(row: Row[Any]) -> User:
    permissions = tuple(row.permissions)
    return User(row.id, row.email, row.organization_id, permissions, bool(row.is_admin))


def normalized_email(email: str) -> str:
    """E-mails are compared without case: `Ann@Example.org` and `ann@example.org` are one user."""
    return email.lower()


def _dataset(row: Row[Any]) -> Dataset:
    return Dataset(
        id=row.id,
        name=row.name,
        kind=DatasetKind(row.kind),
        feature_id=row.feature_id,
        label=row.label,
        variables=tuple(row.variables),
        stations_dataset_id=row.stations_dataset_id,
        organization_id=row.organization_id,
        public=bool(row.public),
        created_at=row.created_at,
    )
