"""`/v2.0/agents` with real ovn-controllers (docs/agents.md): the bed's hypervisors are
listed with the hostnames their ovn-controller wrote, the gateway one as a gateway agent,
alive once they applied the NB's nb_cfg; a chassis whose daemons die stays listed but is
no longer alive once nb_cfg moves on (the provider bumps it when agents are listed) and
its last report is older than agent-down-time, and goes when the driver removes it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ovn_provider.server import Provider
from tests.e2e.bed import UNDERLAY, Bed, Hypervisor, poll
from tests.e2e.conftest import AGENT_DOWN_TIME
from tests.support.provider import Api, agents_by_id

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture()
def api(e2e_provider: Provider) -> Iterator[Api]:
    client = Api(e2e_provider)
    try:
        yield client
    finally:
        client.close()


def bump_nb_cfg(bed: Bed) -> int:
    """What `ovn-nbctl --wait=hv` does first, without waiting (a dead chassis never
    catches up)."""
    current = int(bed.ovn.nbctl("get", "NB_Global", ".", "nb_cfg").strip())
    bed.ovn.nbctl("set", "NB_Global", ".", f"nb_cfg={current + 1}")
    return current + 1


def test_hypervisors_are_agents(e2e_bed: Bed, api: Api, hv1: Hypervisor,
                                hv2: Hypervisor) -> None:
    sb = json.loads(e2e_bed.ovn.sbctl("--format=json", "--columns=name,hostname", "list",
                                      "Chassis"))["data"]
    hostnames = {name: host for name, host in sb}
    bump_nb_cfg(e2e_bed)
    poll(lambda: all(agents_by_id(api).get(hv.system_id, {}).get("alive") for hv in (hv1, hv2)),
         30, "hv1 and hv2 alive")
    listed = agents_by_id(api)
    gw, plain = listed[hv1.system_id], listed[hv2.system_id]
    assert gw["agent_type"] == "OVN Controller Gateway agent"  # e2e_provider marks hv1
    assert plain["agent_type"] == "OVN Controller agent"
    for hv, agent in ((hv1, gw), (hv2, plain)):
        assert agent["host"] == hostnames[hv.system_id] and agent["host"]
        assert agent["binary"] == "ovn-controller"
        assert agent["heartbeat_timestamp"] is not None  # Chassis_Private reported
        assert agent["configurations"]["chassis_name"] == hv.system_id
        assert agent["configurations"]["bridge-mappings"]  # set by `configure`


def test_a_dead_chassis_is_not_alive(e2e_bed: Bed, api: Api, hv1: Hypervisor) -> None:
    chassis = e2e_bed.new_chassis("hv5")
    name = f"{e2e_bed.prefix}hv5"
    e2e_bed.run_driver(chassis, *e2e_bed.configure_args(name, f"{UNDERLAY}.5"))
    bump_nb_cfg(e2e_bed)
    poll(lambda: agents_by_id(api).get(name, {}).get("alive") is True, 30, f"{name} alive")
    chassis.stop()  # the host dies: its rows stay in the SB
    assert not chassis.controller_alive()
    bump_nb_cfg(e2e_bed)
    bump_nb_cfg(e2e_bed)
    # Dead once its last report is older than agent-down-time (the provider's own bumps
    # keep nb_cfg moving while the poll lists the agents).
    poll(lambda: agents_by_id(api)[name]["alive"] is False, 30 + AGENT_DOWN_TIME,
         f"{name} no longer alive")
    poll(lambda: agents_by_id(api)[hv1.system_id]["alive"] is True, 30, "hv1 still alive")
    e2e_bed.run_driver(None, "remove-chassis", name, "--sb-db", e2e_bed.ovn.sb_remote)
    poll(lambda: name not in agents_by_id(api), 30, f"{name} gone from the agents")
