"""The permission test: the seed's SpaceKnow table is the test vector (rule A)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoseries.auth.permissions import allowed, grants
from geoseries.auth.principal import Principal

HELD = ["imagery.availability", "imagery.availability.gbdx", "kraken", "imagery"]
# Rows: required permission; columns: held permission, exactly as in the seed's table.
TABLE = {
    "imagery.availability": [True, True, False, True],
    "imagery.availability.gbdx.idaho-pansharpened": [True, True, False, True],
    "imagery.availability.pl": [True, False, False, True],
    "imagery.images": [False, False, False, True],
    "imagery": [True, True, False, True],
}
VECTOR = [
    (held, required, expected)
    for required, row in TABLE.items()
    for held, expected in zip(HELD, row, strict=True)
]


def test_the_vector_has_every_cell_of_the_seed_table() -> None:
    assert len(VECTOR) == 20


@pytest.mark.parametrize(("held", "required", "expected"), VECTOR)
def test_seed_table(held: str, required: str, expected: bool) -> None:
    assert grants(held, required) is expected


@pytest.mark.parametrize(
    ("held", "required", "expected"),
    [
        ("imagery.availabilityx", "imagery.availability", False),  # whole segments only
        ("imagery.availability", "imagery.availabilityx", False),
        ("imagery.availability.gbdx", "imagery.availability", True),  # where rule B differs
        ("imagery", "imagery", True),
        ("", "", True),
        ("", "imagery", False),
        ("imagery", "", False),
        ("imagery.", "imagery", True),
        ("imagery.", "imagery.x", False),
        ("a.b", "a..b", False),
    ],
)
def test_edge_cases(held: str, required: str, expected: bool) -> None:
    assert grants(held, required) is expected


permission = st.lists(st.sampled_from(["a", "b", "ab", "", "a-b"]), min_size=1, max_size=4).map(
    ".".join
)


@given(permission, permission)
def test_rule_a_is_symmetric(held: str, required: str) -> None:
    assert grants(held, required) is grants(required, held)


@given(permission)
def test_a_permission_grants_itself_and_its_ancestors(held: str) -> None:
    parts = held.split(".")
    for end in range(1, len(parts) + 1):
        assert grants(held, ".".join(parts[:end]))


def test_allowed_needs_every_required_permission() -> None:
    held = ["features.read", "stats"]
    assert allowed(held, [])
    assert allowed([], [])
    assert not allowed([], ["features.read"])
    assert allowed(held, ["features.read.rivers", "stats.write"])
    assert not allowed(held, ["features.read", "features.write"])
    assert allowed(iter(held), iter(["stats", "features"]))  # one-shot iterables


def test_principal_can() -> None:
    reader = Principal(kind="token", subject="t", permissions=("features.read",))
    assert reader.can()
    assert reader.can("features.read.rivers")
    assert not reader.can("features.read", "features.write")
    admin = Principal(kind="user", subject="root@example.org", is_admin=True)
    assert admin.can("anything.at.all")
