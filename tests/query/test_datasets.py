"""Visibility rules of datasets, without a store: relation, visibility, ownership, sharing."""

from __future__ import annotations

import pytest

from geoseries.auth.principal import Principal
from geoseries.model import Dataset, DatasetKind
from geoseries.query.datasets import is_owned, is_visible, may_share, relation

ACME, GLOBEX = 1, 2


def dataset(*, owner: int | None = ACME, public: bool = False, id: int = 10) -> Dataset:
    return Dataset(id, "d", DatasetKind.STATIONS, None, None, (), None, owner, public, 0)


def user(org: int | None, *, admin: bool = False) -> Principal:
    return Principal(kind="user", subject="u", organization_id=org, is_admin=admin)


@pytest.mark.parametrize(
    ("data", "caller", "shared", "expected"),
    [
        (dataset(), user(ACME), set(), "OWNED"),
        (dataset(public=True), user(ACME), {10}, "OWNED"),
        (dataset(), user(GLOBEX), {10}, "SHARED"),
        (dataset(public=True), user(GLOBEX), {10}, "SHARED"),
        (dataset(public=True), user(GLOBEX), set(), "NON_SHARED"),
        (dataset(public=True), user(None), {10}, "NON_SHARED"),
        (dataset(), user(GLOBEX), {11}, None),
        (dataset(), user(GLOBEX, admin=True), set(), None),
        (dataset(owner=None), user(None), set(), None),
        (dataset(), user(None, admin=True), set(), None),  # sees it by role, not by relation
    ],
)
def test_relation(data: Dataset, caller: Principal, shared: set[int], expected: str | None) -> None:
    assert relation(data, caller, shared) == expected


def test_organization_admins_act_on_their_organization_only() -> None:
    private = dataset()
    acme_admin, globex_admin, root = (
        user(ACME, admin=True),
        user(GLOBEX, admin=True),
        user(None, admin=True),
    )
    assert may_share(private, acme_admin)
    assert is_owned(private, acme_admin)
    assert not may_share(private, user(ACME))  # a plain user of the owner reads and deletes only
    assert is_owned(private, user(ACME))
    assert not is_visible(private, globex_admin)
    assert is_visible(private, globex_admin, {private.id})
    assert not may_share(private, globex_admin)
    assert not is_owned(private, globex_admin)
    assert is_visible(private, root)
    assert is_owned(private, root)
    assert may_share(private, root)
