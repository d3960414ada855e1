"""`/datasets` through the real app: creation, rendering, visibility across organizations."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from geoseries.api.native.datasets import DatasetOut, iso_instant
from geoseries.model import DatasetSpec
from geoseries.store import Store

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/datasets", headers=headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def names(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get("/datasets", headers=headers)
    assert response.status_code == 200
    return [d["name"] for d in response.json()]


def test_created_dataset_is_rendered_in_full(client: TestClient, acme: dict[str, str]) -> None:
    stations = create(
        client, acme, name="hydro.stations", featureId="code_station", label="Stations", public=True
    )
    observations = create(
        client,
        acme,
        name="hydro.observations",
        kind="observations",
        stations="hydro.stations",
        variables=["H", "Q"],
    )
    assert set(stations) == {
        "name", "kind", "featureId", "label", "variables", "stations", "organization", "public",
        "createdAt",
    }  # fmt: skip
    assert stations | {"createdAt": None} == {
        "name": "hydro.stations",
        "kind": "stations",
        "featureId": "code_station",
        "label": "Stations",
        "variables": [],
        "stations": None,
        "organization": "acme",
        "public": True,
        "createdAt": None,
    }
    assert observations["kind"] == "observations"
    assert observations["stations"] == "hydro.stations"
    assert observations["variables"] == ["H", "Q"]
    assert observations["public"] is False
    assert ISO_MS.match(stations["createdAt"])
    DatasetOut.model_validate(observations)  # the OpenAPI schema describes what is sent

    fetched = client.get("/datasets/hydro.observations", headers=acme)
    assert fetched.status_code == 200
    assert fetched.json() == observations | {"sharedWith": []}  # shown to its owners only
    assert client.get("/datasets", headers=acme).json() == [observations, stations]


def test_iso_instant_is_exact_to_the_millisecond() -> None:
    assert iso_instant(0) == "1970-01-01T00:00:00.000Z"
    assert iso_instant(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"
    assert iso_instant(-1) == "1969-12-31T23:59:59.999Z"


def test_existing_name_is_a_conflict(client: TestClient, acme: dict[str, str]) -> None:
    create(client, acme, name="taken")
    response = client.post("/datasets", headers=acme, json={"name": "taken"})
    assert response.status_code == 409
    assert response.json()["error"] == "CONFLICT"


def test_owner_deletes_its_dataset(client: TestClient, acme: dict[str, str]) -> None:
    create(client, acme, name="short-lived")
    response = client.delete("/datasets/short-lived", headers=acme)
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/datasets/short-lived", headers=acme).json()["error"] == "NOT-FOUND"
    assert client.delete("/datasets/short-lived", headers=acme).status_code == 404


def test_visibility_across_two_organizations(
    client: TestClient, acme: dict[str, str], globex: dict[str, str]
) -> None:
    create(client, acme, name="acme.private")
    create(client, acme, name="acme.public", public=True)
    create(client, globex, name="globex.private")

    assert names(client, acme) == ["acme.private", "acme.public"]
    assert names(client, globex) == ["acme.public", "globex.private"]

    # Another organization's private dataset does not exist for the caller, even to delete.
    hidden = client.get("/datasets/acme.private", headers=globex)
    assert hidden.status_code == 404
    assert hidden.json() == {
        "error": "NOT-FOUND",
        "errorMessage": "dataset 'acme.private' does not exist",
    }
    assert client.delete("/datasets/acme.private", headers=globex).status_code == 404
    assert client.get("/datasets/acme.private", headers=acme).status_code == 200

    # Its public dataset is readable, with its owner named, but not deletable.
    public = client.get("/datasets/acme.public", headers=globex)
    assert public.status_code == 200
    assert public.json()["organization"] == "acme"
    refused = client.delete("/datasets/acme.public", headers=globex)
    assert refused.status_code == 403
    assert refused.json()["error"] == "ACCESS-DENIED"
    assert "acme.public" in names(client, globex)


def test_stations_must_be_visible_to_the_caller(
    client: TestClient, acme: dict[str, str], globex: dict[str, str]
) -> None:
    create(client, acme, name="acme.stations")
    create(client, acme, name="acme.shared-stations", public=True)
    body = {"name": "globex.obs", "kind": "observations", "stations": "acme.stations"}
    response = client.post("/datasets", headers=globex, json=body)
    assert response.status_code == 422
    assert response.json()["errorMessage"] == "dataset 'acme.stations' does not exist"

    linked = create(client, globex, **{**body, "stations": "acme.shared-stations"})
    assert linked["stations"] == "acme.shared-stations"
    assert linked["organization"] == "globex"


def test_store_rules_surface_as_validation_errors(client: TestClient, acme: dict[str, str]) -> None:
    response = client.post("/datasets", headers=acme, json={"name": "s", "stations": "nowhere"})
    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION-ERROR"


def test_dataset_without_an_organization_is_listed_when_public(
    client: TestClient, app_store: Store, acme: dict[str, str]
) -> None:
    app_store.create_dataset(DatasetSpec(name="system.public", public=True))
    app_store.create_dataset(DatasetSpec(name="system.private"))
    assert names(client, acme) == ["system.public"]
    assert client.get("/datasets/system.public", headers=acme).json()["organization"] is None
    assert client.delete("/datasets/system.public", headers=acme).status_code == 403
    assert client.get("/datasets/system.private", headers=acme).status_code == 404


# -- no input reaches a 500 -----------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    ["name", "kind", "featureId", "label", "variables", "stations", "public"]
)
dataset_bodies = st.dictionaries(field_names, json_values, max_size=7) | json_values
raw_bodies = st.binary(max_size=200) | st.text(max_size=200).map(str.encode)
path_names = st.text(max_size=80)

JUNK = hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def assert_client_error_or_success(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "errorMessage"}


@pytest.mark.parametrize("with_key", [True, False])
def test_junk_bodies_never_cause_a_server_error(
    client: TestClient, acme: dict[str, str], with_key: bool
) -> None:
    headers = acme if with_key else {}

    @JUNK
    @given(body=dataset_bodies)
    def json_body(body: Any) -> None:
        assert_client_error_or_success(client.post("/datasets", headers=headers, json=body))

    @JUNK
    @given(content=raw_bodies, content_type=st.sampled_from(["application/json", "text/plain"]))
    def raw_body(content: bytes, content_type: str) -> None:
        request_headers = {**headers, "content-type": content_type}
        response = client.post("/datasets", headers=request_headers, content=content)
        assert_client_error_or_success(response)

    json_body()
    raw_body()


def test_junk_names_and_paths_never_cause_a_server_error(
    client: TestClient, acme: dict[str, str]
) -> None:
    create(client, acme, name="kept")

    @JUNK
    @given(name=path_names, method=st.sampled_from(["GET", "DELETE", "PATCH"]))
    def junk_name(name: str, method: str) -> None:
        response = client.request(method, f"/datasets/{quote(name, safe='')}", headers=acme)
        assert_client_error_or_success(response)

    @JUNK
    @given(path=st.text(max_size=40))
    def junk_path(path: str) -> None:
        assert_client_error_or_success(client.get(f"/{quote(path, safe='/')}", headers=acme))

    junk_name()
    junk_path()
    assert client.get("/datasets/kept", headers=acme).status_code == 200
