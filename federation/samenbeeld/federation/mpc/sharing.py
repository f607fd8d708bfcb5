"""Node-side additive secret sharing over Z_2^64, with seed compression and a binary wire format.

A node encodes its indicator vector into CrypTen's int64 ring and splits it into three
additive shares: ``share0 + share1 + share2 == ring`` (mod 2**64). Shares 1 and 2 are the
ChaCha20 keystreams of two fresh 32-byte seeds, so the node uploads one vector (to party 0)
and one seed each to parties 1 and 2. Each keystream's nonce is bound to the round and the
party, and so is the 16-byte context id in every payload header.

Wire format, little-endian (:data:`HEADER`, 28 bytes), then the body::

    magic b"SBS1" | version u8 | kind u8 (0 vector, 1 seed) | precision bits u8 | pad
    | cells u32 | context id (16 bytes) | body: cells x int64, or the 32-byte seed

Malformed payloads raise :class:`InvalidInputError`; messages name sizes and fields, never
share or value data.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from samenbeeld.federation.mpc.compat import PRECISION_BITS, encode_ring
from samenbeeld.platform.errors import InvalidInputError

MAGIC = b"SBS1"
VERSION = 1
HEADER = struct.Struct("<4sBBBxI16s")
SEED_BYTES = 32
MAX_CELLS = 1_000_000
MAX_PRECISION_BITS = 32
MAX_ABS_RING = 1 << 62
"""Bound on one encoded value; the catalog must keep cross-city sums below 2**63 too."""

PARTIES = 3
_KINDS: dict[int, Literal["vector", "seed"]] = {0: "vector", 1: "seed"}
_KIND_CODES = {name: code for code, name in _KINDS.items()}
_CONTEXT_LABEL = b"SBS1-context"
_NONCE_LABEL = b"SBS1-prg-nonce"
"""blake2b personalisation strings (at most 16 bytes) keeping the two derivations apart."""


@dataclass(frozen=True)
class ShareContext:
    """Which round and which compute party (0, 1 or 2) a share belongs to."""

    round_id: str
    party: int

    def __post_init__(self) -> None:
        """Refuse party indexes outside 0..2."""
        if self.party not in range(PARTIES):
            raise InvalidInputError(f"party must be 0, 1 or 2, not {self.party!r}")

    def context_id(self) -> bytes:
        """The 16-byte id carried in payload headers: blake2b of label, round and party."""
        return _digest(_CONTEXT_LABEL, self, 16)

    def nonce(self) -> bytes:
        """ChaCha20's 16-byte nonce: a zero 32-bit block counter, then 12 derived bytes."""
        return bytes(4) + _digest(_NONCE_LABEL, self, 12)


@dataclass(frozen=True)
class Shares:
    """One city's three shares: the explicit vector for party 0, seeds for parties 1 and 2."""

    round_id: str
    precision_bits: int
    vector: np.ndarray
    seeds: tuple[bytes, bytes]

    @property
    def cells(self) -> int:
        """Number of ring elements in each share."""
        return int(self.vector.shape[0])


@dataclass(frozen=True)
class PayloadHeader:
    """The fixed header of one wire payload."""

    version: int
    kind: Literal["vector", "seed"]
    precision_bits: int
    cells: int
    context_id: bytes


def _digest(label: bytes, context: ShareContext, size: int) -> bytes:
    """Domain-separated blake2b of a round id and a party index."""
    round_bytes = context.round_id.encode("utf-8")
    data = struct.pack("<I", len(round_bytes)) + round_bytes + bytes([context.party])
    return hashlib.blake2b(data, digest_size=size, person=label).digest()


def encode_vector(values: Any, precision_bits: int = PRECISION_BITS) -> np.ndarray:
    """Encode a 1-D vector of finite numbers into the int64 ring (CrypTen's fixed point).

    ``precision_bits=0`` encodes integers as themselves (range and one-hot checks).
    """
    _check_precision(precision_bits)
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or not 1 <= array.shape[0] <= MAX_CELLS:
        raise InvalidInputError(f"values must be a 1-D vector of 1 to {MAX_CELLS} cells")
    if not np.all(np.isfinite(array)):
        raise InvalidInputError("values must be finite numbers")
    if np.any(np.abs(array) * float(1 << precision_bits) > float(MAX_ABS_RING)):
        raise InvalidInputError(f"values must stay within +-2**{62 - precision_bits}")
    return encode_ring(array, precision_bits)


def split(
    ring: np.ndarray,
    rng_seeds: tuple[bytes, bytes] | None = None,
    *,
    round_id: str,
    precision_bits: int = PRECISION_BITS,
) -> Shares:
    """Split an int64 ring vector into three additive shares mod 2**64.

    Parties 1 and 2 get the keystreams of two seeds (fresh from :mod:`secrets` unless
    ``rng_seeds`` is given, for tests); party 0 gets ``ring - share1 - share2``.
    """
    vector = _as_ring(ring)
    seeds = rng_seeds if rng_seeds is not None else _fresh_seeds()
    _check_seeds(seeds)
    cells = vector.shape[0]
    share1 = expand_seed(seeds[0], ShareContext(round_id, 1), cells)
    share2 = expand_seed(seeds[1], ShareContext(round_id, 2), cells)
    with np.errstate(over="ignore"):
        share0 = vector - share1 - share2
    return Shares(round_id, precision_bits, share0, (seeds[0], seeds[1]))


def _as_ring(ring: np.ndarray) -> np.ndarray:
    """Check that ``ring`` is a 1-D int64 vector of an accepted size."""
    if not isinstance(ring, np.ndarray) or ring.dtype != np.int64 or ring.ndim != 1:
        raise InvalidInputError("ring must be a 1-D numpy int64 vector")
    _check_cells(ring.shape[0])
    return ring


