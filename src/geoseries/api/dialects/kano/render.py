"""Core documents and series -> the JSON Kano clients read (spec/kano.md §4, §5).

- A document is `{_id, type: "Feature", time?, geometry, properties}`; times render as
  `2023-06-20T09:20:00.000Z`; a feature without geometry keeps `"geometry": null`
  (DECISIONS.md) instead of being dropped.
- `$select` keeps `_id`, `type` and the selected paths (`properties.<name>`, `geometry`,
  `time`); unselected `properties` become `{}` and an unselected geometry `null`.
- Aggregations: multi-time mode gives per group `time: {E: [...]}` and `properties.E: [...]`
  (index i of one matches index i of the other), `_id` the group key object; single-time mode
  (`$limit=1`) the first document of the group with `time: {E: t}` and `properties.E: v`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from geoseries.filters import Instant
from geoseries.model import JSONObject
from geoseries.queries import Document
from geoseries.query.aggregate import GroupSeries
from geoseries.times import EPOCH, MILLISECOND, format_time

GEOMETRY = "geometry"


def feature(document: Document) -> JSONObject:
    rendered: JSONObject = {"_id": document.id, "type": "Feature"}
    if document.time is not None:
        rendered["time"] = format_time(document.time)
    rendered["geometry"] = document.geometry
    rendered["properties"] = document.properties
    return rendered


def selected(documents: Iterable[Document], paths: Sequence[str] | None) -> Iterator[JSONObject]:
    """Rendered documents, projected on `paths` when given (`$select`)."""
    if paths is None:
        yield from map(feature, documents)
        return
    wanted = set(paths)
    names = {p.removeprefix("properties.") for p in wanted if p.startswith("properties.")}
    whole_properties = "properties" in wanted
    for document in documents:
        full = feature(document)
        projected: JSONObject = {"_id": full["_id"], "type": "Feature"}
        if "time" in wanted and "time" in full:
            projected["time"] = full["time"]
        projected["geometry"] = full["geometry"] if GEOMETRY in wanted else None
        properties = document.properties
        projected["properties"] = (
            properties
            if whole_properties
            else {name: properties[name] for name in names if name in properties}
        )
        yield projected


def distinct_value(value: object) -> object:
    return format_time(value.ms) if isinstance(value, Instant) else value


def multi_time(
    series: GroupSeries, group_by: Sequence[str], accumulated: Mapping[str, object]
) -> JSONObject:
    """One group of a multi-time aggregation (spec/kano.md §5.2); custom accumulators
    (`$group`) become top-level members (§5.5)."""
    last = series.last
    assert last is not None  # a group exists because it has points
    properties: JSONObject = dict(last.properties)
    rendered: JSONObject = {
        "_id": dict(zip(group_by, series.group, strict=True)) if group_by else series.group[0],
        "type": "Feature",
        "time": {
            element: [format_time(t) for t in times] for element, times in series.times.items()
        },
        "geometry": last.geometry,
        "properties": properties,
    }
    for element, values in series.values.items():
        if element == GEOMETRY:
            rendered["geometry"] = {"type": "GeometryCollection", "geometries": values}
        else:
            properties[element] = values
    rendered.update((name, _plain(value)) for name, value in accumulated.items())
    return rendered


def single_time(series: GroupSeries, accumulated: Mapping[str, object]) -> JSONObject:
    """One group of a single-time aggregation (`$limit=1`, spec/kano.md §5.3); custom
    accumulators become properties (§5.5)."""
    first = series.first
    assert first is not None
    properties: JSONObject = dict(first.properties)
    rendered: JSONObject = {
        "_id": first.document_id,
        "type": "Feature",
        "time": {element: format_time(times[0]) for element, times in series.times.items()},
        "geometry": first.geometry,
        "properties": properties,
    }
    for element, values in series.values.items():
        if element != GEOMETRY:
            properties[element] = values[0]
        else:
            rendered["geometry"] = values[0]
    properties.update((name, _plain(value)) for name, value in accumulated.items())
    return rendered


def _plain(value: object) -> object:
    """Accumulator results as JSON: dates (from `$time`) as ISO 8601 text."""
    if isinstance(value, datetime):
        return format_time((value - EPOCH) // MILLISECOND)
    return value


def page_members(total: Future[int], skip: int, limit: int) -> dict[str, Any]:
    """Feathers' page keys; `total` is written once counted (after the features)."""
    return {"total": total, "skip": skip, "limit": limit}
