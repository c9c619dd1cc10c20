"""The extensions clients probe for (docs/compatibility.md, "Extensions"), over a real NB:
extraroute-atomic, network-ip-availability, quotas, net-mtu-writable and
standard-attr-description. Each is listed in /v2.0/extensions and does what it says;
rows are read back with ovn-nbctl, refused requests leave the NB as it was.
"""

from __future__ import annotations

import uuid

from ovn_provider.ovn.central import Central
from tests.support.nb import as_list, nb_row
from tests.support.provider import Api
from tests.support.router_checks import routed
from tests.support.snapshot import assert_error, nb_snapshot


def _listed(api: Api) -> set[str]:
    return {e["alias"] for e in api.get("/v2.0/extensions").json()["extensions"]}


def _nb_routes(central: Central, router_id: str) -> set[tuple[str, str]]:
    lr = nb_row(central, "Logical_Router", router_id)
    result = set()
    for ref in as_list(lr["static_routes"]):
        row = nb_row(central, "Logical_Router_Static_Route", ref)
        result.add((row["ip_prefix"], row["nexthop"]))
    return result


def test_all_are_listed(api: Api) -> None:
    assert {"extraroute-atomic", "network-ip-availability", "quotas", "net-mtu-writable",
            "standard-attr-description", "stateful-security-group"} <= _listed(api)


def test_extraroute_atomic(api: Api, central: Central) -> None:
    router = routed(api, "10.9.0.0/24", name="atomic",
                    routes=[{"destination": "10.50.0.0/16", "nexthop": "10.9.0.1"}])
    path = f"/v2.0/routers/{router['id']}"
    two = [{"destination": "10.60.0.0/16", "nexthop": "10.9.0.2"},
           {"destination": "10.50.0.0/16", "nexthop": "10.9.0.1"}]  # present already
    response = api.put(f"{path}/add_extraroutes", {"router": {"routes": two}})
    assert response.status_code == 200, response.text
    shown = response.json()["router"]
    assert shown["id"] == router["id"]
    assert sorted((r["destination"], r["nexthop"]) for r in shown["routes"]) == [
        ("10.50.0.0/16", "10.9.0.1"), ("10.60.0.0/16", "10.9.0.2")]
    assert _nb_routes(central, router["id"]) == {("10.50.0.0/16", "10.9.0.1"),
                                                 ("10.60.0.0/16", "10.9.0.2")}
    assert shown["revision_number"] == router["revision_number"] + 1
    # Removing one present and one absent route: only the present one goes.
    response = api.put(f"{path}/remove_extraroutes", {"router": {"routes": [
        {"destination": "10.50.0.0/16", "nexthop": "10.9.0.1"},
        {"destination": "10.70.0.0/16", "nexthop": "10.9.0.3"}]}})
    assert response.status_code == 200, response.text
    assert [(r["destination"], r["nexthop"]) for r in response.json()["router"]["routes"]] \
        == [("10.60.0.0/16", "10.9.0.2")]
    assert _nb_routes(central, router["id"]) == {("10.60.0.0/16", "10.9.0.2")}
    # Refused bodies change nothing.
    before = nb_snapshot(central)
    for body in ({"router": {"routes": [{"destination": "10.80.0.0/16"}]}},
                 {"routes": []}, {"router": {"routes": [], "name": "x"}},
                 {"router": {"routes": [{"destination": f"10.{n}.0.0/16",
                                         "nexthop": "10.9.0.9"} for n in range(100, 130)]}}):
        assert_error(api.put(f"{path}/add_extraroutes", body), 400)
    # a nexthop off the router's subnets, or the router's own address (docs/routers.md)
    message = assert_error(api.put(f"{path}/add_extraroutes", {"router": {"routes": [
        {"destination": "10.81.0.0/16", "nexthop": "10.99.0.1"}]}}), 400)
    assert message == ("Invalid format for routes: [{'destination': '10.60.0.0/16', "
                       "'nexthop': '10.9.0.2'}, {'destination': '10.81.0.0/16', 'nexthop': "
                       "'10.99.0.1'}], the nexthop is not connected with router"), message
    message = assert_error(api.put(f"{path}/add_extraroutes", {"router": {"routes": [
        {"destination": "10.81.0.0/16", "nexthop": "10.9.0.100"}]}}), 400)
    assert message.endswith("the nexthop is used by router"), message
    assert_error(api.put(f"/v2.0/routers/{uuid.uuid4()}/add_extraroutes",
                         {"router": {"routes": []}}), 404)
    assert nb_snapshot(central) == before


