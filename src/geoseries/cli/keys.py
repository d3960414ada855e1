"""`geoseries org key ...`: an organization's API keys, issued, listed and revoked.

The operator at the command line is a global admin (`OPERATOR`): the use cases of
`geoseries.query.organizations` apply as they do over HTTP.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from geoseries.auth.principal import OPERATOR
from geoseries.cli.context import (
    DatabaseOption,
    DataDirOption,
    console,
    opened_store,
    reports_errors,
)
from geoseries.query import organizations
from geoseries.query.organizations import NewKey
from geoseries.times import format_time

key_app = typer.Typer(help="An organization's API keys.", no_args_is_help=True)

TokenOption = typer.Option(
    None, "--token", help="Use this API key (16 to 1024 characters) instead of a random one."
)


def print_new_key(new: NewKey, what: str) -> None:
    """Say what was created on the console, then print the key alone on the last line."""
    console.print(
        f"{what}; its API key (prefix {new.prefix}, shown once, keep it safe):", highlight=False
    )
    print(new.secret)


@key_app.command("create")
@reports_errors
def key_create(
    org: str,
    token: str | None = TokenOption,
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Issue a further API key for an organization and print it (shown this once only)."""
    with opened_store(database_url, data_dir) as store:
        new = organizations.add_key(store, OPERATOR, org, token, key_field="--token")
    print_new_key(new, f"new API key for {org}")


@key_app.command("list")
@reports_errors
def key_list(
    org: str,
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """List an organization's API keys by prefix, revoked ones included."""
    with opened_store(database_url, data_dir) as store:
        keys = organizations.list_keys(store, OPERATOR, org)
    table = Table("prefix", "created", "revoked")
    for key in keys:
        revoked = "" if key.revoked_at is None else format_time(key.revoked_at)
        table.add_row(key.prefix, format_time(key.created_at), revoked)
    console.print(table)


@key_app.command("revoke")
@reports_errors
def key_revoke(
    org: str,
    prefix: str,
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Revoke an organization's live API keys with this prefix: they are refused from now on."""
    with opened_store(database_url, data_dir) as store:
        revoked = organizations.revoke_keys(store, OPERATOR, org, prefix)
    plural = "" if revoked == 1 else "s"
    console.print(f"{revoked} API key{plural} of {org} revoked", highlight=False)
