"""The CrypTen shim: imports on the pinned torch, and decodes the ring exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from samenbeeld.federation.mpc import compat as crypten_compat


def test_versions_are_the_ones_the_shim_was_checked_against():
    """Fails loudly when torch or CrypTen change under the shim: re-check the traps."""
    crypten = crypten_compat.import_crypten()
    assert torch.__version__.split("+")[0] == crypten_compat.CHECKED_TORCH
    assert crypten.__version__ == crypten_compat.CHECKED_CRYPTEN


def test_crypten_imports_and_its_encoder_uses_the_expected_precision():
    crypten = crypten_compat.import_crypten()
    encoder = crypten.encoder.FixedPointEncoder()
    assert encoder.scale == 1 << crypten_compat.PRECISION_BITS
    values = [0.0, 1.5, -2.25, 1234.0625]
    assert (
        encoder.encode(torch.tensor(values)).tolist() == crypten_compat.encode_ring(values).tolist()
    )


def test_the_trap_is_real_crypten_decode_is_wrong_for_negatives_and_large_values():
    """Why decode_ring exists: if CrypTen ever fixes this, the shim can shrink."""
    crypten = crypten_compat.import_crypten()
    encoder = crypten.encoder.FixedPointEncoder()
    ring = torch.from_numpy(crypten_compat.encode_ring([-1048576.25, 16777217.0, -16777217.0]))
    decoded = [float(x) for x in encoder.decode(ring)]
    assert decoded[0] == -1048592.25  # negatives are divided by scale - 1: off by 16
    assert decoded[1] == 16777216.0  # float32 drops the last digit of a 2**24 sum
    assert decoded[2] == -16777472.0  # both at once
    assert crypten_compat.decode_ring(ring).tolist() == [-1048576.25, 16777217.0, -16777217.0]


@pytest.mark.parametrize(
    "values",
    [
        [0.0, -0.0, 1.0, -1.0],
        [-1 - 1 / 65536, -0.5, -123456.75, 0.25],
        [2.0**40 + 3, -(2.0**40) - 3, 2.0**46 + 0.5, -(2.0**46) + 0.5, -1048576.25],
    ],
)
def test_decode_ring_is_exact_for_negatives_and_very_large_values(values):
    ring = crypten_compat.encode_ring(values)
    assert crypten_compat.decode_ring(torch.from_numpy(ring)).tolist() == values
    assert crypten_compat.decode_ring(ring).dtype == np.float64


def test_decoding_a_wrapped_sum_recovers_the_signed_total():
    """Shares are uniform int64 values; their wrapped sum decodes to the secret."""
    rng = np.random.default_rng(1)
    secret = crypten_compat.encode_ring([-42.5, 10**9 + 0.125])
    first = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, 2, dtype=np.int64)
    second = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, 2, dtype=np.int64)
    with np.errstate(over="ignore"):
        third = secret - first - second
        total = first + second + third
    assert crypten_compat.decode_ring(total).tolist() == [-42.5, 10**9 + 0.125]


def test_distributed_timeout_fills_in_a_timeout_and_restores_torch(monkeypatch):
    import datetime as dt

    import torch.distributed as dist

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(dist, "init_process_group", lambda *a, **kw: calls.append(kw))
    monkeypatch.setattr(dist, "new_group", lambda *a, **kw: calls.append(kw))
    replaced = dist.init_process_group
    with crypten_compat.distributed_timeout(3):
        dist.init_process_group(backend="gloo")
        dist.new_group(timeout=dt.timedelta(seconds=9))
    assert calls == [
        {"backend": "gloo", "timeout": dt.timedelta(seconds=3)},
        {"timeout": dt.timedelta(seconds=9)},
    ]
    assert dist.init_process_group is replaced
