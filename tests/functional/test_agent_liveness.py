"""`alive` in `/v2.0/agents` as Neutron's OVN driver decides it (docs/agents.md,
"Liveness"; neutron/agent_liveness.py), over a real NB and SB.

Listing agents bumps NB_Global.nb_cfg, at most once per half of `[PROVIDER]
agent-down-time` across every provider instance (the time of the last bump is kept in
NB_Global.external_ids). A chassis made with ovn-sbctl that never reports falls two
steps behind and, its last report being older than agent-down-time, is listed dead; one
that reports as ovn-controller does (Chassis_Private.nb_cfg from SB_Global.nb_cfg, and
the time in nb_cfg_timestamp) stays alive. The module runs its own central.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.support.provider import Api, agents_by_id, make_config, running

DOWN_TIME = 2  # [PROVIDER] agent-down-time of the fast provider: a bump every second
KEY = "ovirt_liveness_check_at"


def eventually(check: Callable[[], bool], timeout: float = 20.0,
               between: Callable[[], None] = lambda: None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        between()
        if check():
            return True
        time.sleep(0.2)
    return check()


@pytest.fixture(scope="module")
def bed() -> Iterator[Central]:
    central = Central(tempfile.mkdtemp(prefix="ovnp-liveness-"))
    try:
        central.start()
        yield central
    finally:
        central.stop(remove=True)


def _provider(bed: Central, down_time: int) -> Any:
    return running(make_config(bed.nb_remote,
                               **{"OVN REMOTE/ovn-sb-remote": bed.sb_remote,
                                  "PROVIDER/agent-down-time": str(down_time)}))


@pytest.fixture(scope="module")
def fast(bed: Central) -> Iterator[Provider]:
    with _provider(bed, DOWN_TIME) as provider:
        yield provider


@pytest.fixture()
def api(fast: Provider) -> Iterator[Api]:
    client = Api(fast)
    try:
        yield client
    finally:
        client.close()


def _nb_cfg(bed: Central) -> int:
    return int(bed.nbctl("get", "NB_Global", ".", "nb_cfg").strip())


def add_chassis(bed: Central, name: str, address: str) -> None:
    bed.sbctl("chassis-add", name, "geneve", address)
    if name not in bed.sbctl("--columns=name", "list", "Chassis_Private"):
        uuid = bed.sbctl("--bare", "--columns=_uuid", "find", "Chassis", f"name={name}").strip()
        bed.sbctl("create", "Chassis_Private", f"name={name}", f"chassis={uuid}")


def report(bed: Central, name: str, nb_cfg: int | None = None,
            when: float | None = None) -> None:
    """What ovn-controller writes once it applied the SB's nb_cfg."""
    if nb_cfg is None:
        nb_cfg = int(bed.sbctl("get", "SB_Global", ".", "nb_cfg").strip())
    stamp = int((time.time() if when is None else when) * 1000)
    bed.sbctl("set", "Chassis_Private", name, f"nb_cfg={nb_cfg}", f"nb_cfg_timestamp={stamp}")


def test_a_silent_chassis_dies_a_reporting_one_stays_alive(api: Api, bed: Central) -> None:
    add_chassis(bed, "hv-silent", "127.0.4.1")
    add_chassis(bed, "hv-busy", "127.0.4.2")
    start = _nb_cfg(bed)
    # Both caught up with the NB; the silent one's last report is already a minute old.
    report(bed, "hv-silent", start, time.time() - 60)
    report(bed, "hv-busy", start)
    assert eventually(lambda: all(agents_by_id(api).get(name, {}).get("alive")
                                  for name in ("hv-silent", "hv-busy")))
    # Listing bumps nb_cfg (once a second here): the silent chassis falls two behind.
    assert eventually(lambda: agents_by_id(api)["hv-silent"]["alive"] is False,
                      between=lambda: report(bed, "hv-busy")), agents_by_id(api)
    agents = agents_by_id(api)
    assert agents["hv-busy"]["alive"] is True, agents["hv-busy"]
    assert _nb_cfg(bed) >= start + 2
    assert bed.nbctl("get", "NB_Global", ".", f"external_ids:{KEY}").strip()
    # Reporting again (ovn-controller restarted) brings it back.
    report(bed, "hv-silent")
    assert eventually(lambda: agents_by_id(api)["hv-silent"]["alive"] is True)
    # A chassis behind but with a report younger than agent-down-time is alive (Neutron:
    # "down, but not yet timed out"); once the report is older, it is not.
    current = _nb_cfg(bed)
    report(bed, "hv-silent", current - 5)
    assert agents_by_id(api)["hv-silent"]["alive"] is True
    report(bed, "hv-silent", current - 5, time.time() - DOWN_TIME - 1)
    assert eventually(lambda: agents_by_id(api)["hv-silent"]["alive"] is False)


def test_bumps_are_rate_limited_across_instances(api: Api, bed: Central) -> None:
    """A provider with the default agent-down-time (75 s) does not bump while another
    instance bumped less than 37 s ago; with the mark gone, its lists bump once."""
    add_chassis(bed, "hv-rate", "127.0.4.3")
    assert eventually(lambda: "hv-rate" in agents_by_id(api))  # the fast provider bumps now
    with _provider(bed, 75) as slow:
        client = Api(slow)
        try:
            assert eventually(lambda: "hv-rate" in agents_by_id(client))
            before = _nb_cfg(bed)
            for _ in range(5):
                agents_by_id(client)
            assert _nb_cfg(bed) == before
            bed.nbctl("remove", "NB_Global", ".", "external_ids", KEY)
            assert eventually(lambda: not bed.nbctl(
                "--if-exists", "get", "NB_Global", ".", f"external_ids:{KEY}").strip())
            time.sleep(0.5)  # the provider's replica sees the removal
            for _ in range(5):
                agents_by_id(client)
            assert _nb_cfg(bed) == before + 1
            # The GET and its show answer 200 throughout; a show also counts as a list.
            shown = client.get("/v2.0/agents/hv-rate")
            assert shown.status_code == 200 and shown.json()["agent"]["id"] == "hv-rate"
        finally:
            client.close()


def test_list_answers_while_the_nb_is_down(bed: Central, fast: Provider, api: Api) -> None:
    """A bump that cannot be written never fails the GET: with the NB stopped, the agents
    are still listed from the SB, against SB_Global.nb_cfg."""
    add_chassis(bed, "hv-nbdown", "127.0.4.4")
    assert eventually(lambda: "hv-nbdown" in agents_by_id(api))
    server = bed.nb[0]
    bed.stop_db(server)
    try:
        response = api.get("/v2.0/agents")
        assert response.status_code == 200, response.text
        assert "hv-nbdown" in {a["id"] for a in response.json()["agents"]}
    finally:
        bed.start_db(server)
    assert fast.nb.wait_connected(20)
    assert eventually(lambda: api.get("/v2.0/agents").status_code == 200)
