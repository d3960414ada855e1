"""The API dialects: each a thin translator between its own shapes and the core.

`ROUTERS` lists their routers in the order the app includes them; `register_errors` gives each
its error body for its prefixes.
"""

from __future__ import annotations

from fastapi import APIRouter

from geoseries.api.dialects import kano, kayrros, smartcitizen, spaceknow
from geoseries.api.dialects.kano import routes as kano_routes
from geoseries.api.errors import ErrorRenderers

ROUTERS: tuple[APIRouter, ...] = (
    # Kano first: its queries are the bulk of the traffic, and FastAPI tries routes in order,
    # a few microseconds each. `/api/{dataset}[/{id}]` shadows every other path of one or two
    # segments under /api: a dialect with such paths (MONARC's `/api/v2/...`) goes before it.
    kano_routes.router,
    kayrros.router,
    smartcitizen.router,
    spaceknow.router,
)


def register_errors(renderers: ErrorRenderers) -> None:
    """Register every dialect's error renderer for the path prefixes it owns."""
    for prefix in kano.PREFIXES:  # `/api`; a longer prefix such as MONARC's `/api/v2` wins
        renderers.register(prefix, kano.render_error)
    for prefix in kayrros.PREFIXES:
        renderers.register(prefix, kayrros.render_error)
    for prefix in smartcitizen.PREFIXES:
        renderers.register(prefix, smartcitizen.render_error)


__all__ = ["ROUTERS", "register_errors"]
