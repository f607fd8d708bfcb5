"""Trend arithmetic on released aggregates: the hub's series and distributions, a node's position.

Pure functions on plain numbers. They only ever see released values; ``None`` stands for a
suppressed (or missing) value and is never replaced by a guess.

* Noise: a released value may carry differential-privacy noise (its ``mechanism`` and
  ``noise_sd``); it is served with its 95 % interval, and the rules below say how they
  treat it (:mod:`samenbeeld.platform.noise` reads noise, exact values carry none, so an
  exact series is treated as if these rules did not exist).
* Moving average: the mean of the last ``window`` released values up to and including a
  period; ``None`` at a suppressed period and while fewer than ``window`` are available.
  Its noise has ``sd = sqrt(sum of the window's sd**2) / window`` (``None`` when all of
  them are exact).
* Year-over-year change: ``(value - earlier) / earlier`` against the period 52 weeks (weekly
  indicators) or 12 months (monthly) earlier; ``None`` unless both are released and the
  earlier one is not 0. Beside it, whether ``value - earlier`` is within the 95 % half-width
  of their combined noise (``sqrt(sd1**2 + sd2**2)``): a change the noise alone could
  make (``None`` without a change or when both are exact).
* Anomaly (a Hampel identifier): a released value is anomalous when it lies more than
  ``3 * 1.4826 * MAD`` from the median of the released values among the previous 8 periods
  of the series (MAD: median absolute deviation from that median; at least 4 of them must
  be released). With a MAD of 0 any other value than the median is anomalous. An anomaly
  inside the noise is not an anomaly: the deviation must also exceed the 95 % half-width
  of the value's noise combined with the median's, the median's taken as that of the
  noisiest value of its history (on the safe side: a median of several noisy values
  varies less than one of them).
* Grouped data: bucket ``i`` of a histogram with edges ``e`` holds the figures in
  ``[e[i-1], e[i])``. The open outer buckets are closed with the catalog's edge spacing:
  bucket 0 starts one spacing (``e[1] - e[0]``) below the first edge, the top bucket ends one
  spacing (``e[-1] - e[-2]``) above the last, both clamped to the indicator's possible range
  (``[0, max]``; ``[-max, max]`` for a sentiment score). Quantiles interpolate linearly within
  their bucket; mean and standard deviation put every city at its bucket's midpoint, so a
  z-score from them is an approximation.
* Group disclosure: a histogram in which one bucket holds all counted cities, or all but
  one, would tell every city's position (or, to one member subtracting itself, every other
  city's), so it is not served (:data:`CONCENTRATED`). A spike count is such a histogram
  with two buckets (flagged, not): one of at most 1 or at least ``n - 1`` is not served
  either (:func:`spike_count`).
* Serving guards (:func:`servable`): a cell with a suppression reason is served without a
  value, a released cell whose cohort is below the minimum number of contributors is
  served as suppressed, even when a stored release says otherwise, and a noisy value
  without a valid noise (an unknown mechanism, no positive finite sd) is served as invalid.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from samenbeeld.federation.protocol import CONCENTRATED, MIN_CONTRIBUTORS
from samenbeeld.platform.catalog import Indicator
from samenbeeld.platform.noise import EXACT, MECHANISMS, Interval, Noise, combined

ANOMALY_HISTORY = 8
ANOMALY_MIN_HISTORY = 4
ANOMALY_THRESHOLD = 3.0
MAD_TO_SIGMA = 1.4826
QUARTILES = (0.25, 0.5, 0.75)
INCOMPLETE = "incomplete"
SUPPRESSED = "suppressed"
INVALID = "invalid"


@dataclass(frozen=True)
class Cell:
    """One released (or suppressed) cell, as the hub stores it; the latest version only."""

    period_start: dt.date
    cell: str
    value: float | None
    suppressed_reason: str | None
    version: int
    cohort_size: int
    mechanism: str = EXACT
    noise_sd: float | None = None

    @property
    def noise(self) -> Noise:
        """The noise the value carries (none when exact)."""
        return Noise(self.mechanism, self.noise_sd or 0.0)


@dataclass(frozen=True)
class SeriesPoint:
    """One period of an indicator's released series and what is derived from it."""

    period_start: dt.date
    value: float | None
    suppressed_reason: str | None
    version: int
    cohort_size: int
    mechanism: str
    noise_sd: float | None
    interval: Interval | None
    mean_per_city: float | None
    moving_average: float | None
    moving_average_noise_sd: float | None
    yoy_change: float | None
    yoy_within_noise: bool | None
    anomaly: bool


