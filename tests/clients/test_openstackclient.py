"""python-openstackclient (the `openstack` CLI) against the provider, Keystone v2.0 and v3
(docs/compatibility.md, "Beyond the predecessor").

Each test drives one resource through the CLI, in one `openstack` process fed the
commands on stdin (tests/clients/conftest.py); later commands name objects by name, so
the client's name lookup is exercised too. What a test needs around the resource
(networks, subnets) is created and checked through the API directly.
"""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from tests.clients.conftest import Osc
from tests.support.provider import TOKEN, Api

TENANT = "00000000000000000000000000000001"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def octet() -> int:
    return uuid.uuid4().int % 200 + 20


def test_network_crud(osc: Osc, api: Api) -> None:
    name, renamed, physnet = unique("osc-net"), unique("osc-net"), unique("phys")
    token, created, listed, shown, _, after_set, _, after_unset, _ = osc.batch(
        ["token", "issue", "-f", "json"],
        ["network", "create", "-f", "json", "--enable-port-security",
         "--provider-network-type", "vlan", "--provider-physical-network", physnet,
         "--provider-segment", "12", "--description", "first", name],
        ["network", "list", "-f", "json", "--name", name],
        ["network", "show", "-f", "json", name],  # by name: the client falls back to ?name=
        # No provider options here: the client sends only the attributes that differ
        # from what it read, e.g. `provider:segmentation_id` alone, which docs/compatibility.md,
        # "Networks, subnets, ports"
        # validates as on create (400 without provider:network_type).
        ["network", "set", "--name", renamed, "--disable-port-security", "--description",
         "second", name],
        ["network", "show", "-f", "json", renamed],
        ["network", "unset", "--extra-property", "type=str,name=description,value=x",
         renamed],
        ["network", "show", "-f", "json", renamed],
        ["network", "delete", renamed])
    assert token["id"] == TOKEN and token["project_id"] == TENANT
    net_id = created["id"]
    assert created["name"] == name and created["description"] == "first"
    assert created["port_security_enabled"] is True and created["mtu"] == 1442
    assert created["provider:network_type"] == "vlan"
    assert created["provider:physical_network"] == physnet
    assert created["provider:segmentation_id"] == 12
    assert created["status"] == "ACTIVE" and created["admin_state_up"] is True
    assert [(n["ID"], n["Name"]) for n in listed] == [(net_id, name)]
    assert shown["id"] == net_id and shown["subnets"] == []
    assert after_set["id"] == net_id and after_set["name"] == renamed
    assert after_set["port_security_enabled"] is False
    assert after_set["description"] == "second"
    assert after_set["provider:segmentation_id"] == 12  # kept
    assert after_set["provider:physical_network"] == physnet
    # `network unset` can only send extra properties, as null (`{"description": null}`):
    # a null is no change, and nothing else moves.
    assert after_unset == after_set
    assert api.get(f"/v2.0/networks/{net_id}").status_code == 404


@pytest.mark.parametrize("identity_version", ["v3"])
def test_network_mtu_and_vlan_segment_from_the_cli(osc: Osc, api: Api) -> None:
    """openstackclient sends `mtu` and the segment as JSON strings."""
    name = unique("osc-mtu")
    try:
        created = osc.json("network", "create", "--mtu", "1400", "--provider-network-type",
                           "vlan", "--provider-physical-network", "physA",
                           "--provider-segment", "7", name)
        assert created["mtu"] == 1400
        assert created["provider:segmentation_id"] == 7
        osc.run("network", "set", "--mtu", "1300", created["id"])
        shown = api.show("networks", "network", created["id"])
        assert shown["mtu"] == 1300
        assert shown["provider:segmentation_id"] == 7  # kept
        assert shown["provider:physical_network"] == "physA"
    finally:
        for net in api.get("/v2.0/networks", params={"name": name}).json()["networks"]:
            api.delete(f"/v2.0/networks/{net['id']}")


