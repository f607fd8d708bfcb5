"""Counting programs: the one-hot histogram and the spike count, on precision-0 shares.

The histogram and the spike count take the shared cities x cells matrix encoded with
``precision_bits=0`` (one ring element per integer, no fixed-point scale), so the product
``x * (x - 1)`` of two secret values is exact in the ring: ``x * (x - 1) = 0 (mod 2**64)``
holds only for ``x`` in ``{0, 1}`` (``x`` and ``x - 1`` are coprime, so one of them would
have to be a multiple of ``2**64``).

:func:`histogram` (rows are one-hot bucket vectors) reveals exactly:

1. one validity bit per city: every entry in ``{0, 1}`` and every *segment* of the row sums
   to exactly 1 (``CountParams.segments`` gives the segments' lengths, in cell order; by
   default the whole row is one segment). A round over several indicators concatenates one
   one-hot segment per indicator. Once every entry is 0 or 1, a segment's sum is the number of
   ones in it, an integer between 0 and the segment's length, far from any wrap-around of the
   ring, so ``sum == 1`` holds exactly when the segment holds exactly one 1: a segment with two
   ones, or none, makes the city invalid;
2. nothing more when fewer than ``min_contributors`` cities are valid; otherwise
3. one bit per bucket: whether the bucket holds at least ``n - 1`` of the ``n`` valid cities.
   A segment with such a bucket is *concentrated*: its counts would tell every city's bucket
   (or, to one of them, every other city's), so it is suppressed with the reason
   ``"concentrated"`` and its counts are never revealed;
4. the bucket counts over the valid cities of every other segment. Quartile bucket indices
   are derived afterwards from the released counts of one segment (public post-processing,
   :func:`quartile_buckets`).

:func:`spike_count` (rows are 0/1 flags per cell) reveals exactly one validity bit per city
(every entry in ``{0, 1}``) and, with at least ``min_contributors`` valid cities, one bit per
cell: whether at most one or at least ``n - 1`` of the ``n`` valid cities flag it. Such a cell
is a two-bucket histogram (flagged, not flagged) with a concentrated bucket: its count would
tell every city's flag (all, or none), or tell the one odd city everyone else's, so it is
suppressed as ``"concentrated"``. Every other cell reveals the number of valid cities with
the flag set. Suppressed cells are NaN with their reason. Results use
:class:`programs.CheckedSumResult` and its ``.npz`` format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from samenbeeld.federation.mpc import programs
from samenbeeld.federation.mpc.programs import CheckedSumResult, JsonParams
from samenbeeld.federation.protocol import CONCENTRATED, MIN_CONTRIBUTORS, AppliedRules
from samenbeeld.platform.errors import InvalidInputError

QUARTILES = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class CountParams(JsonParams):
    """Public parameters of the histogram and the spike count."""

    min_contributors: int = 5
    segments: list[int] | None = None
    """Histogram only: lengths of the one-hot segments, in cell order (None: one segment)."""

    def __post_init__(self) -> None:
        """Refuse a minimum below one contributor and segments that are not positive lengths."""
        if not _is_int(self.min_contributors):
            raise InvalidInputError("min_contributors must be an integer")
        if self.min_contributors < 1:
            raise InvalidInputError("min_contributors must be at least 1")
        if self.segments is not None and (
            not isinstance(self.segments, list)
            or not self.segments
            or not all(_is_int(length) and length >= 1 for length in self.segments)
        ):
            raise InvalidInputError("segments must be a non-empty list of positive integers")

    def segment_lengths(self, cells: int) -> list[int]:
        """The segments' lengths for a row of ``cells`` cells; they must add up to it."""
        lengths = [cells] if self.segments is None else list(self.segments)
        if sum(lengths) != cells:
            raise InvalidInputError(f"segments cover {sum(lengths)} cells, the rows have {cells}")
        return lengths

    def applied(self, indicators: Sequence[str], reasons: Sequence[str]) -> AppliedRules:
        """The minimum only: counts of cities have no dominance rule and no noise."""
        return AppliedRules(self.min_contributors)


def _is_int(value: object) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _load_integers(crypten: Any, shares: np.ndarray) -> Any:
    """Wrap this party's shares as an MPC tensor of integers (precision 0, scale 1)."""
    import torch

    return crypten.mpc.MPCTensor.from_shares(torch.from_numpy(shares), precision=0)


def _bad_entries(matrix: Any) -> Any:
    """Per city, inside MPC: how many entries are outside ``{0, 1}`` (exact, see module doc)."""
    return (matrix * (matrix - 1)).ne(0).sum(dim=1)


def _valid_bits(violations: Any) -> np.ndarray:
    """Reveal one bit per city: True when the city has no violation."""
    return np.asarray(programs._reveal(violations.lt(1)) == 1, dtype=bool)


