"""Dataset variables: every variable a dataset has series of, read along with the dataset.

A document query needs to know which properties are observed values; it used to ask with a
`SELECT DISTINCT variable FROM series` on every request.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dataset_variables",
        sa.Column("dataset_id", Id, nullable=False),
        sa.Column("variable", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dataset_id", "variable"),
    )
    op.execute(
        "INSERT INTO dataset_variables (dataset_id, variable) "
        "SELECT DISTINCT dataset_id, variable FROM series"
    )


def downgrade() -> None:
    op.drop_table("dataset_variables")