@dataclass(frozen=True)
class Quartiles:
    """Grouped-data quartiles: figures and the buckets they fall in."""

    q1: float
    median: float
    q3: float
    buckets: tuple[int, int, int]


@dataclass(frozen=True)
class DistributionPeriod:
    """One period's released histogram, or why it is not served."""

    period_start: dt.date
    counts: tuple[int, ...] | None
    suppressed_reason: str | None
    cohort_size: int
    version: int
    quartiles: Quartiles | None


def latest_versions(cells: Sequence[Cell]) -> list[Cell]:
    """The highest version of every (period, cell), ordered by period then cell."""
    latest: dict[tuple[dt.date, str], Cell] = {}
    for cell in cells:
        key = (cell.period_start, cell.cell)
        if key not in latest or cell.version > latest[key].version:
            latest[key] = cell
    return [latest[key] for key in sorted(latest)]


def servable(cell: Cell, min_contributors: int) -> Cell:
    """The cell as it may be served: no value beside a reason, none below the minimum cohort,
    none without a valid noise; an exact cell has no noise sd."""
    if cell.mechanism == EXACT:
        cell = dataclasses.replace(cell, noise_sd=None)
    if cell.suppressed_reason is not None:
        return dataclasses.replace(cell, value=None)
    if cell.value is None:
        return dataclasses.replace(cell, suppressed_reason=SUPPRESSED)
    if not math.isfinite(cell.value) or not _valid_noise(cell):
        return dataclasses.replace(cell, value=None, suppressed_reason=INVALID)
    if cell.cohort_size < min_contributors:
        return dataclasses.replace(cell, value=None, suppressed_reason=MIN_CONTRIBUTORS)
    return cell


def _valid_noise(cell: Cell) -> bool:
    """Whether the cell is exact, or names a known mechanism and a positive finite sd."""
    if cell.mechanism == EXACT:
        return True
    sd = cell.noise_sd
    return cell.mechanism in MECHANISMS and sd is not None and math.isfinite(sd) and sd > 0


def moving_averages(values: Sequence[float | None], window: int) -> list[float | None]:
    """Per period, the mean of the last ``window`` released values (see the module doc)."""
    released: list[float] = []
    averages: list[float | None] = []
    for value in values:
        if value is None:
            averages.append(None)
            continue
        released.append(value)
        recent = released[-window:]
        averages.append(sum(recent) / window if len(recent) == window else None)
    return averages


def moving_average_noise_sds(cells: Sequence[Cell], window: int) -> list[float | None]:
    """Per period, the sd of its moving average's noise: ``sqrt(sum sd_i**2) / window``,
    computed as the moving average of the variances (``sum / window``) over ``window``."""
    variances = [None if c.value is None else c.noise.sd**2 for c in cells]
    return [
        None if mean is None or mean == 0 else math.sqrt(mean / window)
        for mean in moving_averages(variances, window)
    ]


def year_earlier(period_start: dt.date, period: str) -> dt.date:
    """The start of the same period a year earlier: 52 weeks, or 12 months."""
    if period == "week":
        return period_start - dt.timedelta(weeks=52)
    return period_start.replace(year=period_start.year - 1)


def year_earlier_indices(periods: Sequence[dt.date], period: str) -> list[int | None]:
    """Per period, the index of the period a year earlier when the series has it."""
    where = {start: index for index, start in enumerate(periods)}
    found: list[int | None] = []
    for start in periods:
        try:
            found.append(where.get(year_earlier(start, period)))
        except (ValueError, OverflowError):  # the first year of the calendar
            found.append(None)
    return found


def yoy_changes(
    periods: Sequence[dt.date], values: Sequence[float | None], period: str
) -> list[float | None]:
    """Relative change against a year earlier, per period (see the module doc)."""
    changes: list[float | None] = []
    for value, at in zip(values, year_earlier_indices(periods, period), strict=True):
        earlier = None if at is None else values[at]
        if value is None or earlier is None or earlier == 0:
            changes.append(None)
        else:
            changes.append((value - earlier) / earlier)
    return changes


