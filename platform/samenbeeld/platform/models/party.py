"""A compute party's tables: opaque share bytes per city per round, nothing else."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, LargeBinary, String, UniqueConstraint
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


class SeenToken(SeenTokenMixin, PartyBase):
    """A service token id this party has accepted (replay protection)."""

    __tablename__ = "party_seen_token"