def test_subnet_crud_v4_and_v6(osc: Osc, api: Api) -> None:
    net = api.network(name=unique("osc-subnets"))
    n = octet()
    v4, v6 = unique("s4"), unique("s6")
    s4, s6, listed, shown, _, after_set, _, after_unset, _ = osc.batch(
        ["subnet", "create", "-f", "json", "--network", net["id"], "--subnet-range",
         f"10.{n}.7.0/24", "--gateway", f"10.{n}.7.1", "--dns-nameserver", "8.8.8.8",
         "--allocation-pool", f"start=10.{n}.7.10,end=10.{n}.7.99", v4],
        ["subnet", "create", "-f", "json", "--network", net["id"], "--ip-version", "6",
         "--subnet-range", f"fd00:{n}:7::/64", "--ipv6-address-mode", "dhcpv6-stateless",
         "--gateway", f"fd00:{n}:7::1", v6],
        ["subnet", "list", "-f", "json", "--network", net["id"]],
        ["subnet", "show", "-f", "json", v4],
        ["subnet", "set", "--name", f"{v4}b", "--dns-nameserver", "1.1.1.1",
         "--description", "doc", v4],
        ["subnet", "show", "-f", "json", f"{v4}b"],
        ["subnet", "unset", "--dns-nameserver", "8.8.8.8", f"{v4}b"],
        ["subnet", "show", "-f", "json", f"{v4}b"],
        ["subnet", "delete", f"{v4}b", v6])
    assert s4["cidr"] == f"10.{n}.7.0/24" and s4["ip_version"] == 4
    assert s4["gateway_ip"] == f"10.{n}.7.1" and s4["dns_nameservers"] == ["8.8.8.8"]
    assert s4["allocation_pools"] == [{"start": f"10.{n}.7.10", "end": f"10.{n}.7.99"}]
    assert s4["enable_dhcp"] is True and s4["network_id"] == net["id"]
    assert s6["ip_version"] == 6 and s6["ipv6_address_mode"] == "dhcpv6-stateless"
    assert s6["gateway_ip"] == f"fd00:{n}:7::1" and s6["cidr"] == f"fd00:{n}:7::/64"
    assert sorted(s["ID"] for s in listed) == sorted([s4["id"], s6["id"]])
    assert shown["id"] == s4["id"] and shown["name"] == v4
    # `subnet set --dns-nameserver` puts the new server first, then the existing ones.
    assert after_set["name"] == f"{v4}b" and after_set["description"] == "doc"
    assert after_set["dns_nameservers"] == ["1.1.1.1", "8.8.8.8"]
    assert after_unset["dns_nameservers"] == ["1.1.1.1"]
    for ident in (s4["id"], s6["id"]):
        assert api.get(f"/v2.0/subnets/{ident}").status_code == 404
    assert api.show("networks", "network", net["id"])["subnets"] == []
    assert api.delete(f"/v2.0/networks/{net['id']}").status_code == 204


