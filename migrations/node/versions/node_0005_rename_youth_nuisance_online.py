"""rename the indicator youth_nuisance_online_online_weekly to youth_nuisance_online_weekly

Data only. Every node column that stores indicator codes gets the new code: its own
indicator values and opt-ins (one code), and the audit log and template adoptions
(comma-separated lists).

Revision ID: node_0005
Revises: node_0004
Create Date: 2026-12-07 06:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "node_0005"
down_revision: str | Sequence[str] | None = "node_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "youth_nuisance_online_online_weekly", "youth_nuisance_online_weekly"

ONE_CODE = [
    sa.table("indicator_value", sa.column("indicator", sa.String)),
    sa.table("node_opt_in", sa.column("indicator", sa.String)),
]
LISTS = [
    sa.table("node_audit_log", sa.column("id", sa.Integer), sa.column("indicators", sa.String)),
    sa.table(
        "node_template_adoption",
        sa.column("template", sa.String),
        sa.column("version", sa.String),
        sa.column("indicators", sa.String),
    ),
]


def upgrade() -> None:
    """Upgrade data."""
    _rename(OLD, NEW)


def downgrade() -> None:
    """Downgrade data."""
    _rename(NEW, OLD)


def _rename(old: str, new: str) -> None:
    """Replace the indicator code old by new wherever the node stores codes."""
    bind = op.get_bind()
    for table in ONE_CODE:
        bind.execute(table.update().where(table.c.indicator == old).values(indicator=new))
    for table in LISTS:
        keys = [column for column in table.c if column.name != "indicators"]
        rows = bind.execute(sa.select(table).where(table.c.indicators.contains(old))).all()
        for row in rows:
            names = ",".join(new if name == old else name for name in row.indicators.split(","))
            if names != row.indicators:  # LIKE's "_" matches any character: check exactly
                where = [key == row._mapping[key.name] for key in keys]
                bind.execute(table.update().where(*where).values(indicators=names))
