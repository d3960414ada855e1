"""`/api/<dataset>[/<id>]`: the Kano / KDK features service over HTTP (spec/kano.md §1).

`GET` lists (`find`: a paginated FeatureCollection, a `$distinct` array, or an `$aggregate`
FeatureCollection) or reads one document (`get`); `POST` creates one document or an array,
`PATCH` and `DELETE` change or remove one by id; `PUT` (Feathers `update`) answers 405, as Kano
bans it. Handlers parse (qs + `params`), authorize and call `geoseries.query.features`, and
render; the query string is read raw because only qs reads it the way Kano clients expect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from geoseries.api.dependencies import AppSettings, AppStore, Caller, RawBody
from geoseries.api.dialects.kano import body, render
from geoseries.api.dialects.kano.params import (
    AggregateRequest,
    DistinctRequest,
    FindRequest,
    KanoRequest,
    parse_find,
)
from geoseries.api.dialects.kano.qs import parse_query
from geoseries.api.responses import json_response, streamed_json
from geoseries.errors import MethodNotAllowed
from geoseries.formats.encoders import feature_collection, json_array, primed
from geoseries.model import Dataset
from geoseries.query import feature_writes, features
from geoseries.query.aggregate import accumulated, grouped
from geoseries.settings import Settings
from geoseries.store import Store

router = APIRouter(prefix="/api", tags=["Kano features"])

DatasetName = Annotated[str, Path(description="The dataset, served as a features service.")]
DocumentId = Annotated[str, Path(description="A document `_id` (send `#` as `%23`).")]
REFUSED_METHODS: Mapping[str, features.Method] = {
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "remove",
}
"""Feathers' method of each HTTP method `refused` serves, for the permission check."""


@router.get("/{dataset}", summary="Find documents (Feathers query syntax)")
def find(
    dataset: DatasetName, request: Request, store: AppStore, settings: AppSettings, caller: Caller
) -> Response:
    target = features.authorized_dataset(store, caller, dataset, "find")
    parsed = _parse(request, target, settings)
    if isinstance(parsed, DistinctRequest):
        values = features.distinct(store, target, parsed.field, parsed.where)
        return json_response([render.distinct_value(v) for v in values])
    if isinstance(parsed, AggregateRequest):
        return _aggregate(store, target, parsed)
    return _page(store, target, parsed)


@router.get("/{dataset}/{document_id}", summary="Get one document")
def get(dataset: DatasetName, document_id: DocumentId, store: AppStore, caller: Caller) -> Response:
    target = features.authorized_dataset(store, caller, dataset, "get")
    return json_response(render.feature(features.get(store, target, document_id)))


@router.post("/{dataset}", summary="Create one document or an array of them", status_code=201)
def create(dataset: DatasetName, content: RawBody, store: AppStore, caller: Caller) -> Response:
    target = features.authorized_dataset(store, caller, dataset, "create")
    documents, many = body.documents_to_create(content)
    rendered = feature_writes.create(store, target, documents, render.feature)
    return json_response(rendered if many else rendered[0], 201)


@router.patch("/{dataset}/{document_id}", summary="Patch one document")
def patch(
    dataset: DatasetName, document_id: DocumentId, content: RawBody, store: AppStore, caller: Caller
) -> Response:
    target = features.authorized_dataset(store, caller, dataset, "patch")
    change = body.document_patch(content)
    return json_response(render.feature(feature_writes.patch(store, target, document_id, change)))


@router.delete("/{dataset}/{document_id}", summary="Remove one document")
def remove(
    dataset: DatasetName, document_id: DocumentId, store: AppStore, caller: Caller
) -> Response:
    target = features.authorized_dataset(store, caller, dataset, "remove")
    return json_response(render.feature(feature_writes.remove(store, target, document_id)))


@router.put("/{dataset}/{document_id}", summary="Refused: Kano bans update (use PATCH)")
@router.put("/{dataset}", include_in_schema=False)
@router.patch("/{dataset}", include_in_schema=False)
@router.delete("/{dataset}", include_in_schema=False)
def refused(dataset: DatasetName, request: Request, store: AppStore, caller: Caller) -> Response:
    """Authorization first (a read-only token gets 403, as in Kano), then 405."""
    method = REFUSED_METHODS[request.method]
    features.authorized_dataset(store, caller, dataset, method)
    if method == "update":
        raise MethodNotAllowed("update is not allowed: patch the document instead")
    raise MethodNotAllowed(f"{method} needs a document id: /api/{dataset}/<id>")


def _parse(request: Request, dataset: Dataset, settings: Settings) -> KanoRequest:
    return parse_find(
        parse_query(request.url.query),
        dataset,
        default_limit=settings.features.default_limit,  # capped by max_limit there
        max_limit=settings.features.max_limit,
    )


def _page(store: Store, dataset: Dataset, request: FindRequest) -> Response:
    page = features.find(store, dataset, request.query)
    documents = render.selected(page.documents, request.select)  # read whole already
    if not request.as_collection:
        return streamed_json(json_array(documents))
    members = render.page_members(page.total, page.skip, page.limit)
    return streamed_json(feature_collection(documents, **members))


def _aggregate(store: Store, dataset: Dataset, request: AggregateRequest) -> Response:
    query, accumulators = request.query, request.accumulators
    # Accumulators span the whole group, also in single-time mode: read every point then.
    read = replace(query, first_only=False) if accumulators else query
    runs = primed(features.series(store, dataset, read))
    rendered = (
        render.single_time(group, accumulated(group, accumulators))
        if query.first_only
        else render.multi_time(group, query.group_by, accumulated(group, accumulators))
        for group in grouped(runs, keep_runs=bool(accumulators))
    )
    return streamed_json(feature_collection(rendered))
