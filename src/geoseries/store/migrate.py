"""Alembic migrations, run programmatically (no alembic.ini needed by operators).

Opening a store checks the schema revision with one cheap query against `HEAD` and loads
Alembic only when an upgrade is due, so short CLI commands do not pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, exc, text

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0007"
"""The newest revision in migrations/versions (a test checks it against Alembic)."""


def _config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, or None for a database Alembic never touched."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except exc.DBAPIError:  # no alembic_version table yet
            return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest)."""
    from alembic import command

    command.upgrade(_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` (`base`: no tables at all)."""
    from alembic import command

    command.downgrade(_config(engine), revision)


def ensure_current(engine: Engine) -> None:
    """Upgrade the schema unless it is already at HEAD."""
    if current_revision(engine) != HEAD:
        upgrade(engine)


def alembic_head(engine: Engine) -> str | None:
    """The newest revision Alembic finds in migrations/versions."""
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(_config(engine)).get_current_head()
    return head
