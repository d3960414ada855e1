"""Time series of documents' variables (and geometries) per group: Kano's `$aggregate`.

Points are read in their final order (group, element, time) and cut into runs (a feature's
consecutive points, see `SeriesRun`), so they stream; features' JSON is read once per feature
rather than once per point. `first_only`
(Kano's `$limit=1`) must stay fast on thousands of series: the first time of each series in
the query's order is one index seek on the observations' key (series_id, time) through a
correlated `ORDER BY time LIMIT 1`, and Python keeps the first point of each (group, element).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache, partial
from itertools import chain, groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Integer,
    Label,
    Select,
    and_,
    case,
    cast,
    literal,
    null,
    select,
    union_all,
)

from geoseries.model import Dataset, JSONObject
from geoseries.queries import SeriesQuery, SeriesRun, observation_document_id
from geoseries.store import schema as t
from geoseries.store.documents import documents, features_json, rows, source_of
from geoseries.store.documents_source import FEATURE_JSON_COLUMNS, FeatureJson, Source
from geoseries.store.filter_sql import compile_filter
from geoseries.store.json_sql import JsonSql

if TYPE_CHECKING:
    from geoseries.store.sql import SqlStore

GEOMETRY = "geometry"
"""The element whose points are the documents' geometries."""
GROUP_KEY = re.compile(r"g(\d+)_\d+")
"""The name of a group key column: `g<group_by index>_<key index>`."""
POINT_COLUMNS = {"e", "fid", "sid", "tm", "geometry", "properties"}
"""The columns of a part that are not group columns."""
DbRow = tuple[Any, ...]
"""A row as the driver gives it (see `SqlStore._stream_tuples`)."""
Described = tuple[JSONObject | None, JSONObject]
"""A feature's decoded geometry and properties."""


def series_runs(store: SqlStore, dataset: Dataset, query: SeriesQuery) -> Iterator[SeriesRun]:
    """See `Store.series_runs`. A stations dataset has no time series: no runs."""
    if not dataset.holds_observations or not query.elements:
        return
    source = source_of(store, dataset)
    elements = list(dict.fromkeys(query.elements))
    first_only = query.first_only and bool(query.group_by)  # else one point per group anyway
    stmt = statement(source, query, elements, first_only=first_only)
    names = list(stmt.selected_columns.keys())
    batches = store._stream_tuples(stmt)
    fid = names.index("fid")
    describe: Callable[[DbRow], Described]
    if first_only:  # a row per series: each carries its feature's JSON
        describe = _carried(fid, names.index("geometry"), names.index("properties"))
        rows = chain.from_iterable(batches)
    else:  # many rows per feature: its JSON is fetched once
        known: dict[int, Described] = {}
        rows = chain.from_iterable(_prefetched(store, batches, fid, known))
        describe = partial(_known, known, fid)
    yield from _runs(rows, names, source.json_sql, elements, first_only, describe)


def statement(
    source: Source, query: SeriesQuery, elements: Sequence[str], *, first_only: bool
) -> Select[Any]:
    """The points in their final order (before `first_only` keeps the first of each)."""
    parts = (_first_parts if first_only else _all_parts)(source, query, elements)
    if len(parts) == 1:
        # Ordered by its own labels: no subquery to build (a third of the statement's
        # building time) nor to plan.
        found = parts[0]
        columns = found.selected_columns
    else:
        union = union_all(*parts).subquery()
        found, columns = select(union), union.c
    time = columns.tm.desc() if query.descending else columns.tm.asc()
    groups: list[Any] = [column for column in columns if GROUP_KEY.fullmatch(column.name)]
    if not query.group_by:
        groups = [columns.fid, columns.tm]
    return found.order_by(*groups, columns.e, time, columns.fid)


def _grouping(source: Source, query: SeriesQuery) -> tuple[JsonSql, tuple[str, ...], str | None]:
    """What the group keys of `query` depend on: the arguments of the two cached builders
    below."""
    return source.json_sql, tuple(query.group_by), source.dataset.holder_feature_id


