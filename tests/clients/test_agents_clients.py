"""`openstack network agent list/show` and openstacksdk's `network.agents()` against the
provider's read-only agents (docs/agents.md): the SB chassis as OVN controller agents."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.clients.conftest import Osc, auth_settings
from tests.functional.test_agent_liveness import add_chassis, report
from tests.functional.test_agents import eventually, sb_central  # noqa: F401 (fixture)
from tests.support.provider import Api, make_config, running


@pytest.fixture(scope="module")
def sb_provider(sb_central: Central) -> Iterator[Provider]:  # noqa: F811
    """A provider watching its own central's SB (automatic gateway chassis: it would
    reschedule the session central's routers), with one gateway chassis. It reports once,
    as ovn-controller would; a long agent-down-time keeps it alive from then on."""
    add_chassis(sb_central, "cli-hv", "127.0.4.1")
    report(sb_central, "cli-hv")
    sb_central.sbctl("set", "Chassis", "cli-hv", "hostname=cli-host",
                     'other_config:ovn-cms-options="enable-chassis-as-gw"')
    cfg = make_config(sb_central.nb_remote,
                      **{"OVN REMOTE/ovn-sb-remote": sb_central.sb_remote,
                         "PROVIDER/agent-down-time": "7200"})
    with running(cfg) as prov:
        client = Api(prov)
        try:
            assert eventually(lambda: any(
                a["id"] == "cli-hv" for a in client.get("/v2.0/agents").json()["agents"]))
        finally:
            client.close()
        yield prov


def test_agent_list_and_show_with_the_cli(sb_provider: Provider) -> None:
    home = tempfile.mkdtemp(prefix="ovnp-osc-")
    try:
        osc = Osc(sb_provider, "v3", home)
        listed, shown = osc.batch(["network", "agent", "list", "-f", "json"],
                                  ["network", "agent", "show", "cli-hv", "-f", "json"])
        row = next(r for r in listed if r["ID"] == "cli-hv")
        assert row["Agent Type"] == "OVN Controller Gateway agent"
        assert row["Host"] == "cli-host" and row["Binary"] == "ovn-controller"
        assert row["Alive"] is True and row["State"] is True
        assert shown["id"] == "cli-hv" and shown["host"] == "cli-host"
        assert shown["configuration"]["chassis_name"] == "cli-hv"
        assert shown["topic"] == "n/a" and shown["admin_state_up"] is True
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_agents_with_the_sdk(sb_provider: Provider) -> None:
    import openstack.connection

    settings: dict[str, Any] = dict(auth_settings(sb_provider, "v3"))
    conn = openstack.connection.Connection(**settings)
    try:
        agents = {a.id: a for a in conn.network.agents()}
        agent = agents["cli-hv"]
        assert agent.agent_type == "OVN Controller Gateway agent"
        assert agent.is_alive is True and agent.host == "cli-host"
        assert conn.network.get_agent("cli-hv").binary == "ovn-controller"
    finally:
        conn.close()
