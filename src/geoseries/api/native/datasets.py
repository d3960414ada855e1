"""`/datasets`: list, create, read, delete and share datasets as the calling principal.

Handlers parse, call a use case of `geoseries.query.datasets`, and render; who may see or delete
what is decided there, not here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from geoseries.api.dependencies import AppStore, Caller
from geoseries.api.errors import error_responses
from geoseries.api.responses import OrjsonResponse, json_response
from geoseries.model import DATASET_NAME, DatasetKind, DatasetSpec
from geoseries.query import datasets
from geoseries.query.datasets import DatasetView

EPOCH = datetime(1970, 1, 1)


def _storable_text(value: str) -> str:
    """Refuse text no database stores faithfully: NUL (PostgreSQL) and lone surrogates (UTF-8)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


DatasetName = Annotated[
    str, StringConstraints(pattern=f"^{DATASET_NAME.pattern}$")
]  # Rust regex: $ = end of text
Text = Annotated[str, AfterValidator(_storable_text)]
VariableName = Annotated[Text, StringConstraints(min_length=1, max_length=64)]


class DatasetIn(BaseModel):
    """Body of `POST /datasets`; unknown members are refused so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)

    name: DatasetName
    kind: DatasetKind = DatasetKind.STATIONS
    feature_id: Annotated[Text, StringConstraints(max_length=64)] | None = Field(
        None, description="Property that identifies a feature, e.g. `code_station`."
    )
    label: Annotated[Text, StringConstraints(max_length=256)] | None = None
    variables: Annotated[list[VariableName], Field(max_length=1000)] = []
    stations: DatasetName | None = Field(
        None, description="Stations dataset whose features an observations dataset measures."
    )
    public: bool = False

    @field_validator("variables")
    @classmethod
    def _distinct(cls, variables: list[str]) -> list[str]:
        if len(set(variables)) != len(variables):
            raise ValueError("must not name a variable twice")
        return variables

    def spec(self) -> DatasetSpec:
        return DatasetSpec(
            name=self.name,
            kind=self.kind,
            feature_id=self.feature_id,
            label=self.label,
            variables=tuple(self.variables),
            stations=self.stations,
            public=self.public,
        )


class DatasetOut(BaseModel):
    """A rendered dataset (documents `render_dataset` in the OpenAPI description)."""

    model_config = ConfigDict(alias_generator=to_camel, serialize_by_alias=True)

    name: str
    kind: DatasetKind
    feature_id: str | None
    label: str | None
    variables: list[str]
    stations: str | None
    organization: str | None
    public: bool
    created_at: str = Field(description="ISO 8601 UTC instant with milliseconds.")
    shared_with: list[str] | None = Field(
        None,
        description="Organizations it is shared with; only `GET /datasets/{name}` by its owners.",
    )


def render_dataset(view: DatasetView) -> dict[str, Any]:
    d = view.dataset
    rendered: dict[str, Any] = {
        "name": d.name,
        "kind": d.kind.value,
        "featureId": d.feature_id,
        "label": d.label,
        "variables": list(d.variables),
        "stations": view.stations,
        "organization": view.organization,
        "public": d.public,
        "createdAt": iso_instant(d.created_at),
    }
    if view.shared_with is not None:
        rendered["sharedWith"] = list(view.shared_with)
    return rendered


def iso_instant(ms: int) -> str:
    """Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (exact: no float arithmetic)."""
    return (EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds") + "Z"


router = APIRouter(
    prefix="/datasets",
    tags=["datasets"],
    default_response_class=OrjsonResponse,
    responses=error_responses(401, 422),
)


@router.get("", response_model=list[DatasetOut], summary="Datasets visible to the caller")
def list_datasets(store: AppStore, caller: Caller) -> Response:
    return json_response([render_dataset(v) for v in datasets.list_visible(store, caller)])


@router.post(
    "",
    status_code=201,
    response_model=DatasetOut,
    responses=error_responses(409),
    summary="Create a dataset owned by the caller's organization",
)
def create_dataset(body: DatasetIn, store: AppStore, caller: Caller) -> Response:
    view = datasets.create_owned(store, caller, body.spec())
    return json_response(render_dataset(view), 201)


@router.get(
    "/{name}",
    response_model=DatasetOut,
    responses=error_responses(404),
    summary="One dataset",
)
def get_dataset(name: str, store: AppStore, caller: Caller) -> Response:
    return json_response(render_dataset(datasets.get_visible(store, caller, name)))


@router.delete(
    "/{name}",
    status_code=204,
    response_class=Response,
    responses=error_responses(403, 404),
    summary="Delete a dataset the caller's organization owns",
)
def delete_dataset(name: str, store: AppStore, caller: Caller) -> Response:
    datasets.delete_owned(store, caller, name)
    return Response(status_code=204)


@router.post(
    "/{name}/shares/{organization}",
    status_code=204,
    response_class=Response,
    responses=error_responses(403, 404),
    summary="Share a dataset with an organization (admins of its owner)",
)
def share_dataset(name: str, organization: str, store: AppStore, caller: Caller) -> Response:
    datasets.share(store, caller, name, organization)
    return Response(status_code=204)


@router.delete(
    "/{name}/shares/{organization}",
    status_code=204,
    response_class=Response,
    responses=error_responses(403, 404),
    summary="Stop sharing a dataset with an organization (admins of its owner)",
)
def unshare_dataset(name: str, organization: str, store: AppStore, caller: Caller) -> Response:
    datasets.unshare(store, caller, name, organization)
    return Response(status_code=204)
