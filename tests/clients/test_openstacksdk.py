"""openstacksdk (`conn.network.*`) against the provider, Keystone v2.0 and v3
(docs/compatibility.md, "Beyond the predecessor")."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.provider import TOKEN

# The SDK's own notices about its future API (openstack.warnings): not about the provider.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

TENANT = "00000000000000000000000000000001"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def octet() -> int:
    return uuid.uuid4().int % 200 + 20


def test_session_and_catalogue(sdk: Any, provider: Any) -> None:
    assert sdk.session.get_token() == TOKEN
    assert sdk.current_project_id == TENANT
    neutron = sdk.network.get_endpoint()
    assert neutron.startswith(provider.cfg.neutron_url.rstrip("/"))
    assert sdk.network.find_extension("extraroute") is not None


def test_unversioned_auth_url_discovers_v3(provider: Any) -> None:
    """An auth_url without a version: keystoneauth reads `GET /` (300) and picks v3."""
    import openstack.connection

    conn = openstack.connection.Connection(
        auth_url=f"http://127.0.0.1:{provider.ports[1]}/", username="admin@internal",
        password="secret", project_name="tenant", user_domain_name="Default",
        project_domain_name="Default")
    try:
        assert conn.session.get_token() == TOKEN
        assert conn.session.auth.get_auth_ref(conn.session).version == "v3"
        assert isinstance(list(conn.network.networks()), list)
    finally:
        conn.close()


def test_network_crud(sdk: Any) -> None:
    net = sdk.network
    name, physnet = unique("sdk-net"), unique("phys")
    created = net.create_network(name=name, mtu=1400, is_port_security_enabled=True,
                                 provider_network_type="vlan",
                                 provider_physical_network=physnet,
                                 provider_segmentation_id=21, description="first")
    try:
        assert created.name == name and created.mtu == 1400
        assert created.is_port_security_enabled is True
        assert (created.provider_network_type, created.provider_physical_network,
                created.provider_segmentation_id) == ("vlan", physnet, 21)
        assert created.project_id == TENANT and created.status == "ACTIVE"
        assert [n.id for n in net.networks(name=name)] == [created.id]
        assert net.get_network(created.id).name == name
        assert net.find_network(name).id == created.id  # by name: ?name= fallback
        renamed = unique("sdk-net")
        updated = net.update_network(created, name=renamed, mtu=1300,
                                     is_port_security_enabled=False, description="")
        assert updated.name == renamed and updated.mtu == 1300
        assert updated.is_port_security_enabled is False and updated.description == ""
        again = net.get_network(created.id)
        assert again.provider_segmentation_id == 21  # kept
        assert again.mtu == 1300 and again.name == renamed
        overlay = net.create_network(name=unique("sdk-overlay"))
        try:
            got = net.get_network(overlay.id)
            assert got.provider_network_type == "geneve" and got.mtu == 1442  # an overlay
        finally:
            net.delete_network(overlay)
    finally:
        net.delete_network(created, ignore_missing=True)
    assert net.find_network(created.id) is None


def test_subnet_crud_v4_and_v6(sdk: Any) -> None:
    net = sdk.network
    n = octet()
    network = net.create_network(name=unique("sdk-subnets"))
    try:
        s4 = net.create_subnet(network_id=network.id, ip_version=4, cidr=f"10.{n}.9.0/24",
                               gateway_ip=f"10.{n}.9.1", dns_nameservers=["8.8.8.8"],
                               name=unique("s4"))
        s6 = net.create_subnet(network_id=network.id, ip_version=6,
                               cidr=f"fd00:{n}:9::/64", ipv6_address_mode="dhcpv6-stateful",
                               name=unique("s6"))
        assert s4.ip_version == 4 and s4.gateway_ip == f"10.{n}.9.1"
        assert s4.dns_nameservers == ["8.8.8.8"] and s4.is_dhcp_enabled is True
        assert s4.allocation_pools == [{"start": f"10.{n}.9.2", "end": f"10.{n}.9.254"}]
        assert s6.ip_version == 6 and s6.ipv6_address_mode == "dhcpv6-stateful"
        assert s6.gateway_ip is None  # no default gateway
        assert sorted(s.id for s in net.subnets(network_id=network.id)) == \
            sorted([s4.id, s6.id])
        assert [s.id for s in net.subnets(ip_version=6, network_id=network.id)] == [s6.id]
        assert net.find_subnet(s4.name).id == s4.id
        updated = net.update_subnet(s4, name=unique("s4b"), dns_nameservers=["1.1.1.1"],
                                    gateway_ip=f"10.{n}.9.254")
        assert updated.dns_nameservers == ["1.1.1.1"]
        assert updated.gateway_ip == f"10.{n}.9.254"
        assert net.get_subnet(s4.id).name == updated.name
        assert sorted(net.get_network(network.id).subnet_ids) == sorted([s4.id, s6.id])
        net.delete_subnet(s4)
        net.delete_subnet(s6)
        assert net.find_subnet(s4.id) is None and net.find_subnet(s6.id) is None
        assert net.get_network(network.id).subnet_ids == []
    finally:
        net.delete_network(network, ignore_missing=True)


def test_port_crud(sdk: Any) -> None:
    net = sdk.network
    n = octet()
    network = net.create_network(name=unique("sdk-ports"), is_port_security_enabled=True)
    try:
        s4 = net.create_subnet(network_id=network.id, ip_version=4, cidr=f"10.{n}.10.0/24",
                               gateway_ip=f"10.{n}.10.1")
        s6 = net.create_subnet(network_id=network.id, ip_version=6,
                               cidr=f"fd00:{n}:10::/64")
        default = net.find_security_group("Default")
        assert default is not None
        device = str(uuid.uuid4())
        name = unique("sdk-port")
        port = net.create_port(network_id=network.id, name=name, mac_address="00:1a:4a:16:02:01",
                               fixed_ips=[{"subnet_id": s4.id, "ip_address": f"10.{n}.10.7"}],
                               security_group_ids=[default.id], binding_host_id="host-a",
                               device_owner="oVirt", device_id=device)
        assert port.fixed_ips == [{"subnet_id": s4.id, "ip_address": f"10.{n}.10.7"}]
        assert port.security_group_ids == [default.id]
        assert port.binding_host_id == "host-a" and port.is_port_security_enabled is True
        assert port.device_owner == "oVirt" and port.device_id == device
        auto = net.create_port(network_id=network.id)  # defaults: Default group
        assert auto.security_group_ids == ["Default"] and auto.name == ""
        assert {ip["subnet_id"] for ip in auto.fixed_ips} == {s4.id, s6.id}
        assert sorted(p.id for p in net.ports(network_id=network.id)) == \
            sorted([port.id, auto.id])
        assert [p.id for p in net.ports(device_id=device)] == [port.id]
        assert net.find_port(name).id == port.id
        updated = net.update_port(port, name=f"{name}b", binding_host_id="host-b",
                                  security_group_ids=[], is_admin_state_up=False,
                                  fixed_ips=[{"subnet_id": s4.id, "ip_address": f"10.{n}.10.8"},
                                             {"subnet_id": s6.id}])
        assert updated.name == f"{name}b" and updated.binding_host_id == "host-b"
        assert updated.security_group_ids == [] and updated.is_admin_state_up is False
        got = net.get_port(port.id)
        assert {ip["subnet_id"]: ip["ip_address"] for ip in got.fixed_ips}[s4.id] == \
            f"10.{n}.10.8"
        assert {ip["subnet_id"] for ip in got.fixed_ips} == {s4.id, s6.id}
        net.delete_port(port)
        net.delete_port(auto)
        assert net.find_port(port.id) is None and net.find_port(auto.id) is None
        net.delete_subnet(s4)
        net.delete_subnet(s6)
    finally:
        for port in net.ports(network_id=network.id):
            net.delete_port(port)
        for subnet in net.subnets(network_id=network.id):
            net.delete_subnet(subnet)
        net.delete_network(network, ignore_missing=True)
