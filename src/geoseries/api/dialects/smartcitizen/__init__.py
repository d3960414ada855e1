"""The Smart Citizen dialect (spec/smartcitizen.md): `/v0/...`."""

from __future__ import annotations

from geoseries.api.dialects.smartcitizen.errors import render_error
from geoseries.api.dialects.smartcitizen.routes import router

PREFIXES = ("/v0",)

__all__ = ["PREFIXES", "render_error", "router"]
