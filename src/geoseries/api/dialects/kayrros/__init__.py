"""The Kayrros Platform dialect (spec/stats-pipelines-datasets.md §C): `/v3/login`, `/v1/...`."""

from __future__ import annotations

from geoseries.api.dialects.kayrros.errors import render_error
from geoseries.api.dialects.kayrros.routes import router

PREFIXES = ("/v3", "/v1")

__all__ = ["PREFIXES", "render_error", "router"]
