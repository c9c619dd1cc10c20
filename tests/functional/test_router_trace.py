"""What the NB rows written for routers do in OVN's pipeline, proven with ovn-trace.

The provider writes the routers; ovn-northd compiles them into the SB logical flows; and
`ovn-trace` runs a packet through those flows. A fake chassis registered in the SB serves
as the gateway chassis, so the distributed gateway port of SNAT / floating-IP routers is
resolved.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import run
from ovn_provider.server import Provider
from tests.support.nat import nat_config
from tests.support.nb import as_list, nb_find, nb_row
from tests.support.provider import Api, running
from tests.support.router_checks import (
    add_interface,
    gateway_info,
    net_with_subnet,
    remove_interface,
    router,
    router_ports,
)


@dataclass
class Bed:
    provider: Provider
    chassis: str


@pytest.fixture(scope="module")
def bed(central: Central) -> Iterator[Bed]:
    name = f"trace-gw-{uuid.uuid4().hex[:8]}"
    encap = f"127.{random.randrange(1, 255)}.{random.randrange(1, 255)}.{random.randrange(1, 255)}"
    central.sbctl("chassis-add", name, "geneve", encap)
    try:
        with running(nat_config(central, (name,))) as prov:
            yield Bed(prov, name)
    finally:
        central.sbctl("--if-exists", "chassis-del", name)


@pytest.fixture()
def tapi(bed: Bed) -> Iterator[Api]:
    client = Api(bed.provider)
    try:
        yield client
    finally:
        client.close()


_SEQ = iter(range(40, 250))


def trace(central: Central, network_id: str, flow: str) -> str:
    """`ovn-trace --minimal` of `flow` entering the network's logical switch."""
    central.nbctl("--wait=sb", "sync")
    ls_name = nb_row(central, "Logical_Switch", network_id)["name"]
    return run(["ovn-trace", f"--db={central.sb_remote}", "--minimal", ls_name, flow],
               env=central.env)


def icmp(port: dict[str, Any], eth_dst: str, ip_dst: str, ip_src: str | None = None) -> str:
    src = ip_src or port["fixed_ips"][0]["ip_address"]
    return (f'inport == "{port["id"]}" && eth.src == {port["mac_address"]} && '
            f"eth.dst == {eth_dst} && ip4.src == {src} && ip4.dst == {ip_dst} && "
            "ip.ttl == 64 && icmp4.type == 8 && icmp4.code == 0")


def outputs_to(text: str, port: dict[str, Any]) -> bool:
    """ovn-trace shortens UUID-like port names to their first characters."""
    names = re.findall(r'output\("([^"]+)"\)', text)
    return any(port["id"].startswith(name) for name in names)


def router_mac(api: Api, router_id: str, network_id: str) -> str:
    [port] = [p for p in router_ports(api, router_id) if p["network_id"] == network_id]
    return port["mac_address"]


def test_router_forwards_between_subnets(tapi: Api, central: Central) -> None:
    n = next(_SEQ)
    net_a, sub_a = net_with_subnet(tapi, f"10.{n}.1.0/24")
    net_b, sub_b = net_with_subnet(tapi, f"10.{n}.2.0/24")
    r = router(tapi, name="r-trace")
    add_interface(tapi, r["id"], subnet_id=sub_a["id"])
    add_interface(tapi, r["id"], port_id=tapi.port(
        net_b["id"], name="b-gw", fixed_ips=[{"ip_address": f"10.{n}.2.254"}])["id"])
    vm_a = tapi.port(net_a["id"], name="vm-a")
    vm_b = tapi.port(net_b["id"], name="vm-b")
    flow = icmp(vm_a, router_mac(tapi, r["id"], net_a["id"]), vm_b["fixed_ips"][0]["ip_address"])
    out = trace(central, net_a["id"], flow)
    assert "ip.ttl--;" in out, out
    assert f"eth.src = {router_mac(tapi, r['id'], net_b['id'])};" in out, out
    assert f"eth.dst = {vm_b['mac_address']};" in out, out
    assert outputs_to(out, vm_b), out
    # the router interfaces are what makes it work: without B's interface, no delivery
    b_port = router_ports(tapi, r["id"])
    remove_interface(tapi, r["id"], port_id=next(p["id"] for p in b_port
                                                 if p["network_id"] == net_b["id"]))
    out = trace(central, net_a["id"], flow)
    assert not outputs_to(out, vm_b), out


