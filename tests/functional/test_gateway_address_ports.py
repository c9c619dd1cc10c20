"""A port may take its subnet's gateway address while no router port holds it: the
"router interface by port" flow of Neutron clients (docs/routers.md). The routed traffic
through such an interface is proven with ovn-trace."""

from __future__ import annotations

from ovn_provider.ovn.central import Central
from tests.functional.test_router_trace import outputs_to, router_mac, trace
from tests.functional.test_routers import (
    add_interface,
    check,
    lrp_named,
    net_with_subnet,
    rejected,
    remove_interface,
    router,
)
from tests.support.provider import Api


def test_port_takes_the_gateway_address_then_becomes_the_interface(api: Api,
                                                                  central: Central) -> None:
    net, sub = net_with_subnet(api, "10.47.1.0/24")
    other, other_sub = net_with_subnet(api, "10.47.2.0/24")
    gw_port = api.port(net["id"], name="gw", fixed_ips=[
        {"subnet_id": sub["id"], "ip_address": "10.47.1.1"}])
    assert gw_port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.47.1.1"}]
    # held by a port: a second one cannot take it, nor can a router by subnet
    check(api.post("/v2.0/ports", {"port": {"network_id": net["id"], "fixed_ips": [
        {"ip_address": "10.47.1.1"}]}}), 409, "~already in use")
    r = router(api, name="r-byport")
    rejected(central, lambda: api.put(f"/v2.0/routers/{r['id']}/add_router_interface",
                                      {"subnet_id": sub["id"]}), 409,
             f"IP address 10.47.1.1 already allocated in subnet {sub['id']}")
    # the port becomes the router's interface, with the gateway address
    body = add_interface(api, r["id"], port_id=gw_port["id"])
    assert body["port_id"] == gw_port["id"] and body["subnet_ids"] == [sub["id"]]
    lrp = lrp_named(central, f"lrp{gw_port['id']}")
    assert lrp is not None and lrp["networks"] == "10.47.1.1/24"
    assert lrp["mac"] == gw_port["mac_address"]
    # the VMs of the subnet reach the other subnet through it
    add_interface(api, r["id"], subnet_id=other_sub["id"])
    vm = api.port(net["id"], name="vm")
    far = api.port(other["id"], name="far")
    assert vm["fixed_ips"][0]["ip_address"] != "10.47.1.1"
    flow = (f'inport == "{vm["id"]}" && eth.src == {vm["mac_address"]} && '
            f"eth.dst == {router_mac(api, r['id'], net['id'])} && "
            f"ip4.src == {vm['fixed_ips'][0]['ip_address']} && "
            f"ip4.dst == {far['fixed_ips'][0]['ip_address']} && ip.ttl == 64 && "
            "icmp4.type == 8")
    out = trace(central, net["id"], flow)
    assert "ip.ttl--;" in out and outputs_to(out, far), out
    # while the router holds it, no port may take the address
    check(api.post("/v2.0/ports", {"port": {"network_id": net["id"], "fixed_ips": [
        {"subnet_id": sub["id"], "ip_address": "10.47.1.1"}]}}), 409, "~already in use")
    # once the interface is gone (its port with it), the address is free again
    remove_interface(api, r["id"], port_id=gw_port["id"])
    again = api.port(net["id"], name="gw-again", fixed_ips=[{"ip_address": "10.47.1.1"}])
    assert again["fixed_ips"][0]["ip_address"] == "10.47.1.1"


def test_automatic_addresses_still_skip_the_gateway(api: Api) -> None:
    net, sub = net_with_subnet(api, "10.47.3.0/29")
    ips = {api.port(net["id"], name=f"p{i}")["fixed_ips"][0]["ip_address"] for i in range(5)}
    assert "10.47.3.1" not in ips and len(ips) == 5


def test_default_pools_exclude_the_gateway(api: Api) -> None:
    """Neutron's default pools: every usable address but the gateway's, wherever it is;
    automatic addresses come only from them."""
    net = api.network(name="pools-gw")
    sub = api.subnet(net["id"], "10.47.4.0/29", gateway_ip="10.47.4.3")
    assert sub["allocation_pools"] == [{"start": "10.47.4.1", "end": "10.47.4.2"},
                                       {"start": "10.47.4.4", "end": "10.47.4.6"}]
    got = set()
    while True:
        response = api.post("/v2.0/ports", {"port": {"network_id": net["id"]}})
        if response.status_code != 201:
            check(response, 409, "~No more IP addresses available")
            break
        got.add(response.json()["port"]["fixed_ips"][0]["ip_address"])
    assert "10.47.4.3" not in got and {"10.47.4.4", "10.47.4.5", "10.47.4.6"} <= got
    v6 = api.subnet(api.network(name="pools-gw6")["id"], "fd00:47:4::/120",
                    gateway_ip="fd00:47:4::80", ipv6_address_mode="dhcpv6_stateful")
    assert v6["allocation_pools"] == [{"start": "fd00:47:4::1", "end": "fd00:47:4::7f"},
                                      {"start": "fd00:47:4::81", "end": "fd00:47:4::ff"}]


def test_unknown_fixed_ip_subnet_is_404(api: Api, central: Central) -> None:
    """As Neutron: a subnet that does not exist is 404; one of another network is 400."""
    net, _ = net_with_subnet(api, "10.47.5.0/24")
    _, foreign = net_with_subnet(api, "10.47.6.0/24")
    missing = "6f1d0b5e-8a55-4a8e-9b55-0d4c1a9e0a11"
    rejected(central, lambda: api.post("/v2.0/ports", {"port": {
        "network_id": net["id"], "fixed_ips": [{"subnet_id": missing}]}}), 404,
        f"Subnet {missing} could not be found.")
    rejected(central, lambda: api.post("/v2.0/ports", {"port": {
        "network_id": net["id"], "fixed_ips": [{"subnet_id": foreign["id"]}]}}), 400)
