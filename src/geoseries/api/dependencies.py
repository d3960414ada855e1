"""FastAPI dependencies shared by routes: the app's store and metrics, and who is calling.

`caller_organization` is the one place a request's credentials become an identity; when full
principals (JWT, users, permissions) arrive, routes keep depending on `Caller` and only this
resolution changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from geoseries.api.metrics import Metrics
from geoseries.auth.keys import key_digest
from geoseries.errors import NotAuthenticated
from geoseries.model import Organization
from geoseries.store import Store

API_KEY_HEADER = "X-API-KEY"

api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,  # a missing key is reported by caller_organization, in the error format
    description="An organization API key.",
)


def app_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def app_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


AppStore = Annotated[Store, Depends(app_store)]
AppMetrics = Annotated[Metrics, Depends(app_metrics)]


def caller_organization(
    store: AppStore, api_key: Annotated[str | None, Security(api_key_header)]
) -> Organization:
    """The organization whose API key the request carries; NotAuthenticated otherwise."""
    if not api_key:
        raise NotAuthenticated(f"missing {API_KEY_HEADER} header")
    return store.organization_for_key(key_digest(api_key))


Caller = Annotated[Organization, Depends(caller_organization)]
