"""release provenance: the rules the parties applied and the attempt of their signed reports

Revision ID: hub_0010
Revises: hub_0009
Create Date: 2026-12-08 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "hub_0010"
down_revision: str | Sequence[str] | None = "hub_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: a stored release came from its round's last attempt; the rules of
    releases stored before the parties signed them are unknown (NULL)."""
    with op.batch_alter_table("release") as batch:
        batch.add_column(sa.Column("min_contributors", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dominance", sa.Float(), nullable=True))
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=True))
    op.execute(
        'UPDATE "release" SET attempt = '
        '(SELECT "round".attempt FROM "round" WHERE "round".id = "release".round_id)'
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("release") as batch:
        batch.drop_column("attempt")
        batch.drop_column("dominance")
        batch.drop_column("min_contributors")
