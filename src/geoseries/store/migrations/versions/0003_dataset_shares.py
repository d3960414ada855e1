"""Dataset shares: the organizations a dataset's owner shared it with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dataset_shares",
        sa.Column("dataset_id", Id, nullable=False),
        sa.Column("organization_id", Id, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dataset_id", "organization_id"),
    )
    # Listing asks "which datasets are shared with this organization?": index that direction too.
    op.create_index("dataset_shares_organization", "dataset_shares", ["organization_id"])


def downgrade() -> None:
    op.drop_index("dataset_shares_organization", table_name="dataset_shares")
    op.drop_table("dataset_shares")
