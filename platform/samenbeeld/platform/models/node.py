"""A node's tables: aggregate records only; no column can hold personal data.

Every text column is a code from ``samenbeeld.platform.vocabulary`` enforced by a
CHECK constraint, and every number has a range check. There is no free-text column.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from samenbeeld.platform import vocabulary as v
from samenbeeld.platform.models.base import NodeBase
from samenbeeld.platform.models.mixins import SeenTokenMixin


def _one_of(column: str, codes: tuple[str, ...]) -> str:
    """SQL for 'column is one of codes'."""
    return f"{column} IN ({', '.join(repr(c) for c in codes)})"


class District(NodeBase):
    """A wijk (CBS district) of the node's municipality and its population."""

    __tablename__ = "district"
    __table_args__ = (
        CheckConstraint("length(code) = 8 AND substr(code, 1, 2) = 'WK'", name="code_format"),
        CheckConstraint(f"population BETWEEN 0 AND {v.MAX_DISTRICT_POPULATION}", name="population"),
    )

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    population: Mapped[int] = mapped_column(Integer)


class WeeklyCount(NodeBase):
    """Incidents or signals in one ISO week, district, category and source."""

    __tablename__ = "weekly_count"
    __table_args__ = (
        UniqueConstraint("week_start", "district_code", "category", "online_driven", "source_type"),
        CheckConstraint(_one_of("category", v.CATEGORIES), name="category"),
        CheckConstraint(_one_of("source_type", v.SOURCE_TYPES), name="source_type"),
        CheckConstraint(f"count BETWEEN 0 AND {v.MAX_WEEKLY_COUNT}", name="count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[dt.date] = mapped_column(Date, index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"))
    category: Mapped[str] = mapped_column(String(32))
    online_driven: Mapped[bool] = mapped_column(Boolean)
    source_type: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)


class Event(NodeBase):
    """Events of one type on one day in one district, with visitor numbers."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("event_date", "district_code", "event_type"),
        CheckConstraint(_one_of("event_type", v.EVENT_TYPES), name="event_type"),
        CheckConstraint(f"visitors BETWEEN 0 AND {v.MAX_EVENT_VISITORS}", name="visitors"),
        CheckConstraint(f"incidents BETWEEN 0 AND {v.MAX_WEEKLY_COUNT}", name="incidents"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_date: Mapped[dt.date] = mapped_column(Date, index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"))
    event_type: Mapped[str] = mapped_column(String(32))
    visitors: Mapped[int] = mapped_column(Integer)
    incidents: Mapped[int] = mapped_column(Integer, default=0)


class SentimentDaily(NodeBase):
    """Aggregate online sentiment on one topic for one day: mean score and volume."""

    __tablename__ = "sentiment_daily"
    __table_args__ = (
        UniqueConstraint("day", "topic"),
        CheckConstraint(_one_of("topic", v.SENTIMENT_TOPICS), name="topic"),
        CheckConstraint("score BETWEEN -1 AND 1", name="score"),
        CheckConstraint(f"volume BETWEEN 0 AND {v.MAX_WEEKLY_COUNT}", name="volume"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    topic: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    volume: Mapped[int] = mapped_column(Integer)


class IngestBatch(NodeBase):
    """One loaded file, by content hash, so loading it again changes nothing."""

    __tablename__ = "ingest_batch"
    __table_args__ = (CheckConstraint("rows >= 0", name="rows"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    rows: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class IndicatorValue(NodeBase):
    """The node's own value of one indicator for one period; it never leaves the node."""

    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("indicator", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[dt.date] = mapped_column(Date, index=True)
    value: Mapped[float] = mapped_column(Float)
    rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    bucket: Mapped[int | None] = mapped_column(Integer, nullable=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SeenToken(SeenTokenMixin, NodeBase):
    """A service token id this node has accepted (replay protection)."""

    __tablename__ = "node_seen_token"


NAME_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"
"""The characters of a catalog indicator code (catalog.CODE_PATTERN)."""
ROUND_ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
"""The characters of a round id the hub chooses (``weekly-2026-01-05-a1``)."""
HEX_CHARACTERS = "0123456789abcdef"


def _only(column: str, characters: str, length: str = "> 0") -> str:
    """SQL for 'column has length and holds characters only' (SQLite and PostgreSQL)."""
    return f"length({column}) {length} AND trim({column}, '{characters}') = ''"


class OptIn(NodeBase):
    """A catalog indicator this node agreed to contribute to rounds; absent means opted out."""

    __tablename__ = "node_opt_in"
    __table_args__ = (CheckConstraint(_only("indicator", NAME_CHARACTERS), name="indicator"),)

    indicator: Mapped[str] = mapped_column(String(64), primary_key=True)
    opted_in_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(NodeBase):
    """One outbound share upload attempt to one compute party: what, where, and the answer.

    Holds the SHA-256 and size of the bytes sent, never the values or the shares. A
    ``status_code`` of NULL means the party did not answer (connection error, timeout).
    """

    __tablename__ = "node_audit_log"
    __table_args__ = (
        CheckConstraint(_only("round_id", ROUND_ID_CHARACTERS), name="round_id"),
        CheckConstraint(_only("indicators", NAME_CHARACTERS + ","), name="indicators"),
        CheckConstraint("party_index BETWEEN 0 AND 2", name="party_index"),
        CheckConstraint(_only("sha256", HEX_CHARACTERS, "= 64"), name="sha256"),
        CheckConstraint("byte_count >= 0", name="byte_count"),
        CheckConstraint(
            "status_code IS NULL OR status_code BETWEEN 100 AND 599", name="status_code"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(String(64), index=True)
    indicators: Mapped[str] = mapped_column(String(2000))
    party_index: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    byte_count: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


SLUG_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789-"
"""The characters of a template slug (templates.SLUG_PATTERN)."""
VERSION_CHARACTERS = "0123456789."


class TemplateAdoption(NodeBase):
    """A pilot template version this node's municipality adopted, and the indicators it enabled.

    Codes only: the template's slug, its semantic version and catalog indicator names.
    """

    __tablename__ = "node_template_adoption"
    __table_args__ = (
        CheckConstraint(_only("template", SLUG_CHARACTERS), name="template"),
        CheckConstraint(_only("version", VERSION_CHARACTERS), name="version"),
        CheckConstraint(_only("indicators", NAME_CHARACTERS + ","), name="indicators"),
    )

    template: Mapped[str] = mapped_column(String(48), primary_key=True)
    version: Mapped[str] = mapped_column(String(16), primary_key=True)
    indicators: Mapped[str] = mapped_column(String(2000))
    adopted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
