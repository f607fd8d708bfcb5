"""round programs (sum, distribution, spike count) and the release lookup index

Revision ID: hub_0004
Revises: hub_0003
Create Date: 2026-11-25 17:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hub_0004"
down_revision: str | Sequence[str] | None = "hub_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("program", sa.String(length=16), nullable=False, server_default="checked_sum")
        )
        batch_op.create_check_constraint(
            "program", "program IN ('checked_sum', 'histogram', 'spike_count')"
        )
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_release_indicator_period_start"), ["indicator", "period_start"]
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_indicator_period_start"))
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_round_program"), type_="check")
        batch_op.drop_column("program")
