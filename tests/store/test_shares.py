"""Dataset shares on both backends: idempotent sharing, unsharing, listing, cascades."""

from __future__ import annotations

import pytest

from geoseries.errors import NotFound
from geoseries.model import Dataset, DatasetSpec, Organization
from geoseries.store import Store
from geoseries.store import schema as t
from tests.store.helpers import table_count


def organization(store: Store, name: str) -> Organization:
    return store.create_organization(name, api_key_hash=name[0] * 64, key_prefix=f"gs_{name[:4]}")


def dataset(store: Store, name: str, owner: str = "acme") -> Dataset:
    return store.create_dataset(DatasetSpec(name, organization=owner))


@pytest.fixture
def orgs(store: Store) -> dict[str, Organization]:
    return {name: organization(store, name) for name in ("acme", "globex", "initech")}


def test_share_lists_organizations_by_name(store: Store, orgs: dict[str, Organization]) -> None:
    private = dataset(store, "private")
    assert store.dataset_shares(private.id) == []
    store.share_dataset(private.id, orgs["initech"].id)
    store.share_dataset(private.id, orgs["globex"].id)
    assert store.dataset_shares(private.id) == [orgs["globex"], orgs["initech"]]


def test_sharing_twice_changes_nothing(store: Store, orgs: dict[str, Organization]) -> None:
    private = dataset(store, "private")
    store.share_dataset(private.id, orgs["globex"].id)
    store.share_dataset(private.id, orgs["globex"].id)
    assert store.dataset_shares(private.id) == [orgs["globex"]]
    assert table_count(store, t.dataset_shares) == 1


def test_shared_with_gives_dataset_ids(store: Store, orgs: dict[str, Organization]) -> None:
    first, second, other = (dataset(store, n) for n in ("first", "second", "other"))
    store.share_dataset(first.id, orgs["globex"].id)
    store.share_dataset(second.id, orgs["globex"].id)
    store.share_dataset(other.id, orgs["initech"].id)
    assert store.shared_with(orgs["globex"].id) == {first.id, second.id}
    assert store.shared_with(orgs["initech"].id) == {other.id}
    assert store.shared_with(orgs["acme"].id) == set()


def test_unshare(store: Store, orgs: dict[str, Organization]) -> None:
    private = dataset(store, "private")
    store.share_dataset(private.id, orgs["globex"].id)
    store.share_dataset(private.id, orgs["initech"].id)
    store.unshare_dataset(private.id, orgs["globex"].id)
    assert store.dataset_shares(private.id) == [orgs["initech"]]
    assert store.shared_with(orgs["globex"].id) == set()


def test_unsharing_what_is_not_shared_is_not_found(
    store: Store, orgs: dict[str, Organization]
) -> None:
    private = dataset(store, "private")
    with pytest.raises(NotFound):
        store.unshare_dataset(private.id, orgs["globex"].id)
    store.share_dataset(private.id, orgs["globex"].id)
    store.unshare_dataset(private.id, orgs["globex"].id)
    with pytest.raises(NotFound):
        store.unshare_dataset(private.id, orgs["globex"].id)


def test_deleting_the_dataset_drops_its_shares(store: Store, orgs: dict[str, Organization]) -> None:
    private = dataset(store, "private")
    store.share_dataset(private.id, orgs["globex"].id)
    store.delete_dataset("private")
    assert store.shared_with(orgs["globex"].id) == set()
    assert table_count(store, t.dataset_shares) == 0
