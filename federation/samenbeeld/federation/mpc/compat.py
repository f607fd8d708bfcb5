"""The one place that knows CrypTen 0.4.1 is old: import shim and exact ring decoding.

CrypTen 0.4.1 (unmaintained) imports ``torch.onnx._internal.registration``, which newer
torch moved to ``torch.onnx._internal.torchscript_exporter.registration``; aliasing the
old name before the import is enough. CrypTen's own decoding is not trusted here: its
``get_plain_text()`` ends in float32 (16777217 comes back as 16777216) and its
fixed-point decode divides negatives by ``scale - 1`` (-1048576.25 comes back as
-1048592.25). :func:`decode_ring`
decodes revealed int64 ring elements exactly instead. CrypTen also calls
``torch.distributed.init_process_group`` without a timeout (gloo's default is 30 minutes);
:func:`distributed_timeout` supplies one around ``crypten.init()``. ``tests/federation`` pins the
versions this was checked against and fails loudly when either changes.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import ModuleType
from typing import Any

import numpy as np

CHECKED_TORCH = "2.13.0"
CHECKED_CRYPTEN = "0.4.1"
PRECISION_BITS = 16
"""CrypTen's default fixed-point precision: values are scaled by 2**16."""

_OLD_REGISTRATION = "torch.onnx._internal.registration"
_NEW_REGISTRATION = "torch.onnx._internal.torchscript_exporter.registration"


def import_crypten() -> ModuleType:
    """Import CrypTen on current torch, applying the registration alias once."""
    if _OLD_REGISTRATION not in sys.modules:
        sys.modules[_OLD_REGISTRATION] = importlib.import_module(_NEW_REGISTRATION)
    return importlib.import_module("crypten")


def encode_ring(values: Any, precision_bits: int = PRECISION_BITS) -> np.ndarray:
    """Encode numbers into the int64 ring exactly as CrypTen's encoder does (round)."""
    scaled = np.rint(np.asarray(values, dtype=np.float64) * (1 << precision_bits))
    return scaled.astype(np.int64)


def decode_ring(ring: Any, precision_bits: int = PRECISION_BITS) -> np.ndarray:
    """Decode int64 ring elements to float64 exactly: integer part, then the fraction.

    ``ring`` may be a torch int64 tensor or anything numpy accepts. Floor division
    keeps negatives right, and the split avoids float64's 53-bit limit on the whole element.
    """
    if hasattr(ring, "numpy"):
        ring = ring.detach().cpu().numpy()
    elements = np.asarray(ring, dtype=np.int64)
    whole, fraction = np.divmod(elements, np.int64(1 << precision_bits))
    return whole.astype(np.float64) + fraction.astype(np.float64) / (1 << precision_bits)


def _with_default_timeout(function: Callable[..., Any], timeout: timedelta) -> Callable[..., Any]:
    """Wrap a torch.distributed factory so calls without ``timeout`` get ours."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout)
        return function(*args, **kwargs)

    return wrapped


@contextmanager
def distributed_timeout(seconds: float) -> Iterator[None]:
    """Give CrypTen's init_process_group and new_group calls a timeout, then restore."""
    import torch.distributed as dist

    names = ("init_process_group", "new_group")
    originals = {name: getattr(dist, name) for name in names}
    for name, function in originals.items():
        setattr(dist, name, _with_default_timeout(function, timedelta(seconds=seconds)))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(dist, name, function)