def test_network_ip_availability(api: Api, central: Central) -> None:
    net = api.network(name="avail")
    subnet = api.subnet(net["id"], "10.88.0.0/28", gateway_ip="10.88.0.1", name="s")
    v6 = api.subnet(net["id"], "fd00:88::/64", name="s6", ipv6_address_mode="dhcpv6-stateful",
                    allocation_pools=[{"start": "fd00:88::10", "end": "fd00:88::1f"}])
    path = f"/v2.0/network-ip-availabilities/{net['id']}"
    response = api.get(path)
    assert response.status_code == 200, response.text
    first = response.json()["network_ip_availability"]
    pool = sum(int(p["end"].split(".")[-1]) - int(p["start"].split(".")[-1]) + 1
               for p in subnet["allocation_pools"])
    by_subnet = {s["subnet_id"]: s for s in first["subnet_ip_availability"]}
    assert by_subnet[subnet["id"]] == {"subnet_id": subnet["id"], "subnet_name": "s",
                                       "cidr": "10.88.0.0/28", "ip_version": 4,
                                       "total_ips": pool, "used_ips": 0}
    assert by_subnet[v6["id"]]["total_ips"] == 16
    assert first["total_ips"] == pool + 16 and first["used_ips"] == 0
    assert first["network_name"] == "avail" and first["network_id"] == net["id"]
    # Two ports (an address of each family each), then a router interface on the v4 subnet.
    api.port(net["id"])
    api.port(net["id"])
    router = api.create("routers", "router", name="avail-r")
    response = api.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                       {"subnet_id": subnet["id"]})
    assert response.status_code == 200, response.text
    after = api.get(path).json()["network_ip_availability"]
    by_subnet = {s["subnet_id"]: s for s in after["subnet_ip_availability"]}
    assert by_subnet[subnet["id"]]["used_ips"] == 3
    assert by_subnet[v6["id"]]["used_ips"] == 2
    assert after["used_ips"] == 5
    listed = api.get("/v2.0/network-ip-availabilities",
                     params={"network_id": net["id"]}).json()["network_ip_availabilities"]
    assert listed == [after]
    assert_error(api.get(f"/v2.0/network-ip-availabilities/{uuid.uuid4()}"), 404)
    assert api.post("/v2.0/network-ip-availabilities", {}).status_code == 405


def test_ip_availability_beyond_64_bits(api: Api) -> None:
    """Two IPv6 /64 subnets hold more than 2**64 addresses: JSON carries the exact
    integer, as Neutron answers (the fuzzer found a 500 here)."""
    net = api.network(name="avail-big")
    for n in (1, 2):
        api.subnet(net["id"], f"fd00:89:{n}::/64", ipv6_address_mode="slaac")
    for path in (f"/v2.0/network-ip-availabilities/{net['id']}",
                 "/v2.0/network-ip-availabilities"):
        response = api.get(path)
        assert response.status_code == 200, response.text
    shown = api.get(f"/v2.0/network-ip-availabilities/{net['id']}").json()
    assert shown["network_ip_availability"]["total_ips"] > 2 ** 64


def test_quotas_are_read_only_and_unlimited(api: Api) -> None:
    assert api.get("/v2.0/quotas").json() == {"quotas": []}
    for path in ("/v2.0/quotas/some-project", "/v2.0/quotas/some-project/default"):
        quota = api.get(path).json()["quota"]
        assert {"network", "subnet", "port", "router", "floatingip", "security_group",
                "security_group_rule"} <= set(quota)
        assert set(quota.values()) == {-1}
    assert_error(api.put("/v2.0/quotas/some-project", {"quota": {"network": 5}}), 405)
    assert_error(api.delete("/v2.0/quotas/some-project"), 405)
    assert_error(api.get("/v2.0/quotas/p/other"), 404)


def test_mtu_and_descriptions_are_writable(api: Api, central: Central) -> None:
    net = api.network(name="writable", mtu=1400)
    subnet = api.subnet(net["id"], "10.89.0.0/24")
    port = api.port(net["id"])
    router = api.create("routers", "router", name="described")
    response = api.put(f"/v2.0/networks/{net['id']}", {"network": {"mtu": 1300}})
    assert response.status_code == 200, response.text
    assert response.json()["network"]["mtu"] == 1300
    assert nb_row(central, "Logical_Switch", net["id"])["external_ids"]["mtu"] == "1300"
    assert nb_row(central, "DHCP_Options", subnet["id"])["options"]["mtu"] == "1300"
    for collection, root, ident in (("networks", "network", net["id"]),
                                    ("subnets", "subnet", subnet["id"]),
                                    ("ports", "port", port["id"]),
                                    ("routers", "router", router["id"])):
        response = api.put(f"/v2.0/{collection}/{ident}", {root: {"description": "said"}})
        assert response.status_code == 200, response.text
        assert api.show(collection, root, ident)["description"] == "said"
