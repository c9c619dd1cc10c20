"""`/v2.0/agents` over a real NB and SB (docs/agents.md; neutron/agents.py).

SB chassis made with ovn-sbctl (no ovn-controller needed) are listed as Neutron's OVN
driver lists them: "OVN Controller agent", or "OVN Controller Gateway agent" for the
chassis marked enable-chassis-as-gw, or named in `[NETWORK] gateway-chassis` when that
is set; `alive` follows the chassis' nb_cfg against NB_Global.nb_cfg (its bumps and
timing: test_agent_liveness.py). Read only: other methods are 405 and change nothing.
The module runs its own central, so the chassis are only these tests'.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.support.provider import Api, make_config, running
from tests.support.snapshot import assert_error, nb_snapshot

FIELDS = {"id", "agent_type", "binary", "topic", "host", "alive", "admin_state_up",
          "availability_zone", "configurations", "description", "heartbeat_timestamp",
          "created_at", "started_at", "resources_synced"}


def eventually(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.fixture(scope="module")
def sb_central() -> Iterator[Central]:
    bed = Central(tempfile.mkdtemp(prefix="ovnp-agents-"))
    try:
        bed.start()
        yield bed
    finally:
        bed.stop(remove=True)


@pytest.fixture(scope="module")
def sb_provider(sb_central: Central) -> Iterator[Provider]:
    # A long agent-down-time: the provider bumps NB_Global.nb_cfg once, at the first list,
    # and never while these tests set it themselves.
    cfg = make_config(sb_central.nb_remote,
                      **{"OVN REMOTE/ovn-sb-remote": sb_central.sb_remote,
                         "PROVIDER/agent-down-time": "7200"})
    with running(cfg) as prov:
        yield prov


@pytest.fixture()
def aapi(sb_provider: Provider) -> Iterator[Api]:
    client = Api(sb_provider)
    try:
        yield client
    finally:
        client.close()


def _agents(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v2.0/agents", params=params)
    assert response.status_code == 200, response.text
    agents: list[dict[str, Any]] = response.json()["agents"]
    return agents


def _by_id(api: Api) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in _agents(api)}


def test_chassis_are_listed_as_ovn_controller_agents(aapi: Api, sb_central: Central) -> None:
    sb = sb_central.sbctl
    sb("chassis-add", "hv-a", "geneve", "127.0.3.1")
    sb("set", "Chassis", "hv-a", "hostname=host-a",
       'other_config:ovn-bridge-mappings="physnet1:br-ex"',
       "other_config:datapath-type=system", 'external_ids:neutron\\:description="rack 1"')
    sb("chassis-add", "gw-b", "geneve", "127.0.3.2")
    sb("set", "Chassis", "gw-b", "hostname=host-b",
       'other_config:ovn-cms-options="enable-chassis-as-gw,availability-zones=az1:az2"')
    assert eventually(lambda: {"hv-a", "gw-b"} <= set(_by_id(aapi)))
    agents = _by_id(aapi)
    plain, gateway = agents["hv-a"], agents["gw-b"]
    assert set(plain) == FIELDS
    assert plain["agent_type"] == "OVN Controller agent"
    assert gateway["agent_type"] == "OVN Controller Gateway agent"
    assert plain["binary"] == gateway["binary"] == "ovn-controller"
    assert (plain["host"], gateway["host"]) == ("host-a", "host-b")
    assert plain["admin_state_up"] is True and plain["topic"] == "n/a"
    assert plain["description"] == "rack 1" and gateway["description"] == ""
    assert plain["availability_zone"] is None and gateway["availability_zone"] == "az1, az2"
    assert plain["configurations"] == {"chassis_name": "hv-a",
                                       "bridge-mappings": "physnet1:br-ex",
                                       "datapath-type": "system", "iface-types": ""}
    # Show, filters, fields, sorting as for any collection.
    shown = aapi.get("/v2.0/agents/gw-b")
    assert shown.status_code == 200 and shown.json()["agent"] == gateway
    assert_error(aapi.get("/v2.0/agents/nowhere"), 404, "Agent nowhere could not be found")
    gateways = _agents(aapi, agent_type="OVN Controller Gateway agent")
    assert [a["id"] for a in gateways] == ["gw-b"]
    assert [a["id"] for a in _agents(aapi, host="host-a")] == ["hv-a"]
    only = _agents(aapi, fields="id", sort_key="host", sort_dir="desc")
    assert only == [{"id": "gw-b"}, {"id": "hv-a"}]
    # A chassis that goes away is no longer listed.
    sb("chassis-del", "hv-a")
    assert eventually(lambda: "hv-a" not in _by_id(aapi))


def test_alive_follows_nb_cfg(aapi: Api, sb_central: Central) -> None:
    sb_central.sbctl("chassis-add", "hv-c", "geneve", "127.0.3.3")
    assert eventually(lambda: "hv-c" in _by_id(aapi))
    has_private = "hv-c" in sb_central.sbctl("--columns=name", "list", "Chassis_Private")
    if not has_private:  # an ovn-sbctl that makes no Chassis_Private row: make it
        uuid = sb_central.sbctl("--bare", "--columns=_uuid", "find", "Chassis",
                                "name=hv-c").strip()
        sb_central.sbctl("create", "Chassis_Private", "name=hv-c", f"chassis={uuid}")
    # The CMS asks every chassis to catch up to 7; northd copies it to the SB.
    sb_central.nbctl("set", "NB_Global", ".", "nb_cfg=7")
    assert eventually(lambda: not _by_id(aapi)["hv-c"]["alive"]), _by_id(aapi)["hv-c"]
    # Its ovn-controller reports 6 (in flight), then 7 with the time it did.
    sb_central.sbctl("set", "Chassis_Private", "hv-c", "nb_cfg=6",
                     "nb_cfg_timestamp=1767225600000")
    assert eventually(lambda: _by_id(aapi)["hv-c"]["alive"])
    agent = _by_id(aapi)["hv-c"]
    assert agent["heartbeat_timestamp"] == "2026-01-01 00:00:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", agent["heartbeat_timestamp"])
    sb_central.nbctl("set", "NB_Global", ".", "nb_cfg=9")
    assert eventually(lambda: not _by_id(aapi)["hv-c"]["alive"])
    # gw-b, which never reported, is not alive either; a filter on `alive` works.
    assert {a["id"] for a in _agents(aapi, alive="false")} == {"hv-c", "gw-b"}
    assert not _agents(aapi, alive="true")


def test_agents_are_read_only(aapi: Api, sb_central: Central) -> None:
    sb_central.sbctl("chassis-add", "hv-d", "geneve", "127.0.3.4")
    assert eventually(lambda: "hv-d" in _by_id(aapi))
    before = nb_snapshot(sb_central)
    sb_before = sb_central.sbctl("--columns=name,hostname,external_ids", "list", "Chassis")
    assert_error(aapi.post("/v2.0/agents", {"agent": {"host": "x"}}), 405)
    assert_error(aapi.put("/v2.0/agents/hv-d", {"agent": {"admin_state_up": False}}), 405)
    assert_error(aapi.delete("/v2.0/agents/hv-d"), 405)
    assert nb_snapshot(sb_central) == before
    assert sb_central.sbctl("--columns=name,hostname,external_ids", "list",
                            "Chassis") == sb_before
    # Not the `agent` extension: Tempest's agent test needs a non-admin user who sees no
    # agents, and every user of this provider is an admin (docs/agents.md).
    listed = {e["alias"] for e in aapi.get("/v2.0/extensions").json()["extensions"]}
    assert "agent" not in listed
    # Listed among the resources of /v2.0, like the other collections.
    names = {r["collection"] for r in aapi.get("/v2.0").json()["resources"]}
    assert "agents" in names


def test_gateways_named_in_the_configuration(sb_central: Central) -> None:
    """With `[NETWORK] gateway-chassis` set, the provider still reads the SB for its agents
    (it used to list none), and the chassis named there are the gateway agents: the ones
    router gateways are scheduled on, whatever their ovn-cms-options say."""
    sb = sb_central.sbctl
    sb("chassis-add", "gw-named", "geneve", "127.0.3.5")
    sb("chassis-add", "hv-marked", "geneve", "127.0.3.6")
    sb("set", "Chassis", "hv-marked", 'other_config:ovn-cms-options="enable-chassis-as-gw"')
    cfg = make_config(sb_central.nb_remote,
                      **{"OVN REMOTE/ovn-sb-remote": sb_central.sb_remote,
                         "NETWORK/gateway-chassis": "gw-named,gw-absent",
                         "PROVIDER/agent-down-time": "7200"})
    try:
        with running(cfg) as provider:
            api = Api(provider)
            try:
                assert eventually(lambda: {"gw-named", "hv-marked"} <= set(_by_id(api)))
                agents = _by_id(api)
                assert agents["gw-named"]["agent_type"] == "OVN Controller Gateway agent"
                assert agents["hv-marked"]["agent_type"] == "OVN Controller agent"
                assert "gw-absent" not in agents  # named, but not in the SB: no agent
                gateways = _agents(api, agent_type="OVN Controller Gateway agent")
                assert [a["id"] for a in gateways] == ["gw-named"]
                # The SB's marks schedule nothing here: the configured names do.
                assert not provider.nb.gateways.synced and provider.rescheduler is None
            finally:
                api.close()
    finally:
        sb("chassis-del", "gw-named")
        sb("chassis-del", "hv-marked")