def yoy_within_noise(cells: Sequence[Cell], period: str) -> list[bool | None]:
    """Per period, whether its change against a year earlier lies within their combined
    noise; None without a change or when both figures are exact (see the module doc)."""
    found: list[bool | None] = []
    earlier_at = year_earlier_indices([c.period_start for c in cells], period)
    for cell, at in zip(cells, earlier_at, strict=True):
        earlier = None if at is None else cells[at]
        if earlier is None or cell.value is None or not earlier.value:  # no change served
            found.append(None)
            continue
        noise = combined([cell.noise, earlier.noise])
        found.append(None if noise.mechanism == EXACT else noise.covers(cell.value - earlier.value))
    return found


def anomaly_flags(
    values: Sequence[float | None], noises: Sequence[Noise] | None = None
) -> list[bool]:
    """Per period, whether its released value is a Hampel outlier against the 8 before,
    beyond its noise (see the module doc; no noises: every value is exact)."""
    noises = noises or [Noise()] * len(values)
    flags: list[bool] = []
    for index, value in enumerate(values):
        first = max(0, index - ANOMALY_HISTORY)
        window = zip(values[first:index], noises[first:index], strict=True)
        history = [(v, noise) for v, noise in window if v is not None]
        if value is None or len(history) < ANOMALY_MIN_HISTORY:
            flags.append(False)
            continue
        median = statistics.median(v for v, _ in history)
        mad = statistics.median(abs(v - median) for v, _ in history)
        noise = combined([noises[index], noisiest(n for _, n in history)])
        outlier = abs(value - median) > ANOMALY_THRESHOLD * MAD_TO_SIGMA * mad
        flags.append(outlier and not noise.covers(value - median))
    return flags


def noisiest(noises: Iterable[Noise]) -> Noise:
    """The largest sd among noises, read with the heaviest-tailed mechanism among them."""
    listed = list(noises)
    return Noise(combined(listed).mechanism, max(noise.sd for noise in listed))


def series_points(cells: Sequence[Cell], period: str, window: int) -> list[SeriesPoint]:
    """The series of released totals (latest versions, one per period) and its trends."""
    periods = [c.period_start for c in cells]
    values = [c.value for c in cells]
    averages = moving_averages(values, window)
    average_sds = moving_average_noise_sds(cells, window)
    changes = yoy_changes(periods, values, period)
    within = yoy_within_noise(cells, period)
    flags = anomaly_flags(values, [c.noise for c in cells])
    return [
        SeriesPoint(
            period_start=c.period_start,
            value=c.value,
            suppressed_reason=c.suppressed_reason,
            version=c.version,
            cohort_size=c.cohort_size,
            mechanism=c.mechanism,
            noise_sd=c.noise_sd,
            interval=c.noise.interval(c.value),
            mean_per_city=_per_city(c),
            moving_average=averages[k],
            moving_average_noise_sd=average_sds[k],
            yoy_change=changes[k],
            yoy_within_noise=within[k],
            anomaly=flags[k],
        )
        for k, c in enumerate(cells)
    ]


def _per_city(cell: Cell) -> float | None:
    """The released total divided by the cohort, or None."""
    if cell.value is None or cell.cohort_size <= 0:
        return None
    return cell.value / cell.cohort_size


def figure_range(indicator: Indicator) -> tuple[float, float]:
    """The lowest and highest figure a city can report for indicator."""
    low = -indicator.max if indicator.measure == "sentiment_score" else 0.0
    return low, indicator.max


def bucket_bounds(edges: Sequence[float], low: float, high: float) -> list[tuple[float, float]]:
    """``[lower, upper)`` of every bucket, the open outer ones closed as the module doc says."""
    first_gap = edges[1] - edges[0] if len(edges) > 1 else abs(edges[0]) or 1.0
    last_gap = edges[-1] - edges[-2] if len(edges) > 1 else first_gap
    bottom = min(max(edges[0] - first_gap, low), edges[0])
    top = max(min(edges[-1] + last_gap, high), edges[-1])
    corners = [bottom, *edges, top]
    return list(zip(corners, corners[1:], strict=False))


def grouped_quantile(
    counts: Sequence[int], bounds: Sequence[tuple[float, float]], q: float
) -> tuple[float, int] | None:
    """The q-quantile of grouped data and its bucket; None for an empty histogram."""
    total = sum(counts)
    if total <= 0:
        return None
    target = q * total
    below = 0
    for index, count in enumerate(counts):
        if count > 0 and below + count >= target:
            lower, upper = bounds[index]
            return lower + (target - below) / count * (upper - lower), index
        below += count
    return bounds[-1][1], len(counts) - 1  # unreachable for 0 < q <= 1


