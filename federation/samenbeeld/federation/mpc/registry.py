"""The programs a round can run, in one table: name -> parameters, function, input precision.

Adding a program is a function of ``(crypten, shares, params) -> CheckedSumResult`` in its
own module, its parameters class (a :class:`programs.JsonParams` dataclass), one row here
and its name in :data:`samenbeeld.federation.protocol.PROGRAMS`; a test checks that the two
agree. The party service, the party process (:mod:`party_main`) and the node read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from samenbeeld.federation.mpc import compat, counts, programs
from samenbeeld.federation.mpc.programs import CheckedSumResult, JsonParams
from samenbeeld.platform.errors import InvalidInputError


@dataclass(frozen=True)
class Program:
    """One program: its public parameters, its party-side function, its input precision."""

    params: type[JsonParams]
    function: Callable[..., CheckedSumResult]
    precision_bits: int
    """Fractional bits of the input shares: 16 (fixed point) for sums, 0 for counts."""


PROGRAMS: dict[str, Program] = {
    "checked_sum": Program(programs.CheckedSumParams, programs.checked_sum, compat.PRECISION_BITS),
    "histogram": Program(counts.CountParams, counts.histogram, 0),
    "spike_count": Program(counts.CountParams, counts.spike_count, 0),
}


def program(name: str) -> Program:
    """The program called ``name``, or InvalidInputError."""
    if name not in PROGRAMS:
        raise InvalidInputError(f"program must be one of {', '.join(PROGRAMS)}, got {name!r}")
    return PROGRAMS[name]


def input_precision(name: str) -> int:
    """Fractional bits of a program's input shares."""
    return program(name).precision_bits


def compute_for(name: str, params_json: str) -> Callable[[Any, np.ndarray], CheckedSumResult]:
    """The party-side function of program ``name`` with its parsed parameters bound."""
    chosen = program(name)
    return partial(chosen.function, params=chosen.params.from_json(params_json))
