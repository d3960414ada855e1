"""The Geoseries-native HTTP API (errors in the default SpaceKnow shape)."""

from __future__ import annotations

from fastapi import APIRouter

from geoseries.api.native import auth, datasets, organizations, users

ROUTERS: tuple[APIRouter, ...] = (auth.router, datasets.router, organizations.router, users.router)

__all__ = ["ROUTERS"]
