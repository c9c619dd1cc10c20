"""Chaos under load (tests/ha/bed.py, load.py, verify.py): C = 8 clients write through
HAProxy while one fault at a time hits the NB cluster or a provider. After each: every
acknowledged write is in the NB as answered, nothing unacknowledged is half-written, the
audit finds nothing (so no IP or MAC twice), and every failed request got a clean 502 or
503. The failure windows are measured and printed (the table at the end of the run);
the test asserts correctness only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ha.bed import HaBed
from tests.ha.faults import failures, scenario
from tests.ha.load import World
from tests.ha.verify import Row

ROWS: list[Row] = []


@pytest.fixture(scope="module")
def world(ha_bed: HaBed) -> Iterator[World]:
    yield World(ha_bed.base)


def _scenario(bed: HaBed, world: World, name: str) -> Row:
    """One fault of tests/ha/faults.py under load, then the NB checks."""
    row, records, since = scenario(bed, world, name, seed=len(ROWS) * 100)
    ROWS.append(row)
    print(f"\n{name}: {row.line()}")
    print("\n".join(failures(records, since)))
    assert row.requests > 0 and row.acked > 0
    if row.bad:  # a 500 has its traceback in a provider log, gone with the bed's directory
        print("\n".join(bed.errors()))
    assert not row.bad, row.bad[:10]
    assert not row.problems, row.problems[:10]
    assert row.lost == 0 and row.duplicated == 0
    return row


def test_nb_leader_killed_and_restarted(ha_bed: HaBed, world: World) -> None:
    _scenario(ha_bed, world, "NB leader SIGKILL + restart")


def test_nb_follower_paused(ha_bed: HaBed, world: World) -> None:
    _scenario(ha_bed, world, "NB follower SIGSTOP 10 s")


def test_nb_leader_paused(ha_bed: HaBed, world: World) -> None:
    _scenario(ha_bed, world, "NB leader SIGSTOP 10 s + SIGCONT")


def test_provider_killed_and_restarted(ha_bed: HaBed, world: World) -> None:
    _scenario(ha_bed, world, "provider SIGKILL + restart")


def test_whole_nb_cluster_stopped(ha_bed: HaBed, world: World) -> None:
    row = _scenario(ha_bed, world, "whole NB stopped 10 s")
    assert row.failed > 0, "the outage should have been seen by clients"
