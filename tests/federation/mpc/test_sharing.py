"""Additive sharing: exact reconstruction, seed expansion, wire format, upload sizes."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc import sharing
from samenbeeld.federation.mpc.sharing import ShareContext
from samenbeeld.platform.errors import InvalidInputError

ROUND = "round-2026-W47"
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def payloads(shares: sharing.Shares) -> list[bytes]:
    """The three wire payloads of one city's shares."""
    return [sharing.encode_payload(shares, party) for party in range(3)]


def party_shares(blobs: list[bytes], round_id: str = ROUND) -> list[np.ndarray]:
    """What each party expands from the payload it received."""
    return [sharing.expand_share(blob, ShareContext(round_id, p)) for p, blob in enumerate(blobs)]


def reconstruct(shares: list[np.ndarray]) -> np.ndarray:
    """Sum shares mod 2**64."""
    with np.errstate(over="ignore"):
        return shares[0] + shares[1] + shares[2]


@settings(max_examples=60, deadline=None)
@given(st.lists(INT64, min_size=1, max_size=50))
def test_reconstruction_is_exact_for_any_ring_vector(elements):
    ring = np.array(elements, dtype=np.int64)
    shares = sharing.split(ring, round_id=ROUND)
    assert np.array_equal(reconstruct(party_shares(payloads(shares))), ring)


@pytest.mark.parametrize(
    "values",
    [
        [0.0, 0.0, 0.0],
        [-1.0, -0.5, -1048576.25, -(2.0**45)],
        [2.0**46, -(2.0**46), 2.0**46 - 1.0, -(2.0**46) + 0.5],
        [1.5, -2.25, 1234.0625, 0.0],
    ],
)
def test_encoded_values_round_trip_exactly(values):
    shares = sharing.split(sharing.encode_vector(values), round_id=ROUND)
    ring = reconstruct(party_shares(payloads(shares)))
    assert crypten_compat.decode_ring(ring).tolist() == values


def test_integer_encoding_with_zero_precision_bits():
    ring = sharing.encode_vector([0, 1, 0, 0, -3], precision_bits=0)
    assert ring.tolist() == [0, 1, 0, 0, -3]
    shares = sharing.split(ring, round_id=ROUND, precision_bits=0)
    header, _ = sharing.decode_payload(sharing.encode_payload(shares, 0))
    assert header.precision_bits == 0
    assert reconstruct(party_shares(payloads(shares))).tolist() == [0, 1, 0, 0, -3]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ([float("nan")], "finite"),
        ([float("inf")], "finite"),
        ([2.0**47], "within"),
        ([], "1-D vector"),
        ([[1.0, 2.0]], "1-D vector"),
    ],
)
def test_encode_vector_rejects_unencodable_values(values, reason):
    with pytest.raises(InvalidInputError, match=reason):
        sharing.encode_vector(values)


def test_sums_over_many_cities_decode_to_the_plaintext_sum():
    rng = np.random.default_rng(7)
    cities = [rng.integers(-(10**7), 10**7, size=200) / 65536.0 for _ in range(40)]
    totals = [np.zeros(200, dtype=np.int64) for _ in range(3)]
    for values in cities:
        shares = party_shares(
            payloads(sharing.split(sharing.encode_vector(values), round_id=ROUND))
        )
        with np.errstate(over="ignore"):
            totals = [total + share for total, share in zip(totals, shares, strict=True)]
    decoded = crypten_compat.decode_ring(reconstruct(totals))
    assert decoded.tolist() == np.sum(cities, axis=0).tolist()


def test_shares_look_uniform_and_differ_between_splits():
    zeros = np.zeros(10_000, dtype=np.int64)
    first = sharing.split(zeros, round_id=ROUND)
    second = sharing.split(zeros, round_id=ROUND)
    assert not np.array_equal(first.vector, second.vector)
    assert first.seeds != second.seeds
    one, two = party_shares(payloads(first))[1:]
    assert not np.array_equal(one, two)
    for share in (first.vector, one, two):
        bits = np.unpackbits(share.view(np.uint8))
        assert abs(bits.mean() - 0.5) < 0.005  # 640,000 bits: sd 0.000625
        assert np.count_nonzero(share == 0) < 5


def test_same_seed_same_expansion_other_context_other_expansion():
    seed = bytes(range(32))
    expand = sharing.expand_seed
    assert np.array_equal(
        expand(seed, ShareContext(ROUND, 1), 64), expand(seed, ShareContext(ROUND, 1), 64)
    )
    assert not np.array_equal(
        expand(seed, ShareContext(ROUND, 1), 64), expand(seed, ShareContext(ROUND, 2), 64)
    )
    assert not np.array_equal(
        expand(seed, ShareContext(ROUND, 1), 64), expand(seed, ShareContext("other", 1), 64)
    )


def test_given_seeds_make_split_deterministic():
    ring = sharing.encode_vector([1.0, 2.0, 3.0])
    seeds = (b"\x01" * 32, b"\x02" * 32)
    first = sharing.split(ring, seeds, round_id=ROUND)
    again = sharing.split(ring, seeds, round_id=ROUND)
    assert payloads(first) == payloads(again)


