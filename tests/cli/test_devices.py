"""`geoseries device ...` and `geoseries sensor ...`, run in-process against both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geoseries.auth.keys import key_digest
from geoseries.cli.main import app
from geoseries.model import DatasetKind
from geoseries.store import Store, open_store
from geoseries.store import schema as t

Run = Callable[..., str]


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("GEOSERIES_DATABASE_URL", database_url)
    monkeypatch.setenv("GEOSERIES_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    return invoke


@pytest.fixture
def opened(database_url: str) -> Iterator[Callable[[], Store]]:
    stores: list[Store] = []

    def open_one() -> Store:
        stores.append(open_store(database_url))
        return stores[-1]

    yield open_one
    for store in stores:
        store.close()


def created(output: str) -> tuple[int, str]:
    """(device id, token) from the output of `device create`."""
    first, *_, token = output.strip().splitlines()
    assert first.startswith("device ")
    return int(first.split()[1]), token


@pytest.fixture
def ann(run: Run) -> str:
    run("org", "create", "acme")
    run("user", "create", "ann@example.org", "--org", "acme")
    run("user", "create", "bob@example.org", "--org", "acme")
    return "ann@example.org"


def test_device_create_prints_the_id_and_a_working_token_once(
    run: Run, ann: str, opened: Callable[[], Store]
) -> None:
    output = run(
        "device",
        "create",
        "Roof kit",
        "--owner",
        "Ann@Example.org",
        "--lat",
        "41.4",
        "--lon",
        "2.19",
    )
    device_id, token = created(output)
    assert "shown once" in output
    assert len(token) == 43
    assert "." not in token
    store = opened()
    found = store.device_for_token(key_digest(token))
    assert found is not None
    assert (found.id, found.name, found.owner_email) == (device_id, "Roof kit", ann)
    dataset = store.get_dataset("devices")
    assert dataset.kind is DatasetKind.DEVICES
    [feature] = store.iter_features(dataset)
    assert feature.geometry == {"type": "Point", "coordinates": [2.19, 41.4]}
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        row = conn.execute(t.devices.select()).one()
    assert token not in (row.token_hash, row.token_prefix)
    listed = run("device", "list")
    assert "Roof kit" in listed
    assert ann in listed
    assert token[:8] in listed
    assert token not in listed


def test_device_token_rotates_and_revoke_removes(
    run: Run, ann: str, opened: Callable[[], Store]
) -> None:
    device_id, old = created(run("device", "create", "kit", "--owner", ann, "--private"))
    new = run("device", "token", str(device_id)).strip().splitlines()[-1]
    store = opened()
    assert store.device_for_token(key_digest(old)) is None
    assert store.device_for_token(key_digest(new)) is not None
    assert new[:8] in run("device", "list")
    assert "token revoked" in run("device", "revoke", str(device_id))
    assert store.device_for_token(key_digest(new)) is None
    listed = run("device", "list")
    assert "(revoked)" in listed
    assert new[:8] not in listed
    assert "device 99 does not exist" in run("device", "token", "99", code=1)
    assert "device 99 does not exist" in run("device", "revoke", "99", code=1)


def test_device_list_by_owner(run: Run, ann: str) -> None:
    run("device", "create", "ann-kit", "--owner", ann)
    run("device", "create", "bob-kit", "--owner", "bob@example.org")
    mine = run("device", "list", "--owner", ann)
    assert "ann-kit" in mine
    assert "bob-kit" not in mine
    assert "bob-kit" in run("device", "list")
    assert "does not exist" in run("device", "list", "--owner", "nobody@example.org", code=1)


def test_device_create_refuses_bad_input(run: Run, ann: str) -> None:
    assert "does not exist" in run("device", "create", "kit", "--owner", "x@example.org", code=1)
    assert "both --lat and --lon" in run(
        "device", "create", "kit", "--owner", ann, "--lat", "1", code=1
    )
    assert "latitude" in run(
        "device", "create", "kit", "--owner", ann, "--lat", "95", "--lon", "1", code=1
    )
    assert "name" in run("device", "create", " ", "--owner", ann, code=1)


def test_sensor_catalogue(run: Run) -> None:
    run(
        "sensor",
        "create",
        "--id",
        "55",
        "--key",
        "temp",
        "--name",
        "Temperature",
        "--description",
        "Air temperature",
        "--unit",
        "ºC",
    )
    run(
        "sensor",
        "create",
        "--id",
        "56",
        "--key",
        "hum",
        "--name",
        "Humidity",
        "--description",
        "Relative humidity",
    )
    listed = run("sensor", "list")
    assert "temp" in listed
    assert "Temperature" in listed
    assert "ºC" in listed
    assert "hum" in listed
    assert "already exists" in run(
        "sensor", "create", "--id", "55", "--key", "t2", "--name", "T", "--description", "d", code=1
    )
    assert "taken by sensor 55" in run(
        "sensor",
        "create",
        "--id",
        "57",
        "--key",
        "temp",
        "--name",
        "T",
        "--description",
        "d",
        code=1,
    )
    assert "must be" in run(
        "sensor", "create", "--id", "58", "--key", "12", "--name", "T", "--description", "d", code=1
    )
