"""Stateless tokens, Kano style: signed with the app secret, no user behind them."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from geoseries.auth.tokens import TokenService
from geoseries.cli.context import (
    DatabaseOption,
    DataDirOption,
    console,
    errors,
    load_settings,
    opened_store,
    reports_errors,
)
from geoseries.errors import ValidationFailed

token_app = typer.Typer(help="Stateless JSON Web Tokens.", no_args_is_help=True)

DURATION = re.compile(r"(\d+)([smhd]?)")
UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """Seconds in `30d`, `12h`, `45m`, `3600s` or bare seconds; ValidationFailed unless > 0."""
    match = DURATION.fullmatch(text.strip().lower())
    seconds = int(match[1]) * UNIT_SECONDS[match[2]] if match else 0
    if seconds <= 0:
        raise ValidationFailed(
            f"--exp {text!r} is not a positive duration such as 30d, 12h, 45m or 3600s",
            field="exp",
        )
    return seconds


@token_app.command("create")
@reports_errors
def token_create(
    name: str = typer.Option(..., "--name", help="The token's name (its `name` and `sub`)."),
    aud: str | None = typer.Option(
        None, "--aud", help="Audience (default: GEOSERIES_JWT__AUDIENCE)."
    ),
    iss: str | None = typer.Option(None, "--iss", help="Issuer (default: GEOSERIES_JWT__ISSUER)."),
    exp: str | None = typer.Option(
        None, "--exp", help="Lifetime, e.g. 30d, 12h, 45m, 3600s; without it, no expiry."
    ),
    permission: list[str] = typer.Option(
        [], "--permission", help="A dotted permission, e.g. features.read (repeat)."
    ),
    admin: bool = typer.Option(
        False, "--admin", help="An operator's token: administers every organization."
    ),
) -> None:
    """Print a signed stateless JWT (its jti, to revoke it, goes to standard error)."""
    lifetime = None if exp is None else parse_duration(exp)
    issued = TokenService(load_settings()).issue_stateless(
        name, permissions=permission, audience=aud, issuer=iss, lifetime=lifetime, admin=admin
    )
    errors.print(f"token {name}: jti {issued.jti}", highlight=False)
    if issued.expires_at is None:  # Kano's stateless tokens do this too; say so, once
        errors.print(
            "this token never expires: pass --exp to bound it, "
            f"or revoke it with `geoseries token revoke {issued.jti}`",
            highlight=False,
        )
    print(issued.token)


@token_app.command("revoke")
@reports_errors
def token_revoke(
    jti: str,
    database_url: str | None = DatabaseOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Refuse the token with this jti from now on."""
    with opened_store(database_url, data_dir) as store:
        store.revoke_token(jti, expires_at=None)
    console.print(f"token {jti} revoked", highlight=False)
