"""The load process of the national round: it acts as 342 nodes, uploading real shares.

``python -m bench.round_load ROUND_ID KEYS_DIR PARTY_URLS OUT.json --indicator CODE
--period-start DATE [--cells N]``: for every node key in KEYS_DIR (``GMdddd.pem``) it draws a
vector of N counts, splits it into three additive shares (seed-compressed), and PUTs share i
to party i, declaring the round's spec, with a fresh token signed by that node's key, eight
uploads at a time. It writes the per-upload latencies (ms), the
plaintext column sums (for verification), the seconds NumPy took for them and the number
of refused uploads to OUT.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from samenbeeld.federation.mpc import sharing
from samenbeeld.federation.protocol import RoundSpec
from samenbeeld.platform.keys import read_private_key
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.tokens import Signer

WORKERS = 8
MAX_COUNT = 5_000


def upload_node(
    client: httpx.Client,
    key_file: Path,
    parties: list[str],
    round_id: str,
    spec: RoundSpec,
    vector: np.ndarray,
) -> list[tuple[float, int]]:
    """Share one node's vector and upload it; (latency ms, status) per party."""
    code = key_file.stem
    signer = Signer(read_private_key(key_file), role="node", member=code)
    shares = sharing.split(sharing.encode_vector(vector), round_id=round_id)
    timings = []
    for index, url in enumerate(parties):
        body = sharing.encode_payload(shares, index)
        headers = signer.headers(audience_for("party", str(index)))
        headers["Content-Type"] = "application/octet-stream"
        started = time.perf_counter()
        response = client.put(
            f"{url}/api/v1/rounds/{round_id}/shares",
            content=body,
            headers=headers,
            params=spec.to_query(),
        )
        timings.append(((time.perf_counter() - started) * 1000, response.status_code))
    return timings


def main() -> None:
    """Upload every node's shares and record what happened."""
    parser = argparse.ArgumentParser()
    parser.add_argument("round_id")
    parser.add_argument("keys", type=Path)
    parser.add_argument("parties")
    parser.add_argument("out", type=Path)
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--indicator", required=True)
    parser.add_argument("--period-start", type=dt.date.fromisoformat, required=True)
    args = parser.parse_args()
    spec = RoundSpec("checked_sum", args.period_start, (args.indicator,), args.cells)
    key_files = sorted(args.keys.glob("GM*.pem"))
    rng = np.random.default_rng(abs(hash(args.round_id)) % 2**32)
    vectors = rng.integers(0, MAX_COUNT, size=(len(key_files), args.cells)).astype(np.float64)
    parties = args.parties.split(",")
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(WORKERS) as pool:
        results = list(
            pool.map(
                lambda job: upload_node(client, job[0], parties, args.round_id, spec, job[1]),
                zip(key_files, vectors, strict=True),
            )
        )
    latencies = [ms for node in results for ms, _ in node]
    refused = sum(status != 201 for node in results for _, status in node)
    started = time.perf_counter()
    sums = vectors.sum(axis=0)
    plain_s = time.perf_counter() - started
    document = {"latencies_ms": latencies, "refused": refused, "sums": sums.tolist()}
    document["plaintext_sum_s"] = plain_s
    args.out.write_text(json.dumps(document))


if __name__ == "__main__":
    main()
