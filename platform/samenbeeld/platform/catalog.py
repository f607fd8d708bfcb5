"""The indicator catalog: declarative YAML definitions, validated into frozen objects.

Each ``content/indicators/*.yaml`` file holds ``indicators: [...]``. An indicator names
a measure (what is summed, and so which node table it reads), filters on that table's
code columns, a period (week or month), whether it is normalised per 10,000 residents,
the upper bound ``max`` of a valid reported figure (the rate when normalised, else the
value; MPC range checks use it), optional histogram bucket edges on that figure, and its
release policy (``exact`` by default, or differential-privacy noise with a yearly budget:
:class:`ReleasePolicy`).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from samenbeeld.platform import vocabulary as v
from samenbeeld.platform.errors import DefinitionError, InvalidInputError, NotFoundError

CONTENT_DIR = Path(__file__).resolve().parent / "content" / "indicators"

MEASURE_TABLES: dict[str, str] = {
    "count_sum": "weekly_count",
    "event_visitors": "event",
    "event_incidents": "event",
    "sentiment_volume": "sentiment_daily",
    "sentiment_score": "sentiment_daily",
}
"""Each measure and the node table it aggregates."""

TABLE_FILTERS: dict[str, tuple[str, ...]] = {
    "weekly_count": ("categories", "online_driven", "source_types"),
    "event": ("event_types",),
    "sentiment_daily": ("topics",),
}
"""The filters that make sense on each table."""

PERIODS = ("week", "month")
CODE_PATTERN = r"^[a-z][a-z0-9_]{2,47}$"


@dataclass(frozen=True)
class Filters:
    """Restrictions on a table's code columns; None means 'any'."""

    categories: tuple[str, ...] | None = None
    online_driven: bool | None = None
    source_types: tuple[str, ...] | None = None
    event_types: tuple[str, ...] | None = None
    topics: tuple[str, ...] | None = None


RELEASE_MECHANISMS = ("exact", "gaussian", "laplace")
PROTECTED_UNITS = ("city", "incident")
"""What a noisy release hides: a whole city's figure, or one incident (ReleasePolicy)."""
INCIDENT_MEASURES = ("count_sum", "event_incidents")
"""Measures that count incidents, one per record, so ``protects: incident`` is defined."""
MAX_DELTA = 1e-5
"""The largest delta a Gaussian release policy may name (a city of 100,000 people is 1e-5)."""
MAX_EPSILON = 10.0


@dataclass(frozen=True)
class ReleasePolicy:
    """How an indicator's sums are released: ``exact``, or with differential-privacy noise.

    A noisy policy names the mechanism, the epsilon each release costs, delta (Gaussian),
    and the yearly budget: the epsilon all releases of one calendar year (by period start)
    may spend together, by basic composition. Counts of cities over the indicator
    (distribution buckets, spike flags) stay exact and outside the budget, which a noisy
    policy must say (``counts: exact``).

    ``protects`` says what one release hides, and so what the noise is calibrated to:
    ``city`` (the default) hides any one city's whole figure, up to the indicator's ``max``;
    ``incident`` hides any one incident, which moves a summed cell by one count
    (:meth:`Indicator.noise_unit`). A person in ``k`` of a period's incidents is hidden at
    ``k`` times the epsilon (group privacy).
    """

    mechanism: str = "exact"
    epsilon_per_release: float | None = None
    delta: float | None = None
    yearly_epsilon: float | None = None
    protects: str = "city"

    @property
    def exact(self) -> bool:
        """Whether releases carry no noise."""
        return self.mechanism == "exact"


EXACT = ReleasePolicy()


@dataclass(frozen=True)
class Indicator:
    """One validated indicator definition."""

    code: str
    title: str
    title_nl: str
    description: str
    measure: str
    period: str
    per_10000_residents: bool
    max: float
    filters: Filters = Filters()
    buckets: tuple[float, ...] | None = None
    release: ReleasePolicy = EXACT

    @property
    def table(self) -> str:
        """The node table this indicator aggregates."""
        return MEASURE_TABLES[self.measure]

    def noise_unit(self) -> float | None:
        """How far what the release policy protects moves one summed cell: one count for
        ``protects: incident`` (a sum round adds the cities' counts, normalised or not: the
        rate per 10,000 is computed for buckets only); None for a city, whose noise is
        calibrated to ``max``, and for exact releases."""
        if self.release.exact or self.release.protects == "city":
            return None
        return 1.0


