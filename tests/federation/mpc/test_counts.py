"""Histogram and spike count on integer-encoded shares, run by three real party processes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc.counts import (
    CountParams,
    quartile_buckets,
)
from samenbeeld.federation.protocol import CONCENTRATED, MIN_CONTRIBUTORS
from samenbeeld.platform.errors import InvalidInputError

TIMEOUT = 180.0  # generous: CI runs the Airflow tests beside these on two cores
INT64 = np.iinfo(np.int64)


def integer_shares(plain: np.ndarray, tmp_path: Path, precision_bits: int = 0) -> list[Path]:
    """Encode a matrix (integers at precision 0 by default), split into three ring shares, save."""
    rng = np.random.default_rng(0)
    ring = crypten_compat.encode_ring(plain, precision_bits=precision_bits)
    s1, s2 = (rng.integers(INT64.min, INT64.max, ring.shape, dtype=np.int64) for _ in "12")
    with np.errstate(over="ignore"):
        shares = [ring - s1 - s2, s1, s2]
    (tmp_path / "in").mkdir()
    paths = [tmp_path / "in" / f"shares{rank}.npy" for rank in range(3)]
    for path, matrix in zip(paths, shares, strict=True):
        np.save(path, matrix)
    return paths


def reference_quartiles(counts: np.ndarray) -> tuple[int, ...]:
    """Quartile buckets from the raw bucket values via numpy's inverted CDF."""
    raw = np.repeat(np.arange(counts.size), counts.astype(np.int64))
    return tuple(int(np.percentile(raw, 100 * q, method="inverted_cdf")) for q in (0.25, 0.5, 0.75))


def test_quartile_buckets_match_numpy_inverted_cdf():
    rng = np.random.default_rng(3)
    for _ in range(50):
        counts = rng.integers(0, 6, size=int(rng.integers(1, 9))).astype(np.float64)
        if counts.sum() == 0:
            counts[0] = 1
        assert quartile_buckets(counts) == reference_quartiles(counts)
    assert quartile_buckets(np.array([0.0, 4.0, 0.0])) == (1, 1, 1)
    assert quartile_buckets(np.array([1.0, 1.0, 1.0, 1.0])) == (0, 1, 2)


def test_quartile_buckets_of_a_suppressed_or_empty_histogram_are_none():
    assert quartile_buckets(np.array([np.nan, np.nan])) is None
    assert quartile_buckets(np.zeros(3)) is None
    assert quartile_buckets(np.array([])) is None


def test_count_params_refuse_bad_values():
    for bad in ('{"min_contributors": 0}', '{"min_contributors": 2.5}', '{"k": 3}', "[]"):
        with pytest.raises(InvalidInputError):
            CountParams.from_json(bad)
    assert CountParams.from_json(CountParams(3).to_json()) == CountParams(3)
    assert CountParams.from_json("{}") == CountParams(5)


def test_count_params_segments_are_positive_lengths_that_cover_the_row():
    for bad in ('{"segments": []}', '{"segments": [2, 0]}', '{"segments": [1.5]}',
                '{"segments": [true]}', '{"segments": 3}'):  # fmt: skip
        with pytest.raises(InvalidInputError):
            CountParams.from_json(bad)
    params = CountParams.from_json('{"min_contributors": 3, "segments": [5, 6]}')
    assert params == CountParams(3, [5, 6])
    assert CountParams.from_json(params.to_json()) == params
    assert params.segment_lengths(11) == [5, 6]
    assert CountParams().segment_lengths(7) == [7]
    with pytest.raises(InvalidInputError, match="segments cover 11 cells"):
        params.segment_lengths(12)


@pytest.mark.slow
def test_histogram_excludes_non_one_hot_cities_and_matches_plaintext(tmp_path, run_session):
    """10 cities x 6 buckets; cities 1, 3, 6, 8 are not one-hot and are named and excluded."""
    buckets = np.array([0, 2, 2, 5, 1, 3, 2, 4, 0, 2])
    plain = np.eye(6, dtype=np.int64)[buckets]
    plain[1] = [1, 1, 0, 0, 0, 0]
    plain[3] = [2, 0, 0, 0, 0, 0]
    plain[6] = 0
    plain[8] = [-1, 2, 0, 0, 0, 0]
    session = run_session(
        "histogram", CountParams(), integer_shares(plain, tmp_path), tmp_path / "run", TIMEOUT
    )
    result, timings = session.result, session
    valid = np.all((plain == 0) | (plain == 1), axis=1) & (plain.sum(axis=1) == 1)
    expected = plain[valid].sum(axis=0).astype(np.float64)
    assert result.invalid_cities.tolist() == [1, 3, 6, 8]
    assert result.contributors == 6
    assert result.reasons.tolist() == [""] * 6
    assert result.values.tolist() == expected.tolist()
    assert quartile_buckets(result.values) == reference_quartiles(expected)
    assert timings.seconds >= timings.timings[0].compute_s > 0


