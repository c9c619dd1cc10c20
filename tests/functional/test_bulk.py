"""Bulk create over a real NB (docs/compatibility.md, "Bulk create"): `POST` with a list
under the collection key writes every element in ONE transaction or none of them.

Each test reads the result back from the NB (ovn-nbctl) and, for refused requests, checks
that the whole NB is exactly as before.
"""

from __future__ import annotations

import ipaddress

from ovn_provider.ovn.central import Central
from tests.support.nb import nb_find, nb_row
from tests.support.provider import Api
from tests.support.snapshot import assert_error, nb_snapshot


def _post(api: Api, collection: str, items: list[dict[str, object]]) -> list[dict[str, object]]:
    response = api.post(f"/v2.0/{collection.replace('_', '-')}", {collection: items})
    assert response.status_code == 201, response.text
    body = response.json()
    assert list(body) == [collection]
    result: list[dict[str, object]] = body[collection]
    assert len(result) == len(items)
    return result


def test_bulk_networks_in_order(api: Api, central: Central) -> None:
    created = _post(api, "networks", [{"name": "bulk-a"}, {"name": "bulk-b", "mtu": 1400},
                                      {"name": "bulk-c"}])
    assert [n["name"] for n in created] == ["bulk-a", "bulk-b", "bulk-c"]
    assert created[1]["mtu"] == 1400
    for net in created:
        row = nb_row(central, "Logical_Switch", str(net["id"]))
        assert row["external_ids"]["ovirt_network_name"] == net["name"]
        assert api.show("networks", "network", str(net["id"])) == net


def test_bulk_ports_get_distinct_addresses(api: Api, central: Central) -> None:
    net = api.network(name="bulk-ports")
    subnet = api.subnet(net["id"], "10.91.0.0/29")  # 5 addresses after the gateway
    ports = _post(api, "ports", [{"network_id": net["id"], "name": f"p{i}"} for i in range(4)])
    assert [p["name"] for p in ports] == ["p0", "p1", "p2", "p3"]
    ips = [str(p["fixed_ips"][0]["ip_address"]) for p in ports]  # type: ignore[index]
    macs = [p["mac_address"] for p in ports]
    assert len(set(ips)) == 4 and len(set(macs)) == 4
    assert all(ipaddress.ip_address(ip) in ipaddress.ip_network("10.91.0.0/29") for ip in ips)
    assert "10.91.0.1" not in ips  # the gateway
    for port in ports:
        row = nb_row(central, "Logical_Switch_Port", str(port["id"]))
        assert row["external_ids"]["ovirt_nic_name"] == port["name"]
    # Every LSP's address in the NB is distinct as well (what ovn-northd sees).
    rows = nb_find(central, "Logical_Switch_Port",
                   **{"external_ids:ovirt_network_id": net["id"]})
    nb_ips = [r["dynamic_addresses"].split()[1] if r["dynamic_addresses"] else
              r["addresses"].split()[1] for r in rows]
    assert sorted(nb_ips) == sorted(ips)
    # Five addresses for six ports: the bulk fails as a whole, nothing is written.
    before = nb_snapshot(central)
    response = api.post("/v2.0/ports", {"ports": [{"network_id": net["id"]}] * 2})
    assert_error(response, 409, f"No more IP addresses available on subnet {subnet['id']}")
    assert nb_snapshot(central) == before


def test_bulk_ports_same_explicit_ip_or_mac_refused(api: Api, central: Central) -> None:
    net = api.network(name="bulk-dup")
    api.subnet(net["id"], "10.92.0.0/24")
    before = nb_snapshot(central)
    fixed = [{"ip_address": "10.92.0.50"}]
    response = api.post("/v2.0/ports", {"ports": [
        {"network_id": net["id"], "fixed_ips": fixed},
        {"network_id": net["id"], "fixed_ips": fixed}]})
    assert_error(response, 409, f"The ip 10.92.0.50 specified is already in use on network "
                                f"{net['id']}")
    response = api.post("/v2.0/ports", {"ports": [
        {"network_id": net["id"], "mac_address": "02:aa:bb:cc:dd:01"},
        {"network_id": net["id"], "mac_address": "02:aa:bb:cc:dd:01"}]})
    assert_error(response, 409)
    assert nb_snapshot(central) == before


