"""A compute party's tables: opaque share bytes per city per round, which rounds are closed,
and the ledger of the cells it revealed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from samenbeeld.platform.models.base import PartyBase
from samenbeeld.platform.models.mixins import SeenTokenMixin


class ShareUpload(PartyBase):
    """One city's additive share for one round, as received (compact binary)."""

    __tablename__ = "share_upload"
    __table_args__ = (UniqueConstraint("round_id", "municipality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(String(64), index=True)
    municipality: Mapped[str] = mapped_column(String(6))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    spec: Mapped[str] = mapped_column(Text, default="")
    """The round spec the node computed its vector for (canonical JSON, see ``protocol``)."""


class PartyRound(PartyBase):
    """A round this party was asked to compute: closed for uploads from then on."""

    __tablename__ = "party_round"

    round_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_attempt: Mapped[int] = mapped_column(Integer)
    """The latest compute attempt started here; an attempt runs at most once."""


class RevealedCell(PartyBase):
    """This party computed (and so may have revealed) an indicator of a period with a cohort.

    See :mod:`samenbeeld.federation.party.disclosure` for the rules this ledger enforces.
    """

    __tablename__ = "revealed_cell"
    __table_args__ = (UniqueConstraint("program", "indicator", "period_start", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program: Mapped[str] = mapped_column(String(16))
    indicator: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[dt.date] = mapped_column(Date)
    round_id: Mapped[str] = mapped_column(String(64))
    cohort: Mapped[str] = mapped_column(Text)
    """The municipality codes of the cohort, sorted, comma-separated."""
    rules: Mapped[str] = mapped_column(String(200))
    """The program and the rules it ran with (canonical JSON)."""
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SeenToken(SeenTokenMixin, PartyBase):
    """A service token id this party has accepted (replay protection)."""

    __tablename__ = "party_seen_token"
