"""The trend schemas both sides use: the hub serves a distribution, a node reads it back.

A node places its own figure in the hub's released distribution
(:mod:`samenbeeld.federation.node.position`), so the distribution's shape is defined here
once, for the hub API that dumps it and the node that loads the hub's answer with it.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma


class PeriodRangeSchema(ma.Schema):
    """A period range (inclusive)."""

    start = ma.fields.Date(data_key="from", load_default=None, metadata={"example": "2026-01-05"})
    end = ma.fields.Date(data_key="to", load_default=None, metadata={"example": "2026-03-30"})

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        """from must not lie after to."""
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ma.ValidationError("'from' must not be after 'to'", "from")


class QuartilesSchema(ma.Schema):
    """Grouped-data quartiles (figures interpolated within their bucket)."""

    q1 = ma.fields.Float(required=True)
    median = ma.fields.Float(required=True)
    q3 = ma.fields.Float(required=True)


class DistributionPeriodSchema(ma.Schema):
    """One period's histogram; counts and quartiles are null when withheld."""

    period_start = ma.fields.Date(required=True)
    counts = ma.fields.List(ma.fields.Integer(), required=True, allow_none=True)
    suppressed_reason = ma.fields.String(required=True, allow_none=True)
    cohort_size = ma.fields.Integer(required=True)
    version = ma.fields.Integer(required=True)
    quartiles = ma.fields.Nested(QuartilesSchema, required=True, allow_none=True)
    quartile_buckets = ma.fields.List(ma.fields.Integer(), required=True, allow_none=True)


class DistributionSchema(ma.Schema):
    """An indicator's released distributions over a range."""

    indicator = ma.fields.String(required=True)
    edges = ma.fields.List(ma.fields.Float(), required=True)
    periods = ma.fields.List(ma.fields.Nested(DistributionPeriodSchema), required=True)
