"""rename the indicator youth_nuisance_online_online_weekly to youth_nuisance_online_weekly

Data only. Every hub column that stores indicator codes gets the new code: releases and
budget spends (one code), rounds and template versions (comma-separated lists), and the
template documents (JSON). A renamed round gets the indicator-set key of its new list, so
a round opened later for the same list and period is still refused as a duplicate.

Revision ID: hub_0006
Revises: hub_0005
Create Date: 2026-12-07 06:40:00

"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "hub_0006"
down_revision: str | Sequence[str] | None = "hub_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "youth_nuisance_online_online_weekly", "youth_nuisance_online_weekly"

release = sa.table("release", sa.column("indicator", sa.String))
budget_spend = sa.table("budget_spend", sa.column("indicator", sa.String))
round_ = sa.table(
    "round",
    sa.column("id", sa.String),
    sa.column("indicators", sa.String),
    sa.column("program", sa.String),
    sa.column("indicator_set", sa.String),
)
template_version = sa.table(
    "template_version",
    sa.column("template_slug", sa.String),
    sa.column("version", sa.String),
    sa.column("indicators", sa.String),
    sa.column("document", sa.Text),
)


def upgrade() -> None:
    """Upgrade data."""
    _rename(OLD, NEW)


def downgrade() -> None:
    """Downgrade data."""
    _rename(NEW, OLD)


def _rename(old: str, new: str) -> None:
    """Replace the indicator code old by new wherever the hub stores codes."""
    bind = op.get_bind()
    for table in (release, budget_spend):
        bind.execute(table.update().where(table.c.indicator == old).values(indicator=new))
    rounds = bind.execute(sa.select(round_).where(round_.c.indicators.contains(old))).all()
    for row in rounds:
        names = _renamed(row.indicators, old, new)
        if names != row.indicators:  # LIKE's "_" matches any character: check exactly
            values = {"indicators": names, "indicator_set": _set_key(names, row.program)}
            bind.execute(round_.update().where(round_.c.id == row.id).values(**values))
    mentions = template_version.c.document.contains(old)
    versions = bind.execute(sa.select(template_version).where(mentions)).all()
    for row in versions:
        # A code is a JSON string of [a-z0-9_] only, and no other code contains the old one.
        values = {
            "indicators": _renamed(row.indicators, old, new),
            "document": row.document.replace(old, new),
        }
        bind.execute(
            template_version.update()
            .where(template_version.c.template_slug == row.template_slug)
            .where(template_version.c.version == row.version)
            .values(**values)
        )


def _renamed(names: str, old: str, new: str) -> str:
    """A comma-separated list of codes with old replaced by new."""
    return ",".join(new if name == old else name for name in names.split(","))


def _set_key(names: str, program: str) -> str:
    """The round's indicator-set key, as samenbeeld.federation.hub.rounds._set_key makes it.

    Copied, not imported, so this migration keeps doing what it did when the code moves on.
    """
    text = names if program == "checked_sum" else f"{program}:{names}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]
