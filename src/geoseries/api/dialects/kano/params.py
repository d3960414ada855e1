"""Kano features queries: the parsed query string (`qs.parse_query`) as a core request.

Entry point of the Kano parameter layer (spec/kano.md §2-§6, DECISIONS.md "Kano features
dialect"). A request is one of three things (§1): a page of documents (`FindRequest`), the
distinct values of a field (`DistinctRequest`) or a time aggregation (`AggregateRequest`).
Filters are read by `conditions`, spatial shortcuts by `spatial`, aggregation by `aggregation`.

Parameters handled here:

- `jwt` and `access_token` (credentials, read by the authentication layer) and `geoJson` (the
  output is always GeoJSON) are dropped; `$locale` and `$collation[...]` are accepted and ignored:
  Geoseries compares text by code point, with no collation.
- `$limit`/`$skip` are integers, read as `abs` like the reference (`-3` is 3); anything else is a
  400 (the reference fell back to its default). `$limit` above `max_limit` is `max_limit`, and
  `$limit=0` asks for the total only. `$sort[<field>]` is `1` or `-1` (else 400); `$select` is a
  path or an array of paths. `asFeatureCollection=false` asks for a bare JSON array (DECISIONS.md).
- `$distinct=<path>` with `$limit`, `$skip`, `$sort`, `$select` or aggregation parameters is a 400
  (the reference passed them to MongoDB as filters: 500).
- With `$aggregate`: `$limit=1` keeps the first value per group, `$sort[time]=-1` orders groups'
  values newest first; other `$sort` keys are accepted and ignored (time is always the primary
  order, §5.1, and Geoseries has no secondary keys), `$skip` is ignored as in the reference, and
  `$select` is a 400 (the reference failed with a 500). `asFeatureCollection` is validated and
  ignored there (aggregations always answer a FeatureCollection, §4.4). `$groupBy` or `$group`
  without `$aggregate` is a 400.
- `$aggregation[...]` anywhere is a 403 (kdk#1375).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geoseries.api.dialects.kano import aggregation
from geoseries.api.dialects.kano.conditions import conjunction, field_for, where
from geoseries.api.dialects.kano.readings import integer, text
from geoseries.api.dialects.kano.spatial import SHORTCUT_KEYS, bbox_filter, proximity_filter
from geoseries.errors import Forbidden, ValidationFailed
from geoseries.filters import Field, Filter, Time
from geoseries.model import Dataset
from geoseries.queries import DocumentQuery, SeriesQuery, SortKey
from geoseries.query.expressions import Accumulator

DROPPED = frozenset({"jwt", "access_token", "geoJson", "$locale", "$collation"})
PAGING = ("$limit", "$skip", "$sort", "$select")
AGGREGATION = ("$aggregate", "$groupBy", "$group")
RESERVED = frozenset({*PAGING, *AGGREGATION, "$distinct", "asFeatureCollection"}) | SHORTCUT_KEYS
"""Top-level parameters that are not filters."""
MAX_SKIP = 2**53 - 1
"""JavaScript's largest safe integer: beyond it the reference could not even represent `$skip`."""


@dataclass(frozen=True, slots=True)
class FindRequest:
    """Plain find: a paginated FeatureCollection (§4.1)."""

    query: DocumentQuery
    select: tuple[str, ...] | None
    """`$select` paths; None = everything."""
    as_collection: bool
    """False for `asFeatureCollection=false`: a plain JSON array."""


@dataclass(frozen=True, slots=True)
class DistinctRequest:
    """`$distinct`: the distinct values of `field` among the documents `where` selects (§4.3)."""

    field: Field
    where: Filter


@dataclass(frozen=True, slots=True)
class AggregateRequest:
    """`$aggregate`: time series per group (§5), with the custom `$group` accumulators."""

    query: SeriesQuery
    accumulators: tuple[Accumulator, ...]


KanoRequest = FindRequest | DistinctRequest | AggregateRequest


def parse_find(
    params: Mapping[str, Any],
    dataset: Dataset,
    *,
    default_limit: int = 5000,
    max_limit: int = 5000,
) -> KanoRequest:
    """The request `params` (from `qs.parse_query`) make on `dataset`.

    Raises `ValidationFailed` naming the parameter for malformed input, `Forbidden` for the
    refused aggregation features; nothing else, whatever the input.
    """
    try:
        return _parse(params, dataset, default_limit, max_limit)
    except RecursionError:
        raise ValidationFailed("the query is nested too deeply", field="query") from None


