"""Shared fixtures: every store test runs on SQLite and on a real PostgreSQL + PostGIS.

The PostgreSQL server and the Mosquitto broker are started by `services.py` on loopback, in
temporary directories, once per test session. When their binaries are missing the tests that
need them are skipped with a notice, unless GEOSERIES_REQUIRE_ALL_BACKENDS=1, which turns the
skip into a failure (CI sets it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from geoseries.settings import Settings
from geoseries.store import Store, open_store
from tests import services

REQUIRE_ALL = os.environ.get("GEOSERIES_REQUIRE_ALL_BACKENDS") == "1"


def unavailable(what: str, why: str) -> None:
    """Skip (or, in CI, fail) a test whose real service cannot be started."""
    message = f"{what} unavailable: {why}"
    if REQUIRE_ALL:
        pytest.fail(f"{message} (GEOSERIES_REQUIRE_ALL_BACKENDS=1 forbids skipping)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.Postgres]:
    try:
        server = services.Postgres.start(tmp_path_factory.mktemp("postgres"))
    except services.ServiceUnavailable as error:
        unavailable("PostgreSQL", str(error))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.Mosquitto]:
    """A real Mosquitto broker on a free loopback port."""
    try:
        broker = services.Mosquitto.start(tmp_path_factory.mktemp("mosquitto"))
    except services.ServiceUnavailable as error:
        unavailable("Mosquitto", str(error))
    yield broker
    broker.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'geoseries.db'}"
    server: services.Postgres = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for an app on the test database; MQTT and rate limits off unless a test
    turns them on (tests make many requests from one client)."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        mqtt={"enabled": False, "embedded": False},  # type: ignore[arg-type]
        rate_limit={"enabled": False},  # type: ignore[arg-type]
    )