def test_port_crud(osc: Osc, api: Api) -> None:
    net = api.network(name=unique("osc-ports"), port_security_enabled=True)
    n = octet()
    s4 = api.subnet(net["id"], f"10.{n}.8.0/24", gateway_ip=f"10.{n}.8.1")
    s6 = api.subnet(net["id"], f"fd00:{n}:8::/64", ipv6_address_mode="dhcpv6-stateful")
    default_id = api.show("security-groups", "security_group", "Default")["id"]
    device = str(uuid.uuid4())
    p1, p2 = unique("p1"), unique("p2")
    fixed4 = {"ip_address": f"10.{n}.8.50", "subnet_id": s4["id"]}
    fixed6 = {"ip_address": f"fd00:{n}:8::99", "subnet_id": s6["id"]}
    six = f"subnet={s6['id']},ip-address={fixed6['ip_address']}"
    created, plain, listed, shown, _, after_set, _, after_unset, _ = osc.batch(
        ["port", "create", "-f", "json", "--network", net["id"], "--fixed-ip",
         f"subnet={s4['id']},ip-address={fixed4['ip_address']}", "--mac-address",
         "00:1A:4A:16:01:51", "--security-group", "Default", "--host", "host-a",
         "--device-owner", "oVirt", "--device", device, p1],
        ["port", "create", "-f", "json", "--network", net["id"], "--disable-port-security",
         p2],
        ["port", "list", "-f", "json", "--network", net["id"]],
        ["port", "show", "-f", "json", p1],
        ["port", "set", "--name", f"{p1}b", "--host", "host-b", "--fixed-ip", six,
         "--description", "moved", p1],
        ["port", "show", "-f", "json", f"{p1}b"],
        ["port", "unset", "--host", "--security-group", "Default", "--fixed-ip", six,
         f"{p1}b"],
        ["port", "show", "-f", "json", f"{p1}b"],
        ["port", "delete", f"{p1}b", p2])
    assert created["fixed_ips"] == [fixed4]
    assert created["mac_address"] == "00:1a:4a:16:01:51"
    assert created["security_group_ids"] == [default_id]  # the CLI resolved the name
    assert created["binding_host_id"] == "host-a" and created["port_security_enabled"] is True
    assert created["device_owner"] == "oVirt" and created["device_id"] == device
    assert plain["port_security_enabled"] is False and plain["security_group_ids"] == []
    by_subnet = {ip["subnet_id"]: ip["ip_address"] for ip in plain["fixed_ips"]}
    assert set(by_subnet) == {s4["id"], s6["id"]}  # one address per family
    assert ipaddress.ip_address(by_subnet[s6["id"]]) in ipaddress.ip_network(s6["cidr"])
    assert sorted(p["ID"] for p in listed) == sorted([created["id"], plain["id"]])
    assert shown["id"] == created["id"] and shown["binding_host_id"] == "host-a"
    assert after_set["id"] == created["id"] and after_set["name"] == f"{p1}b"
    assert after_set["binding_host_id"] == "host-b" and after_set["description"] == "moved"
    assert sorted(after_set["fixed_ips"], key=str) == sorted([fixed4, fixed6], key=str)
    assert after_set["security_group_ids"] == [default_id]
    assert after_unset["fixed_ips"] == [fixed4]
    assert after_unset["security_group_ids"] == [] and not after_unset["binding_host_id"]
    assert after_unset["port_security_enabled"] is True  # groups and security apart
    for ident in (created["id"], plain["id"]):
        assert api.get(f"/v2.0/ports/{ident}").status_code == 404
    for subnet in (s4, s6):
        assert api.delete(f"/v2.0/subnets/{subnet['id']}").status_code == 204
    assert api.delete(f"/v2.0/networks/{net['id']}").status_code == 204


def test_port_allowed_address_pairs(osc: Osc, api: Api) -> None:
    """`--allowed-address` on create, set (adds) and unset (removes one), as keepalived
    playbooks use it; `--no-allowed-address` clears them."""
    net = api.network(name=unique("osc-aap"), port_security_enabled=True)
    n = octet()
    api.subnet(net["id"], f"10.{n}.9.0/24")
    vip, vmac, vrange = f"10.{n}.9.200", "00:00:5e:00:01:09", f"10.{n}.9.192/28"
    mac = f"02:00:00:00:09:{n:02x}"
    name = unique("aap")
    created, _, after_set, _, after_unset, _, cleared, _ = osc.batch(
        ["port", "create", "-f", "json", "--network", net["id"], "--mac-address", mac,
         "--allowed-address", f"ip-address={vip}", name],
        ["port", "set", "--allowed-address", f"ip-address={vrange},mac-address={vmac}",
         name],
        ["port", "show", "-f", "json", name],
        # the client removes an entry equal to what the port shows, MAC included
        ["port", "unset", "--allowed-address", f"ip-address={vip},mac-address={mac}",
         name],
        ["port", "show", "-f", "json", name],
        ["port", "set", "--no-allowed-address", name],
        ["port", "show", "-f", "json", name],
        ["port", "delete", name])
    assert created["allowed_address_pairs"] == [{"ip_address": vip, "mac_address": mac}]
    assert after_set["allowed_address_pairs"] == [
        {"ip_address": vip, "mac_address": mac}, {"ip_address": vrange, "mac_address": vmac}]
    assert after_unset["allowed_address_pairs"] == [{"ip_address": vrange,
                                                     "mac_address": vmac}]
    assert cleared["allowed_address_pairs"] == []
    assert api.get(f"/v2.0/ports/{created['id']}").status_code == 404
