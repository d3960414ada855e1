"""The one SQLAlchemy Core implementation of the Store protocol.

Backends subclass `SqlStore` and override only what differs: the dialect's upsert statement,
the spatial predicate, the bulk observation write and how a write transaction is run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exc,
    func,
    or_,
    select,
)
from sqlalchemy.sql.dml import Insert

from geoseries.errors import NotFound, ValidationFailed
from geoseries.filters import Field, Filter
from geoseries.model import (
    DATASET_NAME,
    BBox,
    Dataset,
    DatasetKind,
    DatasetSpec,
    Feature,
    ObservationRow,
    ObservationValues,
    Organization,
    now_ms,
)
from geoseries.queries import Document, DocumentPage, DocumentQuery, SeriesQuery, SeriesRun
from geoseries.store import documents, series_runs
from geoseries.store import schema as t
from geoseries.store.accounts import AccountQueries
from geoseries.store.devices import DeviceQueries
from geoseries.store.errors import translated
from geoseries.store.json_sql import JsonSql
from geoseries.store.sensors import SensorQueries
from geoseries.store.writer import SqlWriter

T = TypeVar("T")
BATCH_ROWS = 2000
"""Rows per fetch of a streamed read."""
STREAMED = "geoseries_streamed"
"""Execution option of a streamed read: a backend whose driver would buffer the whole result
hands out a cursor that streams it (see pg_stream); SQLite's cursors step lazily anyway. Not
SQLAlchemy's `yield_per`, whose strategy keeps rows back in a buffer of its own."""


class SqlStore(AccountQueries, DeviceQueries, SensorQueries):
    """Store over a SQLAlchemy engine. Reads use pooled connections; writes use `_write`.

    Devices and the sensor catalogue come from the mixins (store/devices.py, sensors.py).
    """

    backend = "sql"
    json_sql: JsonSql
    """How the backend reads JSON and folds text (document filters): each backend sets it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lookups = engine
        """Connections for one-statement reads (a backend may run them without a transaction)."""
        self._streams = engine
        """Connections for streamed reads (`_stream_batches`)."""
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
        return self._dataset_where("name", name, f"dataset {name!r} does not exist")

    def get_dataset_by_id(self, dataset_id: int) -> Dataset:
        return self._dataset_where("id", dataset_id, "the dataset does not exist")

    def _dataset_where(self, column: str, value: object, missing: str) -> Dataset:
        row = self._one(self._datasets[column], {"value": value})
        if row is None:
            raise NotFound(missing, field="dataset")
        return _dataset(row)

    def list_datasets(self) -> list[Dataset]:
        return [_dataset(r) for r in self._all(self._datasets[""])]

    @cached_property
    def _datasets(self) -> dict[str, Select[Any]]:
        """Datasets with their stored variables, all ("") or by `name` or `id` (a parameter
        `value`): one query read on every request, built once."""
        v = t.dataset_variables.c
        stored = (
            select(self.json_sql.collected(v.variable))
            .where(v.dataset_id == t.datasets.c.id)
            .scalar_subquery()
        )
        linked = t.datasets.alias("linked")
        stations_feature_id = (
            select(linked.c.feature_id)
            .where(linked.c.id == t.datasets.c.stations_dataset_id)
            .scalar_subquery()
        )
        every = select(
            t.datasets,
            stored.label("stored_variables"),
            stations_feature_id.label("stations_feature_id"),
        )
        by = {
            column: every.where(t.datasets.c[column] == bindparam("value"))
            for column in ("name", "id")
        }
        return {"": every.order_by(t.datasets.c.name), **by}

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
    def _one(self, query: Any, params: dict[str, Any] | None = None) -> Row[Any] | None:
        with translated(), self._lookups.connect() as conn:
            return conn.execute(query, params).first()

    def _all(self, query: Any, params: dict[str, Any] | None = None) -> list[Row[Any]]:
        with translated(), self._lookups.connect() as conn:
            return list(conn.execute(query, params).all())  # one fetchall, not a fetch per row

    def _all_tuples(self, query: Any) -> list[tuple[Any, ...]]:
        """Like `_all`, as the driver's own tuples: for hot paths that read columns by
        position and whose types need no conversion (a SQLAlchemy `Row` per row cost more
        than 0.2 us each, a page of 5,000 documents a millisecond)."""
        with self._result(self._lookups, query) as result:
            return list(result.cursor.fetchall())

    def _scalar(self, query: Any, params: dict[str, Any] | None = None) -> Any:
        with translated(), self._lookups.connect() as conn:
            return conn.execute(query, params).scalar_one()

    def _stream(self, query: Any) -> Iterator[Row[Any]]:
        """Rows streamed: memory stays flat with result size."""
        for batch in self._stream_batches(query):  # a list per fetch, not a call per row
            yield from batch

    def _stream_batches(self, query: Any) -> Iterator[Sequence[Row[Any]]]:
        """The rows of `query` in lists of up to 2,000, streamed: memory stays flat."""
        with self._streamed(query) as result:
            yield from result.partitions(BATCH_ROWS)

    def _stream_tuples(self, query: Any) -> Iterator[Sequence[tuple[Any, ...]]]:
        """`_stream_batches` as the driver's own tuples (see `_all_tuples`)."""
        with self._streamed(query) as result:
            while batch := result.cursor.fetchmany(BATCH_ROWS):
                yield batch

    def _streamed(self, query: Any) -> AbstractContextManager[CursorResult[Any]]:
        """The streamed result of `query` (an abandoned stream too is closed: PostgreSQL's
        query is cancelled)."""
        return self._result(self._streams, query, **{STREAMED: True})

    @contextmanager
    def _result(
        self, connections: Engine, query: Any, **options: Any
    ) -> Iterator[CursorResult[Any]]:
        """The result of `query` on one of `connections`, for reading its driver cursor
        directly: the driver's errors translated, the result closed before its connection."""
        with translated(), connections.connect() as conn:
            result = conn.execution_options(**options).execute(query)
            try:
                with driver_errors(conn):
                    yield result
            finally:
                result.close()


@contextmanager
def driver_errors(conn: Connection) -> Iterator[None]:
    """Errors raised by the driver itself (rows fetched past SQLAlchemy), wrapped the way
    SQLAlchemy wraps them, so `translated` maps them."""
    error_class = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except error_class as error:
        raise exc.DBAPIError.instance(None, None, error, error_class) from error


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
        stored_variables=frozenset(row.stored_variables or ()),
        stations_feature_id=row.stations_feature_id,
    )
