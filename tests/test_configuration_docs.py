"""docs/configuration.md lists every setting exactly as the Settings model defines it."""

from __future__ import annotations

import enum
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from geoseries.settings import Settings

GENERATOR = Path(__file__).parents[1] / "docs" / "gen_configuration.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_configuration", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module while being created
    spec.loader.exec_module(module)
    return module


gen = load_generator()


def test_documented_table_matches_the_settings_model() -> None:
    diff = gen.drift(gen.DOCUMENT.read_text(encoding="utf-8"))
    assert not diff, (
        "docs/configuration.md is out of date with geoseries.settings; regenerate it with\n"
        "    .venv/bin/python docs/gen_configuration.py\n"
        f"difference (- as written, + as generated):\n{diff}"
    )


def test_every_setting_is_documented_with_its_environment_variable() -> None:
    document = gen.DOCUMENT.read_text(encoding="utf-8")
    rows = list(gen.settings())
    assert {"GEOSERIES_HTTP__MAX_BODY_BYTES", "GEOSERIES_DATABASE_URL"} <= {s.env for s in rows}
    for setting in rows:
        assert f"| `{setting.env}` |" in document


@pytest.mark.parametrize("setting", list(gen.settings()), ids=lambda s: s.env)
def test_documented_variable_configures_its_setting(
    setting: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Setting the documented variable to a non-default value changes that very setting."""
    for name in [n for n in os.environ if n.startswith("GEOSERIES_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv(
        "GEOSERIES_SECRET_KEY", "a-real-secret"
    )  # production refuses the placeholder
    default = setting.field.get_default(call_default_factory=True)
    raw, expected = sample(setting.env, default, setting.field.annotation)
    monkeypatch.setenv(setting.env, raw)

    value: Any = Settings()
    for name in setting.path:
        value = getattr(value, name)

    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    assert value == expected


def sample(env: str, default: Any, annotation: Any = None) -> tuple[str, Any]:
    """An environment value different from `default`, and what the setting should become."""
    if default is None and annotation == Path | None:
        return "/elsewhere", Path("/elsewhere")
    if isinstance(default, bool):
        return str(not default).lower(), not default
    if isinstance(default, int):
        return str(default - 1), default - 1
    if isinstance(default, enum.Enum):
        other = next(m for m in type(default) if m is not default)
        return str(other.value), other
    if isinstance(default, Path):
        return "/elsewhere", Path("/elsewhere")
    if isinstance(default, SecretStr):
        return "another-secret", "another-secret"
    return f"sample-{env.lower()}", f"sample-{env.lower()}"


def test_invalid_environment_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOSERIES_HTTP__MAX_BODY_BYTES", "10")
    with pytest.raises(ValidationError, match="max_body_bytes"):
        Settings()


def test_drift_names_the_missing_setting_and_the_fix() -> None:
    document = gen.DOCUMENT.read_text(encoding="utf-8")
    row = next(line for line in document.splitlines() if "GEOSERIES_HTTP__PORT" in line)
    diff = gen.drift(document.replace(row + "\n", ""))
    assert f"\n+{row}\n" in diff
    with pytest.raises(ValueError, match="markers"):
        gen.with_table("no markers here", gen.settings_table())
