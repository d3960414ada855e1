"""The access log filter of `geoseries serve`: no token of a query string reaches the logs."""

from __future__ import annotations

import logging

import pytest

from geoseries.cli.serve import HideQueryCredentials, hide_query_credentials


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/v0/devices/1/readings?access_token=abc", "/v0/devices/1/readings?access_token=***"),
        ("/api/x?$limit=1&jwt=a.b.c&y=2", "/api/x?$limit=1&jwt=***&y=2"),
        ("/x?bearer_token=t&access_token=", "/x?bearer_token=***&access_token=***"),
        ("/x?my_jwt=keep&njwt=keep", "/x?my_jwt=keep&njwt=keep"),
        ("/healthz", "/healthz"),
    ],
)
def test_credential_values_are_hidden(path: str, shown: str) -> None:
    assert hide_query_credentials(path) == shown


def test_the_filter_rewrites_uvicorn_access_records() -> None:
    args = ("127.0.0.1:5000", "GET", "/a?access_token=secret", "1.1", 200)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s %s %s", args, None)
    assert HideQueryCredentials().filter(record)
    assert record.args == ("127.0.0.1:5000", "GET", "/a?access_token=***", "1.1", 200)
    other = logging.LogRecord("x", logging.INFO, __file__, 1, "plain", None, None)
    assert HideQueryCredentials().filter(other)
