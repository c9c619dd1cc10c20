"""A reader holding the replica longer than the NB's inactivity probe (ovn/keepalive.py).

The NB serves the provider on a listener from its Connection table with the shortest
inactivity probe ovsdb-server takes (1 s: it drops a client silent for ~2 s). The test
holds `Nb.read()` as a slow list of many ports would, well past that, while another
client changes the NB: the provider must stay connected (no reconnect counted), the
reader must see no change while it holds the replica, and the change must arrive after.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import free_port, run, wait_for
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.nb import PROBE_MS as PROBE_MS_CLUSTER
from ovn_provider.ovn.nb import SOLE_PROBE_MS, Nb, NbUnavailable
from ovn_provider.server import Provider
from tests.support.provider import TOKEN, make_config, running

PROBE_MS = 1000  # ovsdb-server's minimum inactivity probe
HOLD_S = 6.0  # > 2 x PROBE_MS: ovsdb-server drops a client that answers nothing this long


@dataclass
class Bed:
    central: Central
    provider: Provider
    http: httpx.Client
    remote: str  # the listener with the 1 s probe


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    directory = tempfile.mkdtemp(prefix="ovnp-probe-")
    central = Central(os.path.join(directory, "ovn"))
    try:
        central.start()
        port = free_port()
        run(["ovs-appctl", "-t", central.nb[0].ctl, "ovsdb-server/add-remote",
             "db:OVN_Northbound,NB_Global,connections"], env=central.env)
        central.nbctl(f"--inactivity-probe={PROBE_MS}", "set-connection",
                      f"ptcp:{port}:127.0.0.1")
        listening = run(["ovs-appctl", "-t", central.nb[0].ctl,
                         "ovsdb-server/list-remotes"], env=central.env)
        assert "db:OVN_Northbound,NB_Global,connections" in listening
        assert central.nbctl("get", "Connection", ".", "inactivity_probe").strip() == \
            str(PROBE_MS)
        cfg = make_config(f"tcp:127.0.0.1:{port}")
        with running(cfg) as provider, httpx.Client(
                base_url=f"http://127.0.0.1:{provider.ports[0]}",
                headers={"X-Auth-Token": TOKEN}, timeout=30) as http:
            yield Bed(central, provider, http, f"tcp:127.0.0.1:{port}")
    finally:
        central.stop(remove=True)
        shutil.rmtree(directory, ignore_errors=True)


def reconnects(http: httpx.Client) -> float:
    response = http.get("/metrics")
    assert response.status_code == 200, response.text
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "ovn_provider_nb_reconnects_total":
                return sample.value
    raise AssertionError("no ovn_provider_nb_reconnects_total in /metrics")


def switches(provider: Provider) -> set[str]:
    try:
        with provider.nb.read() as idl:
            return {row.name for row in idl.tables["Logical_Switch"].rows.values()}
    except NbUnavailable:  # dropped and reconnecting: what the test looks for below
        return set()


def probe_drops(central: Central) -> list[str]:
    """ovsdb-server's log lines about clients it dropped for not answering its probe."""
    with open(os.path.join(central.directory, f"{central.nb[0].name}.log")) as log:
        return [line for line in log if "inactivity probe" in line]


def test_a_long_reader_does_not_get_the_provider_dropped(bed: Bed) -> None:
    before = reconnects(bed.http)
    tag = uuid.uuid4().hex[:8]
    gone, kept = f"gone-{tag}", f"kept-{tag}"
    posted: list[httpx.Response] = []
    writer = threading.Thread(target=lambda: posted.append(bed.http.post(
        "/v2.0/networks", json={"network": {"name": f"during-{tag}"}})))
    with bed.provider.nb.read() as idl:
        seen = {row.name for row in idl.tables["Logical_Switch"].rows.values()}
        # Committed by the NB while the replica is held, in this order.
        bed.central.nbctl("ls-add", gone)
        bed.central.nbctl("ls-add", kept)
        bed.central.nbctl("ls-del", gone)
        writer.start()  # an API write waits for the reader, on the same session
        time.sleep(HOLD_S)
        # One consistent state for the whole read: the updates wait for the reader.
        assert {row.name for row in idl.tables["Logical_Switch"].rows.values()} == seen
    writer.join(30)
    assert len(posted) == 1 and posted[0].status_code == 201, posted
    assert not {gone, kept} & seen
    wait_for(lambda: kept in switches(bed.provider), 20, f"{kept} in the replica")
    assert gone not in switches(bed.provider)
    assert probe_drops(bed.central) == []
    assert bed.provider.nb.connected
    assert reconnects(bed.http) == before
    # Requests keep working on the same session: a read and a write.
    names = {net["name"] for net in bed.http.get("/v2.0/networks").json()["networks"]}
    assert f"during-{tag}" in names
    created = bed.http.post("/v2.0/networks", json={"network": {"name": f"after-{tag}"}})
    assert created.status_code == 201, created.text
    assert reconnects(bed.http) == before


