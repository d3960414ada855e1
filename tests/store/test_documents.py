"""Documents of stations and observations datasets: shape, order, paging, get, distinct."""

from __future__ import annotations

import pytest

from geoseries.errors import NotFound
from geoseries.filters import (
    EVERYTHING,
    Absent,
    Compare,
    DocId,
    GeometryType,
    Instant,
    Op,
    Property,
    Time,
)
from geoseries.geometry import point
from geoseries.model import Dataset, FeatureInput, ObservationInput
from geoseries.queries import Document, DocumentQuery, SortKey, observation_document_id
from geoseries.store import Store
from tests.store.helpers import (
    at,
    document_ids,
    documents,
    observations,
    stations,
    write,
    write_features,
)

T = 1_700_000_000_000


@pytest.fixture
def sites(store: Store) -> Dataset:
    dataset = stations(store)
    write_features(
        store,
        dataset,
        [
            at("b", 1, 1, rank=2, label="x"),
            at("a", 3, 3, rank="2", label="y"),
            at("c", 2, 2, rank=None),
            FeatureInput("e", None, {"rank": 1.5, "nested": {"k": 1}}),
            at("d", 0, 0, rank=True, label=0.1 + 0.2),
            at("f", 5, 5),
        ],
    )
    return dataset


@pytest.fixture
def hydro(store: Store, sites: Dataset) -> Dataset:
    dataset = observations(store)
    write(
        store,
        dataset,
        [
            ObservationInput("a", "H", T, 0.1 + 0.2),
            ObservationInput("a", "Q", T, 4.0),
            ObservationInput("b", "H", T, 1.0),
            ObservationInput("a", "H", T + 10, 2.0),
            ObservationInput("b", "Q", T - 10, 3.0),
            ObservationInput("new", "H", T, 5.0),  # a feature created without geometry
        ],
    )
    return store.get_dataset(dataset.name)  # read again: now with its stored variables


def fid(store: Store, dataset: Dataset, key: str) -> int:
    return next(f.id for f in store.iter_features(dataset) if f.key == key)


def test_a_stations_document_is_a_feature(store: Store, sites: Dataset) -> None:
    found = documents(store, sites)
    assert [d.id for d in found] == ["a", "b", "c", "d", "e", "f"]  # by key without a sort
    assert found[0] == Document("a", None, point(3, 3), {"rank": "2", "label": "y"})
    assert found[4].geometry is None
    assert found[3].properties["label"] == 0.1 + 0.2  # doubles read back exactly


def test_an_observations_document_is_a_feature_at_an_instant(
    store: Store, sites: Dataset, hydro: Dataset
) -> None:
    a, b = fid(store, sites, "a"), fid(store, sites, "b")
    found = documents(store, hydro)
    assert b < a  # written first
    # time ascending, then feature id
    assert [(d.time, d.id) for d in found] == [
        (T - 10, observation_document_id(b, T - 10)),
        (T, observation_document_id(b, T)),
        (T, observation_document_id(a, T)),
        (T, observation_document_id(fid(store, sites, "new"), T)),
        (T + 10, observation_document_id(a, T + 10)),
    ]
    assert found[2] == Document(
        observation_document_id(a, T),
        T,
        point(3, 3),
        {"rank": "2", "label": "y", "H": 0.1 + 0.2, "Q": 4.0},
    )
    assert found[0].properties == {"rank": 2, "label": "x", "Q": 3.0}
    assert found[3].geometry is None
    assert store.count_documents(hydro, EVERYTHING) == 5


def sorted_ids(store: Store, dataset: Dataset, *keys: SortKey) -> list[str]:
    return document_ids(store, dataset, sort=keys)


def test_sort_by_property_orders_json_values_like_mongodb(store: Store, sites: Dataset) -> None:
    rank = Property("rank")
    # missing and null first (tie: key), numbers by value, strings, then booleans
    assert sorted_ids(store, sites, SortKey(rank)) == ["c", "f", "e", "b", "a", "d"]
    assert sorted_ids(store, sites, SortKey(rank, descending=True)) == [
        "d",
        "a",
        "b",
        "e",
        "c",
        "f",
    ]
    assert sorted_ids(store, sites, SortKey(Property("nested", ("k",)))) == [
        "a",
        "b",
        "c",
        "d",
        "f",
        "e",
    ]
    assert sorted_ids(store, sites, SortKey(Absent("level"))) == ["a", "b", "c", "d", "e", "f"]
    assert sorted_ids(store, sites, SortKey(DocId(), descending=True)) == [
        "f",
        "e",
        "d",
        "c",
        "b",
        "a",
    ]
    assert sorted_ids(store, sites, SortKey(GeometryType()), SortKey(DocId(), True))[0] == "e"


def test_sort_observations(store: Store, sites: Dataset, hydro: Dataset) -> None:
    a, b, new = (fid(store, sites, k) for k in ("a", "b", "new"))
    by_time = sorted_ids(store, hydro, SortKey(Time(), descending=True))
    assert by_time == [
        observation_document_id(a, T + 10),
        observation_document_id(b, T),  # ties: feature id ascending
        observation_document_id(a, T),
        observation_document_id(new, T),
        observation_document_id(b, T - 10),
    ]
    by_h = sorted_ids(store, hydro, SortKey(Property("H")))
    assert by_h == [
        observation_document_id(b, T - 10),  # no H
        observation_document_id(a, T),  # 0.3
        observation_document_id(b, T),  # 1.0
        observation_document_id(a, T + 10),  # 2.0
        observation_document_id(new, T),  # 5.0
    ]
    by_id = sorted_ids(store, hydro, SortKey(DocId()))
    assert by_id == sorted(by_id)


