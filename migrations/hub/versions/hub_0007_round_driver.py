"""round driver: the boot id of the hub process that drives a round's attempt

Revision ID: hub_0007
Revises: hub_0006
Create Date: 2026-12-07 07:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "hub_0007"
down_revision: str | Sequence[str] | None = "hub_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("round") as batch:
        batch.add_column(
            sa.Column("driver", sa.String(length=32), nullable=False, server_default="")
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("round") as batch:
        batch.drop_column("driver")
