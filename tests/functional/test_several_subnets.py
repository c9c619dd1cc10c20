"""Any number of IPv4 and IPv6 subnets per network (docs/nb-layout.md, "Several subnets"):
where addresses come from, how they are written, which DHCP options each port follows,
and what OVN makes of it (ovn-trace: ARP and DHCP answers for a secondary subnet)."""

from __future__ import annotations

from typing import Any

from ovn_provider.ovn.central import Central
from tests.functional.test_router_trace import trace
from tests.functional.test_subnets import eui64, lsp, other_config, refs
from tests.support.nb import as_list
from tests.support.provider import Api


def addresses(central: Central, port_id: str) -> list[str]:
    return as_list(lsp(central, port_id)["addresses"])


def test_several_subnets_per_family(api: Api, central: Central) -> None:
    net = api.network(name="many-subnets")
    a = api.subnet(net["id"], "10.61.1.0/24", gateway_ip="10.61.1.1")
    b = api.subnet(net["id"], "10.61.2.0/24", gateway_ip="10.61.2.1")
    c = api.subnet(net["id"], "fd00:61:1::/64", ipv6_address_mode="dhcpv6_stateful")
    d = api.subnet(net["id"], "fd00:61:2::/64", ipv6_address_mode="dhcpv6_stateful")
    shown = api.show("networks", "network", net["id"])
    assert sorted(shown["subnets"]) == sorted(s["id"] for s in (a, b, c, d))
    # OVN's own addressing stays on the first subnet of each family (predecessor layout)
    assert other_config(central, net["id"]) == {"subnet": "10.61.1.0/24",
                                                "ipv6_prefix": "fd00:61:1::"}
    auto = api.port(net["id"], name="auto")
    assert [f["subnet_id"] for f in auto["fixed_ips"]] == [a["id"], c["id"]]
    assert addresses(central, auto["id"]) == [f"{auto['mac_address']} dynamic"]
    assert refs(lsp(central, auto["id"])) == ([a["id"]], [c["id"]])
    # the subnet asked for: a static address the provider allocated
    in_b = api.port(net["id"], name="in-b", fixed_ips=[{"subnet_id": b["id"]}])
    [ip_b] = [f["ip_address"] for f in in_b["fixed_ips"] if f["subnet_id"] == b["id"]]
    assert ip_b.startswith("10.61.2.") and ip_b != "10.61.2.1"
    assert addresses(central, in_b["id"]) == [f"{in_b['mac_address']} {ip_b}"]
    assert refs(lsp(central, in_b["id"])) == ([b["id"]], [])
    # several addresses of one family; DHCP follows the first of each family
    multi = api.port(net["id"], name="multi", fixed_ips=[
        {"subnet_id": b["id"]}, {"subnet_id": a["id"]}, {"ip_address": "fd00:61:2::50"},
        {"subnet_id": c["id"]}])
    by_subnet = {f["subnet_id"]: f["ip_address"] for f in multi["fixed_ips"]}
    assert set(by_subnet) == {a["id"], b["id"], c["id"], d["id"]}
    assert by_subnet[d["id"]] == "fd00:61:2::50"
    assert refs(lsp(central, multi["id"])) == ([b["id"]], [d["id"]])
    [text] = addresses(central, multi["id"])
    assert set(text.split()) == {multi["mac_address"], *by_subnet.values()}
    # an address is in use across every subnet of the network
    response = api.post("/v2.0/ports", {"port": {"network_id": net["id"],
                                                 "fixed_ips": [{"ip_address": ip_b}]}})
    assert response.status_code == 409, response.text
    # OVN sees the static addresses: it answers ARP for them and offers them over DHCP
    central.nbctl("--wait=sb", "sync")
    mac_b = in_b["mac_address"]
    arp = (f'inport == "{auto["id"]}" && eth.src == {auto["mac_address"]} && '
           f"eth.dst == ff:ff:ff:ff:ff:ff && arp.op == 1 && arp.sha == {auto['mac_address']}"
           f" && arp.spa == {auto['fixed_ips'][0]['ip_address']} && arp.tpa == {ip_b}")
    out = trace(central, net["id"], arp)
    assert "arp.op = 2" in out and f"eth.src = {mac_b}" in out, out
    discover = (f'inport == "{in_b["id"]}" && eth.src == {mac_b} && '
                "eth.dst == ff:ff:ff:ff:ff:ff && ip4.src == 0.0.0.0 && "
                "ip4.dst == 255.255.255.255 && udp.src == 68 && udp.dst == 67")
    out = trace(central, net["id"], discover)
    assert f"offerip = {ip_b}" in out and "router = 10.61.2.1" in out, out


