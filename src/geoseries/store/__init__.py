"""Storage: the Store protocol and its SQLite and PostGIS implementations.

Only this package imports database drivers. `open_store(url)` picks the backend from the URL.
"""

from __future__ import annotations

from geoseries.errors import ValidationFailed
from geoseries.store.migrate import ensure_current
from geoseries.store.protocol import SeriesKey, Store, Writer

__all__ = ["SeriesKey", "Store", "Writer", "open_store"]


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open the store for `sqlite:///path` or `postgresql://...`, upgrading the schema first."""
    if url.startswith("sqlite:"):
        from geoseries.store.sqlite import SqliteStore, sqlite_engine

        engine = sqlite_engine(url)
        if migrate:
            ensure_current(engine)
        return SqliteStore(engine)
    if url.startswith(("postgresql:", "postgres:")):
        from geoseries.store.postgis import PostgisStore, postgres_engine

        engine = postgres_engine(url)
        if migrate:
            ensure_current(engine)
        return PostgisStore(engine)
    raise ValidationFailed(
        f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:/// or postgresql://",
        field="database_url",
    )
