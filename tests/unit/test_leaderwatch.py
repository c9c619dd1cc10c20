"""ovn/leaderwatch.py: which `_Server` updates move the NB session. Only a member turning
leader counts; a claim read at (re)connection, a paused member's stale one, never does
(tests/ha/test_chaos.py runs the whole thing: the NB leader paused under load)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.ovn.leaderwatch import LeaderWatch

A, B = "tcp:127.0.0.1:1", "tcp:127.0.0.1:2"


def _row(name: str = "OVN_Northbound", leader: bool = True, connected: bool = True,
         old: dict[str, Any] | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"new": {"name": name, "leader": leader, "connected": connected}}
    if old is not None:
        change["old"] = old
    return {"Database": {"5e8c": change}}


@pytest.fixture()
def watch() -> Iterator[LeaderWatch]:
    """A watch on members A and B whose thread never starts: the tests feed it updates."""
    leader_watch = LeaderWatch([A, B], "OVN_Northbound")
    try:
        yield leader_watch
    finally:
        leader_watch.stop()


def test_a_member_turning_leader_is_taken_once(watch: LeaderWatch) -> None:
    watch._update(B, _row(old={"leader": False}))
    assert watch.take() == B
    assert watch.take() is None


def test_claims_that_are_not_a_change_are_ignored(watch: LeaderWatch) -> None:
    watch._update(B, _row())  # as at (re)connection: no "old", a state not a change
    watch._update(B, _row(old={"connected": False}))  # leader all along
    watch._update(B, _row(leader=False, old={"leader": True}))  # stepped down
    watch._update(B, _row(name="OVN_Southbound", old={"leader": False}))
    watch._update(B, _row(connected=False, old={"leader": False}))
    watch._update(B, {"Database": {"5e8c": {"old": {"name": "OVN_Northbound"}}}})
    watch._update(B, [])
    assert watch.take() is None


def test_the_latest_election_wins(watch: LeaderWatch) -> None:
    watch._update(A, _row(old={"leader": False}))
    watch._update(B, _row(old={"leader": False}))
    assert watch.take() == B
