"""Time series of documents' variables (and geometries) per group: Kano's `$aggregate`.

Points are read in their final order (group, element, time), so they stream. `first_only`
(Kano's `$limit=1`) must stay fast on thousands of series: the first time of each series in
the query's order is one index seek on the observations' key (series_id, time) through a
correlated `ORDER BY time LIMIT 1`, and Python keeps the first point of each (group, element).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    literal,
    null,
    select,
    union_all,
)

from geoseries.model import Dataset
from geoseries.queries import SeriesPoint, SeriesQuery, observation_document_id
from geoseries.store import schema as t
from geoseries.store.documents import documents, rows, source_of
from geoseries.store.documents_source import (
    FeatureJson,
    Source,
    feature_json_columns,
    json_keys,
)
from geoseries.store.filter_sql import compile_filter
from geoseries.store.json_sql import decode

if TYPE_CHECKING:
    from geoseries.store.sql import SqlStore

GEOMETRY = "geometry"
"""The element whose points are the documents' geometries."""
POINT_COLUMNS = {"e", "fid", "sid", "tm", "geometry", "properties"}
"""The columns of a part that are not group columns."""
KEYS_PER_GROUP = 3
"""Sort columns of one `group_by` property (rank, number, text), before its kind and value."""


def series_points(store: SqlStore, dataset: Dataset, query: SeriesQuery) -> Iterator[SeriesPoint]:
    """See `Store.series_points`. A stations dataset has no time series: no points."""
    if not dataset.holds_observations or not query.elements:
        return
    source = source_of(store, dataset)
    elements = list(dict.fromkeys(query.elements))
    first_only = query.first_only and bool(query.group_by)  # else one point per group anyway
    stmt = statement(source, query, elements, first_only=first_only)
    yield from _points(store._stream(stmt), query, elements, first_only)


def statement(
    source: Source, query: SeriesQuery, elements: Sequence[str], *, first_only: bool
) -> Select[Any]:
    """The points in their final order (before `first_only` keeps the first of each)."""
    parts = _first_parts if first_only else _all_parts
    selected = union_all(*parts(source, query, elements)).subquery()
    time = selected.c.tm.desc() if query.descending else selected.c.tm.asc()
    groups = [selected.c[f"g{n}"] for n in range(len(query.group_by) * KEYS_PER_GROUP)]
    if not query.group_by:
        groups = [selected.c.fid, selected.c.tm]
    return select(selected).order_by(*groups, selected.c.e, time, selected.c.fid)


def _group_columns(source: Source, group_by: Sequence[str]) -> list[ColumnElement[Any]]:
    """Per `group_by` property of the feature: its sort keys, then its kind and raw value."""
    columns: list[ColumnElement[Any]] = []
    for n, name in enumerate(group_by):
        ref = source.json_sql.lookup(t.features.c.properties, (name,))
        keys = json_keys(source.json_sql, ref)
        columns += [key.label(f"g{n * KEYS_PER_GROUP + i}") for i, key in enumerate(keys)]
        columns += [ref.kind.label(f"gk{n}"), ref.value.label(f"gv{n}")]
    return columns


def _element_index(elements: Sequence[str]) -> ColumnElement[Any]:
    positions = {e: n for n, e in enumerate(elements) if e != GEOMETRY}
    return case(positions, value=t.series.c.variable, else_=-1)


def _variables(elements: Sequence[str]) -> list[str]:
    return [e for e in elements if e != GEOMETRY]


def _all_parts(source: Source, query: SeriesQuery, elements: Sequence[str]) -> list[Select[Any]]:
    """Every observed point of each variable, and each document's geometry."""
    f, s, o = t.features.c, t.series.c, t.observations.c
    groups = _group_columns(source, query.group_by)
    parts = []
    if variables := _variables(elements):
        columns = [_element_index(elements).label("e"), f.id.label("fid"), o.time.label("tm")]
        found = rows(source, query.where, *groups, *columns, o.value.label("val"), *_feature())
        parts.append(found.where(s.variable.in_(variables)))
    if GEOMETRY in elements:
        position = literal(elements.index(GEOMETRY), Integer).label("e")
        found = documents(
            source,
            query.where,
            *groups,
            position,
            f.id.label("fid"),
            o.time.label("tm"),
            _no_value(),
            *_feature(),
        )
        parts.append(found.where(f.geometry.is_not(None)))
    return parts


def _first_parts(source: Source, query: SeriesQuery, elements: Sequence[str]) -> list[Select[Any]]:
    """Per series, its first time passing the filter (one seek) and the value then; for the
    geometry, the first time of each series of a feature with a geometry."""
    f, s = t.features.c, t.series.c
    groups = _group_columns(source, query.group_by)
    base = (
        select(*groups, f.id.label("fid"), s.id.label("sid"), *_feature())
        .select_from(t.features.join(t.series, s.feature_id == f.id))
        .where(s.dataset_id == source.dataset.id)
        .add_columns(_first_time(source, query).label("tm"))
    )
    parts = []
    if variables := _variables(elements):
        index = _element_index(elements).label("e")
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


def _feature() -> list[ColumnElement[Any]]:
    return feature_json_columns()


def _points(
    found: Iterator[Any], query: SeriesQuery, elements: Sequence[str], first_only: bool
) -> Iterator[SeriesPoint]:
    """Rows -> points. Hot: a week of two variables is thousands of rows, so columns are read
    by position and a group's decoded key is reused while consecutive rows share it."""
    feature_json = FeatureJson()
    groups = len(query.group_by)
    positions: dict[str, int] | None = None
    previous_raw: tuple[object, ...] | None = None
    group: tuple[object, ...] = ()
    previous: object = None
    for row in found:
        if positions is None:
            positions = {name: index for index, name in enumerate(row._fields)}
            raw_at = [positions[f"gk{n}"] for n in range(groups)]
            raw_at += [positions[f"gv{n}"] for n in range(groups)]
            e, fid, tm, val = positions["e"], positions["fid"], positions["tm"], positions["val"]
            geometry_at, properties_at = positions["geometry"], positions["properties"]
        element_index, feature_id, time = row[e], row[fid], row[tm]
        if groups:
            raw = tuple(map(row.__getitem__, raw_at))
            if raw != previous_raw:
                previous_raw = raw
                group = tuple(decode(raw[n], raw[groups + n]) for n in range(groups))
            identity: object = (raw, element_index)
        else:
            group = (observation_document_id(feature_id, time),)
            identity = (group, element_index)
        if first_only and identity == previous:
            continue
        previous = identity
        element = elements[element_index]
        geometry, properties = feature_json(feature_id, row[geometry_at], row[properties_at])
        value = geometry if element == GEOMETRY else row[val]
        yield SeriesPoint(group, element, feature_id, time, value, geometry, properties)