def test_invalid_element_writes_nothing(api: Api, central: Central) -> None:
    net = api.network(name="bulk-invalid")
    before = nb_snapshot(central)
    # Refused by validation (before the transaction) ...
    response = api.post("/v2.0/networks", {"networks": [{"name": "ok"}, {"mtu": "big"}]})
    assert_error(response, 400)
    response = api.post("/v2.0/networks", {"networks": [{"name": "ok"}, {"bogus": 1}]})
    assert_error(response, 400, "Unrecognized attribute(s) 'bogus'")
    # ... and inside it: the second subnet's network does not exist.
    response = api.post("/v2.0/subnets", {"subnets": [
        {"network_id": net["id"], "cidr": "10.93.0.0/24", "ip_version": 4},
        {"network_id": "00000000-0000-0000-0000-000000000000", "cidr": "10.94.0.0/24",
         "ip_version": 4}]})
    assert response.status_code in (400, 404), response.text
    for body in ({"networks": []}, {"networks": {"name": "x"}}, {"networks": ["x"]}):
        assert_error(api.post("/v2.0/networks", body), 400)
    assert nb_snapshot(central) == before


def test_refused_bulk_leaves_no_subnet_in_the_read_caches(api: Api) -> None:
    """A subnet that an element wrote before a later element was refused is in no answer
    afterwards: not in its network's `subnets`, not as an overlap of the same CIDR."""
    net = api.network(name="bulk-phantom")
    assert api.show("networks", "network", net["id"])["subnets"] == []  # the cache is warm
    response = api.post("/v2.0/subnets", {"subnets": [
        {"network_id": net["id"], "cidr": "10.97.0.0/24", "ip_version": 4},
        {"network_id": "00000000-0000-0000-0000-000000000000", "cidr": "10.98.0.0/24",
         "ip_version": 4}]})
    assert response.status_code in (400, 404), response.text
    assert api.show("networks", "network", net["id"])["subnets"] == []
    # the second element still sees the first one's subnet
    response = api.post("/v2.0/subnets", {"subnets": [
        {"network_id": net["id"], "cidr": cidr, "ip_version": 4}
        for cidr in ("10.97.0.0/24", "10.97.0.0/25")]})
    assert "overlaps with another subnet" in assert_error(response, 400)
    assert api.show("networks", "network", net["id"])["subnets"] == []
    subnet = api.subnet(net["id"], "10.97.0.0/24")
    assert api.show("networks", "network", net["id"])["subnets"] == [subnet["id"]]


def test_bulk_subnets(api: Api, central: Central) -> None:
    nets = _post(api, "networks", [{"name": "bulk-s1"}, {"name": "bulk-s2"}])
    subnets = _post(api, "subnets", [
        {"network_id": nets[0]["id"], "cidr": "10.95.0.0/24", "ip_version": 4, "name": "a"},
        {"network_id": nets[1]["id"], "cidr": "10.96.0.0/24", "ip_version": 4, "name": "b"},
        {"network_id": nets[0]["id"], "cidr": "fd00:95::/64", "ip_version": 6, "name": "c"}])
    assert [s["name"] for s in subnets] == ["a", "b", "c"]
    for subnet in subnets:
        row = nb_row(central, "DHCP_Options", str(subnet["id"]))
        assert row["cidr"] == subnet["cidr"]
        assert row["external_ids"]["ovirt_network_id"] == subnet["network_id"]
    assert sorted(api.show("networks", "network", str(nets[0]["id"]))["subnets"]) == \
        sorted([subnets[0]["id"], subnets[2]["id"]])


def test_bulk_security_groups_and_rules(api: Api, central: Central) -> None:
    groups = _post(api, "security_groups", [{"name": "bulk-g1"}, {"name": "bulk-g2",
                                                                  "description": "two"}])
    assert [g["name"] for g in groups] == ["bulk-g1", "bulk-g2"]
    assert groups[1]["description"] == "two"
    rules = _post(api, "security_group_rules", [
        {"security_group_id": groups[0]["id"], "direction": "ingress", "ethertype": "IPv4",
         "protocol": "tcp", "port_range_min": 22, "port_range_max": 22},
        {"security_group_id": groups[1]["id"], "direction": "ingress", "ethertype": "IPv4",
         "protocol": "icmp", "remote_group_id": groups[0]["id"]}])
    assert [r["security_group_id"] for r in rules] == [groups[0]["id"], groups[1]["id"]]
    for rule in rules:
        acl = nb_row(central, "ACL", str(rule["id"]))
        assert acl["action"] in ("allow-related", "allow")
    # The same rule twice in one request: refused, nothing written.
    before = nb_snapshot(central)
    twice = {"security_group_id": groups[1]["id"], "direction": "egress",
             "ethertype": "IPv4", "protocol": "udp", "port_range_min": 53,
             "port_range_max": 53}
    response = api.post("/v2.0/security-group-rules", {"security_group_rules": [twice, twice]})
    # Neutron's DuplicateSecurityGroupRuleInPost: no "Rule id is X" naming the id of a
    # rule that this refused request never wrote
    assert_error(response, 409, "Duplicate Security Group Rule in POST.")
    assert response.json()["error"]["type"] == "DuplicateSecurityGroupRuleInPost"
    assert nb_snapshot(central) == before
