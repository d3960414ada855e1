"""Refuse request bodies larger than their route class allows, without buffering them.

Ingest routes accept up to `settings.http.max_body_bytes`; every other route (control) up to
`settings.http.max_control_body_bytes`, never more than the former. Route classes come from the
one table in `geoseries.api.rate_limit`.

A pure ASGI middleware, so it sees the body as the server streams it: a declared Content-Length
over the limit is refused before the application runs; a body without one (chunked transfer
encoding) is counted chunk by chunk and refused as soon as the count passes the limit, so an
endless upload costs at most `max_bytes` of reading.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geoseries.api.errors import ErrorRenderers
from geoseries.api.rate_limit import RouteClass, route_class
from geoseries.errors import PayloadTooLarge


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit.

    An HTTPException, because FastAPI re-raises those from body parsing untouched (anything
    else it turns into a 400); the app's HTTPException handler renders it as a 413.
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, too_large_message(max_bytes))


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        renderers: ErrorRenderers,
        max_control_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        """The limit of ingest routes, and the cap of every other."""
        self.max_control_bytes = min(max_bytes, max_control_bytes or max_bytes)
        self.renderers = renderers

    def limit_for(self, scope: Scope) -> int:
        ingest = route_class(scope.get("method", "GET"), scope["path"]) is RouteClass.INGEST
        return self.max_bytes if ingest else self.max_control_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            await self._refuse(scope, receive, send, max_bytes)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge(max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Reached only when the app read the body outside FastAPI's handling, e.g. in a
            # middleware or a raw ASGI route.
            if response_started:
                raise
            await self._refuse(scope, receive, send, max_bytes)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        error = PayloadTooLarge(too_large_message(max_bytes))
        await self.renderers.render(scope["path"], error)(scope, receive, send)


def too_large_message(max_bytes: int) -> str:
    return f"the request body is larger than {max_bytes} bytes"


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None or not (value.isascii() and value.isdigit()):
        return None  # servers refuse malformed lengths; a missing one means a streamed body
    return int(value)
