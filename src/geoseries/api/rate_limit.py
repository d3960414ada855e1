"""Rate limiting per caller and route class, in front of the application.

A pure ASGI middleware, so a throttled request costs neither body parsing nor a database query.
The caller is whoever a credential names (`?jwt=`, `?access_token=`, `Authorization`,
`X-API-KEY`), else the client IP. Credentials are not verified here, only told apart: the auth
layer verifies them. They are stored as keyed hashes, never in clear. Login routes are always
limited per IP, so a made-up credential cannot buy a fresh budget for password guessing.

Which class a route belongs to is decided by `ROUTE_CLASSES`, also used by the body size limit.
Counters live in memory (the `limits` library, moving window): each process limits on its own.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from geoseries.api.errors import ErrorRenderers
from geoseries.errors import RateLimited
from geoseries.settings import RateLimitSettings


class RouteClass(StrEnum):
    PROBE = "probe"
    """Health and metrics probes: never limited."""
    LOGIN = "login"
    """Password logins: a strict limit, per IP."""
    INGEST = "ingest"
    """Bulk writes of observations: large bodies."""
    CONTROL = "control"
    """Everything else: small bodies."""


@dataclass(frozen=True, slots=True)
class RouteRule:
    route_class: RouteClass
    path: re.Pattern[str]
    """Must match the whole path (without a trailing slash)."""
    methods: frozenset[str] | None = None
    """The methods the rule applies to; None: all."""


ROUTE_CLASSES: tuple[RouteRule, ...] = (
    RouteRule(RouteClass.PROBE, re.compile(r"/(healthz|readyz|metrics)")),
    RouteRule(RouteClass.LOGIN, re.compile(r"/(v3/login|oauth/token|v0/sessions)(/.*)?")),
    # Administration is control whatever its path names (a key prefix `readings`, say).
    RouteRule(RouteClass.CONTROL, re.compile(r"/(organizations|users)(/.*)?")),
    RouteRule(RouteClass.INGEST, re.compile(r"/.*/(readings|observations)")),
    RouteRule(RouteClass.INGEST, re.compile(r"/api/[^/]+"), frozenset({"POST"})),  # Kano create
)
"""The one table of route classes: the first matching rule wins; no match is CONTROL."""


def route_class(method: str, path: str) -> RouteClass:
    path = path.rstrip("/") or "/"
    for rule in ROUTE_CLASSES:
        if (rule.methods is None or method in rule.methods) and rule.path.fullmatch(path):
            return rule.route_class
    return RouteClass.CONTROL


CREDENTIAL_PARAMETERS = ("jwt", "access_token")
"""Query parameters that carry a credential, in the order they win (Kano's `?jwt=` first)."""
CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def credential(scope: Scope) -> str | None:
    """The raw credential the request presents, unverified; None when it presents none."""
    query = scope.get("query_string", b"").decode("latin-1")
    if any(f"{name}=" in query for name in CREDENTIAL_PARAMETERS):
        parameters = dict(parse_qsl(query, keep_blank_values=True))
        for name in CREDENTIAL_PARAMETERS:
            if parameters.get(name):
                return f"{name}={parameters[name]}"
    headers = Headers(scope=scope)
    for name in CREDENTIAL_HEADERS:
        if value := headers.get(name):
            return f"{name}:{value}"
    return None


class RateLimits:
    """The parsed limit of each route class, and the counters of one app."""

    def __init__(self, settings: RateLimitSettings) -> None:
        self.enabled = settings.enabled
        default = settings.default
        texts = {
            RouteClass.LOGIN: settings.login,
            RouteClass.INGEST: settings.ingest or default,
            RouteClass.CONTROL: settings.control or default,
        }
        self.items: Mapping[RouteClass, RateLimitItem] = {
            cls: parse_limit(f"rate_limit.{cls.value}", text) for cls, text in texts.items()
        }
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self._salt = secrets.token_bytes(16)

    def caller(self, scope: Scope, cls: RouteClass) -> str:
        """Whom the request is counted against: a hash of its credential, else its IP."""
        presented = None if cls is RouteClass.LOGIN else credential(scope)
        if presented is not None:
            digest = hmac.new(self._salt, presented.encode("utf-8", "surrogateescape"), "sha256")
            return f"credential:{digest.hexdigest()}"
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}"

    def hit(self, scope: Scope) -> RateLimited | None:
        """Count the request; the error to answer when it is over its limit, else None."""
        cls = route_class(scope.get("method", "GET"), scope["path"])
        item = self.items.get(cls)
        if not self.enabled or item is None:
            return None
        caller = self.caller(scope, cls)
        if self.limiter.hit(item, cls.value, caller):
            return None
        reset = self.limiter.get_window_stats(item, cls.value, caller).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        return RateLimited(
            f"too many requests: at most {item} on {cls.value} routes; retry in {retry_after} s",
            retry_after=retry_after,
        )


def parse_limit(setting: str, text: str) -> RateLimitItem:
    """`text` as a `limits` item; a ValueError naming `setting` when it is not one."""
    try:
        return parse(text)
    except ValueError as error:
        raise ValueError(f"{setting}: {text!r} is not a limit like '150/minute'") from error


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limits: RateLimits, renderers: ErrorRenderers) -> None:
        self.app = app
        self.limits = limits
        self.renderers = renderers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (error := self.limits.hit(scope)) is not None:
            await self.renderers.render(scope["path"], error)(scope, receive, send)
            return
        await self.app(scope, receive, send)
