"""`geoseries token create` and `token revoke`, on both backends."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from geoseries.auth.credentials import Credentials, resolve
from geoseries.auth.tokens import TokenService
from geoseries.cli.main import app
from geoseries.cli.tokens import parse_duration
from geoseries.errors import NotAuthenticated, ValidationFailed
from geoseries.settings import Settings
from geoseries.store import open_store

SECRET = "cli-test-secret-" + "0123456789" * 6


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GEOSERIES_DATABASE_URL", database_url)
    monkeypatch.setenv("GEOSERIES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GEOSERIES_SECRET_KEY", SECRET)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.stdout if code == 0 else result.output

    return invoke


def tokens() -> TokenService:
    return TokenService(Settings(secret_key=SECRET))  # type: ignore[arg-type]


def test_created_token_verifies_and_a_revoked_one_does_not(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    token = run("token", "create", "--name", "bot", "--permission", "features.read").strip()
    claims = tokens().verify(token)
    assert (claims["name"], claims["sub"]) == ("bot", "bot")
    assert claims["permissions"] == ["features.read"]
    assert "exp" not in claims  # Kano stateless tokens without --exp never expire
    assert f"token {claims['jti']} revoked" in run("token", "revoke", claims["jti"])
    run("token", "revoke", claims["jti"])  # idempotent
    store = open_store(database_url)
    try:
        with pytest.raises(NotAuthenticated, match="revoked"):
            tokens().verify(token, revoked=store)
    finally:
        store.close()


def test_admin_token_resolves_to_a_global_admin(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    plain = tokens().verify(run("token", "create", "--name", "bot").strip())
    assert "admin" not in plain
    token = run("token", "create", "--name", "operator", "--admin").strip()
    store = open_store(database_url)
    try:
        principal = resolve(
            Credentials(f"Bearer {token}", None, None, None),
            store=store,
            tokens=tokens(),
            settings=Settings(secret_key=SECRET),  # type: ignore[arg-type]
        )
    finally:
        store.close()
    assert principal is not None
    assert principal.is_global_admin
    assert principal.organization_id is None


def test_create_with_audience_issuer_and_expiry(run) -> None:  # type: ignore[no-untyped-def]
    token = run(
        "token",
        "create",
        "--name",
        "bot",
        "--aud",
        "planet.example.org",
        "--iss",
        "ops",
        "--exp",
        "30d",
        "--permission",
        "features",
        "--permission",
        "stats.read",
    ).strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="planet.example.org")
    assert claims["iss"] == "ops"
    assert claims["exp"] - claims["iat"] == 30 * 86400  # not capped by max_lifetime
    assert claims["permissions"] == ["features", "stats.read"]
    with pytest.raises(NotAuthenticated):
        tokens().verify(token)  # another audience and issuer than the server's


@pytest.mark.parametrize("exp", ["0d", "-5m", "soon", "12x", "", "1.5h"])
def test_create_refuses_a_bad_duration(run, exp: str) -> None:  # type: ignore[no-untyped-def]
    assert "positive duration" in run("token", "create", "--name", "bot", "--exp", exp, code=1)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30d", 2_592_000),
        ("12h", 43_200),
        ("45m", 2_700),
        ("3600s", 3_600),
        ("90", 90),
        ("2H", 7200),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


def test_parse_duration_names_the_option() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_duration("0s")
    assert caught.value.field == "exp"


def test_a_token_without_expiry_comes_with_a_warning(run) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    forever = runner.invoke(app, ["token", "create", "--name", "bot"])
    assert forever.exit_code == 0, forever.output
    assert "never expires" in forever.stderr
    assert "never expires" not in forever.stdout  # stdout is the token alone, for scripts
    bounded = runner.invoke(app, ["token", "create", "--name", "bot", "--exp", "1h"])
    assert bounded.exit_code == 0, bounded.output
    assert "never expires" not in bounded.stderr
