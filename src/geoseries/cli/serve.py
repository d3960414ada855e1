"""`geoseries serve` and `geoseries migrate`."""

from __future__ import annotations

import gc
import logging
import re
from pathlib import Path

import typer

from geoseries.cli.context import (
    DatabaseOption,
    DataDirOption,
    console,
    load_settings,
    reports_errors,
)
from geoseries.ingest.demo import load_demo
from geoseries.store import open_store


@reports_errors
def serve_command(
    host: str | None = typer.Option(None, "--host", help="Interface to bind (default 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="HTTP port (default 8000)."),
    demo: bool = typer.Option(
        False, "--demo", help="Load the bundled sample of river gauges first."
    ),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
    secret_key: str | None = typer.Option(
        None, "--secret-key", help="Signs tokens (prefer GEOSERIES_SECRET_KEY)."
    ),
) -> None:
    """Run the HTTP server (and the embedded MQTT broker, unless configured otherwise)."""
    settings = load_settings(database_url=database_url, data_dir=data_dir, secret_key=secret_key)
    http = settings.http.model_copy(
        update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
    )
    settings = settings.model_copy(update={"http": http})
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    store = open_store(settings.resolved_database_url)  # creates the database and migrates it
    try:
        if demo:
            stations, observations = load_demo(store)
            console.print(
                f"demo data loaded: datasets {stations.name} and {observations.name}",
                highlight=False,
            )
    finally:
        store.close()
    import uvicorn

    from geoseries.api.app import create_app  # the web stack loads only for this command

    console.print(
        f"Geoseries on http://{http.host}:{http.port} (database {settings.resolved_database_url})",
        highlight=False,
    )
    app = create_app(settings)
    tune_garbage_collector()
    # uvicorn's logging set-up replaces the logger's handlers but keeps its filters
    logging.getLogger("uvicorn.access").addFilter(HideQueryCredentials())
    uvicorn.run(app, host=http.host, port=http.port, log_level=settings.log_level.lower())


QUERY_CREDENTIAL = re.compile(r"(?<=[?&])(jwt|access_token|bearer_token)=[^&\s]*")


def hide_query_credentials(path: str) -> str:
    """`path` with the values of credential query parameters replaced by `***`."""
    return QUERY_CREDENTIAL.sub(lambda match: f"{match[1]}=***", path)


class HideQueryCredentials(logging.Filter):
    """Access log lines show `?access_token=***`: tokens (JWTs, device tokens) sent in the
    query string must not end up in logs. Uvicorn's access record has the path third."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], hide_query_credentials(args[2]), *args[3:])
        return True


GC_THRESHOLDS = (50_000, 20, 100)
"""Young-generation threshold raised from CPython's 700: a bulk request allocates hundreds of
thousands of short-lived objects, and a full collection in the middle of one stalled it by
tens of milliseconds (bench/kano_queries.py)."""


def tune_garbage_collector() -> None:
    """Freeze what start-up allocated (modules, the app) out of future collections, and collect
    the young generation less often. A long-running server's choice, made here, not in the app:
    tests build many apps in one process and must not freeze them."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@reports_errors
def migrate_command(
    database_url: str | None = DatabaseOption, data_dir: Path | None = DataDirOption
) -> None:
    """Create the database if needed and bring its schema up to date."""
    settings = load_settings(database_url=database_url, data_dir=data_dir)
    open_store(settings.resolved_database_url).close()
    console.print(f"database {settings.resolved_database_url} is up to date", highlight=False)
