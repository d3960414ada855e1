"""PostgreSQL: a GIN index on features' properties, for equality filters on any property.

`code_station=#S00500` used to read the properties of every feature of the dataset; the
filter now also asks `properties @> '{"code_station": "#S00500"}'`, which this index answers
(jsonb_path_ops: small, and containment is the only operator used). SQLite: nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 14:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX features_properties ON features USING gin (properties jsonb_path_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX features_properties")
