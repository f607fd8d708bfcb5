"""Columns that several roles' databases share, as declarative mixins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column


class SeenTokenMixin:
    """A service token's id, kept until the token expires, so it is accepted only once.

    Each role names its table ``<role>_seen_token``: role databases share no table name
    (tests/platform/test_migrations.py checks it).
    """

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