@lru_cache(maxsize=256)
def _group_columns(
    json_sql: JsonSql, group_by: tuple[str, ...], id_property: str | None
) -> tuple[Label[Any], ...]:
    """Per `group_by` property of the feature, its group keys `g<n>_<i>` (see
    `JsonSql.group_keys`); the features' `featureId` (`id_property`) is read from their
    `id_value` where it is there. Cached, as the next two: expressions are immutable, and
    building them was a good part of a station's week."""
    f = t.features.c
    columns: list[Label[Any]] = []
    for n, name in enumerate(group_by):
        if name == id_property:
            ref = json_sql.identifying(f.properties, name, f.id_value)
        else:
            ref = json_sql.lookup(f.properties, (name,))
        keys = json_sql.group_keys(ref)
        columns += [key.label(f"g{n}_{i}") for i, key in enumerate(keys)]
    return tuple(columns)


@lru_cache(maxsize=256)
def _per_feature_groups(
    json_sql: JsonSql, group_by: tuple[str, ...], id_property: str | None
) -> tuple[tuple[ColumnElement[Any], ...], FromClause]:
    """The group keys computed once per feature where the backend can, and the FROM clause
    to use in place of `features` (see `JsonSql.once_per_row_of`)."""
    columns = _group_columns(json_sql, group_by, id_property)
    if not columns:
        return (), t.features
    per_feature, features = json_sql.once_per_row_of(t.features, columns)
    return tuple(per_feature), features


@lru_cache(maxsize=256)
def _element_index(elements: tuple[str, ...]) -> Label[Any]:
    positions = {e: n for n, e in enumerate(elements) if e != GEOMETRY}
    return case(positions, value=t.series.c.variable, else_=-1).label("e")


def _variables(elements: Sequence[str]) -> list[str]:
    return [e for e in elements if e != GEOMETRY]


def _all_parts(source: Source, query: SeriesQuery, elements: Sequence[str]) -> list[Select[Any]]:
    """Every observed point of each variable, and each document's geometry."""
    f, s, o = t.features.c, t.series.c, t.observations.c
    parts = []
    if variables := _variables(elements):
        groups, features = _per_feature_groups(*_grouping(source, query))
        columns = [_element_index(tuple(elements)), f.id.label("fid"), o.time.label("tm")]
        found = rows(
            source, query.where, *groups, *columns, o.value.label("val"), features=features
        )
        parts.append(found.where(s.variable.in_(variables)))
    if GEOMETRY in elements:  # grouped by document: keys depending only on features' columns
        position = literal(elements.index(GEOMETRY), Integer).label("e")
        found = documents(
            source,
            query.where,
            *_group_columns(*_grouping(source, query)),
            position,
            f.id.label("fid"),
            o.time.label("tm"),
            _no_value(),
        )
        parts.append(found.where(f.geometry.is_not(None)))
    return parts


def _first_parts(source: Source, query: SeriesQuery, elements: Sequence[str]) -> list[Select[Any]]:
    """Per series, its first time passing the filter (one seek) and the value then; for the
    geometry, the first time of each series of a feature with a geometry."""
    f, s = t.features.c, t.series.c
    groups, features = _per_feature_groups(*_grouping(source, query))
    base = (
        select(*groups, f.id.label("fid"), s.id.label("sid"), *FEATURE_JSON_COLUMNS)
        .select_from(features.join(t.series, s.feature_id == f.id))
        .where(s.dataset_id == source.dataset.id)
        .add_columns(_first_time(source, query).label("tm"))
    )
    parts = []
    if variables := _variables(elements):
        index = _element_index(tuple(elements))
        parts.append(_valued(base.add_columns(index).where(s.variable.in_(variables))))
    if GEOMETRY in elements:
        position = literal(elements.index(GEOMETRY), Integer).label("e")
        parts.append(_valued(base.add_columns(position).where(f.geometry.is_not(None))))
    return parts


def _valued(firsts: Select[Any]) -> Select[Any]:
    """Each series' first (time, value), in the column order of `_all_parts`."""
    found = firsts.subquery()
    o = t.observations.c
    names = [c.name for c in found.c if c.name not in POINT_COLUMNS]
    return select(
        *(found.c[name] for name in names),
        found.c.e,
        found.c.fid,
        found.c.tm,
        o.value.label("val"),
        found.c.geometry,
        found.c.properties,
    ).select_from(
        found.join(t.observations, and_(o.series_id == found.c.sid, o.time == found.c.tm))
    )


