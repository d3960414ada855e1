"""The `geoseries` command line, run in-process against both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from geoseries.auth.keys import key_digest
from geoseries.auth.passwords import verify_password
from geoseries.cli.main import app
from geoseries.store import open_store
from geoseries.store import schema as t


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GEOSERIES_DATABASE_URL", database_url)
    monkeypatch.setenv("GEOSERIES_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None, code: int = 0) -> str:
        result = runner.invoke(app, list(args), input=stdin)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def test_migrate_creates_the_database(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "up to date" in run("migrate")
    assert "up to date" in run("migrate")  # idempotent


def test_org_create_prints_a_working_key_once(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    output = run("org", "create", "acme")
    key = output.strip().splitlines()[-1]
    store = open_store(database_url)
    try:
        assert store.organization_for_key(key_digest(key)).name == "acme"
        with store.engine.connect() as conn:  # type: ignore[attr-defined]
            stored = conn.execute(t.api_keys.select()).one()
        assert key not in (stored.key_hash, stored.prefix)
    finally:
        store.close()
    assert "acme" in run("org", "list")
    assert "already exists" in run("org", "create", "acme", code=1)


def test_org_create_with_explicit_token(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert (
        run("org", "create", "cases", "--token", "my-chosen-token-for-cases")
        .strip()
        .endswith("my-chosen-token-for-cases")
    )


def test_user_create_hashes_the_password(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    run("org", "create", "acme")
    run(
        "user",
        "create",
        "ann@example.org",
        "--org",
        "acme",
        "--password-stdin",
        "--permission",
        "features.read",
        stdin="s3cret-pass\n",
    )
    run("user", "create", "bob@example.org", "--org", "acme", "--admin")
    store = open_store(database_url)
    try:
        with store.engine.connect() as conn:  # type: ignore[attr-defined]
            users = {u.email: u for u in conn.execute(t.users.select())}
    finally:
        store.close()
    assert verify_password(users["ann@example.org"].password_hash, "s3cret-pass")
    assert users["ann@example.org"].permissions == ["features.read"]
    assert users["bob@example.org"].is_admin
    assert users["bob@example.org"].password_hash is None
    assert "at least 8" in run(
        "user",
        "create",
        "c@example.org",
        "--org",
        "acme",
        "--password-stdin",
        stdin="short\n",
        code=1,
    )
    assert "not an e-mail" in run("user", "create", "nobody", "--org", "acme", code=1)
    assert "does not exist" in run("user", "create", "d@example.org", "--org", "ghost", code=1)


def test_dataset_lifecycle_import_export(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("org", "create", "acme")
    run(
        "dataset",
        "create",
        "stations",
        "--feature-id",
        "code_station",
        "--label",
        "name",
        "--org",
        "acme",
        "--public",
    )
    run(
        "dataset",
        "create",
        "obs",
        "--kind",
        "observations",
        "--stations",
        "stations",
        "--feature-id",
        "code_station",
        "--variables",
        "H, Q",
    )
    listing = run("dataset", "list")
    assert "stations" in listing
    assert "H,Q" in listing
    source = tmp_path / "obs.csv"
    source.write_text("code_station,time,H,Q\n#A,2023-06-20T09:20:00Z,0.4,12\n")
    assert "2 observations" in run("import", str(source), "--dataset", "obs")
    exported = run("export", "--dataset", "obs")
    assert exported.splitlines()[:2] == [
        "code_station,variable,time,value",
        "#A,H,2023-06-20T09:20:00.000Z,0.4",
    ]
    target = tmp_path / "out.ndjson"
    run(
        "export",
        "--dataset",
        "obs",
        "--format",
        "ndjson",
        "--output",
        str(target),
        "--start",
        "2023-06-20",
    )
    assert target.read_text().count("\n") == 2
    assert "exists" in run("dataset", "create", "obs", code=1)
    assert "unknown format" in run("export", "--dataset", "obs", "--format", "xml", code=1)
    assert "ISO 8601" in run("export", "--dataset", "obs", "--start", "soon", code=1)
    run("dataset", "delete", "obs", stdin="n\n", code=1)
    run("dataset", "delete", "obs", "--yes")
    assert "does not exist" in run("export", "--dataset", "obs", code=1)


def test_import_reports_the_bad_line_and_stores_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("dataset", "create", "obs", "--kind", "observations")
    source = tmp_path / "obs.csv"
    source.write_text("feature,time,H\nA,1000,1\nA,1000,x\n")
    assert "line 3" in run("import", str(source), "--dataset", "obs", code=1)
    assert run("export", "--dataset", "obs").strip() == "feature,variable,time,value"


def test_bad_configuration_is_reported(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GEOSERIES_ENVIRONMENT", "production")
    assert "placeholder" in run("migrate", code=2)
    monkeypatch.setenv("GEOSERIES_ENVIRONMENT", "development")
    assert "unsupported database URL" in run("migrate", "--database-url", "mysql://x", code=1)


def test_dataset_share_and_unshare(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    run("org", "create", "acme")
    run("org", "create", "globex")
    run("dataset", "create", "private", "--org", "acme")
    assert "shared with globex" in run("dataset", "share", "private", "--with", "globex")
    run("dataset", "share", "private", "--with", "globex")  # idempotent
    store = open_store(database_url)
    try:
        dataset = store.get_dataset("private")
        assert [o.name for o in store.dataset_shares(dataset.id)] == ["globex"]
    finally:
        store.close()

    assert "no longer shared" in run("dataset", "unshare", "private", "--with", "globex")
    assert "not shared with globex" in run(
        "dataset", "unshare", "private", "--with", "globex", code=1
    )
    assert "organization 'nobody' does not exist" in run(
        "dataset", "share", "private", "--with", "nobody", code=1
    )
    assert "dataset 'missing' does not exist" in run(
        "dataset", "share", "missing", "--with", "globex", code=1
    )
    assert "dataset 'missing' does not exist" in run(
        "dataset", "unshare", "missing", "--with", "globex", code=1
    )


def test_org_keys_are_issued_listed_and_revoked(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    first = run("org", "create", "acme").strip().splitlines()[-1]
    second = run("org", "key", "create", "acme").strip().splitlines()[-1]
    explicit = run("org", "key", "create", "acme", "--token", "an-explicit-key-of-acme")
    assert explicit.strip().endswith("an-explicit-key-of-acme")
    assert "prefix an-expli" in explicit
    listing = run("org", "key", "list", "acme")
    for key in (first, second):
        assert key[:8] in listing
        assert key not in listing
    assert "1 API key of acme revoked" in run("org", "key", "revoke", "acme", first[:8])
    store = open_store(database_url)
    try:
        organization = store.get_organization("acme")
        assert store.organization_for_key(key_digest(second)) == organization
        keys = store.list_api_keys(organization.id)
        assert [k.revoked_at is not None for k in keys] == [True, False, False]
    finally:
        store.close()
    assert "no live API key" in run("org", "key", "revoke", "acme", first[:8], code=1)
    assert "does not exist" in run("org", "key", "list", "ghost", code=1)
    assert "already in use" in run(
        "org", "key", "create", "acme", "--token", "an-explicit-key-of-acme", code=1
    )
    assert "16 to 1024 characters" in run(
        "org", "key", "create", "acme", "--token", "short", code=1
    )
    refused = run("org", "create", "b", "--token", "short", code=1)
    assert "--token: an explicit API key must have 16 to 1024 characters" in refused
    assert "organization name" in run("org", "create", "a/b", code=1)


def test_user_list(run) -> None:  # type: ignore[no-untyped-def]
    run("org", "create", "acme")
    run("org", "create", "globex")
    run("user", "create", "ann@example.org", "--org", "acme", "--permission", "features.read")
    run("user", "create", "bob@example.org", "--org", "globex", "--admin")
    listing = run("user", "list")
    assert "ann@example.org" in listing
    assert "features.read" in listing
    assert "bob@example.org" in listing
    assert "bob@example.org" not in run("user", "list", "--org", "acme")
    assert "does not exist" in run("user", "list", "--org", "ghost", code=1)
