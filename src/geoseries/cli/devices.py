"""Devices (Smart Citizen kits) and their tokens: create, rotate, revoke, list.

A token is printed once, when it is issued, on the last line of the output (so scripts can
`tail -n 1`); only its SHA-256 digest and its first characters are kept.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from geoseries.auth.keys import IssuedKey, issue_device_token
from geoseries.cli.context import (
    DatabaseOption,
    DataDirOption,
    console,
    load_settings,
    opened_store,
    reports_errors,
)
from geoseries.errors import NotFound, ValidationFailed
from geoseries.geometry import point
from geoseries.model import DeviceSpec, User
from geoseries.store import Store
from geoseries.times import format_time

device_app = typer.Typer(
    help="Devices that post readings (Smart Citizen kits) and their tokens.", no_args_is_help=True
)


@device_app.command("create")
@reports_errors
def device_create(
    name: str,
    owner: str = typer.Option(..., "--owner", help="E-mail of the user who owns the device."),
    description: str | None = typer.Option(None, "--description", help="What the device is."),
    private: bool = typer.Option(False, "--private", help="Hide the device from non-owners."),
    lat: float | None = typer.Option(None, "--lat", help="Latitude of the device."),
    lon: float | None = typer.Option(None, "--lon", help="Longitude of the device."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create a device and print its id and token (the token is shown this once only)."""
    if (lat is None) != (lon is None):
        raise ValidationFailed("give both --lat and --lon, or neither", field="lat")
    geometry = point(lon, lat) if lon is not None and lat is not None else None
    dataset = load_settings(database_url=database_url, data_dir=data_dir).devices.dataset
    issued = issue_device_token()
    with opened_store(database_url, data_dir) as store:
        user = _user(store, owner)
        spec = DeviceSpec(name, user.id, description, private, geometry)
        device = store.create_device(
            spec, dataset=dataset, token_digest=issued.digest, token_prefix=issued.prefix
        )
    _print_token(f"device {device.id} created for {user.email}", issued)


@device_app.command("token")
@reports_errors
def device_token(
    device_id: int,
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Give a device a new token and print it; its previous token stops working."""
    issued = issue_device_token()
    with opened_store(database_url, data_dir) as store:
        store.set_device_token(device_id, issued.digest, issued.prefix)
    _print_token(f"device {device_id} has a new token; the previous one no longer works", issued)


@device_app.command("revoke")
@reports_errors
def device_revoke(
    device_id: int,
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Remove a device's token: it may not post until `geoseries device token` gives it one."""
    with opened_store(database_url, data_dir) as store:
        store.set_device_token(device_id, None, None)
    console.print(f"device {device_id}: token revoked", highlight=False)


@device_app.command("list")
@reports_errors
def device_list(
    owner: str | None = typer.Option(None, "--owner", help="Only this user's devices."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """List devices: id, name, owner, the first characters of their token, last reading."""
    with opened_store(database_url, data_dir) as store:
        owner_id = None if owner is None else _user(store, owner).id
        devices = store.list_devices(owner_id=owner_id)
    table = Table("id", "name", "owner", "token", "private", "last reading")
    for d in devices:
        table.add_row(
            str(d.id),
            d.name,
            d.owner_email,
            f"{d.token_prefix}…" if d.token_prefix else "(revoked)",
            "yes" if d.is_private else "no",
            format_time(d.last_reading_at) if d.last_reading_at is not None else "never",
        )
    console.print(table)


def _user(store: Store, email: str) -> User:
    user = store.find_user(email)
    if user is None:
        raise NotFound(f"user {email!r} does not exist", field="owner")
    return user


def _print_token(what: str, issued: IssuedKey) -> None:
    # print, not console.print: rich would wrap long lines, which scripts read
    print(f"{what}; its token (shown once, keep it safe):")
    print(issued.secret)
