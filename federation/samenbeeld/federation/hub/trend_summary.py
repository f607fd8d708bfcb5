"""The hub's summary: what changed in the latest released period, for a first look.

For the latest period in which any indicator of a period kind (week, month) has a released
total: the indicators whose total rose most, and fell most, against a year earlier, the
ones flagged as anomalous, and that period's early warnings. Every figure comes from the
series and early-warning code of :mod:`.trends` (year-over-year change and the anomaly
flag as :mod:`samenbeeld.platform.trends` defines them), so the summary and the charts
always agree; nothing in it is per city. Cached like every trend answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from samenbeeld.federation.hub.trend_cache import Answer, Dump, as_json
from samenbeeld.federation.hub.trends import (
    TOTALS,
    Args,
    TrendReader,
    answer,
    early_warnings,
    load_cells,
    spike_cells,
)
from samenbeeld.platform import trends
from samenbeeld.platform.catalog import Indicator, shipped_catalog
from samenbeeld.platform.models.hub import Release

WINDOW = 4
"""The series' default moving-average window (the summary shows no moving average)."""
Changed = tuple[Indicator, trends.SeriesPoint]


def summary_answer(reader: TrendReader, args: Args, dump: Dump) -> Answer:
    """The latest released period's largest rises and falls against a year earlier (at most
    ``limit`` each), its anomalies and its early warnings (at least ``k`` cities)."""
    period, k, limit = args["period"], args["k"], args["limit"]
    return answer(
        reader,
        ("summary", period, str(k), str(limit)),
        (),
        lambda: summary(reader, period, k, limit),
        lambda found: as_json(dump, found),
    )


def summary(reader: TrendReader, period: str, k: int, limit: int) -> dict[str, Any]:
    """The summary of the latest period with a released total of the period kind."""
    indicators = [i for i in shipped_catalog().indicators if i.period == period]
    codes = [i.code for i in indicators]
    cells = load_cells(reader, Release.indicator.in_(codes) & TOTALS)
    released = [c.period_start for found in cells.values() for c in found if c.value is not None]
    latest = max(released, default=None)
    points = [
        (indicator, point)
        for indicator in indicators
        for point in trends.series_points(cells.get(indicator.code, []), period, WINDOW)
        if point.period_start == latest
    ]
    return {
        "period": period,
        "period_start": latest,
        "rises": [item(*p) for p in largest(points, rising=True)[:limit]],
        "falls": [item(*p) for p in largest(points, rising=False)[:limit]],
        "anomalies": [item(*p) for p in points if p[1].anomaly],
        "early_warnings": early_warnings(reader, spike_cells(period), latest, k),
    }


def largest(points: Sequence[Changed], rising: bool) -> list[Changed]:
    """The points that rose (or fell) against a year earlier, largest change first; equal
    changes in catalog order."""
    sign = 1 if rising else -1
    moved = [p for p in points if p[1].yoy_change is not None and sign * p[1].yoy_change > 0]
    return sorted(moved, key=lambda p: -sign * (p[1].yoy_change or 0.0))


def item(indicator: Indicator, point: trends.SeriesPoint) -> dict[str, Any]:
    """One indicator's line in the summary: its released total, change and anomaly flag."""
    return {
        "indicator": indicator.code,
        "title": indicator.title,
        "title_nl": indicator.title_nl,
        "value": point.value,
        "yoy_change": point.yoy_change,
        "anomaly": point.anomaly,
    }
