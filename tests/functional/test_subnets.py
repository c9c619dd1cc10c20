"""Subnets over a real NB (docs/compatibility.md, "Networks, subnets, ports"; docs/nb-layout.md;
docs/compatibility.md, "Beyond the predecessor").

The DHCP_Options rows, the LS other_config and the ports' DHCP references are read back with
ovn-nbctl and compared exactly.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import read_pid
from ovn_provider.server import Provider
from tests.support.nb import as_list, nb_exists, nb_row
from tests.support.net_checks import RACES, TENANT, assert_error, at_once, check, snapshot, synced
from tests.support.provider import Api, make_config, running
from tests.support.stamps import stamped, without_stamps

SERVER_MAC = "02:00:00:00:00:00"


def dhcp(central: Central, subnet_id: str) -> dict[str, Any]:
    return nb_row(central, "DHCP_Options", subnet_id)


def lsp(central: Central, port_id: str) -> dict[str, Any]:
    return nb_row(central, "Logical_Switch_Port", port_id)


def other_config(central: Central, net_id: str) -> dict[str, str]:
    return nb_row(central, "Logical_Switch", net_id)["other_config"]  # type: ignore[no-any-return]


def refs(row: dict[str, Any]) -> tuple[list[str], list[str]]:
    return as_list(row["dhcpv4_options"]), as_list(row["dhcpv6_options"])


def ips(port: dict[str, Any]) -> list[str]:
    return [ip["ip_address"] for ip in port["fixed_ips"]]


def eui64(prefix: str, mac: str) -> str:
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 2
    iid = bytes(octets[:3] + [0xFF, 0xFE] + octets[3:])
    net = ipaddress.ip_network(prefix)
    return str(ipaddress.IPv6Address(int(net.network_address) | int.from_bytes(iid, "big")))


# -- IPv4 --------------------------------------------------------------------------------------
def test_ipv4_subnet_rows_and_response(api: Api, central: Central) -> None:
    net = api.network(name="v4")
    response = api.post("/v2.0/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "10.70.0.0/24", "ip_version": 4, "name": "s1",
        "gateway_ip": "10.70.0.1", "dns_nameservers": ["8.8.8.8"], "enable_dhcp": True,
        "tenant_id": net["tenant_id"], "ipv6_ra_mode": None}})
    assert response.status_code == 201, response.text
    subnet = response.json()["subnet"]
    assert subnet == {
        "id": subnet["id"], "network_id": net["id"], "name": "s1", "cidr": "10.70.0.0/24",
        "ip_version": 4, "gateway_ip": "10.70.0.1", "enable_dhcp": True,
        "dns_nameservers": ["8.8.8.8"], "host_routes": [],
        "allocation_pools": [{"start": "10.70.0.2", "end": "10.70.0.254"}],
        "tenant_id": TENANT, "project_id": TENANT, "description": "", "tags": [],
        **stamped(subnet)}
    assert api.show("subnets", "subnet", subnet["id"]) == subnet
    row = dhcp(central, subnet["id"])
    assert row["cidr"] == "10.70.0.0/24"
    assert without_stamps(row["external_ids"]) == {"ovirt_network_id": net["id"],
                                                   "ip_version": "4", "ovirt_name": "s1"}
    assert row["options"] == {"server_id": "10.70.0.0", "server_mac": SERVER_MAC,
                              "lease_time": "86400", "router": "10.70.0.1", "mtu": "1442",
                              "dns_server": "8.8.8.8"}
    assert other_config(central, net["id"]) == {"subnet": "10.70.0.0/24"}
    assert api.show("networks", "network", net["id"])["subnets"] == [subnet["id"]]
    port = api.port(net["id"])
    assert refs(lsp(central, port["id"])) == ([subnet["id"]], [])
    assert port["fixed_ips"][0]["subnet_id"] == subnet["id"]
    address = ipaddress.ip_address(port["fixed_ips"][0]["ip_address"])
    assert address in ipaddress.ip_network("10.70.0.0/24")
    assert str(address) not in ("10.70.0.0", "10.70.0.1", "10.70.0.255")


def test_minimal_ipv4_subnet_has_no_gateway(api: Api, central: Central) -> None:
    """: no gateway_ip means no gateway, unlike Neutron."""
    net = api.network(name="no-gw", mtu=1400)
    subnet = api.subnet(net["id"], "10.71.0.0/24")
    assert subnet["gateway_ip"] is None and subnet["name"] == ""
    assert subnet["dns_nameservers"] == [] and subnet["host_routes"] == []
    assert subnet["allocation_pools"] == [{"start": "10.71.0.1", "end": "10.71.0.254"}]
    row = dhcp(central, subnet["id"])
    assert without_stamps(row["external_ids"]) == {"ovirt_network_id": net["id"],
                                                   "ip_version": "4"}
    assert row["options"] == {"server_id": "10.71.0.0", "server_mac": SERVER_MAC,
                              "lease_time": "86400", "mtu": "1400"}  # the network's MTU
    null_gateway = api.subnet(api.network(name="null-gw")["id"], "10.71.1.0/24",
                              gateway_ip=None)
    assert null_gateway["gateway_ip"] is None
    assert "router" not in dhcp(central, null_gateway["id"])["options"]


@pytest.mark.parametrize(("cidr", "gateway", "pools"), [
    ("10.72.0.0/24", "10.72.0.100", [{"start": "10.72.0.1", "end": "10.72.0.99"},
                                     {"start": "10.72.0.101", "end": "10.72.0.254"}]),
    ("10.72.1.0/24", "10.72.1.254", [{"start": "10.72.1.1", "end": "10.72.1.253"}]),
    ("10.72.2.0/30", None, [{"start": "10.72.2.1", "end": "10.72.2.2"}]),
    ("10.72.3.0/31", None, []),
    ("10.72.4.1/32", None, []),
    ("fd00:72::/64", "fd00:72::1", [{"start": "fd00:72::2",
                                     "end": "fd00:72::ffff:ffff:ffff:ffff"}]),
])
def test_computed_allocation_pools(api: Api, cidr: str, gateway: str | None,
                                   pools: list[dict[str, str]]) -> None:
    """: broadcast excluded, key `end`, tiny CIDRs give []."""
    subnet = api.subnet(api.network(name="pools")["id"], cidr, gateway_ip=gateway)
    assert subnet["allocation_pools"] == pools


def test_several_dns_servers_use_the_ovn_set_syntax(api: Api, central: Central) -> None:
    net = api.network(name="dns")
    subnet = api.subnet(net["id"], "10.73.0.0/24",
                        dns_nameservers=["8.8.8.8", "1.1.1.1", "9.9.9.9"])
    assert subnet["dns_nameservers"] == ["8.8.8.8", "1.1.1.1", "9.9.9.9"]
    assert dhcp(central, subnet["id"])["options"]["dns_server"] == \
        "{8.8.8.8, 1.1.1.1, 9.9.9.9}"
    v6 = api.subnet(net["id"], "fd00:73::/64",
                    dns_nameservers=["fd00::53", "2001:4860:4860::8888"])
    assert v6["dns_nameservers"] == ["fd00::53", "2001:4860:4860::8888"]
    assert dhcp(central, v6["id"])["options"]["dns_server"] == \
        "{fd00::53, 2001:4860:4860::8888}"
    # update to one server, then to none
    response = api.put(f"/v2.0/subnets/{subnet['id']}",
                       {"subnet": {"dns_nameservers": ["4.4.4.4"]}})
    assert response.json()["subnet"]["dns_nameservers"] == ["4.4.4.4"]
    assert dhcp(central, subnet["id"])["options"]["dns_server"] == "4.4.4.4"
    response = api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"dns_nameservers": []}})
    assert response.json()["subnet"]["dns_nameservers"] == []
    assert "dns_server" not in dhcp(central, subnet["id"])["options"]


def test_host_routes_become_classless_static_routes(api: Api, central: Central) -> None:
    net = api.network(name="routes")
    routes = [{"destination": "10.200.0.0/16", "nexthop": "10.74.0.254"},
              {"destination": "192.168.5.0/24", "nexthop": "10.74.0.253"}]
    subnet = api.subnet(net["id"], "10.74.0.0/24", gateway_ip="10.74.0.1", host_routes=routes)
    assert subnet["host_routes"] == routes
    assert dhcp(central, subnet["id"])["options"]["classless_static_route"] == (
        "{10.200.0.0/16,10.74.0.254, 192.168.5.0/24,10.74.0.253, 0.0.0.0/0,10.74.0.1}")
    # RFC 3442: without a gateway there is no default route to add
    bare = api.subnet(api.network(name="routes-nogw")["id"], "10.75.0.0/24",
                      host_routes=routes[:1])
    assert dhcp(central, bare["id"])["options"]["classless_static_route"] == \
        "{10.200.0.0/16,10.74.0.254}"
    # an explicit default route is not doubled
    own_default = api.subnet(api.network(name="routes-default")["id"], "10.76.0.0/24",
                             gateway_ip="10.76.0.1",
                             host_routes=[{"destination": "0.0.0.0/0",
                                           "nexthop": "10.76.0.5"}])
    assert dhcp(central, own_default["id"])["options"]["classless_static_route"] == \
        "{0.0.0.0/0,10.76.0.5}"
    # update replaces them; [] removes the option
    response = api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"host_routes": []}})
    assert response.status_code == 200, response.text
    assert response.json()["subnet"]["host_routes"] == []
    assert "classless_static_route" not in dhcp(central, subnet["id"])["options"]


def test_allocation_pools_keep_dynamic_addresses_inside(api: Api, central: Central) -> None:
    net = api.network(name="pooled")
    pools = [{"start": "10.77.0.10", "end": "10.77.0.11"},
             {"start": "10.77.0.20", "end": "10.77.0.20"}]
    subnet = api.subnet(net["id"], "10.77.0.0/24", gateway_ip="10.77.0.1",
                        allocation_pools=pools)
    assert subnet["allocation_pools"] == pools
    assert other_config(central, net["id"]) == {
        "subnet": "10.77.0.0/24",
        "exclude_ips": "10.77.0.1..10.77.0.9 10.77.0.12..10.77.0.19 10.77.0.21..10.77.0.254"}
    ports = [api.port(net["id"]) for _ in range(3)]
    got = {ips(p)[0] for p in ports}
    assert got == {"10.77.0.10", "10.77.0.11", "10.77.0.20"}
    # the pools are full
    assert_error(api.post("/v2.0/ports", {"port": {"network_id": net["id"]}}), 409)
    # ovn-northd keeps the provider's choices
    central.nbctl("--wait=sb", "sync")
    for port in ports:
        assert lsp(central, port["id"])["dynamic_addresses"] == \
            f"{port['mac_address']} {ips(port)[0]}"


def test_fixed_ip_outside_the_pools_is_allowed(api: Api) -> None:
    net = api.network(name="outside-pool")
    api.subnet(net["id"], "10.77.1.0/24", allocation_pools=[{"start": "10.77.1.10",
                                                              "end": "10.77.1.20"}])
    fixed = api.port(net["id"], fixed_ips=[{"ip_address": "10.77.1.200"}])
    assert ips(fixed) == ["10.77.1.200"]


def test_allocation_pools_update_keeps_router_gateway_exclusions(
        api: Api, central: Central, provider: Provider) -> None:
    net = api.network(name="pool-update")
    subnet = api.subnet(net["id"], "10.78.0.0/24", gateway_ip="10.78.0.1",
                        allocation_pools=[{"start": "10.78.0.10", "end": "10.78.0.50"}])
    # a router gateway IP reserved by the routers module (docs/nb-layout.md)
    excluded = other_config(central, net["id"])["exclude_ips"]
    central.nbctl("set", "Logical_Switch", net["id"],
                  f'other_config:exclude_ips="{excluded} 10.78.0.30"')
    synced(provider, central)
    response = api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {
        "allocation_pools": [{"start": "10.78.0.100", "end": "10.78.0.110"}]}})
    assert response.status_code == 200, response.text
    assert response.json()["subnet"]["allocation_pools"] == [
        {"start": "10.78.0.100", "end": "10.78.0.110"}]
    assert other_config(central, net["id"])["exclude_ips"].split() == [
        "10.78.0.1..10.78.0.99", "10.78.0.111..10.78.0.254", "10.78.0.30"]
    port = api.port(net["id"])
    assert ips(port) == ["10.78.0.100"]
    # the gateway's reservation still holds for fixed IPs; the pools' ranges do not
    before = snapshot(central)
    assert_error(api.post("/v2.0/ports", {"port": {
        "network_id": net["id"], "fixed_ips": [{"ip_address": "10.78.0.30"}]}}), 409)
    # nor may the subnet gateway move into a pool
    check(api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"gateway_ip": "10.78.0.105"}}),
          400, "~10.78.0.105")
    assert snapshot(central) == before
    outside = api.port(net["id"], fixed_ips=[{"ip_address": "10.78.0.40"}])
    assert api.delete(f"/v2.0/ports/{outside['id']}").status_code == 204
    # deleting the subnet takes its own exclusions, not the gateway's
    assert api.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    assert api.delete(f"/v2.0/subnets/{subnet['id']}").status_code == 204
    assert other_config(central, net["id"]) == {"exclude_ips": "10.78.0.30"}


def test_enable_dhcp_false_gives_addresses_without_dhcp(api: Api, central: Central) -> None:
    net = api.network(name="no-dhcp")
    early = api.port(net["id"])
    subnet = api.subnet(net["id"], "10.79.0.0/24", enable_dhcp=False)
    assert subnet["enable_dhcp"] is False
    assert without_stamps(dhcp(central, subnet["id"])["external_ids"]) == {
        "ovirt_network_id": net["id"], "ip_version": "4", "ovirt_enable_dhcp": "False"}
    both = [api.port(net["id"]), api.show("ports", "port", early["id"])]
    for each in both:
        assert len(ips(each)) == 1 and each["fixed_ips"][0]["subnet_id"] == subnet["id"]
        row = lsp(central, each["id"])
        assert refs(row) == ([], [])
        assert as_list(row["addresses"]) == [f"{each['mac_address']} dynamic"]
    # turning DHCP on links every port, and their addresses stay
    response = api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"enable_dhcp": True}})
    assert response.status_code == 200 and response.json()["subnet"]["enable_dhcp"] is True
    for each in both:
        assert refs(lsp(central, each["id"])) == ([subnet["id"]], [])
        assert ips(api.show("ports", "port", each["id"])) == ips(each)
    port = both[0]
    assert "ovirt_enable_dhcp" not in dhcp(central, subnet["id"])["external_ids"]
    # and off again unlinks them
    api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"enable_dhcp": False}})
    assert refs(lsp(central, port["id"])) == ([], [])
    assert ips(api.show("ports", "port", port["id"])) == ips(port)


# -- validation -----------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "message"), [
    ({"cidr": "10.80.0.0/24"}, "Missing 'ip_version' attribute"),
    ({"cidr": "10.80.0.0/24", "ip_version": None}, "Missing 'ip_version' attribute"),
    ({"cidr": "10.80.0.0/24", "ip_version": 5}, "'ip_version' must be either 4 or 6"),
    ({"cidr": "10.80.0.0/24", "ip_version": "four"}, "'ip_version' must be either 4 or 6"),
    ({"cidr": "10.80.0.0/24", "ip_version": True}, "'ip_version' must be either 4 or 6"),
    ({"ip_version": 4}, "~cidr"),
    ({"ip_version": 4, "cidr": "10.80.0.0/33"}, "~cidr"),
    ({"ip_version": 4, "cidr": "banana"}, "~cidr"),
    ({"ip_version": 4, "cidr": 10}, "~cidr"),
    ({"ip_version": 4, "cidr": "10.80.0.0"}, "~cidr"),
    ({"ip_version": 6, "cidr": "fe80::%eth0/64"}, "~cidr"),
    ({"ip_version": 6, "cidr": "10.80.0.0/24"},
     "The provided ip_version [6] does not match the supplied cidr=10.80.0.0/24 or "
     "gateway=None"),
    ({"ip_version": 4, "cidr": "fd00:80::/64"},
     "The provided ip_version [4] does not match the supplied cidr=fd00:80::/64 or "
     "gateway=None"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "gateway_ip": "fd00::1"},
     "The provided ip_version [4] does not match the supplied cidr=10.80.0.0/24 or "
     "gateway=fd00::1"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "gateway_ip": "10.81.0.1"}, "~10.81.0.1"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "gateway_ip": "10.80.0.0"}, "~10.80.0.0"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "gateway_ip": "10.80.0.255"}, "~10.80.0.255"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "gateway_ip": "nope"}, "~gateway_ip"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "dns_nameservers": "8.8.8.8"},
     "dns_nameservers must be of type: list"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "dns_nameservers": ["dns.example"]},
     "~dns_nameservers"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "dns_nameservers": ["fd00::53"]},
     "~fd00::53"),
    ({"ip_version": 6, "cidr": "fd00:80::/64", "dns_nameservers": ["8.8.8.8"]},
     "~8.8.8.8"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "dns_nameservers": ["8.8.8.8", "8.8.8.8"]},
     "~8.8.8.8"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "enable_dhcp": "yes"},
     "enable_dhcp must be of type bool"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "ipv6_address_mode": "dhcpv6-stateful"},
     "~ipv6_address_mode"),
    ({"ip_version": 6, "cidr": "fd00:80::/64", "ipv6_address_mode": "dhcpv7"},
     "~dhcpv6-stateful, dhcpv6-stateless"),
    ({"ip_version": 6, "cidr": "fd00:80::/64", "ipv6_address_mode": 6}, "~ipv6_address_mode"),
    ({"ip_version": 6, "cidr": "fd00:80::/80", "ipv6_address_mode": "dhcpv6-stateless"},
     "Invalid CIDR fd00:80::/80 for IPv6 address mode. OVN uses the EUI-64 address format, "
     "which requires the prefix to be /64"),
    ({"ip_version": 6, "cidr": "fd00:80::/48", "ipv6_address_mode": "slaac"},
     "Invalid CIDR fd00:80::/48 for IPv6 address mode. OVN uses the EUI-64 address format, "
     "which requires the prefix to be /64"),
    ({"ip_version": 6, "cidr": "fd00:80::/64", "ipv6_ra_mode": "bogus"}, "~ipv6_ra_mode"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "ipv6_ra_mode": "slaac"}, "~ipv6_ra_mode"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "host_routes": {"destination": "x"}},
     "host_routes must be of type: list"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "host_routes": [{"destination": "1.0.0.0/8"}]},
     "~host route"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24",
      "host_routes": [{"destination": "fd00::/8", "nexthop": "10.80.0.9"}]}, "~IPv4"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24",
      "allocation_pools": [{"start": "10.80.0.10"}]}, "~allocation pool"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24",
      "allocation_pools": [{"start": "10.80.0.10", "end": "10.80.1.10"}]}, "~10.80.1.10"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24",
      "allocation_pools": [{"start": "10.80.0.10", "end": "10.80.0.5"}]}, "~10.80.0.5"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "gateway_ip": "10.80.0.7",
      "allocation_pools": [{"start": "10.80.0.5", "end": "10.80.0.10"}]}, "~10.80.0.7"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24",
      "allocation_pools": [{"start": "10.80.0.5", "end": "10.80.0.10"},
                           {"start": "10.80.0.8", "end": "10.80.0.20"}]}, "~overlapping"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "allocation_pools": ["10.80.0.5"]},
     "~allocation pool"),
    ({"ip_version": 4, "cidr": "10.80.0.0/24", "name": 5}, "~name"),
])
def test_create_rejects_bad_input_and_writes_nothing(api: Api, central: Central,
                                                     body: dict[str, Any],
                                                     message: str) -> None:
    net = api.network(name="subnet-bad")
    before = snapshot(central)
    check(api.post("/v2.0/subnets", {"subnet": {"network_id": net["id"], **body}}), 400,
          message)
    assert snapshot(central) == before


def test_create_on_unknown_network(api: Api, central: Central) -> None:
    before = snapshot(central)
    for ident in (str(uuid.uuid4()), "not-a-uuid"):
        assert_error(api.post("/v2.0/subnets", {"subnet": {
            "network_id": ident, "cidr": "10.81.0.0/24", "ip_version": 4}}), 400,
            f"Subnet can not be created, network {ident} does not exist")
    check(api.post("/v2.0/subnets", {"subnet": {"cidr": "10.81.0.0/24", "ip_version": 4}}),
          400, "~network_id")
    check(api.post("/v2.0/subnets", {"cidr": "10.81.0.0/24"}), 400, "~subnet")
    assert snapshot(central) == before


# -- IPv6 ----------------------------------------------------------------------------------------
def test_ipv6_stateful_subnet(api: Api, central: Central) -> None:
    net = api.network(name="v6")
    subnet = api.subnet(net["id"], "fd00:90::/64", gateway_ip="fd00:90::1", name="six",
                        dns_nameservers=["fd00:90::53"])
    assert subnet["ip_version"] == 6 and subnet["ipv6_address_mode"] == "dhcpv6-stateful"
    assert subnet["gateway_ip"] == "fd00:90::1"
    assert subnet["ipv6_ra_mode"] is None
    row = dhcp(central, subnet["id"])
    assert row["cidr"] == "fd00:90::/64"
    assert without_stamps(row["external_ids"]) == {"ovirt_network_id": net["id"],
                                                   "ip_version": "6", "ovirt_name": "six",
                                   "ovirt_ipv6_address_mode": "dhcpv6_stateful",
                                   "router": "fd00:90::1"}
    # IPv6 rows never carry DHCPv4-only options nor an mtu key without an MTU
    assert row["options"] == {"server_id": SERVER_MAC, "dns_server": "fd00:90::53"}
    assert other_config(central, net["id"]) == {"ipv6_prefix": "fd00:90::"}
    port = api.port(net["id"])
    assert ips(port) == [eui64("fd00:90::/64", port["mac_address"])]
    assert refs(lsp(central, port["id"])) == ([], [subnet["id"]])
    fixed = api.port(net["id"], fixed_ips=[{"ip_address": "fd00:90::1234"}])
    assert ips(fixed) == ["fd00:90::1234"]


def test_ipv6_subnet_on_network_with_mtu_records_it(api: Api, central: Central) -> None:
    net = api.network(name="v6-mtu", mtu=1380)
    subnet = api.subnet(net["id"], "fd00:91::/64", ipv6_address_mode="dhcpv6_stateful")
    row = dhcp(central, subnet["id"])
    assert row["external_ids"]["mtu"] == "1380"
    assert row["external_ids"]["ovirt_ipv6_address_mode"] == "dhcpv6_stateful"
    assert "mtu" not in row["options"] and "router" not in row["external_ids"]


@pytest.mark.parametrize("mode", ["dhcpv6-stateless", "dhcpv6_stateless", "slaac"])
def test_ipv6_stateless_and_slaac(api: Api, central: Central, mode: str) -> None:
    net = api.network(name=f"v6-{mode}")
    subnet = api.subnet(net["id"], "fd00:92::/64", ipv6_address_mode=mode)
    dashed = mode.replace("_", "-")
    assert subnet["ipv6_address_mode"] == dashed
    row = dhcp(central, subnet["id"])
    assert row["options"] == {"server_id": SERVER_MAC, "dhcpv6_stateless": "true"}
    assert row["external_ids"]["ovirt_ipv6_address_mode"] == dashed.replace("-", "_")
    port = api.port(net["id"])
    assert ips(port) == [eui64("fd00:92::/64", port["mac_address"])]
    before = snapshot(central)
    assert_error(api.post("/v2.0/ports", {"port": {
        "network_id": net["id"], "fixed_ips": [{"ip_address": "fd00:92::5"}]}}), 400)
    assert snapshot(central) == before


def test_ipv6_stateful_allows_a_non_64_prefix(api: Api, central: Central) -> None:
    subnet = api.subnet(api.network(name="v6-80")["id"], "fd00:93::/80")
    assert subnet["ipv6_address_mode"] == "dhcpv6-stateful"
    assert "dhcpv6_stateless" not in dhcp(central, subnet["id"])["options"]


def test_ipv6_ra_mode_is_stored_and_returned(api: Api, central: Central) -> None:
    subnet = api.subnet(api.network(name="ra")["id"], "fd00:94::/64",
                        ipv6_address_mode="slaac", ipv6_ra_mode="slaac")
    assert subnet["ipv6_ra_mode"] == "slaac"
    assert dhcp(central, subnet["id"])["external_ids"]["ovirt_ipv6_ra_mode"] == "slaac"


# -- dual stack,  -----------------------------------------------------------------------------
def test_dual_stack_and_one_subnet_per_family(api: Api, central: Central) -> None:
    net = api.network(name="dual")
    early = api.port(net["id"])
    assert early["fixed_ips"] == []
    assert as_list(lsp(central, early["id"])["addresses"]) == [early["mac_address"]]
    v4 = api.subnet(net["id"], "10.95.0.0/24", gateway_ip="10.95.0.1")
    after_v4 = api.show("ports", "port", early["id"])
    assert [ip["subnet_id"] for ip in after_v4["fixed_ips"]] == [v4["id"]]
    assert refs(lsp(central, early["id"])) == ([v4["id"]], [])
    v6 = api.subnet(net["id"], "fd00:95::/64")
    after_v6 = api.show("ports", "port", early["id"])
    assert sorted(ip["subnet_id"] for ip in after_v6["fixed_ips"]) == sorted([v4["id"],
                                                                             v6["id"]])
    assert ips(after_v4)[0] in ips(after_v6)  # the IPv4 address did not move
    row = lsp(central, early["id"])
    assert refs(row) == ([v4["id"]], [v6["id"]])
    assert as_list(row["addresses"]) == [f"{early['mac_address']} dynamic"]
    late = api.port(net["id"])
    assert len(late["fixed_ips"]) == 2
    assert refs(lsp(central, late["id"])) == ([v4["id"]], [v6["id"]])
    assert other_config(central, net["id"]) == {"subnet": "10.95.0.0/24",
                                                "ipv6_prefix": "fd00:95::"}
    # more subnets of a family may follow (test_several_subnets.py); overlapping ones not
    before = snapshot(central)
    assert_error(api.post("/v2.0/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "10.95.0.128/25", "ip_version": 4}}), 400,
        "Invalid input for operation: Requested subnet with cidr: 10.95.0.128/25 for "
        f"network: {net['id']} overlaps with another subnet.")
    assert_error(api.post("/v2.0/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "fd00:95::/64", "ip_version": 6}}), 400)
    assert snapshot(central) == before


def test_ports_created_before_a_subnet_get_distinct_addresses(api: Api,
                                                                 central: Central) -> None:
    net = api.network(name="d2-many")
    ports = [api.port(net["id"]) for _ in range(3)]
    subnet = api.subnet(net["id"], "10.97.0.0/29")
    got = [ips(api.show("ports", "port", p["id"])) for p in ports]
    assert all(len(x) == 1 for x in got) and len({x[0] for x in got}) == 3
    for p in ports:
        assert refs(lsp(central, p["id"])) == ([subnet["id"]], [])


# -- update -------------------------------------------------------------------------------------
def test_update_name_gateway_and_options(api: Api, central: Central,
                                         provider: Provider) -> None:
    net = api.network(name="upd")
    subnet = api.subnet(net["id"], "10.98.0.0/24", gateway_ip="10.98.0.1", name="a")
    # a foreign option set by an operator survives updates
    central.nbctl("set", "DHCP_Options", subnet["id"], "options:ntp_server=10.98.0.123")
    synced(provider, central)
    response = api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {
        "name": "b", "gateway_ip": "10.98.0.254", "allocation_pools": None}})
    assert response.status_code == 200, response.text
    updated = response.json()["subnet"]
    assert updated["name"] == "b" and updated["gateway_ip"] == "10.98.0.254"
    assert updated["allocation_pools"] == [{"start": "10.98.0.1", "end": "10.98.0.253"}]
    row = dhcp(central, subnet["id"])
    assert row["external_ids"]["ovirt_name"] == "b"
    assert row["options"] == {"server_id": "10.98.0.0", "server_mac": SERVER_MAC,
                              "lease_time": "86400", "router": "10.98.0.254", "mtu": "1442",
                              "ntp_server": "10.98.0.123"}
    response = api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"gateway_ip": None}})
    assert response.json()["subnet"]["gateway_ip"] is None
    assert "router" not in dhcp(central, subnet["id"])["options"]
    assert api.show("subnets", "subnet", subnet["id"]) == response.json()["subnet"]


def test_ipv6_update_never_writes_dhcpv4_options(api: Api, central: Central) -> None:
    """."""
    net = api.network(name="upd6", mtu=1400)
    subnet = api.subnet(net["id"], "fd00:99::/64", gateway_ip="fd00:99::1")
    response = api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {
        "name": "renamed", "dns_nameservers": ["fd00::35"], "gateway_ip": "fd00:99::fe",
        "enable_dhcp": True}})
    assert response.status_code == 200, response.text
    row = dhcp(central, subnet["id"])
    assert row["options"] == {"server_id": SERVER_MAC, "dns_server": "fd00::35"}
    assert row["external_ids"]["router"] == "fd00:99::fe"
    assert row["external_ids"]["mtu"] == "1400"


@pytest.mark.parametrize(("body", "message"), [
    ({"cidr": "10.0.0.0/8"}, "Cannot update read-only attribute cidr"),
    ({"ip_version": 6, "network_id": "x"}, "Cannot update read-only attribute ip_version"),
    ({"ipv6_address_mode": "slaac"}, "Cannot update read-only attribute ipv6_address_mode"),
    ({"colour": "red"}, "Unrecognized attribute(s) 'colour'"),
    ({"gateway_ip": "10.99.1.1"}, "~10.99.1.1"),
    ({"gateway_ip": "fd00::1"}, "~fd00::1"),
    ({"enable_dhcp": "no"}, "enable_dhcp must be of type bool"),
    ({"dns_nameservers": ["x"]}, "~dns_nameservers"),
    ({"name": 3}, "~name"),
    ({"allocation_pools": [{"start": "10.99.0.1", "end": "10.99.0.20"}]}, "~10.99.0.1"),
])
def test_update_rejects_bad_input_and_writes_nothing(api: Api, central: Central,
                                                     body: dict[str, Any],
                                                     message: str) -> None:
    net = api.network(name="upd-bad")
    subnet = api.subnet(net["id"], "10.99.0.0/24", gateway_ip="10.99.0.1")
    before = snapshot(central)
    check(api.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": body}), 400, message)
    assert snapshot(central) == before


def test_gateway_change_on_a_router_subnet_is_409(api: Api, central: Central,
                                                  provider: Provider) -> None:
    net = api.network(name="routed-subnet")
    subnet = api.subnet(net["id"], "10.100.0.0/24", gateway_ip="10.100.0.1")
    router = str(uuid.uuid4())
    central.nbctl("set", "DHCP_Options", subnet["id"], f"external_ids:gateway_router={router}")
    synced(provider, central)
    before = snapshot(central)
    assert_error(api.put(f"/v2.0/subnets/{subnet['id']}",
                         {"subnet": {"gateway_ip": "10.100.0.2"}}), 409)
    assert_error(api.delete(f"/v2.0/subnets/{subnet['id']}"), 409,
                 f"Unable to delete subnet {subnet['id']} because it is connected to router "
                 f"{router}. Please disconnect the subnet from the router first.")
    assert snapshot(central) == before
    # the same gateway, or a rename, is fine
    response = api.put(f"/v2.0/subnets/{subnet['id']}",
                       {"subnet": {"gateway_ip": "10.100.0.1", "name": "kept"}})
    assert response.status_code == 200, response.text
    central.nbctl("remove", "DHCP_Options", subnet["id"], "external_ids", "gateway_router")


# -- delete, visibility ----------------------------------------------------------------------
def test_delete_detaches_ports(api: Api, central: Central) -> None:
    """: addresses go back to the bare MAC, DHCP references and LS keys go."""
    net = api.network(name="detach")
    v4 = api.subnet(net["id"], "10.101.0.0/24", gateway_ip="10.101.0.1",
                    allocation_pools=[{"start": "10.101.0.10", "end": "10.101.0.20"}])
    v6 = api.subnet(net["id"], "fd00:101::/64")
    dynamic = api.port(net["id"])
    static = api.port(net["id"], fixed_ips=[{"ip_address": "10.101.0.15"}])
    assert api.delete(f"/v2.0/subnets/{v4['id']}").status_code == 204
    assert not nb_exists(central, "DHCP_Options", v4["id"])
    assert other_config(central, net["id"]) == {"ipv6_prefix": "fd00:101::"}
    shown = api.show("ports", "port", dynamic["id"])
    assert [ip["subnet_id"] for ip in shown["fixed_ips"]] == [v6["id"]]
    assert refs(lsp(central, dynamic["id"])) == ([], [v6["id"]])
    assert api.show("ports", "port", static["id"])["fixed_ips"] == []
    row = lsp(central, static["id"])
    assert as_list(row["addresses"]) == [static["mac_address"]]
    assert refs(row)[0] == []
    assert api.delete(f"/v2.0/subnets/{v6['id']}").status_code == 204
    assert other_config(central, net["id"]) == {}
    row = lsp(central, dynamic["id"])
    assert as_list(row["addresses"]) == [dynamic["mac_address"]]
    assert refs(row) == ([], [])
    assert api.show("ports", "port", dynamic["id"])["fixed_ips"] == []
    assert api.show("networks", "network", net["id"])["subnets"] == []
    assert_error(api.get(f"/v2.0/subnets/{v4['id']}"), 404)
    assert_error(api.delete(f"/v2.0/subnets/{v4['id']}"), 404)
    # a new subnet re-addresses them
    again = api.subnet(net["id"], "10.102.0.0/24")
    assert api.show("ports", "port", static["id"])["fixed_ips"][0]["subnet_id"] == again["id"]


def test_delete_of_the_last_subnet_ignores_a_stale_northd_address(api: Api,
                                                                    central: Central) -> None:
    """ovn-northd writes `dynamic_addresses` without verifying, so it can write an address
    of a subnet deleted a moment before (computed before it saw the delete): deleting the
    last subnet still leaves the bare MAC, not `<mac> dynamic`."""
    net = api.network(name="stale-dyn")
    v4 = api.subnet(net["id"], "10.103.0.0/24")
    v6 = api.subnet(net["id"], "fd00:103::/64")
    port = api.port(net["id"])
    assert api.delete(f"/v2.0/subnets/{v4['id']}").status_code == 204
    v6_ip = next(ip["ip_address"] for ip in api.show("ports", "port", port["id"])["fixed_ips"])
    mac = port["mac_address"]
    northd = read_pid(central.northd_pidfile)
    assert northd is not None
    os.kill(northd, signal.SIGSTOP)  # so that it does not correct the stale value first
    try:
        central.nbctl("set", "Logical_Switch_Port", port["id"],
                      f'dynamic_addresses="{mac} 10.103.0.7 {v6_ip}"')  # as a late northd
        assert api.delete(f"/v2.0/subnets/{v6['id']}").status_code == 204
    finally:
        os.kill(northd, signal.SIGCONT)
    row = lsp(central, port["id"])
    assert as_list(row["addresses"]) == [mac]
    assert api.show("ports", "port", port["id"])["fixed_ips"] == []


def test_delete_with_a_router_port_on_the_subnet_is_409(api: Api, central: Central,
                                                        provider: Provider) -> None:
    net = api.network(name="rp-subnet")
    subnet = api.subnet(net["id"], "10.103.0.0/24", gateway_ip="10.103.0.1")
    lsp_name, router = str(uuid.uuid4()), f"r-{uuid.uuid4()}"
    central.nbctl("lr-add", router)
    central.nbctl("lrp-add", router, f"lrp{lsp_name}", "02:00:00:aa:03:01", "10.103.0.5/24")
    central.nbctl("lsp-add", net["id"], lsp_name, "--", "lsp-set-type", lsp_name, "router",
                  "--", "lsp-set-addresses", lsp_name, "router",
                  "--", "lsp-set-options", lsp_name, f"router-port=lrp{lsp_name}",
                  "--", "set", "Logical_Switch_Port", lsp_name,
                  "external_ids:ovirt_nic_name=router_port",
                  "external_ids:ovirt_device_owner=network:router_interface",
                  f"external_ids:ovirt_device_id={router}")
    try:
        synced(provider, central)
        before = snapshot(central)
        check(api.delete(f"/v2.0/subnets/{subnet['id']}"), 409, f"~{router}")
        assert snapshot(central) == before
    finally:
        central.nbctl("lsp-del", lsp_name)
        central.nbctl("lr-del", router)
    synced(provider, central)
    assert api.delete(f"/v2.0/subnets/{subnet['id']}").status_code == 204


def test_foreign_dhcp_options_are_not_subnets(api: Api, central: Central,
                                              provider: Provider) -> None:
    foreign = central.nbctl("create", "DHCP_Options", "cidr=10.104.0.0/24",
                            "options:server_id=10.104.0.1").strip()
    try:
        synced(provider, central)
        assert foreign not in [s["id"] for s in api.get("/v2.0/subnets").json()["subnets"]]
        assert_error(api.get(f"/v2.0/subnets/{foreign}"), 404)
        assert_error(api.put(f"/v2.0/subnets/{foreign}", {"subnet": {"name": "x"}}), 404)
        assert_error(api.delete(f"/v2.0/subnets/{foreign}"), 404)
    finally:
        central.nbctl("destroy", "DHCP_Options", foreign)


def test_predecessor_rows_read_back(api: Api, central: Central, provider: Provider) -> None:
    """Rows as ovirt-provider-ovn wrote them: dashed IPv6 mode, a literal `None` MTU."""
    net = api.network(name="legacy")
    row = central.nbctl(
        "create", "DHCP_Options", 'cidr="fd00:105::/64"',
        f"external_ids:ovirt_network_id={net['id']}", "external_ids:ip_version=6",
        "external_ids:ovirt_ipv6_address_mode=dhcpv6-stateless", "external_ids:mtu=None",
        "external_ids:ovirt_name=old", f"options:server_id={SERVER_MAC}",
        "options:dhcpv6_stateless=true", 'options:dns_server="fd00::1"').strip()
    synced(provider, central)
    shown = api.show("subnets", "subnet", row)
    assert shown["ipv6_address_mode"] == "dhcpv6-stateless"
    assert shown["name"] == "old" and shown["dns_nameservers"] == ["fd00::1"]
    assert shown["gateway_ip"] is None and shown["enable_dhcp"] is True
    assert api.show("networks", "network", net["id"])["subnets"] == [row]
    assert api.delete(f"/v2.0/subnets/{row}").status_code == 204


# -- two provider instances on one NB (docs/compatibility.md, "Concurrency")
# ------------------------------------------------
@pytest.fixture(scope="module")
def second(central: Central) -> Iterator[Provider]:
    with running(make_config(central.nb_remote)) as prov:
        yield prov


@pytest.fixture()
def second_api(second: Provider) -> Iterator[Api]:
    client = Api(second)
    try:
        yield client
    finally:
        client.close()


def test_overlapping_subnets_refused_across_instances(api: Api, second_api: Api,
                                                       second: Provider,
                                                       central: Central) -> None:
    """Two providers race to add overlapping IPv4 subnets to the same network: exactly one
    wins (several subnets of a family are allowed, overlapping ones not)."""
    for attempt in range(RACES):
        net_id = api.network(name=f"race-{attempt}")["id"]
        synced(second, central)  # both instances know the network
        clients = (api, second_api)
        results = at_once(*(
            functools.partial(client.post, "/v2.0/subnets", {"subnet": {
                "network_id": net_id, "cidr": f"10.110.{attempt}.0/{24 + i}",
                "ip_version": 4}})
            for i, client in enumerate(clients)))
        assert sorted(results) == [201, 400]
        winner = clients[results.index(201)]  # its own replica already has the subnet
        assert len(winner.show("networks", "network", net_id)["subnets"]) == 1


# -- [NETWORK] subnet-default-gateway (docs/configuration.md) -----------------------------------
def test_subnet_default_gateway_key(central: Central) -> None:
    """Off (the session provider): no gateway without `gateway_ip`, as the engine expects.
    On: Neutron's default, the first address, and pools after it; an explicit null still
    means no gateway."""
    cfg = make_config(central.nb_remote, **{"NETWORK/subnet-default-gateway": "true"})
    with running(cfg) as provider:
        api = Api(provider)
        try:
            net = api.network(name="default-gw")
            v4 = api.subnet(net["id"], "10.72.0.0/24")
            assert v4["gateway_ip"] == "10.72.0.1"
            assert v4["allocation_pools"] == [{"start": "10.72.0.2", "end": "10.72.0.254"}]
            assert dhcp(central, v4["id"])["options"]["router"] == "10.72.0.1"
            v6 = api.subnet(net["id"], "fd00:72::/64")
            assert v6["gateway_ip"] == "fd00:72::1"
            other = api.network(name="null-gw-kept")
            none = api.subnet(other["id"], "10.73.0.0/24", gateway_ip=None)
            assert none["gateway_ip"] is None
            assert "router" not in dhcp(central, none["id"])["options"]
        finally:
            api.close()
