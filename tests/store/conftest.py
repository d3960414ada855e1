"""Fixtures of the store tests that compare the backends with each other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from geoseries.store import Store, open_store
from tests import services


@pytest.fixture(scope="module")
def backends(
    postgres_server: services.Postgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, Store]]:
    """A SQLite store and a PostgreSQL one, shared by a module's tests (each names its own
    datasets)."""
    sqlite = open_store(f"sqlite:///{tmp_path_factory.mktemp('backends') / 'store.db'}")
    postgres = open_store(postgres_server.create_database())
    yield sqlite, postgres
    sqlite.close()
    postgres.close()
