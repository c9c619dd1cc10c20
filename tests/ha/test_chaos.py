"""Chaos under load (tests/ha/bed.py, load.py, verify.py): C = 8 clients write through
HAProxy while one fault at a time hits the NB cluster or a provider. After each: every
acknowledged write is in the NB as answered, nothing unacknowledged is half-written, the
audit finds nothing (so no IP or MAC twice), and every failed request got a clean 502 or
503. The failure windows are measured and printed (the table at the end of the run);
the test asserts correctness only."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator

import pytest

from ovn_provider.ovn.daemons import DaemonError, run, wait_for
from tests.ha.bed import HaBed
from tests.ha.load import Load, World
from tests.ha.verify import Row, check_nb, figures

ROWS: list[Row] = []
CALM = 1.5  # seconds of load before the fault
AFTER = 3.0  # seconds of load after the service is back


@pytest.fixture(scope="module")
def world(ha_bed: HaBed) -> Iterator[World]:
    yield World(ha_bed.base)


def _scenario(bed: HaBed, world: World, name: str, fault: Callable[[], float]) -> Row:
    """Runs the load, `fault()` (returns when the fault ended), then checks the NB."""
    assert bed.central is not None
    load = Load(world, seed=len(ROWS) * 100).start()
    try:
        time.sleep(CALM)
        restored_at = fault()
        time.sleep(AFTER)
    finally:
        records = load.stop()
    _wait_cluster(bed)
    row = check_nb(world, bed.central.nb_remote, figures(name, records, restored_at))
    ROWS.append(row)
    print(f"\n{name}: {row.line()}")
    assert row.requests > 0 and row.acked > 0
    assert not row.bad, row.bad[:10]
    assert not row.problems, row.problems[:10]
    assert row.lost == 0 and row.duplicated == 0
    return row


def _wait_cluster(bed: HaBed) -> None:
    """Every NB member is back in the cluster before the next scenario."""
    assert bed.central is not None
    for server in bed.central.nb:
        wait_for(lambda s=server: "Role: leader" in _status(bed, s) or
                 "Role: follower" in _status(bed, s), 30, f"{server.name} rejoins")


def _status(bed: HaBed, server: object) -> str:
    assert bed.central is not None
    return run(["ovs-appctl", "-t", server.ctl, "cluster/status",  # type: ignore[attr-defined]
                "OVN_Northbound"], env=bed.central.env, check=False)


def test_nb_leader_killed_and_restarted(ha_bed: HaBed, world: World) -> None:
    central = ha_bed.central
    assert central is not None

    def fault() -> float:
        leader = central.nb_leader()
        used = [s.name for p in ha_bed.providers for s in ha_bed.nb_members_of(p)]
        print(f"\nkilling {leader.name} (providers use {used})")
        ha_bed.signal_nb(leader, signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(2)
        central.start_db(leader)
        return killed  # the cluster serves on without it: measure from the kill

    _scenario(ha_bed, world, "NB leader SIGKILL + restart", fault)


def test_nb_follower_paused(ha_bed: HaBed, world: World) -> None:
    central = ha_bed.central
    assert central is not None

    def fault() -> float:
        leader = central.nb_leader()
        used = [s for p in ha_bed.providers for s in ha_bed.nb_members_of(p)]
        # the follower a provider reads from, so that the pause is felt
        follower = next((s for s in used if s is not leader),
                        next(s for s in central.nb if s is not leader))
        print(f"\npausing {follower.name} (providers use {[s.name for s in used]}, "
              f"leader {leader.name})")
        ha_bed.signal_nb(follower, signal.SIGSTOP)
        try:
            time.sleep(10)
        finally:
            ha_bed.signal_nb(follower, signal.SIGCONT)
        return time.monotonic()

    _scenario(ha_bed, world, "NB follower SIGSTOP 10 s", fault)


def test_provider_killed_and_restarted(ha_bed: HaBed, world: World) -> None:
    def fault() -> float:
        victim = ha_bed.providers[0]
        victim.kill()
        killed = time.monotonic()
        time.sleep(1)
        ha_bed.restart_provider(victim)
        return killed  # HAProxy sends everything to the other one: measure from the kill

    _scenario(ha_bed, world, "provider SIGKILL + restart", fault)


def test_whole_nb_cluster_stopped(ha_bed: HaBed, world: World) -> None:
    central = ha_bed.central
    assert central is not None

    def fault() -> float:
        for server in central.nb:
            central.stop_db(server)
        time.sleep(10)
        for server in central.nb:
            central.start_db(server)
        started = time.monotonic()
        while time.monotonic() < started + 30:
            try:
                central.nb_leader()
                break
            except DaemonError:
                time.sleep(0.02)
        print(f"\nNB cluster: a leader {time.monotonic() - started:.2f} s after the restart")
        return started

    row = _scenario(ha_bed, world, "whole NB stopped 10 s", fault)
    assert row.failed > 0, "the outage should have been seen by clients"