def test_nearest_without_sort_orders_by_distance(store: Store, sites: Dataset) -> None:
    found = document_ids(store, sites, nearest=(2.9, 2.9))
    assert found == ["a", "c", "b", "f", "d", "e"]  # no geometry last
    with_sort = document_ids(store, sites, nearest=(2.9, 2.9), sort=(SortKey(DocId()),))
    assert with_sort == ["a", "b", "c", "d", "e", "f"]


def test_skip_and_limit_page_in_sql(store: Store, sites: Dataset, hydro: Dataset) -> None:
    assert document_ids(store, sites, skip=1, limit=2) == ["b", "c"]
    assert document_ids(store, sites, limit=0) == []
    assert document_ids(store, sites, skip=10) == []
    pages = [document_ids(store, hydro, skip=n, limit=2) for n in (0, 2, 4)]
    assert [i for page in pages for i in page] == document_ids(store, hydro)


def test_count_documents(store: Store, sites: Dataset, hydro: Dataset) -> None:
    assert store.count_documents(sites, EVERYTHING) == 7  # with "new", created by `hydro`
    assert store.count_documents(sites, Compare(Property("rank"), Op.EQ, 2.0)) == 1
    assert store.count_documents(hydro, Compare(Time(), Op.GTE, Instant(T))) == 4


def test_get_document(store: Store, sites: Dataset, hydro: Dataset) -> None:
    assert store.get_document(sites, "d").properties["rank"] is True
    a = fid(store, sites, "a")
    found = store.get_document(hydro, observation_document_id(a, T + 10))
    assert found == Document(
        observation_document_id(a, T + 10),
        T + 10,
        point(3, 3),
        {"rank": "2", "label": "y", "H": 2.0},
    )
    for dataset, missing in [
        (sites, "zz"),
        (hydro, observation_document_id(a, T + 5)),
        (hydro, "a"),
        (hydro, observation_document_id(a, T).upper()),
    ]:
        with pytest.raises(NotFound) as raised:
            store.get_document(dataset, missing)
        assert raised.value.field == "id"


def test_distinct_values(store: Store, sites: Dataset, hydro: Dataset) -> None:
    assert store.distinct_values(sites, Property("rank"), EVERYTHING) == [None, 1.5, 2, "2", True]
    assert store.distinct_values(sites, Property("label"), EVERYTHING) == [0.1 + 0.2, "x", "y"]
    assert store.distinct_values(sites, Property("nested"), EVERYTHING) == [{"k": 1}]
    assert store.distinct_values(sites, DocId(), Compare(Property("rank"), Op.NE, 2.0)) == [
        "a",
        "c",
        "d",
        "e",
        "f",
        "new",
    ]
    assert store.distinct_values(sites, GeometryType(), EVERYTHING) == ["Point"]
    assert store.distinct_values(sites, Time(), EVERYTHING) == []
    assert store.distinct_values(sites, Absent("x"), EVERYTHING) == []
    assert store.distinct_values(hydro, Time(), EVERYTHING) == [
        Instant(T - 10),
        Instant(T),
        Instant(T + 10),
    ]
    assert store.distinct_values(hydro, Property("H"), EVERYTHING) == [0.1 + 0.2, 1, 2, 5]
    assert store.distinct_values(hydro, Property("rank"), Compare(Time(), Op.EQ, Instant(T))) == [
        2,
        "2",
    ]
    ids = store.distinct_values(hydro, DocId(), EVERYTHING)
    assert ids == sorted(document_ids(store, hydro))


def test_distinct_merges_equal_numbers(store: Store) -> None:
    dataset = stations(store)
    write_features(store, dataset, [at("a", 0, 0, n=1), at("b", 0, 0, n=1.0), at("c", 0, 0, n=0.5)])
    assert store.distinct_values(dataset, Property("n"), EVERYTHING) == [0.5, 1]


def test_documents_stream_lazily(store: Store, sites: Dataset) -> None:
    found = store.find_documents(sites, DocumentQuery())
    assert next(found).id == "a"


@pytest.mark.parametrize(
    ("skip", "limit", "ids", "total"),
    [
        (0, 2, ["a", "b"], 6),  # a full page: counted
        (4, 5, ["e", "f"], 6),  # a short page ends the matches: no count needed
        (9, 5, [], 6),  # past the end: counted
        (0, 0, [], 6),  # count only
    ],
)
def test_pages_and_their_totals(
    store: Store, sites: Dataset, skip: int, limit: int, ids: list[str], total: int
) -> None:
    page = store.find_page(sites, DocumentQuery(skip=skip, limit=limit))
    assert [d.id for d in page.documents] == ids
    assert page.total.result() == total


def test_pages_of_observations_and_an_empty_filter(store: Store, hydro: Dataset) -> None:
    everything = store.count_documents(hydro, EVERYTHING)
    page = store.find_page(hydro, DocumentQuery(limit=1))
    assert len(page.documents) == 1
    assert page.total.result() == everything
    none = store.find_page(hydro, DocumentQuery(where=Compare(Time(), Op.LT, Instant(0))))
    assert (none.documents, none.total.result()) == ([], 0)