def test_a_concentrated_segment_is_suppressed_inside_mpc(tmp_path, run_session):
    """7 cities, two segments: in the first, 6 of 7 valid cities share a bucket (their
    counts would tell each city's bucket), so it is suppressed; the second is released."""
    first = np.eye(3, dtype=np.int64)[[1, 1, 1, 0, 1, 1, 1]]
    second = np.eye(4, dtype=np.int64)[[0, 1, 2, 3, 0, 1, 2]]
    plain = np.hstack([first, second])
    result = run_session(
        "histogram", CountParams(segments=[3, 4]), integer_shares(plain, tmp_path),
        tmp_path / "run", TIMEOUT,
    ).result  # fmt: skip
    assert result.contributors == 7
    assert result.reasons.tolist() == [CONCENTRATED] * 3 + [""] * 4
    assert np.isnan(result.values[:3]).all()
    assert result.values[3:].tolist() == [2.0, 2.0, 2.0, 1.0]


@pytest.mark.slow
def test_histogram_checks_each_segment_of_a_concatenated_row(tmp_path, run_session):
    """Two indicators' one-hot segments of 3 and 4 buckets side by side, 9 cities.

    City 1 has two ones in its first segment, city 4 an empty second segment, city 6 both
    errors at once (its row still sums to 2, as a valid row does); all three are excluded.
    Without segments every valid row (row sum 2) is refused, and city 4 (row sum 1) passes.
    """
    first = np.eye(3, dtype=np.int64)[[0, 1, 2, 2, 1, 0, 1, 2, 2]]
    second = np.eye(4, dtype=np.int64)[[3, 0, 1, 1, 2, 3, 0, 1, 0]]
    plain = np.hstack([first, second])
    plain[1, :3] = [1, 1, 0]
    plain[4, 3:] = 0
    plain[6] = [1, 1, 0, 0, 0, 0, 0]
    shares = integer_shares(plain, tmp_path)
    segmented = CountParams(segments=[3, 4])
    result = run_session("histogram", segmented, shares, tmp_path / "run", TIMEOUT).result
    valid = np.ones(9, dtype=bool)
    valid[[1, 4, 6]] = False
    assert result.invalid_cities.tolist() == [1, 4, 6]
    assert result.contributors == 6
    assert result.values.tolist() == plain[valid].sum(axis=0).astype(np.float64).tolist()
    assert result.values[:3].sum() == result.values[3:].sum() == 6
    whole = run_session("histogram", CountParams(), shares, tmp_path / "whole", TIMEOUT).result
    assert whole.invalid_cities.tolist() == [0, 1, 2, 3, 5, 6, 7, 8]
    assert whole.reasons.tolist() == [MIN_CONTRIBUTORS] * 7


@pytest.mark.slow
def test_spike_count_is_exact_and_suppressed_below_k(tmp_path, run_session):
    """10 cities x 7 cells of 0/1 flags; 4 hold a non-flag, leaving 6 valid (4 < k = 7)."""
    valid_rows = np.array([[1 if row < flagged else 0 for flagged in range(7)] for row in range(6)])
    plain = np.vstack([valid_rows, np.ones((4, 7), dtype=np.int64)])
    plain[6, 2], plain[7, 0], plain[8, 5], plain[9, 1] = 2, -1, 1 << 40, 3
    files = integer_shares(plain, tmp_path)
    strict = CountParams(min_contributors=7)
    below = run_session("spike_count", strict, files, tmp_path / "run", TIMEOUT).result
    assert below.invalid_cities.tolist() == [6, 7, 8, 9]
    assert below.contributors == 6
    assert below.reasons.tolist() == [MIN_CONTRIBUTORS] * 7
    assert np.all(np.isnan(below.values)) and below.released() == {}

    lenient = CountParams(min_contributors=4)
    released = run_session("spike_count", lenient, files, tmp_path / "run2", TIMEOUT).result
    assert released.invalid_cities.tolist() == [6, 7, 8, 9]
    # Cell j is flagged by j of the 6 valid cities. 0, 1, 5 and 6 would tell cities each
    # other's flags (none, all, or all but the one asking): concentrated, never revealed.
    assert released.reasons.tolist() == [CONCENTRATED] * 2 + [""] * 3 + [CONCENTRATED] * 2
    assert released.released() == {2: 2.0, 3: 3.0, 4: 4.0}
    assert np.all(np.isnan(released.values[[0, 1, 5, 6]]))
