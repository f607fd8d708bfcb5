"""Marshmallow schemas of the four kinds of node record that ingest accepts.

Each kind has a schema (types, ranges, vocabulary codes, dates), its table and its natural
key. The latest acceptable date is passed per load through marshmallow's Context.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from marshmallow.experimental.context import Context

from samenbeeld.platform import vocabulary as v
from samenbeeld.platform.models.base import NodeBase
from samenbeeld.platform.models.node import District, Event, SentimentDaily, WeeklyCount

EARLIEST_DATE = dt.date(2000, 1, 1)
IN_RANGE = "must be between {min} and {max}"


class WholeNumber(fields.Integer):
    """An integer given as a JSON integer or a string of digits; never a bool or a fraction."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        """Accept int (not bool) or a digit string, else 'Not a valid integer.'."""
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self.make_error("invalid")


def _in_date_range(value: dt.date) -> None:
    """From 2000-01-01 to the latest date of this load (a year after today)."""
    latest = Context[dt.date].get()
    if not EARLIEST_DATE <= value <= latest:
        raise ValidationError(f"must be between {EARLIEST_DATE} and {latest}")


def _monday(value: dt.date) -> None:
    """Weeks start on Monday (ISO weeks)."""
    if value.weekday() != 0:
        raise ValidationError("must be a Monday (the first day of an ISO week)")


def _date(*extra: Any) -> fields.Date:
    """A required date in range."""
    return fields.Date(required=True, validate=[_in_date_range, *extra])


def _number(top: int, **kwargs: Any) -> WholeNumber:
    """A whole number from 0 to top, required unless a default is given."""
    kwargs.setdefault("required", "load_default" not in kwargs)
    return WholeNumber(validate=validate.Range(0, top, error=IN_RANGE), **kwargs)


def _code(choices: tuple[str, ...]) -> fields.String:
    """One code of a vocabulary list."""
    return fields.String(required=True, validate=validate.OneOf(choices))


def _district() -> fields.String:
    """A CBS district code."""
    rule = validate.Regexp(v.DISTRICT_CODE_PATTERN, error="must be WK followed by 6 digits")
    return fields.String(required=True, validate=rule)


class DistrictSchema(Schema):
    """A district row."""

    code = _district()
    population = _number(v.MAX_DISTRICT_POPULATION)


class WeeklyCountSchema(Schema):
    """A weekly_count row."""

    week_start = _date(_monday)
    district_code = _district()
    category = _code(v.CATEGORIES)
    online_driven = fields.Boolean(
        required=True,
        truthy={"true", "True", "TRUE", "1", True},
        falsy={"false", "False", "FALSE", "0", False},
    )
    source_type = _code(v.SOURCE_TYPES)
    count = _number(v.MAX_WEEKLY_COUNT)


class EventSchema(Schema):
    """An event row; incidents default to 0."""

    event_date = _date()
    district_code = _district()
    event_type = _code(v.EVENT_TYPES)
    visitors = _number(v.MAX_EVENT_VISITORS)
    incidents = _number(v.MAX_WEEKLY_COUNT, load_default=0)


class SentimentSchema(Schema):
    """A sentiment row."""

    day = _date()
    topic = _code(v.SENTIMENT_TOPICS)
    score = fields.Float(
        required=True, allow_nan=False, validate=validate.Range(-1, 1, error=IN_RANGE)
    )
    volume = _number(v.MAX_WEEKLY_COUNT)


@dataclass(frozen=True)
class Kind:
    """One kind of record: its schema, its table and its natural key."""

    schema: Schema
    model: type[NodeBase]
    key: tuple[str, ...]


KINDS: dict[str, Kind] = {
    "district": Kind(DistrictSchema(), District, ("code",)),
    "weekly_count": Kind(
        WeeklyCountSchema(),
        WeeklyCount,
        ("week_start", "district_code", "category", "online_driven", "source_type"),
    ),
    "event": Kind(EventSchema(), Event, ("event_date", "district_code", "event_type")),
    "sentiment": Kind(SentimentSchema(), SentimentDaily, ("day", "topic")),
}
"""Kinds in insertion order: districts first, since the others refer to them."""

ALL_FIELDS = frozenset({"kind"}.union(*(kind.schema.fields for kind in KINDS.values())))
