"""The `geoseries` command: one typer app assembling the command groups."""

from __future__ import annotations

import typer

from geoseries.cli.admin import dataset_app, org_app, user_app
from geoseries.cli.devices import device_app
from geoseries.cli.sensors import sensor_app
from geoseries.cli.serve import migrate_command, serve_command
from geoseries.cli.tokens import token_app
from geoseries.cli.transfer import export_command, import_command

app = typer.Typer(
    name="geoseries",
    help="Geoseries: a geospatial time-series server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve_command)
app.command("migrate")(migrate_command)
app.command("import")(import_command)
app.command("export")(export_command)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(dataset_app, name="dataset")
app.add_typer(token_app, name="token")
app.add_typer(device_app, name="device")
app.add_typer(sensor_app, name="sensor")


def main() -> None:
    app()
