"""What every command needs: settings, an open store, a console, and error reporting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from geoseries.errors import GeoseriesError
from geoseries.settings import Settings
from geoseries.store import Store, open_store

P = ParamSpec("P")
R = TypeVar("R")
console = Console()
errors = Console(stderr=True)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with the command-line options that were given on top."""
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors()
        )
        errors.print(f"[red]error:[/] invalid configuration: {problems}")
        raise typer.Exit(2) from error


@contextmanager
def opened_store(database_url: str | None = None, data_dir: Path | None = None) -> Iterator[Store]:
    settings = load_settings(database_url=database_url, data_dir=data_dir)
    store = open_store(settings.resolved_database_url)
    try:
        yield store
    finally:
        store.close()


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Print core errors as one red line and exit 1, instead of a traceback."""

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except GeoseriesError as error:
            errors.print(f"[red]error:[/] {error.message}", highlight=False)
            raise typer.Exit(1) from error

    return run


DatabaseOption = typer.Option(None, "--database-url", help="sqlite:///path or postgresql://...")
DataDirOption = typer.Option(
    None, "--data-dir", help="Where the SQLite file and stored files live."
)