def _no_value() -> ColumnElement[Any]:
    return cast(null(), Float).label("val")


def _first_time(source: Source, query: SeriesQuery) -> ColumnElement[Any]:
    o = t.observations.alias()
    order = o.c.time.desc() if query.descending else o.c.time.asc()
    return (
        select(o.c.time)
        .where(o.c.series_id == t.series.c.id, compile_filter(source.at(o.c.time), query.where))
        .order_by(order)
        .limit(1)
        .correlate_except(o)
        .scalar_subquery()
    )


def _carried(fid_at: int, geometry_at: int, properties_at: int) -> Callable[[DbRow], Described]:
    """A row's feature's geometry and properties, read from its own columns."""
    feature_json = FeatureJson()

    def describe(row: DbRow) -> Described:
        return feature_json(row[fid_at], row[geometry_at], row[properties_at])

    return describe


def _known(known: dict[int, Described], fid_at: int, row: DbRow) -> Described:
    return known[row[fid_at]]


def _prefetched(
    store: SqlStore,
    batches: Iterator[Sequence[DbRow]],
    fid_at: int,
    known: dict[int, Described],
) -> Iterator[Sequence[DbRow]]:
    """The batches, each once `known` holds its features' geometry and properties: fetched
    once per feature for a whole batch of rows, because carrying every feature's JSON on each
    of its rows cost more than the rows (PostgreSQL turned jsonb into text 2,000 times for one
    station's week). Bounded: when `known` grows too large it keeps only the feature of the
    previous batch's last row, whose run may still be open."""
    open_run: dict[int, Described] = {}
    for batch in batches:
        if len(known) > FeatureJson.LIMIT:
            known.clear()
            known.update(open_run)
        missing = {row[fid_at] for row in batch} - known.keys()
        if missing:
            known.update(features_json(store, missing))
        if batch:
            last = batch[-1][fid_at]
            open_run = {last: known[last]}
        yield batch


def _runs(
    rows: Iterator[DbRow],
    names: Sequence[str],
    json_sql: JsonSql,
    elements: Sequence[str],
    first_only: bool,
    describe: Callable[[DbRow], Described],
) -> Iterator[SeriesRun]:
    """Rows -> runs. Hot: a week of two variables is thousands of rows, cut into runs by
    C-level keys (positional), a run's times and values being columns of its rows; the
    feature's JSON is looked up once per run."""
    at = {name: index for index, name in enumerate(names)}
    keys_at: dict[str, list[int]] = {}  # per group_by property, where its group keys are
    for name, index in at.items():
        if match := GROUP_KEY.fullmatch(name):
            keys_at.setdefault(match[1], []).append(index)
    raw_at = [index for indexes in keys_at.values() for index in indexes]
    e, fid, tm, val = at["e"], at["fid"], at["tm"], at["val"]
    # A run shares group and element (first_only keeps its first row), else also the feature;
    # without group_by each document (feature, time) is a group of its own.
    if first_only:
        row_key = itemgetter(*raw_at, e)
    else:
        row_key = itemgetter(*raw_at, e, fid) if keys_at else itemgetter(fid, tm, e)
    previous_raw: tuple[object, ...] | None = None
    group: tuple[object, ...] = ()
    for _, run in groupby(rows, row_key):
        members = list(run)
        head = members[0]
        if first_only:
            members = [head]
        geometry, properties = describe(head)
        feature_id, time, element = head[fid], head[tm], elements[head[e]]
        if keys_at:
            raw = tuple(head[i] for i in raw_at)
            if raw != previous_raw:
                previous_raw = raw
                group = tuple(
                    json_sql.group_value([head[i] for i in indexes]) for indexes in keys_at.values()
                )
        else:
            group = (observation_document_id(feature_id, time),)
        times = [row[tm] for row in members]
        if element == GEOMETRY:
            values: list[object] = [geometry] * len(members)
        else:
            values = [row[val] for row in members]
        yield SeriesRun(group, element, feature_id, times, values, geometry, properties)