def quartiles(counts: Sequence[int], bounds: Sequence[tuple[float, float]]) -> Quartiles | None:
    """Q1, median and Q3 of grouped data, or None for an empty histogram."""
    found = [grouped_quantile(counts, bounds, q) for q in QUARTILES]
    figures = [f[0] for f in found if f is not None]
    buckets = [f[1] for f in found if f is not None]
    if len(figures) != len(QUARTILES):
        return None
    return Quartiles(figures[0], figures[1], figures[2], (buckets[0], buckets[1], buckets[2]))


def grouped_moments(
    counts: Sequence[int], bounds: Sequence[tuple[float, float]]
) -> tuple[float, float] | None:
    """Approximate mean and (population) standard deviation with bucket midpoints."""
    total = sum(counts)
    if total <= 0:
        return None
    midpoints = [(lower + upper) / 2 for lower, upper in bounds]
    mean = sum(c * m for c, m in zip(counts, midpoints, strict=True)) / total
    variance = sum(c * (m - mean) ** 2 for c, m in zip(counts, midpoints, strict=True)) / total
    return mean, math.sqrt(variance)


def z_score(
    figure: float, counts: Sequence[int], bounds: Sequence[tuple[float, float]]
) -> float | None:
    """How many (approximate) standard deviations figure lies from the grouped mean."""
    moments = grouped_moments(counts, bounds)
    if moments is None or moments[1] == 0:
        return None
    mean, deviation = moments
    return (figure - mean) / deviation


def quartile_of(figure: float, band: Quartiles) -> int:
    """1 to 4: the quarter of the distribution figure falls in (boundaries count below)."""
    return 1 + sum(figure > limit for limit in (band.q1, band.median, band.q3))


def is_concentrated(counts: Sequence[int]) -> bool:
    """Whether one bucket holds all counted cities or all but one (group disclosure)."""
    return bool(counts) and max(counts) >= sum(counts) - 1


def spike_count(cell: Cell, min_contributors: int) -> tuple[int | None, str | None]:
    """A released spike count as it may be served, or None and why it is not (a suppression
    reason, or :data:`CONCENTRATED`)."""
    served = servable(cell, min_contributors)
    if served.value is None:
        return None, served.suppressed_reason
    count = round(served.value)
    if is_concentrated([count, cell.cohort_size - count]):
        return None, CONCENTRATED
    return count, None


def distribution_period(
    cells: Sequence[Cell],
    bounds: Sequence[tuple[float, float]],
    min_contributors: int,
) -> DistributionPeriod:
    """One period's histogram from its latest bucket cells, or the reason it is withheld."""
    by_name: Mapping[str, Cell] = {c.cell: c for c in cells}
    buckets = [by_name.get(f"bucket:{i}") for i in range(len(bounds))]
    cohort = max(c.cohort_size for c in cells)
    version = max(c.version for c in cells)
    start = cells[0].period_start
    reason = _withheld(buckets, cohort, min_contributors)
    if reason is not None:
        return DistributionPeriod(start, None, reason, cohort, version, None)
    counts = tuple(round(c.value) for c in buckets if c is not None and c.value is not None)
    return DistributionPeriod(start, counts, None, cohort, version, quartiles(counts, bounds))


def distributions(
    cells: Sequence[Cell], bounds: Sequence[tuple[float, float]], min_contributors: int
) -> list[DistributionPeriod]:
    """Every period's histogram from the latest bucket cells (in period order)."""
    by_period: dict[dt.date, list[Cell]] = {}
    for cell in cells:
        by_period.setdefault(cell.period_start, []).append(cell)
    return [
        distribution_period(by_period[start], bounds, min_contributors)
        for start in sorted(by_period)
    ]


def _withheld(buckets: Sequence[Cell | None], cohort: int, min_contributors: int) -> str | None:
    """Why a histogram is not served: a suppressed or missing bucket, too few, concentrated."""
    for cell in buckets:
        if cell is None:
            return INCOMPLETE
        if cell.value is None:
            return cell.suppressed_reason or MIN_CONTRIBUTORS
    counts = [round(c.value) for c in buckets if c is not None and c.value is not None]
    if min(cohort, sum(counts)) < min_contributors:
        return MIN_CONTRIBUTORS
    return CONCENTRATED if is_concentrated(counts) else None