def test_automatic_addresses_fall_back_to_the_next_subnet(api: Api, central: Central
                                                          ) -> None:
    net = api.network(name="fallback")
    small = api.subnet(net["id"], "10.62.1.0/30")  # one address OVN would hand out
    big = api.subnet(net["id"], "10.62.2.0/24", gateway_ip="10.62.2.1")
    first = api.port(net["id"], name="first")
    assert first["fixed_ips"] == [{"subnet_id": small["id"], "ip_address": "10.62.1.2"}]
    second = api.port(net["id"], name="second")
    [entry] = second["fixed_ips"]
    assert entry["subnet_id"] == big["id"] and entry["ip_address"] != "10.62.2.1"
    assert addresses(central, second["id"]) == [
        f"{second['mac_address']} {entry['ip_address']}"]
    assert refs(lsp(central, second["id"])) == ([big["id"]], [])
    # the first subnet goes: OVN's addressing moves to the next one, ports keep theirs
    assert api.delete(f"/v2.0/ports/{first['id']}").status_code == 204
    assert api.delete(f"/v2.0/subnets/{small['id']}").status_code == 204
    assert other_config(central, net["id"]) == {"subnet": "10.62.2.0/24"}
    kept: dict[str, Any] = api.show("ports", "port", second["id"])
    assert kept["fixed_ips"] == [entry]
    third = api.port(net["id"], name="third")
    assert addresses(central, third["id"]) == [f"{third['mac_address']} dynamic"]
    ip3 = third["fixed_ips"][0]["ip_address"]
    assert ip3.startswith("10.62.2.") and ip3 not in ("10.62.2.1", entry["ip_address"])
    central.nbctl("--wait=sb", "sync")  # ovn-northd keeps the pre-set dynamic address
    assert as_list(lsp(central, third["id"])["dynamic_addresses"]) == [
        f"{third['mac_address']} {ip3}"]
    # deleting a subnet that is not the family's first leaves the switch alone
    extra = api.subnet(net["id"], "10.62.3.0/24")
    assert api.delete(f"/v2.0/subnets/{extra['id']}").status_code == 204
    assert other_config(central, net["id"]) == {"subnet": "10.62.2.0/24"}


def test_every_slaac_subnet_gives_an_address(api: Api, central: Central) -> None:
    """As Neutron: a port gets an address from each SLAAC / DHCPv6-stateless subnet (from
    its MAC) and one from the first stateful subnet, whatever order they were made in."""
    net = api.network(name="slaac-and-stateful")
    slaac = api.subnet(net["id"], "fd00:63:1::/64", ipv6_address_mode="slaac",
                       ipv6_ra_mode="slaac")
    stateful = api.subnet(net["id"], "fd00:63:2::/64", ipv6_address_mode="dhcpv6_stateful")
    stateless = api.subnet(net["id"], "fd00:63:3::/64",
                           ipv6_address_mode="dhcpv6_stateless")
    port = api.port(net["id"], name="v6-many")
    by_subnet = {f["subnet_id"]: f["ip_address"] for f in port["fixed_ips"]}
    assert set(by_subnet) == {slaac["id"], stateful["id"], stateless["id"]}
    assert by_subnet[slaac["id"]] == eui64("fd00:63:1::", port["mac_address"])
    assert by_subnet[stateless["id"]] == eui64("fd00:63:3::", port["mac_address"])
    [text] = addresses(central, port["id"])
    assert set(text.split()) == {port["mac_address"], *by_subnet.values()}
    # both modes given must agree, as in Neutron
    response = api.post("/v2.0/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "fd00:63:4::/64", "ip_version": 6,
        "ipv6_ra_mode": "dhcpv6-stateless", "ipv6_address_mode": "dhcpv6-stateful"}})
    assert response.status_code == 400 and "must be the same value" in response.text
