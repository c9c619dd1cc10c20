"""The five faults of the chaos runs (tests/ha/test_chaos.py, bench/chaos.py), and one
scenario: the load through HAProxy, the fault, more load, then the NB checks.

Each fault returns the moment the failure window is measured from: the kill or the pause
for a leader or provider kill and a leader pause (the service should go on without it),
the end of the pause or the restart of the NB for the others."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

from ovn_provider.ovn.central import Central, DbServer
from ovn_provider.ovn.daemons import DaemonError, run, wait_for
from ovn_provider.ovn.nb import NbUnavailable
from tests.ha.bed import HaBed
from tests.ha.load import Load, Rec, World
from tests.ha.verify import Row, check_nb, figures

CALM = 1.5  # seconds of load before the fault
AFTER = 3.0  # seconds of load after the service is back
PAUSE = 10.0  # seconds a follower is paused / the NB is stopped


def _leader(bed: HaBed, doing: str) -> tuple[Central, DbServer]:
    """The NB leader a fault is about to hit, said with the members the providers use."""
    central = bed.central
    assert central is not None
    leader = central.nb_leader()
    used = [s.name for p in bed.providers for s in bed.nb_members_of(p)]
    print(f"\n{doing} {leader.name} (providers use {used})")
    return central, leader


def leader_kill(bed: HaBed) -> float:
    central, leader = _leader(bed, "killing")
    bed.signal_nb(leader, signal.SIGKILL)
    killed = time.monotonic()
    elected = _leader_elsewhere(bed, leader, killed + 2)
    time.sleep(max(0.0, killed + 2 - time.monotonic()))
    central.start_db(leader)
    elected = elected or _leader_elsewhere(bed, leader, killed + 30)
    print(f"a new leader {elected - killed:.2f} s after the kill" if elected else
          "no new leader within 30 s")
    return killed  # the cluster serves on without it: measure from the kill


def leader_pause(bed: HaBed) -> float:
    """The NB leader SIGSTOP for PAUSE, then SIGCONT: the providers (on the leader only)
    must move to the leader the other members elect meanwhile."""
    _, leader = _leader(bed, "pausing leader")
    bed.signal_nb(leader, signal.SIGSTOP)
    paused = time.monotonic()
    try:
        elected = _leader_elsewhere(bed, leader, paused + PAUSE)
        time.sleep(max(0.0, paused + PAUSE - time.monotonic()))
    finally:
        bed.signal_nb(leader, signal.SIGCONT)
    moved = [s.name for p in bed.providers for s in bed.nb_members_of(p)]
    print(f"a new leader {elected - paused:.2f} s after the pause (providers on {moved})"
          if elected else f"no new leader during the pause (providers on {moved})")
    return paused  # the cluster serves on without it: measure from the pause


def _leader_elsewhere(bed: HaBed, old: DbServer, until: float) -> float:
    """When a member other than `old` (not asked: paused, it would not answer; killed,
    nothing to ask) became the leader (0.0: not before `until`). Writes cannot commit
    before: a provider on a follower waits, one on the old leader fails over."""
    assert bed.central is not None
    others = [s for s in bed.central.nb if s is not old]
    while time.monotonic() < until:
        if any("Role: leader" in _status(bed, s) for s in others):
            return time.monotonic()
        time.sleep(0.05)
    return 0.0


def follower_pause(bed: HaBed) -> float:
    central = bed.central
    assert central is not None
    leader = central.nb_leader()
    used = [s for p in bed.providers for s in bed.nb_members_of(p)]
    # the follower a provider reads from, so that the pause is felt
    follower = next((s for s in used if s is not leader),
                    next(s for s in central.nb if s is not leader))
    print(f"\npausing {follower.name} (providers use {[s.name for s in used]}, "
          f"leader {leader.name})")
    bed.signal_nb(follower, signal.SIGSTOP)
    try:
        time.sleep(PAUSE)
    finally:
        bed.signal_nb(follower, signal.SIGCONT)
    return time.monotonic()


def provider_kill(bed: HaBed) -> float:
    victim = bed.providers[0]
    victim.kill()
    killed = time.monotonic()
    time.sleep(1)
    bed.restart_provider(victim)
    return killed  # HAProxy sends everything to the other one: measure from the kill


def nb_outage(bed: HaBed) -> float:
    central = bed.central
    assert central is not None
    for server in central.nb:
        central.stop_db(server)
    time.sleep(PAUSE)
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
    return started  # measure from the NB's return


#: name in the table -> fault
SCENARIOS: dict[str, Callable[[HaBed], float]] = {
    "NB leader SIGKILL + restart": leader_kill,
    "NB follower SIGSTOP 10 s": follower_pause,
    "NB leader SIGSTOP 10 s + SIGCONT": leader_pause,
    "provider SIGKILL + restart": provider_kill,
    "whole NB stopped 10 s": nb_outage,
}


def wait_cluster(bed: HaBed) -> None:
    """Every NB member is back in the cluster before the next scenario."""
    assert bed.central is not None
    for server in bed.central.nb:
        wait_for(lambda s=server: "Role: leader" in _status(bed, s) or
                 "Role: follower" in _status(bed, s), 30, f"{server.name} rejoins")


def _status(bed: HaBed, server: DbServer) -> str:
    assert bed.central is not None
    return run(["ovs-appctl", "-t", server.ctl, "cluster/status", "OVN_Northbound"],
               env=bed.central.env, check=False)


def scenario(bed: HaBed, world: World, name: str, seed: int) -> tuple[Row, list[Rec], float]:
    """Runs the load, the fault `name`, more load, then checks the NB; returns the row,
    the request records and the moment the window is measured from."""
    assert bed.central is not None
    load = Load(world, seed=seed).start()
    try:
        time.sleep(CALM)
        restored_at = SCENARIOS[name](bed)
        time.sleep(AFTER)
    finally:
        records = load.stop()
    wait_cluster(bed)
    try:
        row = check_nb(world, bed.central.nb_remote, figures(name, records, restored_at))
    except NbUnavailable:  # the audit's new session never synced: say where the NB stands
        for server in bed.central.nb:
            print(f"--- {server.name} ({server.remote}):\n{_status(bed, server)}")
        raise
    return row, records, restored_at


def failures(records: list[Rec], since: float) -> list[str]:
    """The failed requests, one line each: start relative to `since`, duration, answer."""
    return [f"  {r.start - since:+7.2f} s {r.end - r.start:5.2f} s {r.op}: {r.status} "
            f"{r.error[:160]!r}" for r in sorted(records, key=lambda r: r.start) if not r.ok]
