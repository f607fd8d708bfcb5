"""The triple dealer: CrypTen's TTP provider as a fourth, separate process.

``python -m samenbeeld.federation.mpc.dealer --world-size 3 --master-addr A --master-port P``
hosts the session's rendezvous store on port P (0: one the OS picks) and prints
``{"rendezvous_port": N}`` as its first line, then joins the parties' gloo session as rank
``world_size`` (where CrypTen 0.4.1 puts its trusted third party) and serves correlated
randomness until party 0 says ``terminate`` during ``crypten.uninit()``. It has no option
to load shares and never receives any.

The protocol is CrypTen's own (:mod:`crypten.mpc.provider.ttp_provider`): the dealer sends
each party a random seed; for every triple, every party draws its shares of ``a``, ``b``
and its share of ``c`` from that seed, except party 0, which asks the dealer. The dealer
rebuilds ``a`` and ``b`` from all seeds, computes ``c = a op b`` and sends party 0 only
``c0 = c - c1 - c2``. The serve loop is CrypTen's ``TTPServer`` loop, rewritten so that a
lost connection is an error (exit 1) rather than a silent return, and so that the number of
requests is reported. Alone, the dealer learns only request metadata (operations and tensor
shapes); colluding with any one party, it could unmask what that party sees opened.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc.runtime import WORLD_SIZE, entry_point, host_store, join_parties
from samenbeeld.platform.errors import SamenbeeldError

TERMINATE = "terminate"
TTP_FUNCTIONS = frozenset({"additive", "square", "binary", "wraps", "B2A"})


class DealerError(SamenbeeldError):
    """The dealer lost party 0 or received a request it does not serve."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the dealer's command line (deliberately without any shares option)."""
    parser = argparse.ArgumentParser(description="Serve CrypTen TTP triples to the parties.")
    parser.add_argument("--world-size", type=int, default=WORLD_SIZE, help="compute parties")
    parser.add_argument("--master-addr", default="127.0.0.1")
    parser.add_argument(
        "--master-port", type=int, required=True, help="the store's port; 0 picks a free one"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="rendezvous seconds")
    return parser.parse_args(argv)


def join_as_dealer(crypten: Any, world_size: int, addr: str, port: int, timeout: float) -> None:
    """Join the rendezvous as rank ``world_size`` with CrypTen's TTP provider configured."""
    join_parties(
        crypten, world_size, addr, port, timeout, "ttp", world_size=world_size, name="dealer"
    )


def make_server(crypten: Any) -> Any:
    """A CrypTen ``TTPServer`` with its seeds sent to the parties, without its blocking loop."""
    comm = crypten.communicator
    server = crypten.mpc.provider.TTPServer.__new__(crypten.mpc.provider.TTPServer)
    server.ttp_group = comm.get().ttp_group
    server.comm_group = comm.get().ttp_comm_group
    server.device = "cpu"
    server._setup_generators()
    return server


def answer(server: Any, message: dict[str, Any]) -> Any:
    """Compute party 0's share of one requested triple (or square, wrap, B2A pair)."""
    function = message.get("function")
    if function not in TTP_FUNCTIONS:
        raise DealerError(f"dealer: unknown request {function!r}")
    server.device = message.get("device")
    return getattr(server, function)(*message["args"], **message["kwargs"])


def serve(crypten: Any, server: Any) -> int:
    """Answer party 0 until it sends ``terminate``; returns the number of requests served."""
    comm = crypten.communicator.get()
    rank = comm.get_ttp_rank()
    served = 0
    while True:
        try:
            message = comm.recv_obj(0, server.ttp_group)
        except RuntimeError as error:
            raise DealerError(f"dealer: lost party 0 after {served} requests: {error}") from error
        if message == TERMINATE:
            return served
        result = answer(server, message)
        comm.send_obj(result.size(), 0, server.ttp_group)
        comm.broadcast(result, rank, server.comm_group)
        served += 1


def run_dealer(world_size: int, addr: str, port: int, timeout: float) -> dict[str, float | int]:
    """Join, serve until the parties finish, and return the dealer's own report."""
    marks = [time.perf_counter()]
    crypten = crypten_compat.import_crypten()
    marks.append(time.perf_counter())
    port = host_store(addr, port, timeout)
    print(json.dumps({"rendezvous_port": port}), flush=True)
    join_as_dealer(crypten, world_size, addr, port, timeout)
    server = make_server(crypten)
    marks.append(time.perf_counter())
    requests = serve(crypten, server)
    marks.append(time.perf_counter())
    import_s, rendezvous_s, serve_s = (b - a for a, b in zip(marks, marks[1:], strict=False))
    return {
        "pid": os.getpid(),
        "requests": requests,
        "import_s": import_s,
        "rendezvous_s": rendezvous_s,
        "serve_s": serve_s,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the dealer; print its report (JSON) on stdout, or the error on stderr."""
    args = parse_args(argv)
    where = (args.world_size, args.master_addr, args.master_port, args.timeout)
    return entry_point("triple dealer", args.world_size, lambda: run_dealer(*where))


if __name__ == "__main__":
    sys.exit(main())
