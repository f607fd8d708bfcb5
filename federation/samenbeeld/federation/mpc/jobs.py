"""What one compute party does for one job: load its shares, run a program, save the result.

A job names a program (:data:`PROGRAMS`), its public JSON parameters and where this party's
input lies: either a ready share matrix (``.npy``, int64, cities x cells) or the cities'
upload payloads as received (:mod:`samenbeeld.federation.mpc.sharing` wire format), which the
party expands itself (ChaCha20 for the seed-compressed shares of parties 1 and 2). Both the
one-shot party (:mod:`party_main`) and the long-lived worker (:mod:`party_worker`) run jobs
through :func:`run_job`, so a program behaves the same in either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from samenbeeld.federation.mpc import counts as programs_stats
from samenbeeld.federation.mpc import programs, sharing
from samenbeeld.federation.mpc.programs import CheckedSumResult, JsonParams
from samenbeeld.federation.mpc.runtime import load_shares, secure_column_sum
from samenbeeld.platform.errors import InvalidInputError

Compute = Callable[[Any, np.ndarray], Any]
PARAMS: dict[str, type[JsonParams] | None] = {
    "sum": None,
    "checked_sum": programs.CheckedSumParams,
    "histogram": programs_stats.CountParams,
    "spike_count": programs_stats.CountParams,
    "moments": programs_stats.MomentsParams,
}
PROGRAMS = tuple(PARAMS)


@dataclass(frozen=True)
class JobInput:
    """One party's input: a share matrix file, or payload files of one round."""

    matrix: Path | None = None
    payloads: tuple[Path, ...] = ()
    round_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the worker's job line."""
        if self.matrix is not None:
            return {"matrix": str(self.matrix)}
        return {"payloads": [str(p) for p in self.payloads], "round_id": self.round_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobInput:
        """Parse the job line's ``input`` member."""
        if "matrix" in data:
            return cls(matrix=Path(data["matrix"]))
        return cls(payloads=tuple(Path(p) for p in data["payloads"]), round_id=data["round_id"])


def load_payloads(paths: tuple[Path, ...], round_id: str, party: int) -> np.ndarray:
    """Expand every city's payload for ``party`` into one cities x cells share matrix."""
    if not paths:
        raise InvalidInputError("a job needs at least one payload")
    context = sharing.ShareContext(round_id, party)
    rows = [sharing.expand_share(path.read_bytes(), context) for path in paths]
    if len({row.size for row in rows}) != 1:
        raise InvalidInputError("payloads of one job must all have the same number of cells")
    return np.stack(rows)


def load_input(job_input: JobInput, party: int) -> np.ndarray:
    """This party's share matrix for the job."""
    if job_input.matrix is not None:
        return load_shares(job_input.matrix)
    return load_payloads(job_input.payloads, job_input.round_id, party)


def program_for(name: str, params_json: str) -> Compute:
    """The compute function of program ``name`` with its parsed parameters bound."""
    if name not in PARAMS:
        raise InvalidInputError(f"program must be one of {PROGRAMS}, got {name!r}")
    params_class = PARAMS[name]
    if params_class is None:
        return secure_column_sum
    params = params_class.from_json(params_json)
    functions: dict[str, Callable[..., Any]] = {
        "checked_sum": programs.checked_sum,
        "histogram": programs_stats.histogram,
        "spike_count": programs_stats.spike_count,
        "moments": programs_stats.moments,
    }
    return partial(functions[name], params=params)


def save_output(result: Any, out: Path) -> None:
    """Write a result: ``.npy`` float64 for the plain sum, ``.npz`` for checked results."""
    if isinstance(result, CheckedSumResult):
        programs.save_result(result, out)
    else:
        np.save(out, np.asarray(result, dtype=np.float64))


def load_output(path: Path) -> np.ndarray | CheckedSumResult:
    """Read what :func:`save_output` wrote."""
    if path.suffix == ".npz":
        return programs.load_result(path)
    loaded: np.ndarray = np.load(path, allow_pickle=False)
    return loaded


def same_output(left: np.ndarray | CheckedSumResult, right: np.ndarray | CheckedSumResult) -> bool:
    """Whether two parties revealed exactly the same thing (NaN equal to NaN)."""
    if isinstance(left, CheckedSumResult) and isinstance(right, CheckedSumResult):
        return programs.same_result(left, right)
    if isinstance(left, np.ndarray) and isinstance(right, np.ndarray):
        return bool(np.array_equal(left, right, equal_nan=True))
    return False


def output_suffix(program: str) -> str:
    """File suffix of a program's result."""
    return ".npy" if program == "sum" else ".npz"


def params_json(params: JsonParams | None) -> str:
    """The parameters as the JSON text a job line carries."""
    return "{}" if params is None else params.to_json()
