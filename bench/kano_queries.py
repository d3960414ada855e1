"""Kano features queries on 1,000 stations x 1,000 time steps (H and Q), against raw SQL.

For each backend it loads the data (not timed), starts `geoseries serve` as its own process and
times, with one client sending requests one after the other over loopback HTTP:

- bbox + time window returning 5,000 observation documents, newest first;
- one station's week as a `$groupBy` / `$aggregate` time series of H and Q;
- the latest value of every station (`$groupBy` + `$limit=1` + `$sort[time]=-1`);
- a bulk POST of observations (10,000 documents per request).

Beside each query it times the raw SQL that fetches the same rows from the same database
(the physical limit: no HTTP, no JSON). Medians of `--runs` runs, after two warm-up runs, as
the client sees them; beside them the server's own mean time per request, read from its
latency histogram (`/metrics`: from receiving a request to sending its end, so without the
client's share of the round trip).

Run: `.venv/bin/python bench/kano_queries.py [--runs N] [--backend sqlite|postgresql]`.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx2 as httpx
import orjson
import psycopg
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import Postgres  # noqa: E402

from geoseries.geometry import point  # noqa: E402
from geoseries.ingest.batches import ObservationBatcher  # noqa: E402
from geoseries.model import DatasetKind, DatasetSpec, FeatureInput  # noqa: E402
from geoseries.store import open_store  # noqa: E402
from geoseries.times import format_time  # noqa: E402

STATIONS = 1_000
STEPS = 1_000
STEP = 600_000  # 10 minutes: 1,000 steps are about a week
START = 1_700_000_000_000
END = START + (STEPS - 1) * STEP
BOX = (-1.0, 45.0, 1.0, 47.0)  # west, south, east, north: about 10% of the stations
WINDOW = (END - 199 * STEP, END)  # the last 200 steps: ~20,000 documents match, 5,000 returned
SECRET = "bench-secret-not-for-production"  # noqa: S105 - a throwaway bench server
BULK_DOCS = 10_000
T = TypeVar("T")


def load(url: str) -> None:
    """Stations scattered over metropolitan France, H and Q at every step."""
    rng = random.Random(42)
    store = open_store(url)
    try:
        stations = store.create_dataset(
            DatasetSpec("stations", feature_id="code_station", label="name", public=True)
        )
        observations = store.create_dataset(
            DatasetSpec(
                "observations",
                kind=DatasetKind.OBSERVATIONS,
                feature_id="code_station",
                label="name",
                variables=("H", "Q"),
                stations="stations",
                public=True,
            )
        )
        features = [
            FeatureInput(
                code(n),
                point(rng.uniform(-4.5, 7.5), rng.uniform(43.0, 50.5)),
                {"code_station": code(n), "name": f"Station {n}"},
            )
            for n in range(STATIONS)
        ]
        with store.writer() as writer:
            writer.upsert_features(stations, features)
            batcher = ObservationBatcher(writer, observations)
            for n in range(STATIONS):
                for step in range(STEPS):
                    when = START + step * STEP
                    batcher.add(code(n), "H", when, (step % 97) / 10)
                    batcher.add(code(n), "Q", when, (step % 89) * 3.0)
            batcher.flush()
    finally:
        store.close()


def code(n: int) -> str:
    return f"#S{n:05d}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(url: str, data_dir: Path) -> Iterator[tuple[str, str]]:
    """`geoseries serve` on its own process; yields its base URL and a `features` token."""
    env = {
        **os.environ,
        "GEOSERIES_DATABASE_URL": url,
        "GEOSERIES_DATA_DIR": str(data_dir),
        "GEOSERIES_SECRET_KEY": SECRET,
        "GEOSERIES_MQTT__ENABLED": "false",
        "GEOSERIES_RATE_LIMIT__ENABLED": "false",
        "GEOSERIES_LOG_LEVEL": "WARNING",
    }
    geoseries = str(ROOT / ".venv/bin/geoseries")
    token = subprocess.run(
        [geoseries, "token", "create", "--name", "bench", "--permission", "features"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    process = subprocess.Popen(
        [geoseries, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("geoseries serve did not start")
            time.sleep(0.1)
        yield base, token
    finally:
        process.terminate()
        process.wait(30)


def server_totals(base: str, method: str) -> tuple[float, float]:
    """(seconds, requests) the server itself recorded for `method /api/{dataset}` so far: its
    latency histogram (`/metrics`) times each request from receiving it to sending its end."""
    text = httpx.get(f"{base}/metrics").text
    totals = {"sum": 0.0, "count": 0.0}
    for family in text_string_to_metric_families(text):
        if family.name != "geoseries_http_request_duration_seconds":
            continue
        for sample in family.samples:
            labels = sample.labels
            kind = sample.name.rsplit("_", 1)[-1]
            ours = labels.get("method") == method and labels.get("route") == "/api/{dataset}"
            if kind in totals and ours:
                totals[kind] += sample.value
    return totals["sum"], totals["count"]


def with_server_mean(base: str, method: str, work: Callable[[], T]) -> tuple[T, float]:
    """What `work()` returns, and the server's mean time per `method /api/{dataset}` request
    it made."""
    seconds, requests = server_totals(base, method)
    result = work()
    after_seconds, after_requests = server_totals(base, method)
    return result, (after_seconds - seconds) / max(after_requests - requests, 1)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def alternating(
    ours: Callable[[], object], raw: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Medians of `runs` timings of each, alternating ours and raw after two warm-ups of each:
    this machine's speed drifts by 10-20% between minutes, and both should see the same."""
    for _ in range(2):
        ours()
        raw()
    pairs = [(timed(ours), timed(raw)) for _ in range(runs)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def http_queries(base: str, token: str) -> dict[str, Callable[[], object]]:
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
    west, south, east, north = BOX

    def get(path: str, expect: Callable[[Any], bool]) -> Callable[[], object]:
        """Checked once; timed runs read the whole body but leave JSON parsing to nobody:
        the client's own parsing is not the server's time."""
        checked = client.get(path)
        checked.raise_for_status()
        assert expect(checked.json()), path

        def run() -> object:
            response = client.get(path)
            response.raise_for_status()
            return response.content

        return run

    return {
        "bbox + time window, 5,000 documents": get(
            f"/api/observations?south={south}&north={north}&west={west}&east={east}"
            f"&time[$gte]={format_time(WINDOW[0])}&time[$lte]={format_time(WINDOW[1])}"
            "&$sort[time]=-1",
            lambda body: len(body["features"]) == 5000,
        ),
        "one station's week, H and Q": get(
            "/api/observations?$groupBy=code_station&$aggregate[0]=H&$aggregate[1]=Q"
            f"&properties.code_station=%23S00500&time[$gte]={format_time(END - 7 * 86_400_000)}"
            f"&time[$lte]={format_time(END)}",
            lambda body: len(body["features"][0]["properties"]["H"]) == STEPS,
        ),
        "latest value of every station": get(
            "/api/observations?$groupBy=code_station&$aggregate[0]=H&$limit=1&$sort[time]=-1",
            lambda body: len(body["features"]) == STATIONS,
        ),
    }


def bulk_post(base: str, token: str, runs: int) -> list[float]:
    """Seconds per 10,000-document POST (each document one H value), fresh times each run."""
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
    times = []
    for run in range(runs + 2):
        first = END + (run + 1) * BULK_DOCS * STEP
        body = orjson.dumps(
            [
                {
                    "time": first + n * STEP,
                    "properties": {"code_station": code(n % STATIONS), "H": n / 100},
                }
                for n in range(BULK_DOCS)
            ]
        )
        started = time.perf_counter()
        response = client.post(
            "/api/observations", content=body, headers={"Content-Type": "application/json"}
        )
        response.read()
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        if run >= 2:
            times.append(elapsed)
    return times


def raw_bulk(
    write: Callable[[list[tuple[int, int, float, None]]], None], series: list[int], runs: int
) -> list[float]:
    """The limit of a bulk POST: the same rows, already parsed, written by the driver in one
    transaction (sorted by key, as Geoseries writes them)."""
    times = []
    for run in range(runs):
        first = END + (run + 1000) * BULK_DOCS * STEP
        rows = sorted(
            (series[n % STATIONS], first + n * STEP, n / 100, None) for n in range(BULK_DOCS)
        )
        started = time.perf_counter()
        write(rows)
        times.append(time.perf_counter() - started)
    return times


COPY = "COPY observations (series_id, time, value, raw_value) FROM STDIN (FORMAT BINARY)"
RAW_BBOX = """
SELECT f.id, o.time, s.variable, o.value, f.geometry, f.properties
FROM features f JOIN series s ON s.feature_id = f.id JOIN observations o ON o.series_id = s.id
WHERE f.dataset_id = {stations} AND s.dataset_id = {observations}
  AND f.min_lon <= {east} AND f.max_lon >= {west} AND f.min_lat <= {north} AND f.max_lat >= {south}
  AND o.time BETWEEN {t0} AND {t1}
ORDER BY o.time DESC LIMIT 10000
"""
RAW_STATION = """
SELECT s.variable, o.time, o.value FROM series s JOIN observations o ON o.series_id = s.id
JOIN features f ON f.id = s.feature_id
WHERE s.dataset_id = {observations} AND f.dataset_id = {stations} AND f.key = '#S00500'
  AND s.variable IN ('H', 'Q') AND o.time BETWEEN {t0} AND {t1}
ORDER BY s.variable, o.time
"""
RAW_LATEST = """
SELECT s.id, o.time, o.value FROM series s JOIN observations o ON o.series_id = s.id
WHERE s.dataset_id = {observations} AND s.variable = 'H'
  AND o.time = (SELECT max(time) FROM observations WHERE series_id = s.id)
"""


def raw_queries(
    execute: Callable[[str], list[Any]], ids: dict[str, int]
) -> dict[str, Callable[[], object]]:
    west, south, east, north = BOX
    values = {**ids, "west": west, "south": south, "east": east, "north": north}
    bbox = RAW_BBOX.format(**values, t0=WINDOW[0], t1=WINDOW[1])
    station = RAW_STATION.format(**values, t0=END - 7 * 86_400_000, t1=END)
    latest = RAW_LATEST.format(**values)
    return {
        "bbox + time window, 5,000 documents": lambda: execute(bbox),
        "one station's week, H and Q": lambda: execute(station),
        "latest value of every station": lambda: execute(latest),
    }


def dataset_ids(execute: Callable[[str], list[Any]]) -> dict[str, int]:
    rows = execute("SELECT name, id FROM datasets")
    return {str(name): int(i) for name, i in rows}


def bench_backend(
    name: str, url: str, work: Path, runs: int
) -> list[tuple[str, float, float, float]]:
    print(f"loading {name} ...", flush=True)
    load(url)
    if name == "sqlite":
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")

        def execute(sql: str) -> list[Any]:
            return conn.execute(sql).fetchall()
    else:
        pg = psycopg.connect(url)
        pg.autocommit = True

        def execute(sql: str) -> list[Any]:
            return pg.execute(sql).fetchall()  # type: ignore[arg-type]

    ids = dataset_ids(execute)
    raw = raw_queries(execute, ids)
    if name == "postgresql":
        pg.execute("ANALYZE")  # what autovacuum does a minute after a bulk load
    series = [
        int(row[0])
        for row in execute(
            f"SELECT s.id FROM series s JOIN features f ON f.id = s.feature_id "
            f"WHERE s.dataset_id = {ids['observations']} AND s.variable = 'H' ORDER BY f.key"
        )
    ]
    if name == "sqlite":

        def write(rows: list[tuple[int, int, float, None]]) -> None:
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO observations VALUES (?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
    else:

        def write(rows: list[tuple[int, int, float, None]]) -> None:
            with (
                pg.cursor() as cursor,
                cursor.copy(COPY) as copy,
            ):
                copy.set_types(["int8", "int8", "float8", "float8"])
                for row in rows:
                    copy.write_row(row)

    rows = []
    with server(url, work / f"data-{name}") as (base, token):
        for label, run in http_queries(base, token).items():
            compare = partial(alternating, run, raw[label], runs)
            (ours, limit), inside = with_server_mean(base, "GET", compare)
            rows.append((label, ours * 1000, inside * 1000, limit * 1000))
        posts, inside = with_server_mean(
            base, "POST", partial(bulk_post, base, token, max(3, runs // 5))
        )
        limit = statistics.median(raw_bulk(write, series, max(3, runs // 5)))
        post = statistics.median(posts)
        rows.append(
            ("bulk POST, observations/s", BULK_DOCS / post, BULK_DOCS / inside, BULK_DOCS / limit)
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoseries-kano-bench-"))
    results: dict[str, list[tuple[str, float, float, float]]] = {}
    if args.backend in ("sqlite", "both"):
        results["sqlite"] = bench_backend("sqlite", f"sqlite:///{work}/kano.db", work, args.runs)
    if args.backend in ("postgresql", "both"):
        pg_server = Postgres.start(work / "postgres")
        try:
            url = pg_server.create_database()
            results["postgresql"] = bench_backend("postgresql", url, work, args.runs)
        finally:
            pg_server.stop()
    print(
        f"\nmedians of {args.runs} runs over HTTP; server = the server's own mean time per "
        "request (its latency histogram); raw SQL = the same rows fetched by the driver\n"
    )
    print("| backend | query | Geoseries over HTTP | server (mean) | raw SQL | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for backend, rows in results.items():
        for label, ours, inside, limit in rows:
            if label.startswith("bulk"):
                print(
                    f"| {backend} | {label} | {ours:,.0f} obs/s | {inside:,.0f} obs/s "
                    f"| {limit:,.0f} obs/s | {ours / limit:.0%} |"
                )
            else:
                print(
                    f"| {backend} | {label} | {ours:.1f} ms | {inside:.1f} ms | {limit:.1f} ms "
                    f"| {ours / limit:.1f}x |"
                )


if __name__ == "__main__":
    main()
