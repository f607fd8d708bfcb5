"""Which member the supervisor blames when several have died by the time it looks.

When one MPC process dies its peers die moments later of a lost connection; if all exits
are already in when the supervisor polls, list order must not decide who is named.
"""

from __future__ import annotations

import sys
import time

import pytest

from samenbeeld.federation.mpc.supervisor import (
    Member,
    PartyFailedError,
    likeliest_cause,
    start_member,
    wait_for_members,
)

LOST_PEER = (
    "import sys; sys.stderr.write('RuntimeError: Read error [127.0.0.1]:26249: "
    "Connection reset by peer\\n'); sys.exit(1)"
)
OWN_ERROR = "import sys; sys.stderr.write('FileNotFoundError: shares2.npy\\n'); sys.exit(1)"
KILLED = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"


def start_all(tmp_path, codes: list[str]) -> list[Member]:
    """Start one ``python -c`` member per code and wait until every one has exited."""
    members = [
        start_member(rank, f"member {rank}", [sys.executable, "-c", code], tmp_path, f"m{rank}")
        for rank, code in enumerate(codes)
    ]
    deadline = time.monotonic() + 30
    while any(member.process.poll() is None for member in members):
        assert time.monotonic() < deadline, "the members did not exit"
        time.sleep(0.01)
    return members


def blamed(members: list[Member]) -> PartyFailedError:
    with pytest.raises(PartyFailedError) as caught:
        wait_for_members(members, timeout=10)
    return caught.value


def test_a_member_killed_by_a_signal_is_blamed_over_its_peers(tmp_path):
    members = start_all(tmp_path, [LOST_PEER, LOST_PEER, "pass", KILLED])
    error = blamed(members)
    assert error.party == 3
    assert error.reason == "exited with code -9"


def test_a_member_with_its_own_error_is_blamed_over_those_that_lost_it(tmp_path):
    members = start_all(tmp_path, [LOST_PEER, OWN_ERROR, LOST_PEER])
    error = blamed(members)
    assert error.party == 1
    assert "shares2.npy" in error.stderr_tail


def test_among_equal_failures_the_lowest_rank_is_named(tmp_path):
    members = start_all(tmp_path, ["pass", OWN_ERROR, OWN_ERROR])
    assert blamed(members).party == 1


def test_the_suspect_is_named_among_equal_failures(tmp_path):
    """The pool passes the member it saw fail; it stays named unless another looks likelier."""
    members = start_all(tmp_path, [OWN_ERROR, OWN_ERROR, KILLED])
    assert likeliest_cause(members[:2], suspect=members[1]) == (members[1], 1)
    assert likeliest_cause(members, suspect=members[1]) == (members[2], -9)


def test_a_long_lived_worker_that_exits_cleanly_counts_only_with_any_exit(tmp_path):
    """A pool worker must never exit, so exit code 0 is a failure there; a one-shot's is not."""
    members = start_all(tmp_path, ["pass", "pass"])
    assert likeliest_cause(members) is None
    assert likeliest_cause(members, any_exit=True) == (members[0], 0)
