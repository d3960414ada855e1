"""Accent and case folding for `Contains`, defined once for Python and for both databases.

The same fixed table is handed to SQLite (through a registered Python function) and to
PostgreSQL (`translate`), so both backends fold the Latin letters below identically; ASCII case
is folded by `lower` on both. A table, not Unicode normalization: PostgreSQL has no portable
`unaccent` without an extension, and a table it can apply with `translate` keeps the two in step.
"""

from __future__ import annotations

import re
from functools import lru_cache

ACCENTED = "áàâäãåéèêëíìîïóòôöõúùûüçñýÿÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÇÑÝŸ"
PLAIN = "aaaaaaeeeeiiiiooooouuuucnyyAAAAAAEEEEIIIIOOOOOUUUUCNYY"
"""Each accented letter and the letter it folds to (upper case stays upper until `lower`)."""

_TABLE = str.maketrans(ACCENTED, PLAIN)
FOLD_FUNCTION = "geoseries_fold"
"""The name SQLite knows `sql_fold` by."""


def fold(text: str, *, case_sensitive: bool) -> str:
    """`text` without the table's accents and, unless `case_sensitive`, in lower case."""
    plain = text.translate(_TABLE)
    return plain if case_sensitive else plain.lower()


SqlValue = str | bytes | int | float | None
"""A value SQLite hands to (and takes back from) a Python function."""


def sql_fold(text: SqlValue, case_sensitive: SqlValue) -> SqlValue:
    """`fold` as a SQLite function: NULL and non-text values pass through unchanged."""
    if not isinstance(text, str):
        return text
    return fold(text, case_sensitive=bool(case_sensitive))


@lru_cache(maxsize=256)
def compiled_pattern(pattern: str) -> re.Pattern[str]:
    """Patterns are compiled once per process, not once per row."""
    return re.compile(pattern)


def sql_regexp(pattern: SqlValue, text: SqlValue) -> SqlValue:
    """SQLite's `text REGEXP pattern` with Python's `re.search`; NULL for non-text values."""
    if not isinstance(pattern, str) or not isinstance(text, str):
        return None
    return compiled_pattern(pattern).search(text) is not None
