"""The API dialects: each a thin translator between its own shapes and the core.

`router` gathers their routes; `register_errors` gives each its error body for its prefixes.
"""

from __future__ import annotations

from fastapi import APIRouter

from geoseries.api.dialects import kano, kayrros, smartcitizen, spaceknow
from geoseries.api.dialects.kano import routes as kano_routes
from geoseries.api.errors import ErrorRenderers

router = APIRouter()
router.include_router(kayrros.router)
router.include_router(smartcitizen.router)
router.include_router(spaceknow.router)
router.include_router(
    kano_routes.router
)  # last: `/api/{dataset}` must not shadow longer /api paths


def register_errors(renderers: ErrorRenderers) -> None:
    """Register every dialect's error renderer for the path prefixes it owns."""
    for prefix in kano.PREFIXES:  # `/api`; a longer prefix such as MONARC's `/api/v2` wins
        renderers.register(prefix, kano.render_error)
    for prefix in kayrros.PREFIXES:
        renderers.register(prefix, kayrros.render_error)
    for prefix in smartcitizen.PREFIXES:
        renderers.register(prefix, smartcitizen.render_error)


__all__ = ["register_errors", "router"]
