"""Aggregation programs run by the compute parties: a checked sum with disclosure control.

:func:`checked_sum` works on the shared cities x cells matrix and reveals exactly:

1. one validity bit per city (every cell in ``[0, max_value]``), so invalid cities are
   named by index but none of their values are revealed;
2. nothing more when fewer than ``min_contributors`` cities are valid (every cell is
   suppressed for ``min_contributors``); otherwise one dominance bit per cell
   (some city's ``x > threshold x sum``, compared inside MPC);
3. the sums of the released cells only (indexed inside MPC before revealing), with
   differential-privacy noise on the cells of each ``noise`` group (an indicator under a
   noise policy in the parties' catalog): before the reveal every party adds its own noise
   share (:class:`dp.NoisePolicy`) to its additive share of the released sums, so only sum +
   noise is ever opened. The sensitivity follows from the public bounds: one city changes
   each of a group's released cells by at most its bound (L1 for Laplace, L2 for Gaussian).
   Suppression decisions are taken on the exact sums, as the rules require; the hub has
   charged each noisy indicator's yearly budget before the parties were asked.

Comparisons use CrypTen's sign-bit extraction (no products of two encoded values), each
batched over the whole matrix so that a round costs three comparison calls whatever the
number of cities: both range bounds at once, every city against its cell's total at once,
and one small one per city. The dominance test is exact: the threshold is a fraction
``p / q`` and ``q * x > p * sum`` uses only public integer multiplications, which cannot
overflow once ``max_value`` is bounded here.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc import dp
from samenbeeld.federation.mpc.runtime import WORLD_SIZE
from samenbeeld.federation.protocol import (
    DOMINANCE,
    MIN_CONTRIBUTORS,
    AppliedNoise,
    AppliedRules,
)
from samenbeeld.platform.errors import InvalidInputError

MAX_VALUE_LIMIT = 2**24
"""Upper bound on ``max_value``: keeps q * sum (q <= 1000, cities x max) far below 2**62."""
MAX_DENOMINATOR = 1000


class JsonParams(ABC):
    """Mixin for a program's public parameters, which travel as JSON to the parties.

    A subclass is a frozen dataclass; ``required`` names the keys a JSON object must have.
    """

    required: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Build parameters from a JSON object whose keys are field names."""
        data = json.loads(text)
        # Subclasses are dataclasses; the mixin itself cannot say so to the type checker.
        known = sorted(field.name for field in fields(cls))  # type: ignore[arg-type]
        if not isinstance(data, dict) or set(cls.required) - set(data) or set(data) - set(known):
            need = "".join(f"{key} and " for key in cls.required)
            raise InvalidInputError(f"params need {need}only keys from {known}")
        try:
            return cls(**data)
        except TypeError as error:
            raise InvalidInputError(f"params have a value of the wrong type: {error}") from error

    def to_json(self) -> str:
        """Serialise for the party command line."""
        return json.dumps(vars(self))

    @abstractmethod
    def applied(self, indicators: Sequence[str], reasons: Sequence[str]) -> AppliedRules:
        """The rules these parameters applied to a session whose cells belong to
        ``indicators`` (one code per cell) and were suppressed for ``reasons``: what a party
        signs beside the values."""


