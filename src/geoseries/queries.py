"""Dialect-neutral queries over a dataset's documents, and what they return.

A leaf module (like `model`): dialects build these objects, the store answers them.

Documents: a stations dataset lists its features; an observations dataset lists one document
per (feature, instant) that has at least one observation, holding every variable observed at
that instant. Its identifier is `observation_document_id(feature row id, time)`, 24 hex digits,
so it can be decoded without a lookup table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import NamedTuple

from geoseries.filters import EVERYTHING, Field, Filter
from geoseries.model import JSONObject

DEFAULT_LIMIT = 5000
_TIME_OFFSET = 1 << 55
"""Added to a time before hex encoding, so times of years 1-9999 (|t| < 2**48) encode in 14
hex digits; feature row ids take the first 10 (up to 2**40)."""


@dataclass(frozen=True, slots=True)
class SortKey:
    field: Field
    descending: bool = False


@dataclass(frozen=True, slots=True)
class DocumentQuery:
    """One page of documents. `limit=0` asks only for the total."""

    where: Filter = EVERYTHING
    sort: tuple[SortKey, ...] = ()
    nearest: tuple[float, float] | None = None
    """(lon, lat): without `sort`, order by distance from this point (nearest first)."""
    skip: int = 0
    limit: int = DEFAULT_LIMIT


class Document(NamedTuple):
    """A tuple, not a dataclass: a page builds thousands of them (see `Observation`)."""

    id: str
    time: int | None
    """Milliseconds since the epoch; None for a feature of a stations dataset."""
    geometry: JSONObject | None
    properties: JSONObject


class DocumentPage(NamedTuple):
    total: Future[int]
    """How many documents pass the query's filter (whatever the page's skip and limit); maybe
    still being counted, so the documents can be sent meanwhile."""
    documents: list[Document]


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    """Time series of `elements` (variable names, or `geometry`) per group of documents.

    Documents are grouped by the values of the properties `group_by` (each document is its own
    group when empty). Within a group they are ordered by time, ascending unless `descending`.
    `first_only` keeps only the first value of each element per group (the latest when
    `descending`): Kano's `$limit=1`.
    """

    elements: tuple[str, ...]
    where: Filter = EVERYTHING
    group_by: tuple[str, ...] = ()
    descending: bool = False
    first_only: bool = False


class SeriesPoint(NamedTuple):
    """One value of one element for one group (one point of a `SeriesRun`).

    `group` holds the values of the `group_by` properties (the document id when there is no
    `group_by`). `value` is a number, or a geometry for `geometry`.
    """

    group: tuple[object, ...]
    element: str
    feature_row_id: int
    time: int
    value: object
    geometry: JSONObject | None
    properties: JSONObject
    """The feature's properties (without variables)."""

    @property
    def document_id(self) -> str:
        """The id of the document the point belongs to (computed: most renderings skip it)."""
        return observation_document_id(self.feature_row_id, self.time)


class SeriesRun(NamedTuple):
    """Consecutive points of one group, element and feature, as the store streams them.

    Points are ordered by group, then element (in `SeriesQuery.elements` order), then time in
    the query's order; a run is a stretch of them sharing one feature, so a group of one feature
    has one run per element, and a week of a station is two runs, not thousands of tuples.
    `times[i]` and `values[i]` are one point.
    """

    group: tuple[object, ...]
    element: str
    feature_row_id: int
    times: list[int]
    values: list[object]
    geometry: JSONObject | None
    properties: JSONObject
    """The feature's properties (without variables)."""

    def point(self, index: int) -> SeriesPoint:
        """The run's point at `index` (negative indexes count from the end)."""
        return SeriesPoint(
            self.group,
            self.element,
            self.feature_row_id,
            self.times[index],
            self.values[index],
            self.geometry,
            self.properties,
        )

    def points(self) -> Iterator[SeriesPoint]:
        return (self.point(index) for index in range(len(self.times)))


def observation_document_id(feature_row_id: int, time: int) -> str:
    """The identifier of the document of one feature at one instant: 24 hex digits."""
    return _feature_part(feature_row_id) + _time_part(time)


def document_id_parts(
    feature_row_ids: Iterable[int], times: Iterable[int]
) -> tuple[dict[int, str], dict[int, str]]:
    """For the many documents of a page or a request, which repeat features and instants (a
    hundred stations at fifty instants): each feature's and each instant's part of their ids,
    formatted once. `heads[f] + tails[t]` is `observation_document_id(f, t)`."""
    heads = {row_id: _feature_part(row_id) for row_id in set(feature_row_ids)}
    tails = {time: _time_part(time) for time in set(times)}
    return heads, tails


def _feature_part(feature_row_id: int) -> str:
    return f"{feature_row_id:010x}"


def _time_part(time: int) -> str:
    return f"{time + _TIME_OFFSET:014x}"


def decode_observation_document_id(document_id: str) -> tuple[int, int] | None:
    """(feature row id, time) of an observation document id; None if it is not one."""
    if len(document_id) != 24:
        return None
    try:
        feature_row_id = int(document_id[:10], 16)
        time = int(document_id[10:], 16) - _TIME_OFFSET
    except ValueError:
        return None
    if document_id != observation_document_id(feature_row_id, time):  # e.g. upper case, signs
        return None
    return feature_row_id, time
