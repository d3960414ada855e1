"""`/metrics`: request counts and latency per route template, and ingested points."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from starlette.responses import Response

from geoseries.api.app import create_app
from geoseries.api.metrics import Metrics
from geoseries.api.responses import json_response
from geoseries.settings import Settings


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def requests(method: str, route: str, status: int) -> tuple[str, frozenset[tuple[str, str]]]:
    labels = {"method": method, "route": route, "status": str(status)}
    return "geoseries_http_requests_total", frozenset(labels.items())


def test_requests_are_counted_by_method_route_template_and_status(
    client: TestClient, acme: dict[str, str]
) -> None:
    client.get("/healthz")
    client.get("/healthz")
    client.get("/datasets/one", headers=acme)
    client.get("/datasets/two", headers=acme)
    client.get("/datasets/two")
    client.get("/no/such/path")
    client.put("/datasets")

    seen = samples(client)
    assert seen[requests("GET", "/healthz", 200)] == 2
    assert seen[requests("GET", "/datasets/{name}", 404)] == 2  # one series for every name
    assert seen[requests("GET", "/datasets/{name}", 401)] == 1
    assert seen[requests("GET", "<unmatched>", 404)] == 1
    assert seen[requests("PUT", "/datasets", 405)] == 1
    latency = (
        "geoseries_http_request_duration_seconds_count",
        frozenset({"method": "GET", "route": "/datasets/{name}"}.items()),
    )
    assert seen[latency] == 3


def test_ingested_points_are_counted_through_app_state(client: TestClient) -> None:
    assert samples(client)[("geoseries_ingested_points_total", frozenset())] == 0
    metrics: Metrics = client.app.state.metrics  # type: ignore[attr-defined]
    metrics.ingested(250)
    metrics.ingested(0)
    metrics.ingested(5)
    assert samples(client)[("geoseries_ingested_points_total", frozenset())] == 255


def test_each_app_has_its_own_registry(settings: Settings) -> None:
    first, second = create_app(settings), create_app(settings)
    first.state.metrics.ingested(7)
    assert b"geoseries_ingested_points_total 7.0" in first.state.metrics.exposition()
    assert b"geoseries_ingested_points_total 0.0" in second.state.metrics.exposition()


def test_route_template_keeps_the_include_prefix(app: FastAPI, client: TestClient) -> None:
    router = APIRouter(prefix="/inner")

    @router.get("/{item}")
    def item(item: str) -> Response:
        return json_response({"item": item})

    app.include_router(router, prefix="/outer")
    assert client.get("/outer/inner/7").json() == {"item": "7"}
    assert samples(client)[requests("GET", "/outer/inner/{item}", 200)] == 1


def test_unusual_methods_share_one_label(client: TestClient) -> None:
    client.request("PROPFIND", "/healthz")
    assert samples(client)[requests("OTHER", "/healthz", 405)] == 1