@dataclass(frozen=True)
class Catalog:
    """All indicators, in file then definition order."""

    indicators: tuple[Indicator, ...]

    def get(self, code: str) -> Indicator:
        """The indicator with this code, or NotFoundError."""
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise NotFoundError(f"no indicator {code!r} in the catalog")

    @property
    def codes(self) -> tuple[str, ...]:
        """Every indicator code, in catalog order."""
        return tuple(i.code for i in self.indicators)

    def round_indicators(
        self, codes: Sequence[str], period_start: dt.date, today: dt.date | None = None
    ) -> Catalog:
        """The sub-catalog of a round's indicators, checked (InvalidInputError names why).

        Every code is in the catalog, distinct, and ``period_start`` is the first day of
        each indicator's period (a Monday for weeks, the 1st for months) and not in the
        future (``today``: the current UTC date unless given).
        """
        if not codes or len(set(codes)) != len(codes):
            raise InvalidInputError("indicators must be a non-empty list of distinct names")
        unknown = [code for code in codes if code not in self.codes]
        if unknown:
            raise InvalidInputError(f"not in the indicator catalog: {', '.join(unknown[:5])}")
        chosen = Catalog(tuple(self.get(code) for code in codes))
        for indicator in chosen.indicators:
            if not period_starts(indicator.period, period_start):
                raise InvalidInputError(
                    f"period_start must be the first day of a {indicator.period} "
                    f"for {indicator.code}"
                )
        if period_start > (today or dt.datetime.now(dt.UTC).date()):
            raise InvalidInputError("period_start lies in the future")
        return chosen


def period_starts(period: str, day: dt.date) -> bool:
    """Whether ``day`` is the first day of a ``period`` ("week": Monday, "month": the 1st)."""
    return day.weekday() == 0 if period == "week" else day.day == 1


CATALOG_DIR_ENV = "SAMENBEELD_CATALOG_DIR"
"""A catalog folder to use instead of the shipped one, for every role of this installation."""


@functools.cache
def default_catalog() -> Catalog:
    """This installation's catalog (``SAMENBEELD_CATALOG_DIR`` or the shipped one), loaded once."""
    folder = os.environ.get(CATALOG_DIR_ENV)
    return load_catalog(Path(folder) if folder else None)


@functools.cache
def shipped_catalog() -> Catalog:
    """The shipped indicator catalog, loaded once per process."""
    return load_catalog()


def indicator_of(code: str, *, histogram: bool = False) -> Indicator:
    """The shipped indicator, NotFoundError when unknown (or, with histogram, without buckets)."""
    indicator = shipped_catalog().get(code)
    if histogram and indicator.buckets is None:
        raise NotFoundError(f"indicator {code!r} has no distribution (no buckets)")
    return indicator


