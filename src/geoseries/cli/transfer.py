"""`geoseries import` and `geoseries export`, with progress bars."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, cast, get_args

import typer
from rich.progress import (
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from geoseries.cli.context import (
    DatabaseOption,
    DataDirOption,
    console,
    errors,
    opened_store,
    reports_errors,
)
from geoseries.errors import ValidationFailed
from geoseries.ingest.files import import_file
from geoseries.query.export import ExportFormat, export_dataset
from geoseries.times import parse_time


@reports_errors
def import_command(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="CSV, NDJSON or GeoJSON file."
    ),
    dataset: str = typer.Option(..., "--dataset", help="Dataset to import into."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Import features or observations from a file, all or nothing."""
    with opened_store(database_url, data_dir) as store:
        target = store.get_dataset(dataset)
        columns = (
            *Progress.get_default_columns()[:-1],
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        # Redrawn when a batch lands, not by rich's refresh thread, which would compete with
        # the import for the GIL.
        with Progress(*columns, console=errors, auto_refresh=False) as progress:
            task = progress.add_task(f"importing {file.name}", total=file.stat().st_size)
            report = import_file(
                store,
                target,
                file,
                progress=lambda done, total: progress.update(
                    task, completed=done, total=total, refresh=True
                ),
            )
    console.print(
        f"imported {report.records} records into {dataset}: "
        f"{report.features} features, {report.observations} observations",
        highlight=False,
    )


@reports_errors
def export_command(
    dataset: str = typer.Option(..., "--dataset", help="Dataset to export."),
    file_format: str = typer.Option(
        "csv", "--format", help="csv (observations), ndjson or geojson."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output)."
    ),
    start: str | None = typer.Option(None, "--start", help="First instant (ISO 8601), inclusive."),
    end: str | None = typer.Option(None, "--end", help="Last instant (ISO 8601), exclusive."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Export a dataset's observations (or features) in a form `geoseries import` reads back."""
    if file_format not in get_args(ExportFormat):
        raise ValidationFailed(
            f"unknown format {file_format!r}: use csv, ndjson or geojson", field="format"
        )
    bounds = [_instant(value, name) for value, name in ((start, "start"), (end, "end"))]
    with opened_store(database_url, data_dir) as store:
        chosen = cast(ExportFormat, file_format)
        chunks = export_dataset(
            store, store.get_dataset(dataset), chosen, start=bounds[0], end=bounds[1]
        )
        if output is None:
            _write(chunks, sys.stdout.buffer)
        else:
            with output.open("wb") as target:
                _write(chunks, target)
            errors.print(f"exported {dataset} to {output}", highlight=False)


def _write(chunks: Iterable[bytes], target: BinaryIO) -> None:
    for chunk in chunks:
        target.write(chunk)
    target.flush()


def _instant(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as error:
        raise ValidationFailed(
            f"--{name} {value!r} is not an ISO 8601 instant", field=name
        ) from error