@dataclass(frozen=True)
class CheckedSumParams(JsonParams):
    """Public parameters of the checked sum."""

    required: ClassVar[tuple[str, ...]] = ("max_value",)
    max_value: float | list[float]
    """The upper bound of a valid value: one for every cell, or one per cell."""
    min_contributors: int = 5
    dominance: float = 0.6
    noise: list[list[Any]] = field(default_factory=list)
    """Noisy cell groups (one per indicator under a noise policy):
    ``[first_cell, cells, mechanism, epsilon, delta, unit]``; cells of no group are exact.
    ``unit`` (or None: the cells' bounds) is how far one protected unit moves a cell."""

    def __post_init__(self) -> None:
        """Refuse parameters outside the ranges the MPC arithmetic is exact for."""
        bounds = self.bounds()
        if not bounds or not all(0 < bound <= MAX_VALUE_LIMIT for bound in bounds):
            raise InvalidInputError(f"max_value must be in (0, {MAX_VALUE_LIMIT}]")
        if self.min_contributors < 1:
            raise InvalidInputError("min_contributors must be at least 1")
        if not 0 < self.dominance <= 1:
            raise InvalidInputError("dominance must be in (0, 1]")
        for first, count, policy in self.noise_groups():
            # calibrates each group's noise as noise_share will (OpenDP, cached per process)
            policy.released_sd(self.cell_bounds(first + count)[first : first + count])

    def bounds(self) -> list[float]:
        """The bound(s) as a list: one element for all cells, or one per cell."""
        if isinstance(self.max_value, list | tuple):
            return [float(bound) for bound in self.max_value]
        return [float(self.max_value)]

    def bound_for(self, cells: int) -> Any:
        """The public bound to compare a cities x cells matrix with (a float or a vector)."""
        import torch

        bounds = self.bounds()
        if len(bounds) == 1:
            return bounds[0]
        if len(bounds) != cells:
            raise InvalidInputError(f"max_value has {len(bounds)} bounds for {cells} cells")
        return torch.tensor(bounds, dtype=torch.float64)

    @staticmethod
    def _group(group: list[Any]) -> tuple[int, int, dp.NoisePolicy]:
        """One noise group, checked: (first cell, number of cells, policy)."""
        if not isinstance(group, list | tuple) or len(group) != 6:
            raise InvalidInputError(
                "a noise group is [first_cell, cells, mechanism, eps, delta, unit]"
            )
        first, cells, mechanism, epsilon, delta, unit = group
        if not (isinstance(first, int) and isinstance(cells, int) and first >= 0 and cells >= 1):
            raise InvalidInputError("a noise group's first_cell and cells must be integers")
        if mechanism not in ("laplace", "gaussian"):
            raise InvalidInputError(f"noise must be 'laplace' or 'gaussian', not {mechanism!r}")
        if unit is not None and not (isinstance(unit, int | float) and 0 < unit <= MAX_VALUE_LIMIT):
            raise InvalidInputError(f"a noise group's unit must be in (0, {MAX_VALUE_LIMIT}]")
        unit = None if unit is None else float(unit)
        delta = None if delta is None else float(delta)
        return first, cells, dp.NoisePolicy(mechanism, float(epsilon), delta, unit)

    def noise_groups(self) -> list[tuple[int, int, dp.NoisePolicy]]:
        """The noisy cell groups, checked."""
        return [self._group(group) for group in self.noise]

    def cell_bounds(self, cells: int) -> list[float]:
        """One bound per cell."""
        bounds = self.bounds()
        return bounds * cells if len(bounds) == 1 else bounds

    def released_groups(
        self, released: np.ndarray, cells: int
    ) -> Iterator[tuple[np.ndarray, dp.NoisePolicy, list[float]]]:
        """Per noise group with released cells: which of ``released`` (cell indices) lie in
        it, its policy, and their bounds, which the noise is calibrated to (one city moves
        each cell by at most its bound, one incident by the policy's unit:
        :meth:`dp.NoisePolicy.sensitivity`)."""
        bounds = self.cell_bounds(cells)
        for first, count, policy in self.noise_groups():
            inside = (released >= first) & (released < first + count)
            if inside.any():
                yield inside, policy, [bounds[i] for i in released[inside]]

    def noise_share(self, released: np.ndarray, cells: int) -> np.ndarray:
        """This party's noise for the released cells, in ring units; 0 for exact ones."""
        noise = np.zeros(len(released), dtype=np.int64)
        for inside, policy, bounds in self.released_groups(released, cells):
            noise[inside] = policy.share(bounds, WORLD_SIZE)
        return noise

    def noise_sd(self, released: np.ndarray, cells: int) -> np.ndarray:
        """The standard deviation of each released cell's noise in its own units; NaN where
        the cell is exact (what a party signs beside a release, :meth:`applied`)."""
        sd = np.full(len(released), np.nan)
        for inside, policy, bounds in self.released_groups(released, cells):
            sd[inside] = policy.released_sd(bounds, WORLD_SIZE)
        return sd

    def applied(self, indicators: Sequence[str], reasons: Sequence[str]) -> AppliedRules:
        """The minimum, the dominance threshold and, per noise group (named by its first
        cell's indicator), the policy and the noise SD of its released cells."""
        released = np.flatnonzero([not reason for reason in reasons])
        sds = self.noise_sd(released, len(reasons)).tolist()
        by_cell = dict(zip(released.tolist(), sds, strict=True))
        noise = {}
        for first, count, policy in self.noise_groups():
            found = [by_cell[i] for i in range(first, first + count) if i in by_cell]
            sd = found[0] if found else None
            noise[indicators[first]] = AppliedNoise(
                policy.mechanism, policy.epsilon, policy.delta, sd
            )
        return AppliedRules(self.min_contributors, float(self.dominance), noise)


@dataclass(frozen=True)
class CheckedSumResult:
    """What all three parties reveal: released values (NaN when suppressed) and reasons."""

    values: np.ndarray
    """float64 per cell; NaN where suppressed."""
    reasons: np.ndarray
    """str per cell: "" when released, else "min_contributors" or "dominance"."""
    invalid_cities: np.ndarray
    """int64 indices of the excluded cities."""
    contributors: int

    def released(self) -> dict[int, float]:
        """Released cells only, by cell index (suppressed cells are absent)."""
        return {int(i): float(self.values[i]) for i in np.flatnonzero(self.reasons == "")}


