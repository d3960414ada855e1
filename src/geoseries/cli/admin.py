"""Administration: organizations, users, datasets."""

from __future__ import annotations

import sys
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
from geoseries.cli.keys import TokenOption, key_app, print_new_key
from geoseries.errors import NotFound
from geoseries.model import DatasetKind, DatasetSpec
from geoseries.query import organizations, users
from geoseries.query.users import NewUser
from geoseries.times import format_time

org_app = typer.Typer(help="Organizations (tenants) and their API keys.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
dataset_app = typer.Typer(
    help="Datasets: named sets of features and their time series.", no_args_is_help=True
)
org_app.add_typer(key_app, name="key")


@org_app.command("create")
@reports_errors
def org_create(
    name: str,
    token: str | None = TokenOption,
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create an organization and print its API key (shown this once only)."""
    with opened_store(database_url, data_dir) as store:
        new = organizations.create(store, OPERATOR, name, token, key_field="--token")
    print_new_key(new, f"organization {name} created")


@org_app.command("list")
@reports_errors
def org_list(
    database_url: str | None = DatabaseOption, data_dir: Path | None = DataDirOption
) -> None:
    """List organizations."""
    with opened_store(database_url, data_dir) as store:
        table = Table("name", "created")
        for org in store.list_organizations():
            table.add_row(org.name, format_time(org.created_at))
    console.print(table)


@user_app.command("create")
@reports_errors
def user_create(
    email: str,
    org: str = typer.Option(..., "--org", help="The user's organization."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    permission: list[str] = typer.Option(
        [], "--permission", help="A dotted permission, e.g. features.read (repeat)."
    ),
    admin: bool = typer.Option(False, "--admin", help="Give the user the admin role."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create a user. Without --password-stdin the user cannot log in until a password is set."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    new = NewUser(email, org, password, tuple(permission), admin)
    with opened_store(database_url, data_dir) as store:
        users.create(store, OPERATOR, new)
    console.print(f"user {email} created in {org}", highlight=False)


@user_app.command("list")
@reports_errors
def user_list(
    org: str | None = typer.Option(None, "--org", help="Only this organization's users."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """List users with their organization, permissions and role."""
    with opened_store(database_url, data_dir) as store:
        listed = users.list_visible(store, OPERATOR, org)
    table = Table("email", "organization", "permissions", "admin")
    for view in listed:
        user = view.user
        admin = "yes" if user.is_admin else "no"
        table.add_row(user.email, view.organization, ",".join(user.permissions), admin)
    console.print(table)


@dataset_app.command("create")
@reports_errors
def dataset_create(
    name: str,
    kind: DatasetKind = typer.Option(
        DatasetKind.STATIONS, "--kind", help="What the dataset holds."
    ),
    feature_id: str | None = typer.Option(
        None, "--feature-id", help="Property that identifies a feature, e.g. code_station."
    ),
    label: str | None = typer.Option(
        None, "--label", help="Property that names a feature, e.g. name."
    ),
    variables: str | None = typer.Option(
        None, "--variables", help="Comma-separated variables, e.g. H,Q."
    ),
    stations: str | None = typer.Option(
        None, "--stations", help="For observations: the dataset holding their stations."
    ),
    org: str | None = typer.Option(None, "--org", help="Owning organization."),
    public: bool = typer.Option(False, "--public", help="Readable by everyone."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create a dataset."""
    names = tuple(v.strip() for v in variables.split(",") if v.strip()) if variables else ()
    spec = DatasetSpec(name, kind, feature_id, label, names, stations, org, public)
    with opened_store(database_url, data_dir) as store:
        store.create_dataset(spec)
    console.print(f"dataset {name} created ({kind.value})", highlight=False)


@dataset_app.command("list")
@reports_errors
def dataset_list(
    database_url: str | None = DatabaseOption, data_dir: Path | None = DataDirOption
) -> None:
    """List datasets."""
    with opened_store(database_url, data_dir) as store:
        organizations = {o.id: o.name for o in store.list_organizations()}
        datasets = store.list_datasets()
        by_id = {d.id: d.name for d in datasets}
        table = Table(
            "name", "kind", "feature id", "variables", "stations", "organization", "public"
        )
        for d in datasets:
            table.add_row(
                d.name,
                d.kind.value,
                d.feature_id or "",
                ",".join(d.variables),
                by_id.get(d.stations_dataset_id or 0, ""),
                organizations.get(d.organization_id or 0, ""),
                "yes" if d.public else "no",
            )
    console.print(table)


@dataset_app.command("delete")
@reports_errors
def dataset_delete(
    name: str,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Delete a dataset with its features and observations."""
    with opened_store(database_url, data_dir) as store:
        store.get_dataset(name)
        if not yes:
            typer.confirm(f"Delete dataset {name} and all its data?", abort=True)
        store.delete_dataset(name)
    console.print(f"dataset {name} deleted", highlight=False)


@dataset_app.command("share")
@reports_errors
def dataset_share(
    name: str,
    with_: str = typer.Option(..., "--with", help="The organization to share it with."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Share a dataset with an organization, whose principals may then read it."""
    with opened_store(database_url, data_dir) as store:
        dataset = store.get_dataset(name)
        store.share_dataset(dataset.id, store.get_organization(with_).id)
    console.print(f"dataset {name} shared with {with_}", highlight=False)


@dataset_app.command("unshare")
@reports_errors
def dataset_unshare(
    name: str,
    with_: str = typer.Option(..., "--with", help="The organization to stop sharing it with."),
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Stop sharing a dataset with an organization."""
    with opened_store(database_url, data_dir) as store:
        dataset = store.get_dataset(name)
        organization = store.get_organization(with_)
        try:
            store.unshare_dataset(dataset.id, organization.id)
        except NotFound:
            raise NotFound(f"dataset {name} is not shared with {with_}", field="share") from None
    console.print(f"dataset {name} no longer shared with {with_}", highlight=False)
