"""disclosure ledger: the cells a party revealed, and the spec each upload declares

Revision ID: party_0004
Revises: party_0003
Create Date: 2026-12-07 07:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "party_0004"
down_revision: str | Sequence[str] | None = "party_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "revealed_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=16), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("round_id", sa.String(length=64), nullable=False),
        sa.Column("cohort", sa.Text(), nullable=False),
        sa.Column("rules", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revealed_cell")),
        sa.UniqueConstraint(
            "program",
            "indicator",
            "period_start",
            "round_id",
            name=op.f("uq_revealed_cell_program_indicator_period_start_round_id"),
        ),
    )
    # Uploads stored before a spec was declared get the empty spec, which matches no
    # compute request: a round in flight during the upgrade is computed again as a new one.
    with op.batch_alter_table("share_upload") as batch:
        batch.add_column(sa.Column("spec", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("share_upload") as batch:
        batch.drop_column("spec")
    op.drop_table("revealed_cell")
