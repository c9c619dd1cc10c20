"""Fixtures of the end-to-end dataplane suite: one bed per session (Central, two chassis
configured by the driver, the provider), an openstacksdk connection, and VMs per test.

Everything in OVN is created through the provider's REST API with openstacksdk; the
chassis are configured only by `ovn-provider-driver`. See docs/e2e.md.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ovn_provider import config
from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.e2e.bed import PREFIX, Bed, Hypervisor, Vm, poll
from tests.support.provider import make_config, running

TOOLS = ("ovsdb-server", "ovs-vswitchd", "ovn-controller", "ovn-northd", "ip", "ping",
         "tcpdump", "dhclient")


def require_root() -> None:
    if os.geteuid() != 0:
        reason = ("the e2e dataplane suite needs root (network namespaces, veths, "
                  "ovs-vswitchd); CI runs it as root")
        print(f"\nSKIP tests/e2e: {reason}", file=sys.stderr)
        pytest.skip(reason)
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `make deps` (ovn-central, ovn-host, "
                    "openvswitch-switch, iproute2, iputils-ping, tcpdump, isc-dhcp-client)")


AGENT_DOWN_TIME = 6  # [PROVIDER] agent-down-time of the e2e provider (seconds)


def auto_gateway_config(central: Central) -> config.Config:
    """The provider's config with NO chassis names: gateway chassis come from the SB
    (`ovn-provider-driver configure --gateway`, docs/routers.md). A short agent-down-time
    (docs/agents.md, "Liveness"): a chassis whose daemons die is listed dead within
    seconds, not 75 s."""
    return make_config(central.nb_remote, **{"OVN REMOTE/ovn-sb-remote": central.sb_remote,
                                             "PROVIDER/agent-down-time": str(AGENT_DOWN_TIME)})


def set_gateway(bed: Bed, hv: Hypervisor, on: bool) -> None:
    """`configure --gateway` / `--no-gateway` on a hypervisor, with its usual options."""
    bed.run_driver(hv.chassis, *bed.configure_args(hv.system_id, hv.encap_ip),
                   "--gateway" if on else "--no-gateway")


def wait_gateways(provider: Provider, names: set[str]) -> None:
    poll(lambda: provider.nb.gateways.names == names, 30,
         f"the provider to see gateway chassis {sorted(names)}")


@pytest.fixture(scope="session")
def e2e_bed() -> Iterator[Bed]:
    require_root()
    bed = Bed()
    try:
        bed.start()
        yield bed
    finally:
        bed.stop()


@pytest.fixture(scope="session")
def e2e_provider(e2e_bed: Bed) -> Iterator[Provider]:
    # hv1 is the only gateway chassis at first: SNAT and floating IPs happen there
    hv1 = e2e_bed.hypervisors[0]
    set_gateway(e2e_bed, hv1, True)
    with running(auto_gateway_config(e2e_bed.ovn)) as provider:
        wait_gateways(provider, {hv1.system_id})
        yield provider


@pytest.fixture(scope="session")
def conn(e2e_provider: Provider) -> Iterator[Any]:
    openstack = pytest.importorskip("openstack", reason="openstacksdk is a test dependency")
    keystone = e2e_provider.ports[1]
    connection = openstack.connection.Connection(
        auth_url=f"http://127.0.0.1:{keystone}/v3", username="u", password="p",
        project_name="tenant", user_domain_name="Default", project_domain_name="Default",
        identity_api_version="3")
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture(scope="session")
def hv1(e2e_bed: Bed) -> Hypervisor:
    return e2e_bed.hypervisors[0]


@pytest.fixture(scope="session")
def hv2(e2e_bed: Bed) -> Hypervisor:
    return e2e_bed.hypervisors[1]


VmFactory = Callable[..., Vm]


@pytest.fixture()
def vm(e2e_bed: Bed, conn: Any) -> Iterator[VmFactory]:
    """vm(hv, port) plugs a VM for an API port and waits until the port is ACTIVE; the
    test's VMs are unplugged and their namespaces deleted at its end."""
    mine: list[Vm] = []

    def make(hv: Hypervisor, port: Any, active: bool = True) -> Vm:
        machine = e2e_bed.add_vm(hv, port.id, port.mac_address)
        mine.append(machine)
        if active:
            wait_active(conn, port.id)
        return machine

    try:
        yield make
    finally:
        for machine in mine:
            e2e_bed.remove_vm(machine)


def wait_active(conn: Any, port_id: str, timeout: float = 20) -> Any:
    """The port once the API reports it ACTIVE (its LSP is up: bound and flows installed)."""
    return poll(lambda: (p := conn.network.get_port(port_id)).status == "ACTIVE" and p,
                timeout, f"port {port_id} ACTIVE")


__all__ = ["PREFIX", "VmFactory", "wait_active"]
