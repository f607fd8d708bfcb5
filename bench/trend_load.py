"""The load process of the trend API benchmark: an open-loop stream of GETs.

``python -m bench.trend_load BASE_URL TOKEN OUT.json --rate R --duration S --paths P...``
sends request i at ``start + i / R`` (cycling through the paths) from a pool of threads
with keep-alive connections, whatever the server's pace, and records each latency from
the moment the request was due to the moment its whole body had arrived.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

WORKERS = 48


def main() -> None:
    """Send the stream, then write latencies (ms), status counts and the achieved rate."""
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("out", type=Path)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--paths", nargs="+", required=True)
    args = parser.parse_args()
    total = int(args.rate * args.duration)
    headers = {"Authorization": f"Bearer {args.token}"}
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
    client = httpx.Client(base_url=args.base_url, headers=headers, timeout=30, limits=limits)

    def send(path: str, due: float) -> None:
        try:
            status = client.get(path).status_code
        except httpx.HTTPError:
            status = 0
        elapsed = (time.perf_counter() - due) * 1000
        with lock:
            latencies.append(elapsed)
            statuses[status] += 1

    start = time.perf_counter() + 0.2
    with client, ThreadPoolExecutor(WORKERS) as pool:
        for i in range(total):
            due = start + i / args.rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, args.paths[i % len(args.paths)], due)
    elapsed = time.perf_counter() - start
    errors = sum(n for status, n in statuses.items() if status != 200)
    document = {
        "latencies_ms": latencies,
        "statuses": {str(k): v for k, v in statuses.items()},
        "errors": errors,
        "achieved_rate": len(latencies) / elapsed,
    }
    args.out.write_text(json.dumps(document))


if __name__ == "__main__":
    main()