def test_payloads_carry_little_endian_int64_and_bare_seeds():
    ring = sharing.encode_vector([1.0, -1.0])
    shares = sharing.split(ring, round_id=ROUND)
    vector, seed1, seed2 = payloads(shares)
    body = vector[sharing.HEADER.size :]
    assert list(struct.unpack("<2q", body)) == shares.vector.tolist()
    assert seed1[sharing.HEADER.size :] == shares.seeds[0]
    assert seed2[sharing.HEADER.size :] == shares.seeds[1]
    header, decoded = sharing.decode_payload(vector)
    assert (header.kind, header.cells, header.version) == ("vector", 2, 1)
    assert decoded.dtype == np.int64
    assert sharing.decode_payload(seed1)[0].kind == "seed"


def _malformed_cases() -> list[tuple[str, bytes, str]]:
    """(name, payload, expected message) built from one good vector and seed payload."""
    shares = sharing.split(np.arange(4, dtype=np.int64), round_id=ROUND)
    vector, seed, _ = payloads(shares)
    header = bytearray(vector[: sharing.HEADER.size])
    too_many = struct.pack("<I", sharing.MAX_CELLS + 1)
    return [
        ("empty", b"", "too short"),
        ("truncated header", vector[:10], "too short"),
        ("wrong magic", b"XXXX" + vector[4:], "wrong magic"),
        ("wrong version", vector[:4] + b"\x09" + vector[5:], "version 9"),
        ("unknown kind", vector[:5] + b"\x07" + vector[6:], "kind code 7"),
        ("bad precision", vector[:6] + b"\x63" + vector[7:], "precision bits"),
        ("zero cells", bytes(header[:8]) + bytes(4) + vector[12:], "number of cells"),
        ("too many cells", bytes(header[:8]) + too_many + vector[12:], "number of cells"),
        ("truncated vector", vector[:-1], "body has 31 bytes"),
        ("vector too long", vector + b"\x00", "body has 33 bytes"),
        ("truncated seed", seed[:-1], "body has 31 bytes"),
    ]


@pytest.mark.parametrize(("name", "payload", "message"), _malformed_cases())
def test_malformed_payloads_are_rejected_clearly(name, payload, message):
    with pytest.raises(InvalidInputError, match=message) as raised:
        sharing.expand_share(payload, ShareContext(ROUND, 0))
    assert "[" not in str(raised.value), name  # no arrays or byte dumps in the message


@pytest.mark.parametrize(("round_id", "party"), [("another-round", 0), (ROUND, 1)])
def test_payload_for_another_round_or_party_is_rejected(round_id, party):
    shares = sharing.split(np.arange(4, dtype=np.int64), round_id=ROUND)
    with pytest.raises(InvalidInputError, match="different round or party"):
        sharing.expand_share(sharing.encode_payload(shares, 0), ShareContext(round_id, party))


def test_error_messages_never_contain_share_data():
    secret = 123456789
    shares = sharing.split(np.array([secret], dtype=np.int64), round_id=ROUND)
    vector = sharing.encode_payload(shares, 0)
    for bad in (vector[:-1], b"XXXX" + vector[4:], vector + b"\x00"):
        with pytest.raises(InvalidInputError) as raised:
            sharing.expand_share(bad, ShareContext(ROUND, 0))
        assert str(secret) not in str(raised.value)
        assert str(int(shares.vector[0])) not in str(raised.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ring": np.zeros(3, dtype=np.float64)}, "int64"),
        ({"ring": np.zeros((2, 2), dtype=np.int64)}, "1-D"),
        ({"ring": np.zeros(0, dtype=np.int64)}, "number of cells"),
        ({"rng_seeds": (b"short", b"\x00" * 32)}, "32 bytes"),
    ],
)
def test_split_rejects_bad_input(kwargs, message):
    arguments = {"ring": np.zeros(3, dtype=np.int64), "round_id": ROUND, **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        sharing.split(**arguments)


def test_invalid_party_index_is_rejected():
    with pytest.raises(InvalidInputError, match="party must be 0, 1 or 2"):
        ShareContext(ROUND, 3)


def test_upload_sizes_meet_the_compression_goal():
    sizes = sharing.upload_sizes(10_000)
    assert sizes["plaintext_bytes"] == 80_000
    assert sizes["upload_ratio_compressed"] <= 1.05
    assert sizes["upload_ratio_uncompressed"] >= 3.0
    shares = sharing.split(np.zeros(10_000, dtype=np.int64), round_id=ROUND)
    assert sum(len(blob) for blob in payloads(shares)) == sizes["compressed_bytes"]


def test_check_payload_reads_the_header_of_a_payload_for_its_party_only():
    """What a party checks on arrival: the header, and that the payload is addressed to it."""
    shares = sharing.split(sharing.encode_vector([1.0, 2.0, 3.0]), round_id="r-1")
    seed_payload = sharing.encode_payload(shares, 2)
    header = sharing.check_payload(seed_payload, sharing.ShareContext("r-1", 2))
    assert (header.kind, header.cells, header.precision_bits) == ("seed", 3, 16)
    with pytest.raises(InvalidInputError, match="different round or party"):
        sharing.check_payload(seed_payload, sharing.ShareContext("r-1", 1))
    with pytest.raises(InvalidInputError, match="different round or party"):
        sharing.check_payload(seed_payload, sharing.ShareContext("r-2", 2))
