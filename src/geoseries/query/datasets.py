"""Dataset use cases shared by every dialect: which datasets an organization may see and change.

A dataset is visible to its owning organization and, when public, to everyone; only the owner
may delete it. A dataset the caller may not see is reported exactly like a missing one, so
names of other organizations' private datasets do not leak through 404 vs 403.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from geoseries.errors import Forbidden, NotFound, ValidationFailed
from geoseries.model import DATASET_NAME, Dataset, DatasetSpec, Organization
from geoseries.store import Store


@dataclass(frozen=True, slots=True)
class DatasetView:
    """A dataset with the names its renderings show instead of internal ids."""

    dataset: Dataset
    organization: str | None
    """Name of the owning organization (None for datasets owned by no organization)."""
    stations: str | None
    """Name of the linked stations dataset of an observations dataset."""


def is_visible(dataset: Dataset, caller: Organization) -> bool:
    return dataset.public or dataset.organization_id == caller.id


def is_owned(dataset: Dataset, caller: Organization) -> bool:
    return dataset.organization_id == caller.id


def list_visible(store: Store, caller: Organization) -> list[DatasetView]:
    """Datasets that are public or owned by `caller`, ordered by name."""
    every = store.list_datasets()
    names = {d.id: d.name for d in every}
    return _views(store, [d for d in every if is_visible(d, caller)], caller, names)


def get_visible(store: Store, caller: Organization, name: str) -> DatasetView:
    """The dataset called `name`; NotFound when it is missing or `caller` may not see it."""
    return _views(store, [_visible_dataset(store, caller, name)], caller)[0]


def create_owned(store: Store, caller: Organization, spec: DatasetSpec) -> DatasetView:
    """Create a dataset owned by `caller`; its stations dataset must be visible to `caller`."""
    if spec.stations is not None:
        try:
            _visible_dataset(store, caller, spec.stations)
        except NotFound as missing:
            raise ValidationFailed(missing.message, field="stations") from missing
    created = store.create_dataset(replace(spec, organization=caller.name))
    return _views(store, [created], caller)[0]


def delete_owned(store: Store, caller: Organization, name: str) -> None:
    """Delete a dataset `caller` owns; a visible dataset owned by someone else is Forbidden."""
    dataset = _visible_dataset(store, caller, name)
    if not is_owned(dataset, caller):
        raise Forbidden(f"dataset {name!r} belongs to another organization")
    store.delete_dataset(name)


def _visible_dataset(store: Store, caller: Organization, name: str) -> Dataset:
    missing = NotFound(f"dataset {name!r} does not exist", field="dataset")
    if not DATASET_NAME.fullmatch(name):  # not a name any dataset can have: no need to ask
        raise missing
    try:
        dataset = store.get_dataset(name)
    except NotFound:
        raise missing from None
    if not is_visible(dataset, caller):
        raise missing
    return dataset


def _views(
    store: Store,
    datasets: Sequence[Dataset],
    caller: Organization,
    dataset_names: Mapping[int, str] | None = None,
) -> list[DatasetView]:
    """Attach owner and stations names, reading the name tables only when a dataset needs them."""
    owners: dict[int | None, str] = {caller.id: caller.name}
    if any(d.organization_id not in (None, caller.id) for d in datasets):
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