def _fresh_seeds() -> tuple[bytes, bytes]:
    """Two independent 32-byte seeds from the operating system's CSPRNG."""
    return secrets.token_bytes(SEED_BYTES), secrets.token_bytes(SEED_BYTES)


def _check_seeds(seeds: tuple[bytes, bytes]) -> None:
    """Require exactly two seeds of 32 bytes each."""
    if len(seeds) != 2 or any(len(s) != SEED_BYTES for s in seeds):
        raise InvalidInputError(f"rng_seeds must be two seeds of {SEED_BYTES} bytes")


def expand_seed(seed: bytes, context: ShareContext, cells: int) -> np.ndarray:
    """Expand a 32-byte seed into ``cells`` int64 ring elements with ChaCha20."""
    encryptor = Cipher(algorithms.ChaCha20(seed, context.nonce()), mode=None).encryptor()
    keystream = encryptor.update(bytes(cells * 8)) + encryptor.finalize()
    return np.frombuffer(keystream, dtype="<i8").astype(np.int64)


def encode_payload(shares: Shares, party: int) -> bytes:
    """Serialise party ``party``'s share: header, then the int64 vector or the seed."""
    context = ShareContext(shares.round_id, party)
    if party == 0:
        header = _pack_header("vector", shares.precision_bits, shares.cells, context)
        return header + shares.vector.astype("<i8").tobytes()
    header = _pack_header("seed", shares.precision_bits, shares.cells, context)
    return header + shares.seeds[party - 1]


def _pack_header(
    kind: Literal["vector", "seed"], precision_bits: int, cells: int, context: ShareContext
) -> bytes:
    """Pack the fixed 28-byte header."""
    _check_precision(precision_bits)
    _check_cells(cells)
    code = _KIND_CODES[kind]
    return HEADER.pack(MAGIC, VERSION, code, precision_bits, cells, context.context_id())


def decode_payload(payload: bytes) -> tuple[PayloadHeader, np.ndarray]:
    """Parse and validate a payload: the header and its body.

    The body is the int64 share vector for ``kind == "vector"``, the seed's 32 bytes as a
    uint8 array for ``kind == "seed"``.
    """
    header = _parse_header(payload)
    body = payload[HEADER.size :]
    expected = header.cells * 8 if header.kind == "vector" else SEED_BYTES
    if len(body) != expected:
        raise InvalidInputError(
            f"payload body has {len(body)} bytes, {header.kind} of {header.cells} cells "
            f"needs {expected}"
        )
    if header.kind == "vector":
        return header, np.frombuffer(body, dtype="<i8").astype(np.int64)
    return header, np.frombuffer(body, dtype=np.uint8).copy()


def _parse_header(payload: bytes) -> PayloadHeader:
    """Unpack and check the fixed header fields."""
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise InvalidInputError("payload must be bytes")
    if len(payload) < HEADER.size:
        raise InvalidInputError(
            f"payload too short: {len(payload)} bytes, the header alone needs {HEADER.size}"
        )
    magic, version, code, precision_bits, cells, context_id = HEADER.unpack_from(payload)
    if magic != MAGIC:
        raise InvalidInputError("payload is not a Samenbeeld share (wrong magic bytes)")
    if version != VERSION:
        raise InvalidInputError(f"unsupported payload version {version}, expected {VERSION}")
    if code not in _KINDS:
        raise InvalidInputError(f"unknown payload kind code {code}")
    _check_precision(precision_bits)
    _check_cells(cells)
    return PayloadHeader(version, _KINDS[code], precision_bits, cells, context_id)


def check_payload(payload: bytes, context: ShareContext) -> PayloadHeader:
    """The header of a payload addressed to ``context`` (InvalidInputError otherwise).

    Checks everything :func:`expand_share` would, without expanding a seed: a party checks
    an upload when it arrives and expands it once, when the round is computed.
    """
    header, _ = decode_payload(payload)
    if header.context_id != context.context_id():
        raise InvalidInputError("payload belongs to a different round or party")
    return header


def expand_share(payload: bytes, context: ShareContext) -> np.ndarray:
    """Turn a payload received by ``context.party`` into that party's int64 share vector."""
    header, body = decode_payload(payload)
    if header.context_id != context.context_id():
        raise InvalidInputError("payload belongs to a different round or party")
    if header.kind == "vector":
        return body
    return expand_seed(body.tobytes(), context, header.cells)


def _check_cells(cells: int) -> None:
    """Require 1 to MAX_CELLS cells."""
    if not 1 <= cells <= MAX_CELLS:
        raise InvalidInputError(f"number of cells must be 1 to {MAX_CELLS}, not {cells}")


def _check_precision(precision_bits: int) -> None:
    """Require 0 to MAX_PRECISION_BITS fractional bits."""
    if not 0 <= precision_bits <= MAX_PRECISION_BITS:
        raise InvalidInputError(
            f"precision bits must be 0 to {MAX_PRECISION_BITS}, not {precision_bits}"
        )


def upload_sizes(cells: int) -> dict[str, int | float]:
    """Bytes one city uploads per round for ``cells`` cells, with and without seeds."""
    _check_cells(cells)
    plaintext = cells * 8
    vector_payload = HEADER.size + plaintext
    seed_payload = HEADER.size + SEED_BYTES
    uncompressed = PARTIES * vector_payload
    compressed = vector_payload + 2 * seed_payload
    return {
        "plaintext_bytes": plaintext,
        "uncompressed_bytes": uncompressed,
        "compressed_bytes": compressed,
        "upload_ratio_uncompressed": uncompressed / plaintext,
        "upload_ratio_compressed": compressed / plaintext,
    }