def _parse(
    params: Mapping[str, Any], dataset: Dataset, default_limit: int, max_limit: int
) -> KanoRequest:
    _ban_aggregation(params)
    if "$group" in params:
        aggregation.check_operators(params["$group"])
    kept = {key: value for key, value in params.items() if key not in DROPPED}
    as_collection = _as_collection(kept.get("asFeatureCollection"))
    proximity, nearest = proximity_filter(kept)
    filters = {key: value for key, value in kept.items() if key not in RESERVED}
    selected = conjunction(
        [
            where(filters, "", dataset.label),
            *(part for part in (bbox_filter(kept), proximity) if part is not None),
        ]
    )
    if "$distinct" in kept:
        return _distinct(kept, selected)
    if "$aggregate" in kept:
        return _aggregate(kept, selected)
    for key in AGGREGATION:
        if key in kept:
            raise ValidationFailed(f"{key} needs $aggregate", field=key)
    sort = _sort(kept["$sort"]) if "$sort" in kept else ()
    limit = min(integer(kept["$limit"], "$limit"), max_limit) if "$limit" in kept else None
    query = DocumentQuery(
        where=selected,
        sort=sort,
        nearest=None if sort else nearest,
        skip=_skip(kept.get("$skip")),
        limit=min(default_limit, max_limit) if limit is None else limit,
    )
    select = _select(kept["$select"]) if "$select" in kept else None
    return FindRequest(query, select, as_collection)


def _ban_aggregation(value: Any) -> None:
    """`$aggregation` is refused wherever it appears (kdk#1375: pipeline injection)."""
    if isinstance(value, Mapping):
        if "$aggregation" in value:
            raise Forbidden("You are not allowed to perform aggregation")
        for item in value.values():
            _ban_aggregation(item)
    elif isinstance(value, list):
        for item in value:
            _ban_aggregation(item)


def _as_collection(value: Any) -> bool:
    if value is None:
        return True
    written = text(value, "asFeatureCollection")
    if written not in ("true", "false"):
        raise ValidationFailed(
            f"asFeatureCollection must be true or false, got {written!r}",
            field="asFeatureCollection",
        )
    return written == "true"


def _distinct(kept: Mapping[str, Any], selected: Filter) -> DistinctRequest:
    path = text(kept["$distinct"], "$distinct")
    if not path:
        raise ValidationFailed("$distinct must name a field", field="$distinct")
    for key in (*PAGING, *AGGREGATION):
        if key in kept:
            raise ValidationFailed(f"{key} cannot be used with $distinct", field=key)
    return DistinctRequest(field_for(path), selected)


def _aggregate(kept: Mapping[str, Any], selected: Filter) -> AggregateRequest:
    if "$select" in kept:
        raise ValidationFailed("$select cannot be used with $aggregate", field="$select")
    sort = _sort(kept["$sort"]) if "$sort" in kept else ()
    first_only = "$limit" in kept and integer(kept["$limit"], "$limit") == 1
    query = SeriesQuery(
        elements=aggregation.elements(kept["$aggregate"]),
        where=selected,
        group_by=aggregation.group_by(kept["$groupBy"]) if "$groupBy" in kept else (),
        descending=SortKey(Time(), descending=True) in sort,
        first_only=first_only,
    )
    accumulators = aggregation.accumulators(kept["$group"]) if "$group" in kept else ()
    return AggregateRequest(query, accumulators)


def _sort(value: Any) -> tuple[SortKey, ...]:
    """`$sort[<field>]=1|-1`, in the order given."""
    if not isinstance(value, dict) or not value:
        raise ValidationFailed("$sort must be an object, e.g. $sort[time]=-1", field="$sort")
    keys: list[SortKey] = []
    for path, direction in value.items():
        param = f"$sort[{path}]"
        written = text(direction, param).strip()
        if written not in ("1", "-1"):
            raise ValidationFailed(f"{param} must be 1 or -1, got {written!r}", field=param)
        keys.append(SortKey(field_for(path), descending=written == "-1"))
    return tuple(keys)


def _skip(value: Any) -> int:
    if value is None:
        return 0
    skip = integer(value, "$skip")
    if skip > MAX_SKIP:
        raise ValidationFailed(f"$skip must be at most {MAX_SKIP}", field="$skip")
    return skip


def _select(value: Any) -> tuple[str, ...]:
    """`$select=path` or `$select[]=path&...`."""
    items = value if isinstance(value, list) else [value]
    paths: list[str] = []
    for index, item in enumerate(items):
        param = f"$select[{index}]" if isinstance(value, list) else "$select"
        path = text(item, param)
        if not path:
            raise ValidationFailed(f"{param} must name a field", field=param)
        paths.append(path)
    return tuple(paths)
