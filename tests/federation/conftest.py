"""Fixtures of the federation tests: plaintext matrices shared into three party files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from samenbeeld.federation.mpc import compat as crypten_compat

INT64 = np.iinfo(np.int64)
ShareFiles = Callable[..., list[Path]]


def share_matrix(plain: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Encode a plaintext matrix and split it into three additive int64 ring shares."""
    ring = crypten_compat.encode_ring(plain)
    s1, s2 = (
        rng.integers(INT64.min, INT64.max, ring.shape, dtype=np.int64, endpoint=True) for _ in "12"
    )
    with np.errstate(over="ignore"):
        return [ring - s1 - s2, s1, s2]


@pytest.fixture
def share_files(tmp_path: Path) -> ShareFiles:
    """``share_files(plain, name="in", seed=0)``: three share files under ``tmp_path/name``."""

    def write(plain: np.ndarray, name: str = "in", seed: int = 0) -> list[Path]:
        folder = tmp_path / name
        folder.mkdir(parents=True)
        paths = [folder / f"shares{rank}.npy" for rank in range(3)]
        for path, matrix in zip(
            paths, share_matrix(plain, np.random.default_rng(seed)), strict=True
        ):
            np.save(path, matrix)
        return paths

    return write
