"""Probes, the OpenAPI description and the lifespan."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from geoseries.api.app import create_app
from geoseries.api.background import AppContext, Background
from geoseries.settings import Settings
from geoseries.store import Store


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_readyz_answers_ready_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@contextmanager
def database_gone(store: Store, url: str, sqlite_dir: Path) -> Iterator[None]:
    """Make the app's database unreachable for real, then bring it back.

    SQLite: drop the store's pooled connections and move the database's directory away, so new
    connections cannot open the file. PostgreSQL: refuse new connections to the database and
    terminate the app's existing ones.
    """
    if url.startswith("sqlite"):
        store.close()
        moved = sqlite_dir.with_name("moved-away")
        sqlite_dir.rename(moved)
        try:
            yield
        finally:
            moved.rename(sqlite_dir)
        return
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def test_readyz_answers_503_while_the_database_is_gone(settings: Settings, tmp_path: Path) -> None:
    sqlite_dir = tmp_path / "database"
    if settings.resolved_database_url.startswith("sqlite"):
        url = f"sqlite:///{sqlite_dir / 'geoseries.db'}"
        settings = settings.model_copy(update={"database_url": url})
    app = create_app(settings)
    with TestClient(app) as client:
        with database_gone(app.state.store, settings.resolved_database_url, sqlite_dir):
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["error"] == "UNAVAILABLE"
            assert response.json()["errorMessage"].startswith("database unavailable")
            assert client.get("/healthz").status_code == 200  # alive, just not ready
        assert client.get("/readyz").status_code == 200  # ready again once it is back


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    openapi = client.get("/openapi.json")
    assert openapi.status_code == 200
    description = openapi.json()
    assert {"/healthz", "/readyz", "/metrics", "/datasets", "/datasets/{name}"} <= set(
        description["paths"]
    )
    created = description["paths"]["/datasets"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DatasetOut"
    }
    assert "featureId" in description["components"]["schemas"]["DatasetIn"]["properties"]
    assert description["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-KEY"
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_docs_page_needs_no_internet(client: TestClient) -> None:
    """Swagger UI's script and style come from this server, so /docs works offline."""
    page = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    script = next(a for a in assets if a.endswith("swagger-ui-bundle.js"))
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith(str(client.base_url)), f"{asset} is not served by Geoseries"
        assert client.get(asset).status_code == 200
    assert "SwaggerUIBundle" in client.get(script).text


def test_background_work_runs_inside_the_lifespan_with_the_open_store(settings: Settings) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def worker(context: AppContext) -> AsyncIterator[None]:
        context.store.ping()  # the store is open and migrated before background work starts
        assert context.settings is settings
        context.metrics.ingested(3)
        events.append("started")
        yield
        context.store.ping()  # ... and still open while it stops
        events.append("stopped")

    app = create_app(settings, background=[worker])
    assert events == []  # nothing runs before the lifespan
    with TestClient(app) as client:
        assert events == ["started"]
        assert "geoseries_ingested_points_total 3.0" in client.get("/metrics").text
    assert events == ["started", "stopped"]


def test_background_work_stops_in_reverse_order(settings: Settings) -> None:
    events: list[str] = []

    def worker(name: str) -> Background:
        @asynccontextmanager
        async def run(_: AppContext) -> AsyncIterator[None]:
            events.append(f"start {name}")
            yield
            events.append(f"stop {name}")

        return run

    with TestClient(create_app(settings, background=[worker("a"), worker("b")])):
        pass
    assert events == ["start a", "start b", "stop b", "stop a"]
