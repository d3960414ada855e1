"""Features keep their `featureId` value in a column of its own, `id_value`, indexed.

A station's week (`properties.code_station=#S00500`, grouped by `code_station`) read the
properties JSON of every feature to filter and two JSON calls per point to group; it now reads
the indexed column (see `schema.id_value`). Existing features are filled in from their
properties and their dataset's `featureId`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 16:30:00.000000
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LENGTH = 255
BATCH = 5_000


def upgrade() -> None:
    op.add_column("features", sa.Column("id_value", sa.String(length=LENGTH), nullable=True))
    op.create_index(
        "features_id_value",
        "features",
        ["id_value"],
        sqlite_where=sa.text("id_value IS NOT NULL"),
        postgresql_where=sa.text("id_value IS NOT NULL"),
    )
    conn = op.get_bind()
    datasets = conn.execute(
        sa.text("SELECT id, feature_id FROM datasets WHERE feature_id IS NOT NULL")
    ).all()
    update = sa.text("UPDATE features SET id_value = :value WHERE id = :id")
    for dataset_id, feature_id in datasets:
        last = 0
        while rows := conn.execute(
            sa.text(
                "SELECT id, properties FROM features WHERE dataset_id = :dataset AND id > :last "
                "ORDER BY id LIMIT :batch"
            ),
            {"dataset": dataset_id, "last": last, "batch": BATCH},
        ).all():
            last = rows[-1][0]
            values = [
                {"id": row_id, "value": value}
                for row_id, properties in rows
                if (value := _id_value(properties, feature_id)) is not None
            ]
            if values:
                conn.execute(update, values)


def _id_value(properties: Any, feature_id: str) -> str | None:
    """As `geoseries.store.schema.id_value` at this revision."""
    if isinstance(properties, str):  # JSON text on SQLite
        properties = json.loads(properties)
    value = properties.get(feature_id) if isinstance(properties, dict) else None
    if isinstance(value, str) and len(value) <= LENGTH and "\x00" not in value:
        return value
    return None


def downgrade() -> None:
    op.drop_index("features_id_value", table_name="features")
    op.drop_column("features", "id_value")
