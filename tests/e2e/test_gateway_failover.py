"""SNAT and floating IPs with automatically scheduled gateway chassis (docs/routers.md):
the provider has no chassis names in its config; the hypervisors offer themselves with
`ovn-provider-driver configure --gateway`. When the active gateway chassis stops being
one, the router's gateway moves to the remaining chassis and traffic keeps working.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ovn_provider.server import Provider
from tests.e2e.bed import EXT_CIDR, EXT_HOST, PHYSNET, Bed, Hypervisor, poll
from tests.e2e.conftest import VmFactory, set_gateway, wait_gateways
from tests.e2e.test_dataplane import ext_ping, has, ipv4, make_net, static_vm
from tests.support.nb import as_list, nb_find, nb_row, nb_rows

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

TOP = 32767


@pytest.fixture(scope="module")
def ext_network(conn: Any) -> tuple[Any, Any]:
    """The flat provider network of the bed (made here if test_dataplane did not)."""
    net = next(conn.network.networks(name="e2e-ext"), None)
    if net is None:
        net = conn.network.create_network(
            name="e2e-ext", provider_network_type="flat", provider_physical_network=PHYSNET,
            is_router_external=True)
        conn.network.create_subnet(
            network_id=net.id, cidr=EXT_CIDR, ip_version=4, gateway_ip=EXT_HOST,
            allocation_pools=[{"start": "172.16.0.10", "end": "172.16.0.99"}],
            enable_dhcp=False)
    subnet = next(conn.network.subnets(network_id=net.id))
    return net, subnet


def gateway_lrp(bed: Bed, router_id: str) -> str:
    name = nb_row(bed.ovn, "Logical_Router", router_id)["external_ids"]["ovirt_gateway_port"]
    return f"lrp{name}"


def scheduled(bed: Bed, lrp_name: str) -> list[str]:
    """The gateway chassis of an LRP in the NB, highest priority first."""
    [lrp] = nb_find(bed.ovn, "Logical_Router_Port", name=lrp_name)
    # one listing, not a read per reference: a reschedule may delete rows meanwhile
    by_uuid = {row["_uuid"]: row for row in nb_rows(bed.ovn, "Gateway_Chassis")}
    rows = [by_uuid[ref] for ref in as_list(lrp["gateway_chassis"]) if ref in by_uuid]
    return [row["chassis_name"] for row in sorted(rows, key=lambda r: -r["priority"])]


def bound_chassis(bed: Bed, lrp_name: str) -> str | None:
    """The chassis the SB says hosts the router's gateway (its chassisredirect port)."""
    doc = json.loads(bed.ovn.sbctl("--format=json", "--columns=chassis", "find",
                                   "Port_Binding", f"logical_port=cr-{lrp_name}"))
    if not doc["data"] or doc["data"][0][0] == ["set", []]:
        return None
    ref = doc["data"][0][0][1]
    return bed.ovn.sbctl("--bare", "--columns=name", "list", "Chassis", ref).strip() or None


def source_seen(bed: Bed, machine: Any) -> list[str]:
    """tcpdump lines in the external namespace while the VM pings the external host."""
    with bed.capture(bed.ext_ns, "ext", f"icmp and host {EXT_HOST}") as cap:
        machine.wait_ping(EXT_HOST, timeout=30)
        return cap.until(lambda seen: has(seen, f"> {EXT_HOST}: ICMP echo request"))


def test_nat_without_chassis_names_survives_losing_the_active_gateway(
        conn: Any, e2e_bed: Bed, e2e_provider: Provider, vm: VmFactory, hv1: Hypervisor,
        hv2: Hypervisor, ext_network: tuple[Any, Any]) -> None:
    assert e2e_provider.cfg.gateway_chassis == ()  # no names in the provider's config
    by_name = {hv1.system_id: hv1, hv2.system_id: hv2}
    set_gateway(e2e_bed, hv2, True)
    try:
        wait_gateways(e2e_provider, set(by_name))
        ext_net, ext_sub = ext_network
        net, subnet = make_net(conn)
        router = conn.network.create_router(
            name="e2e-r-auto", external_gateway_info={
                "network_id": ext_net.id, "external_fixed_ips": [{"subnet_id": ext_sub.id}]})
        assert router.external_gateway_info["enable_snat"] is True
        gateway_ip = router.external_gateway_info["external_fixed_ips"][0]["ip_address"]
        conn.network.add_interface_to_router(router, subnet_id=subnet.id)
        lrp = gateway_lrp(e2e_bed, router.id)
        plan = scheduled(e2e_bed, lrp)
        assert sorted(plan) == sorted(by_name)  # both gateways, one of them active
        active, standby = plan
        poll(lambda: bound_chassis(e2e_bed, lrp) == active, 30, f"cr-{lrp} on {active}")

        port = conn.network.create_port(network_id=net.id)
        machine = static_vm(vm, hv2, port, subnet, net)
        lines = source_seen(e2e_bed, machine)
        assert any(f"{gateway_ip} > {EXT_HOST}: ICMP echo request" in x for x in lines), lines
        fip = conn.network.create_ip(floating_network_id=ext_net.id, port_id=port.id)
        assert fip.status == "ACTIVE" and fip.router_id == router.id
        floating = fip.floating_ip_address
        poll(lambda: ext_ping(e2e_bed, floating), 30, f"floating IP {floating}", interval=0)

        # the active gateway chassis stops being one; the other takes over
        set_gateway(e2e_bed, by_name[active], False)
        wait_gateways(e2e_provider, {standby})
        poll(lambda: scheduled(e2e_bed, lrp) == [standby], 30, f"{lrp} moved to {standby}")
        poll(lambda: bound_chassis(e2e_bed, lrp) == standby, 30, f"cr-{lrp} on {standby}")
        poll(lambda: ext_ping(e2e_bed, floating), 30,
             f"floating IP {floating} after the failover", interval=0)
        lines = source_seen(e2e_bed, machine)
        assert any(f"{floating} > {EXT_HOST}: ICMP echo request" in x for x in lines), lines
        # without the floating IP, SNAT to the gateway address, still on the standby
        conn.network.delete_ip(fip)
        poll(lambda: not ext_ping(e2e_bed, floating), 30, "the floating IP to stop answering",
             interval=0)
        lines = source_seen(e2e_bed, machine)
        assert any(f"{gateway_ip} > {EXT_HOST}: ICMP echo request" in x for x in lines), lines
        assert not any(ipv4(port) in x for x in lines), lines
    finally:
        # back to the session's layout: hv1 the only gateway
        set_gateway(e2e_bed, hv1, True)
        set_gateway(e2e_bed, hv2, False)
        wait_gateways(e2e_provider, {hv1.system_id})
