"""`create_app(settings)`: assembles the HTTP app; nothing is built at import time.

The lifespan opens the store (running migrations) and closes it on shutdown. Extra long-running
work (e.g. the MQTT ingest task) joins the lifespan through `background`: each entry receives the
`AppContext` and returns an async context manager entered after the store opens and exited, in
reverse order, before it closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi_swagger import patch_fastapi
from starlette.middleware import Middleware

from geoseries import __version__
from geoseries.api import dialects, health, metrics, native
from geoseries.api.background import AppContext, Background, mqtt_background
from geoseries.api.body_limit import BodyLimitMiddleware
from geoseries.api.errors import ErrorRenderers, install_error_handlers
from geoseries.api.metrics import Metrics, MetricsMiddleware
from geoseries.api.rate_limit import RateLimitMiddleware, RateLimits
from geoseries.api.responses import OrjsonResponse
from geoseries.auth.tokens import TokenService
from geoseries.settings import Settings
from geoseries.store import open_store


def create_app(settings: Settings, *, background: Sequence[Background] = ()) -> FastAPI:
    """The Geoseries HTTP app for `settings`; its store opens when the lifespan starts."""
    app_metrics = Metrics()
    renderers = ErrorRenderers()
    rate_limits = RateLimits(settings.rate_limit)  # parsed now: a bad limit fails at startup

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await anyio.to_thread.run_sync(open_store, settings.resolved_database_url)
        app.state.store = store
        try:
            async with AsyncExitStack() as stack:
                context = AppContext(settings=settings, store=store, metrics=app_metrics)
                for start in [*mqtt_background(settings), *background]:
                    await stack.enter_async_context(start(context))
                yield
        finally:
            await anyio.to_thread.run_sync(store.close)

    app = FastAPI(
        title="Geoseries",
        version=__version__,
        summary="Geospatial time series behind several public API dialects.",
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
        docs_url=None,  # served by patch_fastapi below, from local files
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        middleware=[  # outermost first: every request is counted, 429s and 413s included
            Middleware(MetricsMiddleware, metrics=app_metrics),
            Middleware(RateLimitMiddleware, limits=rate_limits, renderers=renderers),
            Middleware(
                BodyLimitMiddleware,
                max_bytes=settings.http.max_body_bytes,
                max_control_bytes=settings.http.max_control_body_bytes,
                renderers=renderers,
            ),
        ],
    )
    app.state.settings = settings
    app.state.metrics = app_metrics
    app.state.errors = renderers
    app.state.tokens = TokenService(settings)
    dialects.register_errors(renderers)
    install_error_handlers(app, renderers)
    # Each router straight into the app, not nested: FastAPI walks nested routers again on
    # every request (a Kano query paid 0.3 ms to be routed past the others).
    for router in (health.router, metrics.router, *dialects.ROUTERS, *native.ROUTERS):
        app.include_router(router)
    # Swagger UI from the fastapi-swagger package instead of a CDN: /docs works offline too.
    patch_fastapi(app, docs_url="/docs", redirect_from_root_to_docs=False)
    return app