class StrictBoolean(fields.Boolean):
    """A boolean that accepts only YAML true/false, not 'yes', 1 or 'on'."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        """Return value when it is a real bool."""
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _codes(choices: tuple[str, ...]) -> fields.List[str]:
    """A non-empty list of distinct codes from choices."""
    return fields.List(
        fields.String(validate=validate.OneOf(choices)),
        validate=[validate.Length(min=1), _distinct],
    )


def _distinct(values: list[Any]) -> None:
    """Reject lists that repeat an item."""
    if len(set(values)) != len(values):
        raise ValidationError("items must not repeat")


class FiltersSchema(Schema):
    """Filters of one indicator; each validated against the vocabulary."""

    categories = _codes(v.CATEGORIES)
    online_driven = StrictBoolean()
    source_types = _codes(v.SOURCE_TYPES)
    event_types = _codes(v.EVENT_TYPES)
    topics = _codes(v.SENTIMENT_TOPICS)


class NormaliseSchema(Schema):
    """How an indicator is normalised."""

    per_10000_residents = StrictBoolean(required=True)


class ReleaseSchema(Schema):
    """A noisy release policy as written in YAML (``release: exact`` needs no mapping)."""

    mechanism = fields.String(required=True, validate=validate.OneOf(RELEASE_MECHANISMS[1:]))
    epsilon_per_release = fields.Float(
        required=True, validate=validate.Range(min=0, max=MAX_EPSILON, min_inclusive=False)
    )
    delta = fields.Float(validate=validate.Range(min=0, max=MAX_DELTA, min_inclusive=False))
    yearly_epsilon = fields.Float(
        required=True, validate=validate.Range(min=0, min_inclusive=False)
    )
    counts = fields.String(
        required=True,
        validate=validate.Equal("exact", error="counts of cities stay exact: write 'exact'"),
        metadata={"description": "how counts of cities over the indicator are accounted"},
    )
    protects = fields.String(
        load_default="city",
        validate=validate.OneOf(PROTECTED_UNITS),
        metadata={"description": "what one release hides: a whole city's figure, or one incident"},
    )

    @validates_schema
    def _check_policy(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Delta with Gaussian only; a yearly budget of at least one release."""
        if data.get("mechanism") == "gaussian" and "delta" not in data:
            raise ValidationError({"delta": ["a gaussian release needs delta in (0, 1e-05]"]})
        if data.get("mechanism") == "laplace" and "delta" in data:
            raise ValidationError({"delta": ["laplace is pure differential privacy: no delta"]})
        per, yearly = data.get("epsilon_per_release"), data.get("yearly_epsilon")
        if per is not None and yearly is not None and yearly < per:
            reason = f"below one release (epsilon_per_release {per:g})"
            raise ValidationError({"yearly_epsilon": [reason]})


