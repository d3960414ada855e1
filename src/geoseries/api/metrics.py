"""Prometheus metrics of one app: HTTP requests, their latency, and ingested points.

Each app owns its `CollectorRegistry` (never the process-global one), so tests and embedders can
build many apps in one process. Other code counts through the typed `Metrics` object on
`app.state.metrics` (ingest calls `metrics.ingested(n)`); `/metrics` exposes the registry.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED_ROUTE = "<unmatched>"
"""Route label of requests no route answered, so junk paths cannot grow the label set."""
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "geoseries_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "geoseries_http_request_duration_seconds",
            "Time from receiving a request to sending the end of its response.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._ingested = Counter(
            "geoseries_ingested_points",
            "Observations written by ingest (HTTP batches, MQTT, imports).",
            registry=self.registry,
        )

    def ingested(self, points: int) -> None:
        """Count `points` observations as ingested (thread-safe; zero or less is ignored)."""
        if points > 0:
            self._ingested.inc(points)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in KNOWN_METHODS else "OTHER"
        self._requests.labels(method, route, str(status)).inc()
        self._latency.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI: times each HTTP request and counts it under its route template."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the app raises before responding

        async def status_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, status_send)
        finally:
            elapsed = time.perf_counter() - start
            self.metrics.observe_request(scope["method"], route_template(scope), status, elapsed)


def route_template(scope: Scope) -> str:
    """The path template of the route that answered, e.g. `/datasets/{name}`.

    FastAPI 0.165 keeps included routers unflattened: `scope["route"]` is the route as declared,
    without the `include_router(prefix=...)` part; the effective route context it records in
    `scope["fastapi"]` has the full template. The fallback keeps the label sane if that changes.
    """
    effective = scope.get("fastapi", {}).get("effective_route_context")
    for route in (effective, scope.get("route")):
        template = getattr(route, "path_format", None)
        if isinstance(template, str):
            return template
    return UNMATCHED_ROUTE


router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response, summary="Prometheus metrics")
def prometheus_metrics(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
