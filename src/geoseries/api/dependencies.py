"""FastAPI dependencies shared by routes: the app's store, settings and metrics, and who is calling.

`optional_caller` is the one place a request's credentials become an identity: it gathers what
the request carried (Authorization header, `?jwt=`, `?access_token=`, X-API-KEY) and leaves the
decision to `auth.credentials.resolve`, so every dialect authenticates the same way.

Dependencies that do not block are `async def`: FastAPI runs a plain `def` dependency on a
worker thread, and a hop per dependency was a large part of a small request's time.
`optional_caller` may read the store (revoked tokens, API keys), so it stays on a thread.

A device token may only post its own device's readings: `Caller` and `OptionalCaller` refuse it
(403), so no endpoint serves a device by mistake; the readings route alone takes
`AnyCaller`, which lets devices through, and checks the device itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPBearer

from geoseries.api.metrics import Metrics
from geoseries.auth import credentials
from geoseries.auth.principal import Principal
from geoseries.auth.tokens import TokenService
from geoseries.errors import Forbidden, NotAuthenticated
from geoseries.settings import Settings
from geoseries.store import Store

API_KEY_HEADER = "X-API-KEY"

# Declared as security schemes so OpenAPI documents them; values are read from the request.
api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="An organization API key.",
)
bearer = HTTPBearer(
    scheme_name="bearer",
    auto_error=False,
    description="A JWT from a login or `geoseries token create` (scheme `JWT` works too).",
)
jwt_query = APIKeyQuery(
    name="jwt", scheme_name="jwtQuery", auto_error=False, description="A JWT; wins over the header."
)
access_token_query = APIKeyQuery(
    name="access_token", scheme_name="accessToken", auto_error=False, description="A JWT."
)


async def app_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def app_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


async def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def app_tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


async def raw_body(request: Request) -> bytes:
    """The request's body, read on the event loop, so the handler may be a plain `def` (run on
    a worker thread) and still parse and store it without blocking other requests."""
    return await request.body()


AppStore = Annotated[Store, Depends(app_store)]
RawBody = Annotated[bytes, Depends(raw_body)]
AppMetrics = Annotated[Metrics, Depends(app_metrics)]
AppSettings = Annotated[Settings, Depends(app_settings)]
AppTokens = Annotated[TokenService, Depends(app_tokens)]


def optional_caller(
    request: Request,
    store: AppStore,
    tokens: AppTokens,
    settings: AppSettings,
    _header: Annotated[object, Security(bearer)] = None,
    _jwt: Annotated[str | None, Security(jwt_query)] = None,
    _access_token: Annotated[str | None, Security(access_token_query)] = None,
    _api_key: Annotated[str | None, Security(api_key_header)] = None,
) -> Principal | None:
    """The caller, None when the request carries no credential; NotAuthenticated for a bad one."""
    given = credentials.Credentials(
        authorization=request.headers.get("authorization"),
        jwt_query=request.query_params.get("jwt"),
        access_token_query=request.query_params.get("access_token"),
        api_key=request.headers.get(API_KEY_HEADER),
    )
    return credentials.resolve(given, store=store, tokens=tokens, settings=settings)


async def optional_person(
    principal: Annotated[Principal | None, Depends(optional_caller)],
) -> Principal | None:
    """The caller unless it is a device (Forbidden: devices only post readings)."""
    if principal is not None and principal.kind == "device":
        raise Forbidden("a device token may only post its own device's readings")
    return principal


async def caller(principal: Annotated[Principal | None, Depends(optional_person)]) -> Principal:
    """The caller (never a device); NotAuthenticated when the request carries no credential."""
    if principal is None:
        raise NotAuthenticated(
            f"missing credentials: send an Authorization bearer token or an {API_KEY_HEADER} header"
        )
    return principal


AnyCaller = Annotated[Principal | None, Depends(optional_caller)]
"""The caller, devices included, None when anonymous: only for routes that serve devices."""
OptionalCaller = Annotated[Principal | None, Depends(optional_person)]
Caller = Annotated[Principal, Depends(caller)]
