"""Shared by the ingest tests: async tests run on asyncio (the broker client's loop)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