def _reveal(tensor: Any) -> np.ndarray:
    """Reveal ring elements and decode them exactly at the tensor's own scale."""
    bits = int(tensor.encoder.scale).bit_length() - 1
    return crypten_compat.decode_ring(tensor.reveal(), precision_bits=bits)


def times_exactly(tensor: Any, factor: Any) -> Any:
    """``tensor`` times a public integer (or int64 tensor), share by share: exact in the ring.

    CrypTen's own public multiplication encodes the factor at the tensor's scale and then
    truncates with a probabilistic three-party protocol, which is off by one unit now and
    then and, rarely, by about 2**48 (seen here: a spuriously dominated cell in a 342 x
    10,000 round). Multiplying each additive share by an integer needs no truncation.
    """
    result = tensor.clone()
    result.share = tensor.share * factor
    return result


def city_validity(crypten: Any, matrix: Any, max_value: Any) -> np.ndarray:
    """Reveal one bit per city: True when every cell lies in ``[0, max_value]``.

    Both bounds go through one batched comparison (``x < 0`` and ``max - x < 0`` side by
    side), so the check costs one comparison's communication rounds, not two.
    """
    bounds = crypten.cat([matrix, -matrix + max_value], dim=1)
    violations = bounds.lt(0).sum(dim=1)
    return np.asarray(_reveal(violations.lt(1)) == 1, dtype=bool)


def dominated_cells(kept: Any, totals: Any, threshold: float) -> np.ndarray:
    """Reveal one bit per cell: some city's ``x > threshold x sum``, as ``q * x > p * sum``.

    Every city is compared with the cell's total in one batched comparison (no secure
    max tree of log2(cities) sequential comparison levels). With ``threshold >= 1/2`` at most
    one (non-negative) city can exceed it, so the count of such cities is the bit itself
    and is revealed as is; below 1/2 the count is compared with zero first.
    """
    ratio = Fraction(threshold).limit_denominator(MAX_DENOMINATOR)
    cities = times_exactly(kept, ratio.denominator)
    over = (cities - times_exactly(totals, ratio.numerator).unsqueeze(0)).gt(0)
    count = over.sum(dim=0)
    if ratio < Fraction(1, 2):
        count = count.gt(0)
    return np.asarray(_reveal(count) >= 1, dtype=bool)


def checked_sum(crypten: Any, shares: np.ndarray, params: CheckedSumParams) -> CheckedSumResult:
    """Run the checked sum on this party's share matrix; see the module docstring."""
    import torch

    matrix = crypten.mpc.MPCTensor.from_shares(
        torch.from_numpy(shares), precision=crypten_compat.PRECISION_BITS
    )
    valid = city_validity(crypten, matrix, params.bound_for(shares.shape[1]))
    contributors = int(valid.sum())
    cells = shares.shape[1]
    reasons = np.full(cells, MIN_CONTRIBUTORS, dtype=object)
    values = np.full(cells, np.nan)
    if contributors >= params.min_contributors:
        kept = times_exactly(matrix, torch.from_numpy(valid.astype(np.int64)).unsqueeze(1))
        totals = kept.sum(dim=0)
        dominated = dominated_cells(kept, totals, params.dominance)
        reasons[:] = np.where(dominated, DOMINANCE, "")
        released = np.flatnonzero(~dominated)
        if released.size:
            selected = totals[torch.from_numpy(released)]
            noise = params.noise_share(released, cells)
            selected.share = selected.share + torch.from_numpy(noise)
            values[released] = _reveal(selected)
    invalid = np.flatnonzero(~valid).astype(np.int64)
    return CheckedSumResult(values, reasons.astype(str), invalid, contributors)


def save_result(result: CheckedSumResult, path: Path) -> None:
    """Write a party's result as .npz (no pickles)."""
    np.savez(
        path,
        values=result.values.astype(np.float64),
        reasons=result.reasons.astype(str),
        invalid_cities=result.invalid_cities,
        contributors=np.int64(result.contributors),
    )


def load_result(path: Path) -> CheckedSumResult:
    """Read a result written by :func:`save_result`."""
    with np.load(path, allow_pickle=False) as data:
        return CheckedSumResult(
            data["values"], data["reasons"], data["invalid_cities"], int(data["contributors"])
        )


def same_result(left: CheckedSumResult, right: CheckedSumResult) -> bool:
    """Whether two parties' results agree exactly (NaN equal to NaN)."""
    return (
        np.array_equal(left.values, right.values, equal_nan=True)
        and np.array_equal(left.reasons, right.reasons)
        and np.array_equal(left.invalid_cities, right.invalid_cities)
        and left.contributors == right.contributors
    )
