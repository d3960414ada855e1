"""Long key lists split for `IN (...)` lookups: drivers and planners prefer bounded lists."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
LOOKUP_CHUNK = 500
"""Keys per `IN (...)` list."""


def chunks(items: Sequence[T], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
