"""Request validation from the resource schemas (docs/compatibility.md, "Request bodies"):
one unknown-attribute policy for every resource, read-only attributes, nulls, types,
Neutron's bounds and strict address parsing; what the oVirt engine sends stays accepted.
Every rejection leaves the NB as it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from tests.support.provider import Api
from tests.support.snapshot import assert_error, nb_snapshot


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


@pytest.fixture(scope="module")
def objects(module_api: Api) -> Iterator[dict[str, str]]:
    api = module_api
    net = api.network(name="schema-net")
    sub = api.subnet(net["id"], cidr="10.79.0.0/24")
    port = api.port(net["id"], name="schema-port", device_owner="oVirt")
    router = api.create("routers", "router", name="schema-router")
    group = api.create("security-groups", "security_group", name="schema-sg")
    yield {"net": net["id"], "sub": sub["id"], "port": port["id"], "router": router["id"],
           "sg": group["id"]}
    api.delete(f"/v2.0/ports/{port['id']}")
    api.delete(f"/v2.0/routers/{router['id']}")
    api.delete(f"/v2.0/security-groups/{group['id']}")
    api.delete(f"/v2.0/networks/{net['id']}")


NET = "/v2.0/networks"
SUB = "/v2.0/subnets"
PORT = "/v2.0/ports"
RULES = "/v2.0/security-group-rules"

# (method, path, body, status, text in the message)
BAD: list[tuple[str, str, Any, int, str]] = [
    ("POST", NET, {"network": {"name": "x", "qos_policy_id": "q"}}, 400,
     "Unrecognized attribute(s) 'qos_policy_id'"),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": "10.80.0.0/24", "ip_version": 4,
                              "foo": 1, "bar": 2}}, 400, "Unrecognized attribute(s) 'bar, foo'"),
    ("PUT", "/v2.0/ports/{port}", {"port": {"extra_dhcp_opts": []}}, 400,
     "Unrecognized attribute(s) 'extra_dhcp_opts'"),
    ("POST", "/v2.0/routers", {"router": {"name": "r", "flavor_id": "f"}}, 400,
     "Unrecognized attribute(s) 'flavor_id'"),
    ("POST", "/v2.0/security-groups", {"security_group": {"name": "x", "rules": []}}, 400,
     "Unrecognized attribute(s) 'rules'"),
    ("POST", NET, {"network": {"name": "x", "status": "DOWN"}}, 400,
     "Attribute 'status' not allowed in POST"),
    ("PUT", "/v2.0/networks/{net}", {"network": {"subnets": []}}, 400,
     "Cannot update read-only attribute subnets"),
    ("PUT", "/v2.0/subnets/{sub}", {"subnet": {"cidr": "10.0.0.0/8"}}, 400,
     "Cannot update read-only attribute cidr"),
    ("PUT", "/v2.0/ports/{port}", {"port": {"id": "not-the-path-id"}}, 400, "id"),
    ("POST", NET, {"network": {"name": None}}, 400, "name"),
    ("POST", NET, {"network": {"name": "x", "mtu": None}}, 400, "mtu"),
    ("POST", NET, {"network": {"name": "x", "provider:physical_network": "p" * 65,
                               "provider:network_type": "flat"}}, 400,
     "Invalid input for provider:physical_network. Reason: "),
    ("POST", NET, {"network": {"name": "x", "shared": "yes"}}, 400, "shared"),
    ("POST", NET, {"network": {"name": "x", "admin_state_up": None}}, 400, "admin_state_up"),
    ("POST", NET, {"network": {"name": "x", "mtu": 2 ** 63}}, 400, "mtu"),
    ("POST", NET, {"network": {"name": "x" * 256}}, 400, "maximum length of 255"),
    ("POST", NET, {"network": {"name": "x", "tags": [f"t{i}" for i in range(51)]}}, 400,
     "tags"),
    ("POST", "/v2.0/routers", {"router": {"name": "r", "distributed": "no"}}, 400,
     "distributed"),
    ("PUT", "/v2.0/ports/{port}", {"port": {"binding:profile": "x"}}, 400, "binding:profile"),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": "0.0.0.0/0", "ip_version": 4}},
     400, "cidr"),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": "::/0", "ip_version": 6}},
     400, "cidr"),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": " 10.81.0.0/24", "ip_version": 4}},
     400, "cidr"),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": "10.81.0.0/255.255.255.0",
                              "ip_version": 4}}, 400, "cidr"),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": "10.82.0.0/24", "ip_version": 4,
                              "dns_nameservers": [f"10.0.0.{i}" for i in range(1, 7)]}},
     400, "Unable to complete operation for new subnet. The number of DNS nameservers exceeds "
          "the limit 5."),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": "10.82.0.0/24", "ip_version": 4,
                              "host_routes": [{"destination": f"10.9.{i}.0/24",
                                               "nexthop": "10.82.0.9"} for i in range(21)]}},
     400, "Unable to complete operation for new subnet. The number of host routes exceeds the "
          "limit 20."),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": "10.82.0.0/24", "ip_version": 4,
                              "allocation_pools": [{"start": "10.82.0.5", "end": "10.82.0.9",
                                                    "x": 1}]}}, 400, "allocation_pools"),
    ("PUT", "/v2.0/routers/{router}", {"router": {"routes": [
        {"destination": f"10.9.{i}.0/24", "nexthop": "10.79.0.9"} for i in range(31)]}},
     400, "The number of routes exceeds the maximum 30."),
    ("PUT", "/v2.0/routers/{router}", {"router": {"routes": [
        {"destination": "10.9.0.0/24", "nexthop": "10.79.0.9"}]}},
     400, "Invalid format for routes: [{'destination': '10.9.0.0/24', 'nexthop': '10.79.0.9'}], "
          "the nexthop is not connected with router"),
    ("POST", NET, {"network": {"name": "x", "tags": [f"t{i}" for i in range(51)]}}, 400,
     "The number of tags exceed the per-resource limit of 50."),
    ("PUT", "/v2.0/networks/{net}/tags", {"tags": [f"t{i}" for i in range(51)]}, 400,
     "Bad networks request: The number of tags exceed the per-resource limit of 50."),
    ("PUT", "/v2.0/ports/{port}", {"port": {"mac_address": " fa:16:3e:00:00:01"}}, 400,
     "mac_address"),
    # top-level addresses with whitespace (the schema check; inside objects: PADDED below)
    ("POST", PORT, {"port": {"network_id": "{net}", "mac_address": "fa:16:3e:00:00:03 "}},
     400, "Invalid input for mac_address. Reason: 'fa:16:3e:00:00:03 ' is not a valid MAC"),
    ("PUT", "/v2.0/subnets/{sub}", {"subnet": {"gateway_ip": "10.79.0.1 "}}, 400,
     "Invalid input for gateway_ip. Reason: '10.79.0.1 ' is not a valid IP address."),
    ("PUT", "/v2.0/subnets/{sub}", {"subnet": {"dns_nameservers": [" 10.0.0.53"]}}, 400,
     "Invalid input for dns_nameservers. Reason: ' 10.0.0.53' is not a valid IP address."),
    ("POST", "/v2.0/floatingips", {"floatingip": {"floating_network_id": "{net}",
                                                  "floating_ip_address": " 10.79.0.70"}},
     400, "Invalid input for floating_ip_address. Reason: ' 10.79.0.70' is not a valid IP"),
    ("POST", "/v2.0/floatingips", {"floatingip": {"floating_network_id": "{net}",
                                                  "port_id": "{port}",
                                                  "fixed_ip_address": "10.79.0.71\t"}},
     400, "Invalid input for fixed_ip_address. Reason: '10.79.0.71\t' is not a valid IP"),
    ("POST", RULES, {"security_group_rule": {"security_group_id": "{sg}", "direction": "ingress",
                                             "remote_ip_prefix": "10.0.0.0/8 "}},
     400, "Invalid input for remote_ip_prefix. Reason: '10.0.0.0/8 ' is not a valid CIDR."),
    ("POST", RULES, {"security_group_rule": {"security_group_id": "{sg}", "direction": "ingress",
                                             "remote_ip_prefix": "fe80::/64%eth0",
                                             "ethertype": "IPv6"}}, 400, "remote_ip_prefix"),
    ("POST", RULES, {"security_group_rule": {"security_group_id": "{sg}", "direction": "ingress",
                                             "protocol": "tcp", "port_range_max": 80}},
     400, "port_range_max"),
    ("PUT", "/v2.0/ports/{port}", {"port": {"security_groups": ["no such group!"]}}, 400,
     "security_groups"),
    ("PUT", "/v2.0/routers/{router}/remove_router_interface", {"subnet_id": "{sub}"}, 404,
     "not connected"),
]


# An address, network or MAC written with whitespace around it is 400, wherever it sits
# (docs/compatibility.md, "Request bodies"): (method, path, body, the whole message).
PADDED: list[tuple[str, str, Any, str]] = [
    ("POST", PORT, {"port": {"network_id": "{net}", "fixed_ips": [
        {"ip_address": " 10.79.0.50"}]}},
     "Invalid input for ip_address. Reason: ' 10.79.0.50' is not a valid IP address."),
    ("POST", PORT, {"port": {"network_id": "{net}", "fixed_ips": [
        {"subnet_id": "{sub}", "ip_address": "10.79.0.51 "}]}},
     "Invalid input for ip_address. Reason: '10.79.0.51 ' is not a valid IP address."),
    ("PUT", "/v2.0/ports/{port}", {"port": {"fixed_ips": [{"ip_address": "\t10.79.0.52"}]}},
     "Invalid input for ip_address. Reason: '\t10.79.0.52' is not a valid IP address."),
    ("POST", PORT, {"port": {"network_id": "{net}", "port_security_enabled": True,
                             "allowed_address_pairs": [{"ip_address": " 10.79.0.60"}]}},
     "Invalid input for ip_address. Reason: ' 10.79.0.60' is not a valid IP address or "
     "CIDR."),
    ("POST", PORT, {"port": {"network_id": "{net}", "port_security_enabled": True,
                             "allowed_address_pairs": [{"ip_address": "10.79.8.0/24 "}]}},
     "Invalid input for ip_address. Reason: '10.79.8.0/24 ' is not a valid IP address or "
     "CIDR."),
    ("PUT", "/v2.0/ports/{port}", {"port": {"port_security_enabled": True,
                                            "allowed_address_pairs": [
                                                {"ip_address": "10.79.0.61",
                                                 "mac_address": " fa:16:3e:00:00:01"}]}},
     "Invalid input for mac_address. Reason: ' fa:16:3e:00:00:01' is not a valid MAC "
     "address."),
    ("PUT", "/v2.0/ports/{port}", {"port": {"port_security_enabled": True,
                                            "allowed_address_pairs": [
                                                {"ip_address": "10.79.0.62",
                                                 "mac_address": "fa:16:3e:00:00:02\n"}]}},
     "Invalid input for mac_address. Reason: 'fa:16:3e:00:00:02\n' is not a valid MAC "
     "address."),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": "10.84.0.0/24", "ip_version": 4,
                              "allocation_pools": [{"start": " 10.84.0.10",
                                                    "end": "10.84.0.20"}]}},
     "Invalid input for allocation_pools. Reason: ' 10.84.0.10' is not a valid IP address."),
    ("PUT", "/v2.0/subnets/{sub}", {"subnet": {"allocation_pools": [
        {"start": "10.79.0.100", "end": "10.79.0.200 "}]}},
     "Invalid input for allocation_pools. Reason: '10.79.0.200 ' is not a valid IP address."),
    ("POST", SUB, {"subnet": {"network_id": "{net}", "cidr": "10.85.0.0/24", "ip_version": 4,
                              "host_routes": [{"destination": " 10.9.0.0/24",
                                               "nexthop": "10.85.0.9"}]}},
     "Invalid input for host_routes. Reason: ' 10.9.0.0/24' is not a valid CIDR."),
    ("PUT", "/v2.0/subnets/{sub}", {"subnet": {"host_routes": [
        {"destination": "10.9.0.0/24", "nexthop": "10.79.0.9 "}]}},
     "Invalid input for host_routes. Reason: '10.79.0.9 ' is not a valid IP address."),
    ("PUT", "/v2.0/routers/{router}", {"router": {"routes": [
        {"destination": "10.9.0.0/24 ", "nexthop": "10.79.0.9"}]}},
     "Invalid input for destination. Reason: '10.9.0.0/24 ' is not a valid CIDR."),
    ("PUT", "/v2.0/routers/{router}/add_extraroutes", {"router": {"routes": [
        {"destination": "10.9.0.0/24", "nexthop": " 10.79.0.9"}]}},
     "Invalid input for nexthop. Reason: ' 10.79.0.9' is not a valid IP address."),
    ("PUT", "/v2.0/routers/{router}", {"router": {"external_gateway_info": {
        "network_id": "{ext}", "enable_snat": False,
        "external_fixed_ips": [{"ip_address": " 10.86.0.10"}]}}},
     "Invalid input for ip_address. Reason: ' 10.86.0.10' is not a valid IP address."),
]


@pytest.fixture(scope="module")
def external(module_api: Api) -> Iterator[str]:
    """An external network with a subnet, for router gateways."""
    net = module_api.network(name="schema-ext", **{"router:external": True})
    module_api.subnet(net["id"], cidr="10.86.0.0/24", gateway_ip="10.86.0.1")
    yield net["id"]
    module_api.delete(f"/v2.0/networks/{net['id']}")


@pytest.mark.parametrize(("method", "path", "body", "message"), PADDED,
                         ids=[f"{i}-{m}-{p.split('/')[2]}" for i, (m, p, _, _)
                              in enumerate(PADDED)])
def test_padded_addresses_are_refused(api: Api, central: Central, objects: dict[str, str],
                                      external: str, method: str, path: str, body: Any,
                                      message: str) -> None:
    """Before this was checked, the resource modules stripped the whitespace of addresses
    inside objects (fixed IPs, address pairs, pools, routes, gateway IPs) and took them."""
    names = {**objects, "ext": external}
    before = nb_snapshot(central)
    response = api.http.request(method, path.format(**names), json=fill(body, names))
    assert_error(response, 400, message)
    assert nb_snapshot(central) == before


def fill(value: Any, objects: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**objects) if "{" in value else value
    if isinstance(value, dict):
        return {k: fill(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, objects) for v in value]
    return value


def test_refusals(api: Api, central: Central, objects: dict[str, str]) -> None:
    before = nb_snapshot(central)
    for method, path, body, status, text in BAD:
        response = api.http.request(method, path.format(**objects), json=fill(body, objects))
        message = assert_error(response, status)
        assert text in message, (method, path, body, message)
    assert nb_snapshot(central) == before


def test_engine_bodies_stay_accepted(api: Api, objects: dict[str, str]) -> None:
    """What the oVirt engine sends (docs/compatibility.md, "What the oVirt engine sends")."""
    port = objects["port"]
    body = {"port": {"id": port, "security_groups": None, "binding:host_id": "host-1",
                     "mac_address": api.show("ports", "port", port)["mac_address"],
                     "tenant_id": "oVirt", "admin_state_up": True}}
    response = api.put(f"/v2.0/ports/{port}", body)
    assert response.status_code == 200, response.text
    assert response.json()["port"]["binding:host_id"] == "host-1"
    net = api.network(name="engine-net", admin_state_up=True, tenant_id="oVirt", mtu=1400,
                      port_security_enabled=False)
    try:
        created = api.create("ports", "port", admin_state_up=True, name="nic1",
                             network_id=net["id"], device_owner="oVirt", device_id="vnic-1",
                             mac_address="00:1a:4a:16:01:51", **{"binding:host_id": "h"},
                             tenant_id="oVirt")
        assert created["device_owner"] == "oVirt"
        sub = api.subnet(net["id"], cidr="10.83.0.0/24", name="s", enable_dhcp=True,
                         dns_nameservers=["8.8.8.8"], tenant_id="oVirt", gateway_ip="10.83.0.1")
        assert sub["gateway_ip"] == "10.83.0.1"
        assert api.delete(f"/v2.0/ports/{created['id']}").status_code == 204
    finally:
        api.delete(f"/v2.0/networks/{net['id']}")
