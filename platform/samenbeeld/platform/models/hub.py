"""The hub's tables: members, rounds, contributions (who, not what), releases, budget."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from samenbeeld.federation.protocol import PROGRAMS
from samenbeeld.platform.models.base import HubBase
from samenbeeld.platform.models.mixins import SeenTokenMixin

ROUND_STATES = ("open", "computing", "released", "failed")
"""open -> computing -> released, or failed (and computed again as a new attempt)."""


class Member(HubBase):
    """A node (municipality) or compute party known to the federation."""

    __tablename__ = "member"
    __table_args__ = (CheckConstraint("kind IN ('node', 'party')", name="kind"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))
    public_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(default=True)


class Round(HubBase):
    """One aggregation round for an indicator set and a period."""

    __tablename__ = "round"
    __table_args__ = (
        UniqueConstraint("indicator_set", "period_start"),
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in ROUND_STATES)})", name="state"),
        CheckConstraint(f"program IN ({', '.join(repr(p) for p in PROGRAMS)})", name="program"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    indicator_set: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    indicators: Mapped[str] = mapped_column(String(2000), default="")
    """Catalog names of the round's cells, comma-separated, in cell order."""
    cells_per_indicator: Mapped[int] = mapped_column(Integer, default=1)
    """Cells per indicator (1: one total; more: e.g. districts or buckets), in cell order."""
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    """How often compute was started; reports belong to one attempt."""
    failure: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Why the last attempt failed (names and reasons only, never values)."""
    program: Mapped[str] = mapped_column(String(16), default="checked_sum")
    """One of the protocol's PROGRAMS."""
    driver: Mapped[str] = mapped_column(String(32), default="")
    """The boot id of the hub process driving the current attempt (see fail_orphaned_attempts)."""


class RoundReport(HubBase):
    """One compute party's signed result of one attempt of a round (the first one only)."""

    __tablename__ = "round_report"
    __table_args__ = (
        UniqueConstraint("round_id", "attempt", "party_index"),
        CheckConstraint("party_index BETWEEN 0 AND 2", name="party_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("round.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    party_index: Mapped[int] = mapped_column(Integer)
    result_sha256: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)
    """The canonical JSON of what the party revealed (released aggregates only) and the rules
    it applied."""
    signature: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Contribution(HubBase):
    """That a municipality uploaded its share to a party in a round (never the share)."""

    __tablename__ = "contribution"
    __table_args__ = (
        UniqueConstraint("round_id", "municipality", "party_index"),
        CheckConstraint("party_index BETWEEN 0 AND 2", name="party_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("round.id"), index=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("member.code"))
    party_index: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Release(HubBase):
    """A released (or suppressed) aggregate cell; corrections are new versions."""

    __tablename__ = "release"
    __table_args__ = (
        UniqueConstraint("indicator", "period_start", "cell", "version"),
        CheckConstraint("cohort_size >= 0", name="cohort_size"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_release_indicator_period_start", "indicator", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("round.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[dt.date] = mapped_column(Date)
    cell: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    suppressed_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    cohort_size: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    mechanism: Mapped[str] = mapped_column(String(16), default="exact")
    """``exact``, or the differential-privacy mechanism whose noise the value carries."""
    epsilon: Mapped[float | None] = mapped_column(Float, nullable=True)
    """The epsilon this release cost the indicator's yearly budget (noisy cells only)."""
    delta: Mapped[float | None] = mapped_column(Float, nullable=True)
    noise_sd: Mapped[float | None] = mapped_column(Float, nullable=True)
    """The standard deviation of the value's noise, in the figure's own units."""
    min_contributors: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The minimum of contributors the parties applied (None: released before they signed it)."""
    dominance: Mapped[float | None] = mapped_column(Float, nullable=True)
    """The dominance threshold the parties applied to a sum (None for counts of cities)."""
    attempt: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The attempt whose three signed reports (RoundReport rows) this release came from."""


class BudgetSpend(HubBase):
    """Differential-privacy budget spent on one indicator in one year."""

    __tablename__ = "budget_spend"
    __table_args__ = (
        UniqueConstraint("indicator", "year", "round_id", "attempt"),
        CheckConstraint("epsilon > 0", name="epsilon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    round_id: Mapped[str] = mapped_column(ForeignKey("round.id"))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    """Every attempt is charged: a retry opens the noisy values afresh, with new noise."""
    epsilon: Mapped[float] = mapped_column(Float)


class SeenToken(SeenTokenMixin, HubBase):
    """A service token id this hub has accepted (replay protection)."""

    __tablename__ = "hub_seen_token"


TEMPLATE_STATES = ("draft", "in_review", "published", "deprecated")
"""The workflow states of a template version (samenbeeld.platform.templates)."""
TEMPLATE_AUTHOR_ROLES = ("municipality", "vng", "national_partner", "admin")


def _one_of(column: str, codes: tuple[str, ...]) -> str:
    """SQL for 'column is one of codes'."""
    return f"{column} IN ({', '.join(repr(c) for c in codes)})"


class Template(HubBase):
    """A pilot template (sjabloon): who owns it and what it was forked from.

    ``owner_municipality`` is the CBS code of the municipality that proposed or forked it;
    NULL means the curators (VNG) own it, as they own the built-in templates.
    """

    __tablename__ = "template"
    __table_args__ = (
        CheckConstraint(
            "(forked_from_slug IS NULL) = (forked_from_version IS NULL)", name="forked_from"
        ),
    )

    slug: Mapped[str] = mapped_column(String(48), primary_key=True)
    owner_municipality: Mapped[str | None] = mapped_column(String(16), nullable=True)
    forked_from_slug: Mapped[str | None] = mapped_column(String(48), nullable=True)
    forked_from_version: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TemplateVersion(HubBase):
    """One version of a template; rows are never deleted, published ones never change."""

    __tablename__ = "template_version"
    __table_args__ = (
        CheckConstraint(_one_of("state", TEMPLATE_STATES), name="state"),
        CheckConstraint(_one_of("author_role", TEMPLATE_AUTHOR_ROLES), name="author_role"),
    )

    template_slug: Mapped[str] = mapped_column(ForeignKey("template.slug"), primary_key=True)
    version: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(Text)
    """The validated document as JSON (samenbeeld.platform.templates.TemplateDocumentSchema)."""
    indicators: Mapped[str] = mapped_column(String(2000))
    """The document's catalog codes, comma-separated (what adoption opts a node in to)."""
    author_role: Mapped[str] = mapped_column(String(16))
    author_municipality: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deprecated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    template: Mapped[Template] = relationship(lazy="joined")


class TemplateAdoption(HubBase):
    """That a municipality adopted a template version on its node (visible to all members)."""

    __tablename__ = "template_adoption"
    __table_args__ = (
        UniqueConstraint("municipality", "template_slug", "version"),
        ForeignKeyConstraint(
            ["template_slug", "version"],
            ["template_version.template_slug", "template_version.version"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("member.code"))
    template_slug: Mapped[str] = mapped_column(String(48), index=True)
    version: Mapped[str] = mapped_column(String(16))
    adopted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
