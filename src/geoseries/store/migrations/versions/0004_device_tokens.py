"""Device tokens and the sensor catalogue: a token prefix per device, unique sensor keys.

`devices.token_prefix` keeps the first characters of a device's token (stored only as a hash),
so operators can tell tokens apart; `sensors.default_key` becomes unique, because readings name
sensors by id or by that key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_prefix", sa.String(length=8), nullable=True))
        batch_op.create_index("devices_owner", ["owner_id"], unique=False)
    with op.batch_alter_table("sensors", schema=None) as batch_op:
        batch_op.create_index("sensors_default_key", ["default_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("sensors", schema=None) as batch_op:
        batch_op.drop_index("sensors_default_key")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index("devices_owner")
        batch_op.drop_column("token_prefix")
