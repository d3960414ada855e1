"""The Smart Citizen dialect (spec/smartcitizen.md): `/v0/...`."""

from __future__ import annotations

from fastapi import APIRouter

from geoseries.api.dialects.smartcitizen import readings, routes
from geoseries.api.dialects.smartcitizen.errors import render_error

PREFIXES = ("/v0",)

router = APIRouter()
router.include_router(routes.router)  # sessions
router.include_router(readings.router)

__all__ = ["PREFIXES", "render_error", "router"]
