"""Oversized bodies are refused while they stream, through a real HTTP server."""

from __future__ import annotations

import socket

import anyio
import orjson
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from geoseries.api.app import create_app
from geoseries.api.body_limit import BodyLimitMiddleware
from geoseries.api.errors import ErrorRenderers
from geoseries.api.responses import json_response
from geoseries.settings import Settings
from tests.api.conftest import add_organization, serving, small_body_settings


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response with a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the response headers: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk
        body += chunk
    return int(status_line.split()[1]), headers, body


def test_chunked_body_is_refused_before_it_ends(settings: Settings) -> None:
    """The 413 arrives although the client never finishes its (endless) chunked body."""
    with serving(create_app(small_body_settings(settings))) as port, connect(port) as sock:
        sock.sendall(
            b"POST /datasets HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"X-API-KEY: irrelevant\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * 512
        for _ in range(3):  # 1536 bytes > 1024; the terminating 0-chunk is never sent
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, headers, body = read_response(sock)
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert orjson.loads(body)["error"] == "PAYLOAD-TOO-LARGE"


def test_declared_length_is_refused_without_reading_the_body(settings: Settings) -> None:
    with serving(create_app(small_body_settings(settings))) as port, connect(port) as sock:
        sock.sendall(
            b"POST /datasets HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        status, _, body = read_response(sock)
    assert status == 413
    assert orjson.loads(body)["error"] == "PAYLOAD-TOO-LARGE"


def test_chunked_body_within_the_limit_is_served(settings: Settings) -> None:
    app = create_app(small_body_settings(settings))
    with serving(app) as port, connect(port) as sock:
        key = add_organization(app.state.store, "acme")["X-API-KEY"]
        sock.sendall(
            b"POST /datasets HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"X-API-KEY: %s\r\nTransfer-Encoding: chunked\r\n\r\n" % key.encode()
        )
        for chunk in (b'{"name": ', b'"streamed"}' + b" " * 900):  # 1009 bytes in two chunks
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        sock.sendall(b"0\r\n\r\n")
        status, _, body = read_response(sock)
    assert status == 201, body
    assert orjson.loads(body)["name"] == "streamed"


# -- the middleware around an app that reads the body itself --------------------------------------


async def raw_body_reader(scope: Scope, receive: Receive, send: Send) -> None:
    """A plain ASGI app reading the body outside FastAPI: the middleware itself answers 413."""
    body = await Request(scope, receive).body()
    await json_response({"read": len(body)})(scope, receive, send)


async def call(
    app: BodyLimitMiddleware, chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[list[Message], int]:
    """Send `chunks` as a streamed body; returns what the app sent and how many chunks it read."""
    pending = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    read = 0

    async def receive() -> Message:
        nonlocal read
        read += 1
        return pending.pop(0)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/raw", "headers": headers}
    await app(scope, receive, send)
    return sent, read


def test_middleware_stops_reading_once_the_limit_is_passed() -> None:
    app = BodyLimitMiddleware(raw_body_reader, max_bytes=1024, renderers=ErrorRenderers())
    sent, read = anyio.run(call, app, [b"x" * 600] * 10, [])
    assert sent[0]["status"] == 413
    assert orjson.loads(sent[1]["body"])["error"] == "PAYLOAD-TOO-LARGE"
    assert read == 2  # 1200 bytes read of 6000: refused on the chunk that passed the limit

    sent, read = anyio.run(call, app, [b"x" * 512, b"x" * 512], [])
    assert sent[0]["status"] == 200
    assert orjson.loads(sent[1]["body"]) == {"read": 1024}


def test_middleware_refuses_a_declared_length_without_calling_the_app() -> None:
    app = BodyLimitMiddleware(raw_body_reader, max_bytes=1024, renderers=ErrorRenderers())
    sent, read = anyio.run(call, app, [b"x"], [(b"content-length", b"1025")])
    assert sent[0]["status"] == 413
    assert read == 0


# -- limits per route class -----------------------------------------------------------------------

HUNDRED_KIB = b"[" + b" " * (100 * 1024) + b"]"


def test_control_routes_refuse_a_body_ingest_routes_accept(settings: Settings) -> None:
    """100 KiB is over the control limit (64 KiB by default), well under the ingest one."""
    assert settings.http.max_control_body_bytes == 64 * 1024
    with TestClient(create_app(settings)) as client:
        headers = {"Content-Type": "application/json"}
        control = client.post("/datasets", content=HUNDRED_KIB, headers=headers)
        assert control.status_code == 413
        assert control.json()["error"] == "PAYLOAD-TOO-LARGE"
        assert str(64 * 1024) in control.json()["errorMessage"]
        for ingest in ("/datasets/rivers/observations", "/v0/devices/x/readings", "/api/rivers"):
            response = client.post(ingest, content=HUNDRED_KIB, headers=headers)
            assert response.status_code != 413, ingest


def test_control_limit_is_configurable(settings: Settings) -> None:
    http = settings.http.model_copy(update={"max_control_body_bytes": 200 * 1024})
    with TestClient(create_app(settings.model_copy(update={"http": http}))) as client:
        response = client.post(
            "/datasets", content=HUNDRED_KIB, headers={"Content-Type": "application/json"}
        )
        assert response.status_code != 413


def test_control_limit_never_exceeds_the_overall_limit() -> None:
    app = BodyLimitMiddleware(
        raw_body_reader, max_bytes=1024, max_control_bytes=65536, renderers=ErrorRenderers()
    )
    assert app.max_control_bytes == 1024
    sent, _ = anyio.run(call, app, [b"x"], [(b"content-length", b"1025")])
    assert sent[0]["status"] == 413


def test_ingest_routes_keep_the_large_limit() -> None:
    app = BodyLimitMiddleware(
        raw_body_reader, max_bytes=4096, max_control_bytes=1024, renderers=ErrorRenderers()
    )
    ingest: Scope = {"type": "http", "method": "POST", "path": "/datasets/x/observations"}
    control: Scope = {"type": "http", "method": "POST", "path": "/datasets"}
    assert (app.limit_for(ingest), app.limit_for(control)) == (4096, 1024)
