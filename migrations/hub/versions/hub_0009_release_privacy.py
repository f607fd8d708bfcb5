"""release privacy metadata (mechanism, epsilon, delta, noise sd); the budget charges attempts

Revision ID: hub_0009
Revises: hub_0008
Create Date: 2026-12-07 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "hub_0009"
down_revision: str | Sequence[str] | None = "hub_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: every stored release was exact; every charge was a first attempt."""
    with op.batch_alter_table("release") as batch:
        batch.add_column(
            sa.Column("mechanism", sa.String(length=16), nullable=False, server_default="exact")
        )
        batch.add_column(sa.Column("epsilon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("delta", sa.Float(), nullable=True))
        batch.add_column(sa.Column("noise_sd", sa.Float(), nullable=True))
    with op.batch_alter_table("budget_spend") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint(op.f("uq_budget_spend_indicator_year_round_id"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_budget_spend_indicator_year_round_id_attempt"),
            ["indicator", "year", "round_id", "attempt"],
        )


def downgrade() -> None:
    """Downgrade schema (later attempts' charges would collide: keep the first only)."""
    op.execute("DELETE FROM budget_spend WHERE attempt > 1")
    with op.batch_alter_table("budget_spend") as batch:
        batch.drop_constraint(
            op.f("uq_budget_spend_indicator_year_round_id_attempt"), type_="unique"
        )
        batch.create_unique_constraint(
            op.f("uq_budget_spend_indicator_year_round_id"), ["indicator", "year", "round_id"]
        )
        batch.drop_column("attempt")
    with op.batch_alter_table("release") as batch:
        batch.drop_column("noise_sd")
        batch.drop_column("delta")
        batch.drop_column("epsilon")
        batch.drop_column("mechanism")