def _counts(matrix: Any, valid: np.ndarray, params: CountParams) -> CheckedSumResult:
    """Reveal the column sums over valid cities, or suppress all when too few are valid."""
    contributors = int(valid.sum())
    cells = matrix.size(1)
    values = np.full(cells, np.nan)
    reasons = np.full(cells, MIN_CONTRIBUTORS)
    if contributors >= params.min_contributors:
        values = programs._reveal(_valid_counts(matrix, valid))
        reasons = np.full(cells, "")
    invalid = np.flatnonzero(~valid).astype(np.int64)
    return CheckedSumResult(values, reasons.astype(str), invalid, contributors)


def _valid_counts(matrix: Any, valid: np.ndarray) -> Any:
    """Inside MPC: the column sums over the valid cities (the others multiplied by 0)."""
    import torch

    mask = torch.from_numpy(valid.astype(np.int64)).unsqueeze(1)
    return programs.times_exactly(matrix, mask).sum(dim=0)


def _release_unless_concentrated(
    counts: Any, kept: np.ndarray, valid: np.ndarray
) -> CheckedSumResult:
    """Reveal the counts of the ``kept`` cells only; the others are ``concentrated``."""
    import torch

    values = np.full(kept.size, np.nan)
    if kept.any():
        values[kept] = programs._reveal(counts[torch.from_numpy(np.flatnonzero(kept))])
    reasons = np.where(kept, "", CONCENTRATED).astype(str)
    invalid = np.flatnonzero(~valid).astype(np.int64)
    return CheckedSumResult(values, reasons, invalid, int(valid.sum()))


def _segment_sums(crypten: Any, matrix: Any, lengths: list[int]) -> Any:
    """Per city and segment, inside MPC: the sum of the segment's cells (cities x segments)."""
    ends = np.cumsum(lengths)
    sums = [
        matrix[:, int(end - length) : int(end)].sum(dim=1, keepdim=True)
        for length, end in zip(lengths, ends, strict=True)
    ]
    return crypten.cat(sums, dim=1) if len(sums) > 1 else sums[0]


def histogram(crypten: Any, shares: np.ndarray, params: CountParams) -> CheckedSumResult:
    """Run the one-hot checked histogram on this party's shares; see the module docstring."""
    lengths = params.segment_lengths(shares.shape[1])
    matrix = _load_integers(crypten, shares)
    not_one = _segment_sums(crypten, matrix, lengths).ne(1).sum(dim=1)
    valid = _valid_bits(_bad_entries(matrix) + not_one)
    contributors = int(valid.sum())
    if contributors < params.min_contributors:
        return _counts(matrix, valid, params)
    counts = _valid_counts(matrix, valid)
    crowded = programs._reveal(counts.ge(contributors - 1)) == 1
    kept = np.ones(matrix.size(1), dtype=bool)
    for end, length in zip(np.cumsum(lengths), lengths, strict=True):
        segment = slice(int(end - length), int(end))
        kept[segment] = not crowded[segment].any()
    return _release_unless_concentrated(counts, kept, valid)


def spike_count(crypten: Any, shares: np.ndarray, params: CountParams) -> CheckedSumResult:
    """Run the checked 0/1 flag count on this party's shares; see the module docstring."""
    if params.segments is not None:
        raise InvalidInputError("segments apply to the histogram only")
    matrix = _load_integers(crypten, shares)
    valid = _valid_bits(_bad_entries(matrix))
    contributors = int(valid.sum())
    if contributors < params.min_contributors:
        return _counts(matrix, valid, params)
    counts = _valid_counts(matrix, valid)
    # One comparison batch: a cell is concentrated when 1 - count >= 0 or count - (n - 1) >= 0;
    # the two bits are revealed only as their sum (both are 1 only when n <= 2).
    cells = counts.size(0)
    edges = crypten.cat([-counts + 1, counts - (contributors - 1)]).ge(0)
    kept = programs._reveal(edges[:cells] + edges[cells:]) == 0
    return _release_unless_concentrated(counts, kept, valid)


def quartile_buckets(counts: np.ndarray) -> tuple[int, ...] | None:
    """Bucket index of each quartile from a released histogram (None if suppressed or empty).

    The q-quartile is the smallest bucket ``b`` with ``cumsum(counts)[b] >= q * total`` (the
    inverted CDF, as ``numpy.percentile(..., method="inverted_cdf")`` on the raw buckets).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.size == 0 or not np.all(np.isfinite(counts)) or counts.sum() <= 0:
        return None
    cumulative = np.cumsum(counts)
    total = cumulative[-1]
    return tuple(int(np.searchsorted(cumulative, q * total, side="left")) for q in QUARTILES)
