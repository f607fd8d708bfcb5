"""A compute party's tables: opaque share bytes per city per round, and which rounds are closed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, LargeBinary, String, UniqueConstraint
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


class PartyRound(PartyBase):
    """A round this party was asked to compute: closed for uploads from then on."""

    __tablename__ = "party_round"

    round_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_attempt: Mapped[int] = mapped_column(Integer)
    """The latest compute attempt started here; an attempt runs at most once."""


class SeenToken(SeenTokenMixin, PartyBase):
    """A service token id this party has accepted (replay protection)."""

    __tablename__ = "party_seen_token"