class ReleaseField(fields.Field[ReleasePolicy]):
    """``exact`` or a :class:`ReleaseSchema` mapping."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> ReleasePolicy:
        """The policy; errors name the field within ``release``."""
        if value == "exact":
            return EXACT
        if not isinstance(value, Mapping):
            raise ValidationError("'exact' or a mapping with mechanism, epsilon_per_release, ...")
        loaded = ReleaseSchema().load(value)
        return ReleasePolicy(
            mechanism=loaded["mechanism"],
            epsilon_per_release=loaded["epsilon_per_release"],
            delta=loaded.get("delta"),
            yearly_epsilon=loaded["yearly_epsilon"],
            protects=loaded["protects"],
        )


class IndicatorSchema(Schema):
    """One indicator definition as written in YAML."""

    code = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title_nl = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True, validate=validate.Length(min=1))
    measure = fields.String(required=True, validate=validate.OneOf(tuple(MEASURE_TABLES)))
    filters = fields.Nested(FiltersSchema, load_default=dict)
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    normalise = fields.Nested(NormaliseSchema, load_default=lambda: {"per_10000_residents": False})
    max = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    buckets = fields.List(fields.Float(allow_nan=False), validate=validate.Length(min=1))
    release = ReleaseField(load_default=EXACT)

    @validates_schema
    def _check_filters_fit_measure(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Only the filters of the measure's table are allowed."""
        table = MEASURE_TABLES.get(data.get("measure", ""))
        if table is None:
            return
        wrong = set(data.get("filters", {})) - set(TABLE_FILTERS[table])
        if wrong:
            reason = f"not a filter of measure {data['measure']} (table {table})"
            raise ValidationError({"filters": {name: [reason] for name in sorted(wrong)}})

    @validates_schema
    def _check_protected_unit(self, data: dict[str, Any], **kwargs: Any) -> None:
        """``protects: incident`` only where the measure counts incidents."""
        release = data.get("release")
        measure = data.get("measure")
        if isinstance(release, ReleasePolicy) and release.protects == "incident":
            if measure not in INCIDENT_MEASURES:
                reason = f"measure {measure} does not count incidents: protect the city"
                raise ValidationError({"release": {"protects": [reason]}})

    @validates_schema
    def _check_buckets(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Bucket edges must increase strictly."""
        edges = data.get("buckets") or []
        if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise ValidationError({"buckets": ["edges must be strictly increasing"]})

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Indicator:
        """Build the frozen Indicator."""
        buckets = data.get("buckets")
        return Indicator(
            code=data["code"],
            title=data["title"],
            title_nl=data["title_nl"],
            description=data["description"],
            measure=data["measure"],
            period=data["period"],
            per_10000_residents=data["normalise"]["per_10000_residents"],
            max=data["max"],
            filters=_filters(data["filters"]),
            buckets=tuple(buckets) if buckets else None,
            release=data["release"],
        )


def _filters(data: dict[str, Any]) -> Filters:
    """Frozen Filters from the loaded filters mapping (lists become tuples)."""

    def codes(name: str) -> tuple[str, ...] | None:
        return tuple(data[name]) if name in data else None

    return Filters(
        categories=codes("categories"),
        online_driven=data.get("online_driven"),
        source_types=codes("source_types"),
        event_types=codes("event_types"),
        topics=codes("topics"),
    )


class IndicatorFileSchema(Schema):
    """One catalog file: a non-empty list of indicators."""

    indicators = fields.List(
        fields.Nested(IndicatorSchema), required=True, validate=validate.Length(min=1)
    )


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load and validate every *.yaml file in directory (default: the shipped catalog)."""
    folder = directory or CONTENT_DIR
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise DefinitionError(str(folder), "no *.yaml indicator files found")
    seen: dict[str, Path] = {}
    indicators: list[Indicator] = []
    for path in paths:
        for index, indicator in enumerate(load_file(path)):
            if indicator.code in seen:
                reason = f"duplicate code, already defined in {seen[indicator.code].name}"
                key = _item_key(index, indicator.code)
                raise DefinitionError(str(path), {"indicators": {key: {"code": [reason]}}})
            seen[indicator.code] = path
            indicators.append(indicator)
    return Catalog(tuple(indicators))


def load_file(path: Path) -> list[Indicator]:
    """The indicators of one YAML file; DefinitionError names file, field and reason."""
    raw = _read_yaml(path)
    if not isinstance(raw, Mapping):
        raise DefinitionError(str(path), "expected a mapping with an 'indicators' list")
    try:
        loaded: dict[str, list[Indicator]] = IndicatorFileSchema().load(raw)
    except ValidationError as exc:
        raise DefinitionError(str(path), _label_items(exc.messages, raw)) from exc
    indicators = loaded["indicators"]
    _check_unique_in_file(path, indicators)
    return indicators


def _read_yaml(path: Path) -> object:
    """Parse path as YAML, turning syntax errors into DefinitionError."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(str(path), f"not valid YAML: {exc}") from exc


def _check_unique_in_file(path: Path, indicators: list[Indicator]) -> None:
    """Reject a file that defines one code twice."""
    first: dict[str, int] = {}
    for index, indicator in enumerate(indicators):
        if indicator.code in first:
            reason = f"duplicate code, already defined at index {first[indicator.code]}"
            key = _item_key(index, indicator.code)
            raise DefinitionError(str(path), {"indicators": {key: {"code": [reason]}}})
        first[indicator.code] = index


def _label_items(messages: Any, raw: Mapping[str, Any]) -> Any:
    """Rename list indices under 'indicators' to 'index (code)' so errors name the item."""
    if not isinstance(messages, dict):
        return messages
    items = messages.get("indicators")
    source = raw.get("indicators")
    if not isinstance(items, dict) or not isinstance(source, list):
        return messages
    labelled = {
        _item_key(k, _raw_code(source, k)) if isinstance(k, int) else k: m for k, m in items.items()
    }
    return {**messages, "indicators": labelled}


def _raw_code(source: list[Any], index: int) -> str | None:
    """The code written at source[index], when there is one."""
    item = source[index] if 0 <= index < len(source) else None
    code = item.get("code") if isinstance(item, Mapping) else None
    return code if isinstance(code, str) else None


def _item_key(index: int, code: str | None) -> str:
    """How an error names the indicator at index: '3 (riot_online_weekly)'."""
    return f"{index} ({code})" if code else str(index)
