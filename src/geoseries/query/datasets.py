"""Dataset use cases shared by every dialect: which datasets a principal may see and change.

A dataset is visible to the principals of its owning organization, of the organizations it is
shared with and, when public, to every authenticated caller; global admins (admin credentials of
no organization) see everything. Only the owning organization may delete its datasets, only its
admins may share them. A dataset the caller may not see is reported exactly like a missing one,
so names of other organizations' private datasets do not leak through 404 vs 403.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace
from typing import Literal

from geoseries.auth.principal import Principal
from geoseries.errors import Forbidden, NotFound, ValidationFailed
from geoseries.model import DATASET_NAME, Dataset, DatasetSpec
from geoseries.store import Store

Relation = Literal["OWNED", "SHARED", "NON_SHARED"]
"""How a dataset relates to a caller (Kayrros `sharedOption`)."""


@dataclass(frozen=True, slots=True)
class DatasetView:
    """A dataset with the names its renderings show instead of internal ids."""

    dataset: Dataset
    organization: str | None
    """Name of the owning organization (None for datasets owned by no organization)."""
    stations: str | None
    """Name of the linked stations dataset of an observations dataset."""
    shared_with: tuple[str, ...] | None = None
    """Organizations it is shared with: only given to its owners (never to sharees)."""


def relation(
    dataset: Dataset, caller: Principal, shared: Set[int] = frozenset()
) -> Relation | None:
    """OWNED by the caller's organization, SHARED with it, NON_SHARED (public), or None.

    `shared` holds the ids of the datasets shared with the caller's organization
    (`store.shared_with`). None also for a global admin looking at someone else's private
    dataset: it sees it by its role, not by a relation.
    """
    if caller.organization_id is not None and dataset.organization_id == caller.organization_id:
        return "OWNED"
    if caller.organization_id is not None and dataset.id in shared:
        return "SHARED"
    if dataset.public:
        return "NON_SHARED"
    return None


def is_visible(dataset: Dataset, caller: Principal, shared: Set[int] = frozenset()) -> bool:
    return caller.is_global_admin or relation(dataset, caller, shared) is not None


def is_owned(dataset: Dataset, caller: Principal) -> bool:
    """Whether `caller` may change `dataset`: its organization owns it, or a global admin."""
    if caller.is_global_admin:
        return True
    return caller.organization_id is not None and dataset.organization_id == caller.organization_id


def may_share(dataset: Dataset, caller: Principal) -> bool:
    """Whether `caller` may share `dataset`: an admin of its organization, or a global admin."""
    return caller.administers(dataset.organization_id)


def list_visible(store: Store, caller: Principal) -> list[DatasetView]:
    """Datasets visible to `caller` (public, owned, shared with it), ordered by name."""
    every = store.list_datasets()
    names = {d.id: d.name for d in every}
    shared = _shared_with(store, caller)
    return _views(store, [d for d in every if is_visible(d, caller, shared)], names)


def get_visible(store: Store, caller: Principal, name: str) -> DatasetView:
    """The dataset called `name`; NotFound when it is missing or `caller` may not see it.

    Its owners (and global admins) also get the organizations it is shared with.
    """
    dataset = _visible_dataset(store, caller, name)
    view = _views(store, [dataset])[0]
    if not is_owned(dataset, caller):
        return view
    return replace(view, shared_with=tuple(o.name for o in store.dataset_shares(dataset.id)))


def share(store: Store, caller: Principal, name: str, organization: str) -> None:
    """Share the dataset `name` with `organization` (idempotent)."""
    dataset, target = _shareable(store, caller, name, organization)
    store.share_dataset(dataset.id, target)


def unshare(store: Store, caller: Principal, name: str, organization: str) -> None:
    """Stop sharing the dataset `name` with `organization`; NotFound if it was not shared."""
    dataset, target = _shareable(store, caller, name, organization)
    store.unshare_dataset(dataset.id, target)


def _shareable(
    store: Store, caller: Principal, name: str, organization: str
) -> tuple[Dataset, int]:
    dataset = _visible_dataset(store, caller, name)
    if not may_share(dataset, caller):
        raise Forbidden(f"only admins of the organization owning {name!r} may share it")
    return dataset, store.get_organization(organization).id


def create_owned(store: Store, caller: Principal, spec: DatasetSpec) -> DatasetView:
    """Create a dataset owned by `caller`; its stations dataset must be visible to `caller`."""
    if spec.stations is not None:
        try:
            _visible_dataset(store, caller, spec.stations)
        except NotFound as missing:
            raise ValidationFailed(missing.message, field="stations") from missing
    created = store.create_dataset(replace(spec, organization=_organization_name(store, caller)))
    return _views(store, [created])[0]


def delete_owned(store: Store, caller: Principal, name: str) -> None:
    """Delete a dataset `caller` owns; a visible dataset owned by someone else is Forbidden."""
    dataset = _visible_dataset(store, caller, name)
    if not is_owned(dataset, caller):
        raise Forbidden(f"dataset {name!r} belongs to another organization")
    store.delete_dataset(name)


def _organization_name(store: Store, caller: Principal) -> str | None:
    """The name of the organization a new dataset of `caller` belongs to.

    An admin credential without an organization creates datasets owned by no organization.
    """
    if caller.organization_id is None:
        if caller.is_admin:
            return None
        raise Forbidden("creating a dataset needs the credential of an organization")
    for organization in store.list_organizations():
        if organization.id == caller.organization_id:
            return organization.name
    raise Forbidden("the caller's organization no longer exists")


def _visible_dataset(store: Store, caller: Principal, name: str) -> Dataset:
    missing = NotFound(f"dataset {name!r} does not exist", field="dataset")
    if not DATASET_NAME.fullmatch(name):  # not a name any dataset can have: no need to ask
        raise missing
    try:
        dataset = store.get_dataset(name)
    except NotFound:
        raise missing from None
    if is_visible(dataset, caller) or is_visible(dataset, caller, _shared_with(store, caller)):
        return dataset
    raise missing


def _shared_with(store: Store, caller: Principal) -> Set[int]:
    """Ids of the datasets shared with the caller's organization (none without one)."""
    if caller.organization_id is None:
        return frozenset()
    return store.shared_with(caller.organization_id)


def _views(
    store: Store,
    datasets: Sequence[Dataset],
    dataset_names: Mapping[int, str] | None = None,
) -> list[DatasetView]:
    """Attach owner and stations names, reading the name tables only when a dataset needs them."""
    owners: dict[int | None, str] = {}
    if any(d.organization_id is not None for d in datasets):
        owners.update((o.id, o.name) for o in store.list_organizations())
    stations: dict[int | None, str] = {}
    if any(d.stations_dataset_id is not None for d in datasets):
        known = dataset_names or {d.id: d.name for d in store.list_datasets()}
        stations.update(known.items())
    return [
        DatasetView(
            dataset=d,
            organization=owners.get(d.organization_id),
            stations=stations.get(d.stations_dataset_id),
        )
        for d in datasets
    ]