def _external_setup(api: Api, n: int, **gateway: Any) -> dict[str, Any]:
    ext, esub = net_with_subnet(api, f"172.{n}.0.0/24", external=True)
    net_a, sub_a = net_with_subnet(api, f"10.{n}.1.0/24")
    r = router(api, name="r-ext", external_gateway_info=gateway_info(
        ext, esub, f"172.{n}.0.10", **gateway))
    add_interface(api, r["id"], subnet_id=sub_a["id"])
    host = api.port(ext["id"], name="outside", fixed_ips=[{"ip_address": f"172.{n}.0.50"}])
    vm = api.port(net_a["id"], name="vm")
    return {"ext": ext, "net": net_a, "router": r, "host": host, "vm": vm,
            "gw_ip": f"172.{n}.0.10"}


def test_snat_rewrites_source_to_gateway_ip(tapi: Api, central: Central, bed: Bed) -> None:
    n = next(_SEQ)
    s = _external_setup(tapi, n)
    assert s["router"]["external_gateway_info"]["enable_snat"] is True
    lr = nb_row(central, "Logical_Router", s["router"]["id"])
    gw_lrp = f"lrp{lr['external_ids']['ovirt_gateway_port']}"
    central.nbctl("--wait=sb", "sync")
    bindings = central.sbctl("--columns=logical_port", "find", "Port_Binding",
                             "type=chassisredirect")
    assert f"cr-{gw_lrp}" in bindings  # the distributed gateway port exists in the SB
    lrp = nb_find(central, "Logical_Router_Port", name=gw_lrp)[0]
    [chassis] = [nb_row(central, "Gateway_Chassis", ref) for ref in as_list(
        lrp["gateway_chassis"])]
    assert chassis["chassis_name"] == bed.chassis
    flow = icmp(s["vm"], router_mac(tapi, s["router"]["id"], s["net"]["id"]),
                s["host"]["fixed_ips"][0]["ip_address"])
    out = trace(central, s["net"]["id"], flow)
    assert "ip.ttl--;" in out, out
    assert re.search(rf"ct_snat[a-z_]*\(ip4\.src={re.escape(s['gw_ip'])}\)", out), out
    assert outputs_to(out, s["host"]), out
    # with SNAT off the router forwards the packet unchanged (fully distributed)
    tapi.put(f"/v2.0/routers/{s['router']['id']}", {"router": {"external_gateway_info": {
        **gateway_info(s["ext"], {"id": s["router"]["external_gateway_info"][
            "external_fixed_ips"][0]["subnet_id"]}), "enable_snat": False}}})
    out = trace(central, s["net"]["id"], flow)
    assert "ct_snat" not in out and outputs_to(out, s["host"]), out


def test_floating_ip_rewrites_destination_in_and_source_out(tapi: Api, central: Central,
                                                            bed: Bed) -> None:
    n = next(_SEQ)
    s = _external_setup(tapi, n)
    fip = tapi.create("floatingips", "floatingip", floating_network_id=s["ext"]["id"],
                      floating_ip_address=f"172.{n}.0.200", port_id=s["vm"]["id"])
    fixed = s["vm"]["fixed_ips"][0]["ip_address"]
    assert fip["fixed_ip_address"] == fixed
    # inbound: to the floating address, delivered to the VM at its fixed address
    inbound = icmp(s["host"], router_mac(tapi, s["router"]["id"], s["ext"]["id"]),
                   fip["floating_ip_address"])
    out = trace(central, s["ext"]["id"], inbound)
    assert re.search(rf"ct_dnat[a-z_]*\(ip4\.dst={re.escape(fixed)}\)", out), out
    assert "ip.ttl--;" in out and outputs_to(out, s["vm"]), out
    # outbound: the VM's source becomes the floating address, not the gateway's
    outbound = icmp(s["vm"], router_mac(tapi, s["router"]["id"], s["net"]["id"]),
                    s["host"]["fixed_ips"][0]["ip_address"])
    out = trace(central, s["net"]["id"], outbound)
    assert re.search(rf"ct_snat[a-z_]*\(ip4\.src={re.escape(fip['floating_ip_address'])}\)",
                     out), out
    assert outputs_to(out, s["host"]), out
    # after disassociation the floating address leads nowhere
    tapi.put(f"/v2.0/floatingips/{fip['id']}", {"floatingip": {"port_id": None}})
    out = trace(central, s["ext"]["id"], inbound)
    assert "ct_dnat" not in out and not outputs_to(out, s["vm"]), out
