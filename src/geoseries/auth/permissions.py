"""The permission test: rule A of the SpaceKnow mechanics page (spec B.3, DECISIONS.md).

A permission is a dotted string. Two permissions match when their first min(len) segments are
equal, so the test is symmetric: `imagery` grants `imagery.availability.gbdx` and
`imagery.availability.gbdx` grants `imagery.availability`. Segments are compared whole:
`imagery.availabilityx` does not match `imagery.availability`.
"""

from __future__ import annotations

from collections.abc import Iterable


def grants(held: str, required: str) -> bool:
    """Whether the permission `held` satisfies `required` (the seed's snippet, verbatim)."""
    held_parts = held.split(".")
    required_parts = required.split(".")
    length = min(len(held_parts), len(required_parts))
    return held_parts[:length] == required_parts[:length]


def allowed(held: Iterable[str], required: Iterable[str]) -> bool:
    """Every required permission is granted by at least one held one; none required: allowed."""
    holding = tuple(held)
    return all(any(grants(h, r) for h in holding) for r in required)
