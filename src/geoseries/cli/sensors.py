"""The sensor catalogue: what devices may send readings of, by id or key."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from geoseries.cli.context import (
    DatabaseOption,
    DataDirOption,
    console,
    opened_store,
    reports_errors,
)

sensor_app = typer.Typer(
    help="The sensor catalogue: what devices send readings of.", no_args_is_help=True
)


@sensor_app.command("create")
@reports_errors
def sensor_create(
    sensor_id: int = typer.Option(..., "--id", help="The sensor's id, as firmware sends it."),
    key: str = typer.Option(..., "--key", help="Its short name, e.g. temp (readings use it)."),
    name: str = typer.Option(..., "--name", help="Its name, e.g. Temperature."),
    description: str = typer.Option(..., "--description", help="What it measures, and how."),
    unit: str | None = typer.Option(None, "--unit", help="The unit of its values, e.g. ºC."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Add a sensor to the catalogue."""
    with opened_store(database_url, data_dir) as store:
        store.create_sensor(
            sensor_id, name=name, description=description, default_key=key, unit=unit
        )
    console.print(f"sensor {sensor_id} ({key}) created", highlight=False)


@sensor_app.command("list")
@reports_errors
def sensor_list(
    database_url: str | None = DatabaseOption, data_dir: Path | None = DataDirOption
) -> None:
    """List the sensor catalogue."""
    with opened_store(database_url, data_dir) as store:
        sensors = store.list_sensors()
    table = Table("id", "key", "name", "unit", "description")
    for s in sensors:
        table.add_row(str(s.id), s.default_key, s.name, s.unit or "", s.description)
    console.print(table)
