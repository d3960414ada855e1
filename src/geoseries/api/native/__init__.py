"""The Geoseries-native HTTP API (errors in the default SpaceKnow shape)."""

from __future__ import annotations

from fastapi import APIRouter

from geoseries.api.native import auth, datasets, organizations, users

router = APIRouter()
router.include_router(auth.router)
router.include_router(datasets.router)
router.include_router(organizations.router)
router.include_router(users.router)

__all__ = ["router"]
