"""`geoseries serve --demo`, the README's first command, run as a user runs it.

A real server process with the embedded MQTT broker: health, readiness, metrics, the demo data,
and an observation published with `mosquitto_pub` that ends up in the database.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from geoseries.ingest.demo import OBSERVATIONS
from geoseries.store import open_store
from tests.conftest import unavailable
from tests.services import free_port, wait_for_port


@dataclass
class Server:
    url: str
    mqtt_port: int
    database_url: str
    log_path: Path


ATTEMPTS = 3
"""Free ports are picked, then bound by the server: another process may take one in between."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    for attempt in range(1, ATTEMPTS + 1):
        http_port, mqtt_port = free_port(), free_port()
        log_path = tmp_path / f"serve-{attempt}.log"
        process = _start(tmp_path, http_port, mqtt_port, log_path)
        if _ours(process, http_port):
            break
        process.kill()
        process.wait(timeout=20)
        if "address already in use" not in log_path.read_text() or attempt == ATTEMPTS:
            pytest.fail(f"server did not start:\n{log_path.read_text()}")
    try:
        yield Server(
            f"http://127.0.0.1:{http_port}",
            mqtt_port,
            f"sqlite:///{tmp_path / 'data' / 'geoseries.db'}",
            log_path,
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=20) == 0, log_path.read_text()
        finally:
            if process.poll() is None:
                process.kill()


def _start(
    tmp_path: Path, http_port: int, mqtt_port: int, log_path: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GEOSERIES_DATA_DIR": str(tmp_path / "data"),
        "GEOSERIES_MQTT__PORT": str(mqtt_port),
        "GEOSERIES_MQTT__CLIENT_ID": f"e2e-{http_port}",
    }
    env.pop("GEOSERIES_DATABASE_URL", None)
    command = [sys.executable, "-m", "geoseries", "serve", "--demo", "--port", str(http_port)]
    with log_path.open("wb") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _ours(process: subprocess.Popen[bytes], http_port: int) -> bool:
    """Whether `process` itself answers on `http_port` (not another process that took it)."""
    if not wait_for_port(http_port, process, timeout=60):
        return False
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # a server that lost the port exits within moments
        if process.poll() is not None:
            return False
        time.sleep(0.1)
    return process.poll() is None


def test_serve_answers_with_demo_data_and_mqtt(server: Server) -> None:
    assert httpx2.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert httpx2.get(f"{server.url}/readyz").json() == {"status": "ready"}
    assert httpx2.get(f"{server.url}/openapi.json").json()["info"]["title"] == "Geoseries"
    missing = httpx2.get(f"{server.url}/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"] == "NON-EXISTENT-ENDPOINT"

    publisher = shutil.which("mosquitto_pub")
    if publisher is None:
        unavailable("mosquitto_pub", "install mosquitto-clients")
    payload = '{"code_station": "#O972001001", "time": "2001-02-03T04:05:06Z", "H": 9.87}'
    topic = f"geoseries/{OBSERVATIONS}/observations"
    command = [publisher, "-p", str(server.mqtt_port), "-q", "1", "-t", topic, "-m", payload]
    subprocess.run(command, check=True, timeout=10)

    store = open_store(server.database_url)
    try:
        dataset = store.get_dataset(OBSERVATIONS)
        deadline = time.monotonic() + 10
        while not (rows := list(store.iter_observations(dataset, end=1_000_000_000_000))):
            assert time.monotonic() < deadline, "the published observation was not stored"
            time.sleep(0.05)
        assert [(r.feature_key, r.variable, r.time, r.value) for r in rows] == [
            ("#O972001001", "H", 981173106000, 9.87)
        ]
        assert store.count_observations(dataset) > 10_000  # the demo week
    finally:
        store.close()
    metrics = httpx2.get(f"{server.url}/metrics").text
    assert "geoseries_ingested_points_total 1.0" in metrics
    assert (
        'geoseries_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in metrics
    )


def test_tokens_in_query_strings_stay_out_of_the_access_log(server: Server) -> None:
    secret = "SeCrEt-device-token-value"
    for parameter in ("access_token", "jwt"):
        response = httpx2.get(f"{server.url}/datasets?x=1&{parameter}={secret}")
        assert response.status_code == 401
    deadline = time.monotonic() + 5
    while "jwt=***" not in server.log_path.read_text():
        assert time.monotonic() < deadline, server.log_path.read_text()
        time.sleep(0.05)
    log = server.log_path.read_text()
    assert "/datasets?x=1&access_token=***" in log
    assert secret not in log
