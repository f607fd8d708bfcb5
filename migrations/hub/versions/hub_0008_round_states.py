"""round states: only open, computing, released and failed (quorum and verifying were never used)

Revision ID: hub_0008
Revises: hub_0007
Create Date: 2026-12-07 07:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "hub_0008"
down_revision: str | Sequence[str] | None = "hub_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "state IN ('open', 'quorum', 'computing', 'verifying', 'released', 'failed')"
NEW = "state IN ('open', 'computing', 'released', 'failed')"


def upgrade() -> None:
    """Upgrade schema (no row can hold a removed state: no code ever wrote one)."""
    with op.batch_alter_table("round") as batch:
        batch.drop_constraint(op.f("ck_round_state"), type_="check")
        batch.create_check_constraint("state", NEW)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("round") as batch:
        batch.drop_constraint(op.f("ck_round_state"), type_="check")
        batch.create_check_constraint("state", OLD)
