"""Who may read and write a dataset's documents through a features API, and reading them.

Seed rule A permissions (DECISIONS.md, Kano): reading dataset D needs `features.read.D`,
writing it `features.write.D`, so `features.read` reads every dataset and `features` does
everything. On top of permissions, a caller that belongs to an organization reads only the
datasets visible to it (owned, shared with it, public) and writes only those its organization
owns. A credential of no organization (a stateless token signed by the server, `geoseries token
create`) is the operator's: its permissions alone decide. A dataset the caller may not see is
reported as missing, so private names do not leak.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Literal

from geoseries.auth.principal import Principal
from geoseries.errors import Forbidden, NotFound
from geoseries.filters import Field, Filter
from geoseries.model import DATASET_NAME, Dataset
from geoseries.queries import Document, DocumentQuery, SeriesQuery, SeriesRun
from geoseries.query.datasets import is_owned, is_visible
from geoseries.store import Store

Method = Literal["find", "get", "create", "patch", "update", "remove"]
READS: frozenset[Method] = frozenset({"find", "get"})


@dataclass(frozen=True, slots=True)
class Page:
    """A page of documents; `total` may still be being counted while they are sent."""

    total: Future[int]
    skip: int
    limit: int
    documents: Iterator[Document]


def required_permission(dataset_name: str, method: Method) -> str:
    """The permission a method needs on a dataset: `features.read.D` or `features.write.D`."""
    return f"features.{'read' if method in READS else 'write'}.{dataset_name}"


def authorized_dataset(store: Store, caller: Principal, name: str, method: Method) -> Dataset:
    """The dataset `name` if `caller` may run `method` on it.

    NotFound when it does not exist or is invisible to the caller's organization; Forbidden
    when it is visible but the permission is missing, or a write targets another
    organization's dataset.
    """
    missing = NotFound(f"dataset {name!r} does not exist", field="dataset")
    if not DATASET_NAME.fullmatch(name):
        raise missing
    try:
        dataset = store.get_dataset(name)
    except NotFound:
        raise missing from None
    if caller.organization_id is not None and not caller.is_global_admin:
        shared = store.shared_with(caller.organization_id)
        if not is_visible(dataset, caller, shared):
            raise missing
        if method not in READS and not is_owned(dataset, caller):
            raise Forbidden(_refusal(method, name))
    if not caller.can(required_permission(name, method)):
        raise Forbidden(_refusal(method, name))
    return dataset


def _refusal(method: Method, name: str) -> str:
    """Kano's wording (spec/kano.md §8)."""
    return f"You are not allowed to perform {method} operation on {name}"


def find(store: Store, dataset: Dataset, query: DocumentQuery) -> Page:
    """One page of documents (at most `query.limit`, read whole) and the total matching the
    query's filter, so an error surfaces before anything is sent."""
    total, documents = store.find_page(dataset, query)
    return Page(total=total, skip=query.skip, limit=query.limit, documents=iter(documents))


def get(store: Store, dataset: Dataset, document_id: str) -> Document:
    return store.get_document(dataset, document_id)


def distinct(store: Store, dataset: Dataset, field: Field, where: Filter) -> list[object]:
    return store.distinct_values(dataset, field, where)


def series(store: Store, dataset: Dataset, query: SeriesQuery) -> Iterator[SeriesRun]:
    return store.series_runs(dataset, query)
