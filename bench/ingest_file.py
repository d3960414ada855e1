"""Bulk import of a 1,000,000-row observations CSV, against the physical limit of the database.

For each backend it times, on the same machine and the same schema:
- `geoseries import` as the whole CLI process (parsing, series resolution, upsert, commit);
- the raw limit: rows already parsed in memory, written with `sqlite3.executemany` (plain
  INSERT, batches of 10,000, one transaction) or psycopg binary COPY straight into the table.

Run: `.venv/bin/python bench/ingest_file.py [--rows N] [--runs K]`; it prints a table and the
median rows/s of each, and the ratio of Geoseries to the raw limit. PostgreSQL runs in a
temporary server started like the test fixtures (tests/services.py).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import Postgres  # noqa: E402

from geoseries.model import DatasetKind, DatasetSpec  # noqa: E402
from geoseries.store import Store, open_store  # noqa: E402
from geoseries.times import format_time  # noqa: E402

STATIONS = 1_000
START = 1_700_000_000_000
STEP = 600_000
BATCH = 10_000


def write_csv(path: Path, rows: int) -> None:
    """`code_station,variable,time,value`, station by station, time ascending (export order)."""
    per_station = rows // STATIONS
    with path.open("w") as out:
        out.write("code_station,variable,time,value\n")
        for station in range(STATIONS):
            for step in range(per_station):
                when = format_time(START + step * STEP)
                out.write(f"#S{station:05d},H,{when},{(step % 997) / 100:.2f}\n")


def parsed_rows(rows: int, series_of: dict[str, int]) -> list[tuple[int, int, float, None]]:
    per_station = rows // STATIONS
    return [
        (series_of[f"#S{station:05d}"], START + step * STEP, (step % 997) / 100, None)
        for station in range(STATIONS)
        for step in range(per_station)
    ]


def prepare(url: str) -> dict[str, int]:
    """Datasets plus one series per station, so the raw writers only insert observations."""
    store = open_store(url)
    try:
        _datasets(store)
        observations = store.get_dataset("obs")
        with store.writer() as writer:
            ids = writer.resolve_series(
                observations, [(f"#S{s:05d}", "H") for s in range(STATIONS)]
            )
        return {key: series for (key, _), series in ids.items()}
    finally:
        store.close()


def _datasets(store: Store) -> None:
    store.create_dataset(DatasetSpec("st", feature_id="code_station"))
    store.create_dataset(
        DatasetSpec("obs", kind=DatasetKind.OBSERVATIONS, feature_id="code_station", stations="st")
    )


def geoseries_import(url: str, csv_path: Path) -> float:
    env = {**os.environ, "GEOSERIES_DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv/bin/geoseries"), "import", str(csv_path), "--dataset", "obs"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def raw_sqlite(path: str, rows: list[tuple[int, int, float, None]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    conn.execute("BEGIN")
    for offset in range(0, len(rows), BATCH):
        conn.executemany(
            "INSERT INTO observations VALUES (?, ?, ?, ?)", rows[offset : offset + BATCH]
        )
    conn.execute("COMMIT")
    conn.close()  # checkpoints the WAL into the database file, as `geoseries import` does on exit
    return time.perf_counter() - started


def raw_copy(url: str, rows: list[tuple[int, int, float, None]]) -> float:
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY observations (series_id, time, value, raw_value) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["int8", "int8", "float8", "float8"])
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


Contender = tuple[str, Callable[[str], float]]


def measure_pair(
    runs: int,
    fresh: Callable[[], str],
    contenders: list[Contender],
    results: dict[str, list[float]],
) -> None:
    """Time each contender `runs` times on freshly prepared databases (not timed), alternating
    A, B, A, B... so that both see the same machine: this one's speed drifts by 10-20%."""
    for _ in range(runs):
        for name, run in contenders:
            results.setdefault(name, []).append(run(fresh()))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoseries-bench-"))
    csv_path = work / "observations.csv"
    write_csv(csv_path, args.rows)
    names = (f"bench-{n}" for n in range(1_000_000))
    series: dict[str, int] = {}

    def fresh_sqlite() -> str:
        url = f"sqlite:///{work}/{next(names)}.db"
        series.update(prepare(url))  # ids are the same in every fresh database
        return url

    results: dict[str, list[float]] = {}
    fresh_sqlite()
    rows = parsed_rows(args.rows, series)
    sqlite_contenders: list[Contender] = [
        ("sqlite: geoseries import", lambda u: geoseries_import(u, csv_path)),
        ("sqlite: raw executemany", lambda u: raw_sqlite(u.removeprefix("sqlite:///"), rows)),
    ]
    measure_pair(args.runs, fresh_sqlite, sqlite_contenders, results)
    server = Postgres.start(work / "postgres")
    try:

        def fresh_pg() -> str:
            url = server.create_database()
            series.update(prepare(url))
            return url

        fresh_pg()
        pg_rows = parsed_rows(args.rows, series)
        pg_contenders: list[Contender] = [
            ("postgresql: geoseries import", lambda u: geoseries_import(u, csv_path)),
            ("postgresql: raw COPY", lambda u: raw_copy(u, pg_rows)),
        ]
        measure_pair(args.runs, fresh_pg, pg_contenders, results)
    finally:
        server.stop()
    report(results, args.rows)


def report(results: dict[str, list[float]], rows: int) -> None:
    runs = len(next(iter(results.values())))
    print(f"\n{rows:,} rows, {runs} runs each (min / median / max rows/s)\n")
    print(f"| {'what':32} | {'min':>10} | {'median':>10} | {'max':>10} |")
    print(f"|{'-' * 34}|{'-' * 12}|{'-' * 12}|{'-' * 12}|")
    medians = {}
    for name, times in results.items():
        rates = sorted(rows / t for t in times)
        medians[name] = statistics.median(rates)
        print(f"| {name:32} | {rates[0]:>10,.0f} | {medians[name]:>10,.0f} | {rates[-1]:>10,.0f} |")
    for backend, raw in (("sqlite", "raw executemany"), ("postgresql", "raw COPY")):
        ours, limit = results[f"{backend}: geoseries import"], results[f"{backend}: {raw}"]
        ratio = medians[f"{backend}: geoseries import"] / medians[f"{backend}: {raw}"]
        paired = statistics.median(
            t_raw / t_ours for t_ours, t_raw in zip(ours, limit, strict=True)
        )
        print(f"\n{backend}: geoseries import = {ratio:.0%} of {raw}", end="")
        print(f" (median of paired runs: {paired:.0%})")


if __name__ == "__main__":
    main()
