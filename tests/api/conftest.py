"""The real app on each backend, with organizations created through its own store."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from geoseries.api.app import create_app
from geoseries.auth.keys import issue_key
from geoseries.settings import Settings
from geoseries.store import Store

SMALL_BODY_LIMIT = 1024
"""The smallest `http.max_body_bytes` the settings accept; tests of 413 use it."""


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the app with its lifespan running (store open, migrations applied)."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
def app_store(client: TestClient) -> Store:
    """The store the running app opened."""
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return store


def add_organization(store: Store, name: str) -> dict[str, str]:
    """Create an organization with a fresh API key; returns the headers that authenticate it."""
    issued = issue_key()
    store.create_organization(name, api_key_hash=issued.digest, key_prefix=issued.prefix)
    return {"X-API-KEY": issued.secret}


@pytest.fixture
def acme(app_store: Store) -> dict[str, str]:
    return add_organization(app_store, "acme")


@pytest.fixture
def globex(app_store: Store) -> dict[str, str]:
    return add_organization(app_store, "globex")


def small_body_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"http": settings.http.model_copy(update={"max_body_bytes": SMALL_BODY_LIMIT})}
    )


@contextmanager
def serving(app: FastAPI) -> Iterator[int]:
    """Run `app` in a real uvicorn server on a free loopback port; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
