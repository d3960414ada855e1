"""Folding a series query's runs into one result per group (dialect-neutral).

The store streams `SeriesRun`s ordered by group, element, time (see `geoseries.queries`);
this module gathers each group's runs without holding more than one group in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby

from geoseries.queries import SeriesPoint, SeriesRun
from geoseries.query.expressions import Accumulator, accumulate


@dataclass(slots=True)
class GroupSeries:
    """One group's values: per element, its times and values in the query's order."""

    group: tuple[object, ...]
    times: dict[str, list[int]] = field(default_factory=dict)
    values: dict[str, list[object]] = field(default_factory=dict)
    first: SeriesPoint | None = None
    """The group's first point of its first element (the document single-time mode shows)."""
    last: SeriesPoint | None = None
    """The last point of the group's last element: its document supplies geometry and
    properties in multi-time mode, as Kano's aggregation does (spec/kano.md §5.2)."""
    runs: list[SeriesRun] = field(default_factory=list)
    """Every run, kept only when accumulators need the group's points."""


def grouped(runs: Iterable[SeriesRun], *, keep_runs: bool = False) -> Iterator[GroupSeries]:
    """One GroupSeries per group, in the order the runs arrive."""
    for group, members in groupby(runs, key=lambda run: run.group):
        series = GroupSeries(group)
        run: SeriesRun | None = None
        for run in members:
            series.times.setdefault(run.element, []).extend(run.times)
            series.values.setdefault(run.element, []).extend(run.values)
            if series.first is None:
                series.first = run.point(0)
            if keep_runs:
                series.runs.append(run)
        assert run is not None  # groupby yields no empty group
        series.last = run.point(-1)
        yield series


def accumulated(series: GroupSeries, accumulators: Iterable[Accumulator]) -> dict[str, object]:
    """Custom accumulators over the group's documents of its first element.

    Kano runs one pipeline per element and keeps the base element's accumulators (spec/kano.md
    §5.5): the first element is the base here, so results are deterministic.
    """
    wanted = list(accumulators)
    if not wanted or series.first is None:
        return {}
    base = series.first.element
    documents = [
        {
            "time": point.time,
            "geometry": point.geometry,
            "properties": {**point.properties, point.element: point.value},
        }
        for run in series.runs
        if run.element == base
        for point in run.points()
    ]
    return {accumulator.name: accumulate(accumulator, documents) for accumulator in wanted}