def test_a_long_initial_sync_does_not_get_the_provider_dropped(
        bed: Bed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection thread itself applying a long update (the initial sync of a large NB,
    seconds on a busy host: bench/README.md, "Initial sync") keeps answering the probe:
    here each row is made to take 15 ms, so that the sync lasts ~3 x the time after which
    ovsdb-server drops a silent client. One connection, no drop, every row there."""
    names = [f"sync-{i}" for i in range(300)]
    bed.central.nbctl(*[arg for name in names for arg in ("--", "ls-add", name)][1:])
    slowed = 0
    notify = NbIdl.notify
    other = bed.provider.nb.idl  # the fixture's provider: not slowed

    def slow_notify(idl: NbIdl, event: str, row: object, updates: object = None) -> None:
        nonlocal slowed
        if idl is not other:
            slowed += 1
            time.sleep(0.015)
        notify(idl, event, row, updates)

    drops_before = len(probe_drops(bed.central))
    monkeypatch.setattr(NbIdl, "notify", slow_notify)
    nb = Nb(bed.remote, timeout=30)
    started = time.monotonic()
    nb.start()
    try:
        assert nb.wait_connected(60), nb.last_error
        took = time.monotonic() - started
        monkeypatch.setattr(NbIdl, "notify", notify)
        with nb.read() as idl:
            seen = {row.name for row in idl.tables["Logical_Switch"].rows.values()}
        print(f"\ninitial sync of {slowed} rows: {took:.1f} s, "
              f"{nb.successful_connections()} connection(s), "
              f"drops {probe_drops(bed.central)[drops_before:]}")
        assert took > 3 * PROBE_MS / 1000, "the sync was not slow enough to show anything"
        assert set(names) <= seen
        assert probe_drops(bed.central)[drops_before:] == []
        assert nb.successful_connections() == 1
    finally:
        nb.stop()
        bed.central.nbctl(*[arg for name in names for arg in ("--", "ls-del", name)][1:])


def test_a_busy_sole_nb_server_is_not_left(bed: Bed) -> None:
    """ovsdb-server answering nothing for 5 s (here stopped; in the engine storm, busy
    sending a whole NB to a reconnecting client on a loaded host: bench/README.md,
    "Engine storm") is not left when it is the only one: with the 2 s probe of a cluster,
    the provider dropped it after <= 4 s and read the whole NB again (503 meanwhile).
    With several members the short probe stays (a paused member is left: tests/ha)."""
    session = bed.provider.nb.idl._session
    assert session.reconnect.get_probe_interval() == SOLE_PROBE_MS
    before, connections = reconnects(bed.http), bed.provider.nb.successful_connections()
    with open(bed.central.nb[0].pidfile) as handle:
        pid = int(handle.read())
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(2.5 * PROBE_MS_CLUSTER / 1000)
    finally:
        os.kill(pid, signal.SIGCONT)
    created = bed.http.post("/v2.0/networks", json={"network": {"name": "after-stall"}})
    assert created.status_code == 201, created.text
    assert bed.provider.nb.connected
    assert bed.provider.nb.successful_connections() == connections
    assert reconnects(bed.http) == before
    several = Nb(f"{bed.remote},{bed.remote}", timeout=30)
    several.start()
    try:
        assert several.wait_connected(30), several.last_error
        assert several.idl._session.reconnect.get_probe_interval() == PROBE_MS_CLUSTER
    finally:
        several.stop()


def test_an_nb_restart_during_a_long_read(bed: Bed) -> None:
    """(Last in the file: the Connection-table listener does not survive the restart.)
    The session drops while the replica is held: the drop shows at once (not connected,
    so new requests get 503), the reader keeps its unchanged replica, and the provider
    reconnects and resyncs once the reader is done (the NB's own command-line listener:
    the Connection-table one does not survive a restart)."""
    nb = bed.central.nb[0]
    added = "restart-" + uuid.uuid4().hex[:8]
    with running(make_config(bed.central.nb_remote)) as provider:
        before = provider.nb.successful_connections()
        with provider.nb.read() as idl:
            seen = {row.name for row in idl.tables["Logical_Switch"].rows.values()}
            bed.central.stop_db(nb)
            try:
                wait_for(lambda: not provider.nb.connected, 20, "the drop noticed")
            finally:
                bed.central.start_db(nb)
            bed.central.nbctl("ls-add", added)
            assert {row.name for row in idl.tables["Logical_Switch"].rows.values()} == seen
        wait_for(lambda: added in switches(provider), 30, f"{added} after the resync")
        assert provider.nb.successful_connections() == before + 1
        assert switches(provider) == seen | {added}

