"""Routers and router interfaces over a real NB (docs/compatibility.md, "Paths"; docs/routers.md).

Every test creates its own networks and routers and reads back what the provider wrote
with ovn-nbctl. Rejected requests are checked to leave the NB exactly as it was. The
session provider has no gateway chassis configured, so SNAT is unavailable here (its
tests are in test_floating_ips.py).
"""

from __future__ import annotations

import ipaddress
import re
import threading
import uuid
from typing import Any

import httpx
import pytest

from ovn_provider.ovn.central import Central
from tests.support.nb import as_list, nb_find, nb_row, nb_rows
from tests.support.provider import Api, make_config, running
from tests.support.router_checks import (
    TENANT,
    add_interface,
    check,
    eventually,
    exclude_ips,
    gateway_info,
    lrp_named,
    net_with_subnet,
    rejected,
    remove_interface,
    router,
    router_ports,
)
from tests.support.stamps import stamped, without_stamps

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


# -- NB helpers (also used by test_floating_ips and test_router_trace) -------------------------
def lsp_named(central: Central, name: str) -> dict[str, Any] | None:
    rows = nb_find(central, "Logical_Switch_Port", name=name)
    return rows[0] if rows else None


def routes_of(central: Central, router_id: str) -> set[tuple[str, str]]:
    lr = nb_row(central, "Logical_Router", router_id)
    result = set()
    for ref in as_list(lr["static_routes"]):
        row = nb_row(central, "Logical_Router_Static_Route", ref)
        result.add((row["ip_prefix"], row["nexthop"]))
    return result


# -- CRUD ---------------------------------------------------------------------------------------
def test_create_minimal_router(api: Api, central: Central) -> None:
    response = api.post("/v2.0/routers", {"router": {}})
    assert response.status_code == 201, response.text
    r = response.json()["router"]
    assert r == {"id": r["id"], "name": "", "admin_state_up": True, "status": "ACTIVE",
                 "tenant_id": TENANT, "project_id": TENANT, "external_gateway_info": None,
                 "routes": [], "description": "", "tags": [], **stamped(r)}
    lr = nb_row(central, "Logical_Router", r["id"])
    assert lr["name"] == "" and as_list(lr["enabled"]) == [True]
    assert as_list(lr["ports"]) == [] and as_list(lr["nat"]) == []
    assert as_list(lr["static_routes"]) == [] and without_stamps(lr["external_ids"]) == {}
    assert api.show("routers", "router", r["id"]) == r
    listed = api.get("/v2.0/routers").json()["routers"]
    assert r in listed


def test_create_with_fields_and_unknown_keys(api: Api, central: Central) -> None:
    r = router(api, name="r-full", admin_state_up=False, description="edge",
               tenant_id="x", distributed=False, routes=[
                   {"destination": "192.168.50.0/24", "nexthop": "10.9.0.5"},
                   {"destination": "fd00:50::/64", "nexthop": "fd00::5"}])
    assert r["name"] == "r-full" and r["admin_state_up"] is False
    assert r["status"] == "INACTIVE"
    assert r["description"] == "edge" and r["tenant_id"] == TENANT
    assert sorted(map(tuple, (x.values() for x in r["routes"]))) == [
        ("192.168.50.0/24", "10.9.0.5"), ("fd00:50::/64", "fd00::5")]
    lr = nb_row(central, "Logical_Router", r["id"])
    assert lr["name"] == "r-full" and as_list(lr["enabled"]) == [False]
    assert without_stamps(lr["external_ids"]) == {"ovirt_description": "edge"}
    assert routes_of(central, r["id"]) == {("192.168.50.0/24", "10.9.0.5"),
                                           ("fd00:50::/64", "fd00::5")}
    for ref in as_list(lr["static_routes"]):
        row = nb_row(central, "Logical_Router_Static_Route", ref)
        assert as_list(row["policy"]) == [] and as_list(row["output_port"]) == []


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"routes": [{"destination": "10.0.0.0/24"}]}, 400,
     "Static route must have destination and nexthop specified."),
    ({"routes": [{"nexthop": "10.0.0.1"}]}, 400,
     "Static route must have destination and nexthop specified."),
    ({"routes": [{"destination": None, "nexthop": "10.0.0.1"}]}, 400,
     "Static route must have destination and nexthop specified."),
    ({"routes": ["10.0.0.0/24"]}, 400,
     "Static route must have destination and nexthop specified."),
    ({"routes": [{"destination": "nonsense", "nexthop": "10.0.0.1"}]}, 400, "~nonsense"),
    ({"routes": [{"destination": "10.0.0.0/24", "nexthop": "10.0.0.300"}]}, 400,
     "~10.0.0.300"),
    ({"routes": [{"destination": "10.0.0.0/24", "nexthop": "fd00::1"}]}, 400,
     "~different IP versions"),
    ({"routes": "x"}, 400, "~routes"),
    ({"admin_state_up": "yes"}, 400, "admin_state_up must be of type bool"),
    ({"name": 5}, 400, "~name"),
    ({"external_gateway_info": "x"}, 400, "~external_gateway_info"),
    ({"external_gateway_info": {"external_fixed_ips": []}}, 400,
     "network_id missing in the external gateway information."),
])
def test_create_rejects_bad_input(api: Api, central: Central, body: dict[str, Any],
                                  status: int, message: str) -> None:
    rejected(central, lambda: api.post("/v2.0/routers", {"router": body}), status, message)


def test_create_without_root_key_or_json(api: Api, central: Central) -> None:
    rejected(central, lambda: api.post("/v2.0/routers", {"network": {}}), 400)
    rejected(central, lambda: api.http.post("/v2.0/routers", content=b"{nope"), 400)


def test_unknown_router_gives_404(api: Api) -> None:
    for ident in (str(uuid.uuid4()), "not-a-uuid"):
        check(api.get(f"/v2.0/routers/{ident}"), 404, f"Router {ident} does not exist")
        check(api.put(f"/v2.0/routers/{ident}", {"router": {"name": "x"}}), 404)
        check(api.delete(f"/v2.0/routers/{ident}"), 404)
        check(api.put(f"/v2.0/routers/{ident}/add_router_interface",
                      {"subnet_id": str(uuid.uuid4())}), 404,
              f"Router {ident} does not exist")
        check(api.put(f"/v2.0/routers/{ident}/remove_router_interface",
                      {"subnet_id": str(uuid.uuid4())}), 404,
              f"Router {ident} does not exist")


def test_methods_not_allowed(api: Api) -> None:
    r = router(api, name="r-405")
    check(api.put("/v2.0/routers", {"router": {}}), 405)
    check(api.delete("/v2.0/routers"), 405)
    check(api.post(f"/v2.0/routers/{r['id']}", {"router": {}}), 405)
    check(api.post(f"/v2.0/routers/{r['id']}/add_router_interface", {"subnet_id": "x"}), 405)
    check(api.post(f"/v2.0/routers/{r['id']}/remove_router_interface", {"subnet_id": "x"}),
          405)
    check(api.put(f"/v2.0/routers/{r['id']}/unknown_action", {}), 404)


def test_update_keeps_absent_fields_and_rename_keeps_lookup(api: Api, central: Central
                                                           ) -> None:
    r = router(api, name="before", admin_state_up=False,
               routes=[{"destination": "10.70.0.0/16", "nexthop": "10.9.0.1"}])
    response = api.put(f"/v2.0/routers/{r['id']}", {"router": {"name": "after"}})
    assert response.status_code == 200, response.text
    updated = response.json()["router"]
    # admin_state_up kept; routes kept; : the renamed router is still found by id
    assert updated["name"] == "after" and updated["admin_state_up"] is False
    assert updated["status"] == "INACTIVE"
    assert updated["routes"] == [{"destination": "10.70.0.0/16", "nexthop": "10.9.0.1"}]
    assert nb_row(central, "Logical_Router", r["id"])["name"] == "after"
    assert api.show("routers", "router", r["id"])["name"] == "after"
    updated = api.put(f"/v2.0/routers/{r['id']}",
                      {"router": {"admin_state_up": True, "id": r["id"]}}).json()["router"]
    assert updated["admin_state_up"] is True and updated["status"] == "ACTIVE"
    assert as_list(nb_row(central, "Logical_Router", r["id"])["enabled"]) == [True]
    rejected(central, lambda: api.put(f"/v2.0/routers/{r['id']}",
                                      {"router": {"id": str(uuid.uuid4())}}), 400)


def test_update_routes_is_the_full_set(api: Api, central: Central) -> None:
    r = router(api, name="r-routes", routes=[
        {"destination": "10.71.0.0/16", "nexthop": "10.9.0.1"},
        {"destination": "10.72.0.0/16", "nexthop": "10.9.0.1"}])
    body = {"router": {"routes": [{"destination": "10.72.0.0/16", "nexthop": "10.9.0.1"},
                                  {"destination": "10.73.0.5/16", "nexthop": "10.9.0.2"}]}}
    updated = api.put(f"/v2.0/routers/{r['id']}", body).json()["router"]
    assert routes_of(central, r["id"]) == {("10.72.0.0/16", "10.9.0.1"),
                                           ("10.73.0.0/16", "10.9.0.2")}
    assert {(x["destination"], x["nexthop"]) for x in updated["routes"]} == \
        routes_of(central, r["id"])
    kept = [ref for ref in as_list(nb_row(central, "Logical_Router", r["id"])["static_routes"])
            if nb_row(central, "Logical_Router_Static_Route", ref)["ip_prefix"]
            == "10.72.0.0/16"]
    api.put(f"/v2.0/routers/{r['id']}", body)  # same set again: nothing rewritten
    assert kept[0] in as_list(nb_row(central, "Logical_Router", r["id"])["static_routes"])
    # without a gateway, a user default route is fine
    api.put(f"/v2.0/routers/{r['id']}", {"router": {"routes": [
        {"destination": "0.0.0.0/0", "nexthop": "10.9.0.254"}]}})
    assert routes_of(central, r["id"]) == {("0.0.0.0/0", "10.9.0.254")}
    api.put(f"/v2.0/routers/{r['id']}", {"router": {"routes": None}})
    assert routes_of(central, r["id"]) == set()


def test_delete_router(api: Api, central: Central) -> None:
    r = router(api, name="r-del", routes=[{"destination": "10.74.0.0/16",
                                            "nexthop": "10.9.0.1"}])
    route_ref = as_list(nb_row(central, "Logical_Router", r["id"])["static_routes"])[0]
    assert api.delete(f"/v2.0/routers/{r['id']}").status_code == 204
    assert all(row["_uuid"] != r["id"] for row in nb_rows(central, "Logical_Router"))
    assert all(row["_uuid"] != route_ref
               for row in nb_rows(central, "Logical_Router_Static_Route"))
    check(api.get(f"/v2.0/routers/{r['id']}"), 404)


def test_extensions_list_router_aliases(api: Api) -> None:
    aliases = {e["alias"] for e in api.get("/v2.0/extensions").json()["extensions"]}
    assert {"router", "extraroute", "external-net"} <= aliases
    doc = api.get("/v2.0/extensions/router").json()["extension"]
    assert doc["alias"] == "router" and doc["name"] == "Neutron L3 Router"


# -- external gateway ------------------------------------------------------------------------------
def test_router_with_gateway_layout(api: Api, central: Central) -> None:
    ext, sub = net_with_subnet(api, "172.30.1.0/24", external=True)
    r = router(api, name="r-gw", external_gateway_info=gateway_info(
        ext, sub, "172.30.1.10", enable_snat=False))
    assert r["external_gateway_info"] == {
        "network_id": ext["id"], "enable_snat": False,
        "external_fixed_ips": [{"subnet_id": sub["id"], "ip_address": "172.30.1.10"}]}
    assert r["routes"] == [{"destination": "0.0.0.0/0", "nexthop": "172.30.1.1"}]
    lr = nb_row(central, "Logical_Router", r["id"])
    gw_name = lr["external_ids"]["ovirt_gateway_port"]
    assert lr["external_ids"]["ovirt_enable_snat"] == "False"
    lsp = lsp_named(central, gw_name)
    assert lsp is not None and UUID4.match(gw_name)
    assert lsp["type"] == "router" and lsp["addresses"] == "router"
    assert lsp["options"] == {"router-port": f"lrp{gw_name}"}
    assert as_list(lsp["enabled"]) == [True]
    assert lsp["external_ids"]["ovirt_nic_name"] == "router_port"
    assert lsp["external_ids"]["ovirt_device_owner"] == "network:router_gateway"
    assert as_list(lsp["dhcpv4_options"]) == [] and as_list(lsp["port_security"]) == []
    assert lsp["_uuid"] in as_list(nb_row(central, "Logical_Switch", ext["id"])["ports"])
    lrp = lrp_named(central, f"lrp{gw_name}")
    assert lrp is not None and lrp["_uuid"] in as_list(lr["ports"])
    assert lrp["networks"] == "172.30.1.10/24"
    assert lrp["ipv6_ra_configs"] == {} and as_list(lrp["gateway_chassis"]) == []
    # reserved by its router LSP alone: a second reservation in exclude_ips makes
    # ovn-northd log "Duplicate IP set"
    assert exclude_ips(central, ext["id"]) == []
    assert routes_of(central, r["id"]) == {("0.0.0.0/0", "172.30.1.1")}
    # fully distributed: no NAT, no chassis (docs/routers.md)
    assert as_list(lr["nat"]) == []
    # the gateway port as an API port : LRP MAC, router id, owner
    ports = router_ports(api, r["id"])
    assert [p["id"] for p in ports] == [gw_name]
    assert ports[0]["mac_address"] == lrp["mac"]
    assert ports[0]["device_owner"] == "network:router_gateway"
    assert ports[0]["fixed_ips"] == [{"ip_address": "172.30.1.10", "subnet_id": sub["id"]}]
    assert ports[0]["network_id"] == ext["id"] and ports[0]["device_id"] == r["id"]
    # the first update records the router id on the gateway port as well
    api.put(f"/v2.0/routers/{r['id']}", {"router": {"name": "r-gw"}})
    recorded = lsp_named(central, gw_name)
    assert recorded is not None and recorded["external_ids"]["ovirt_device_id"] == r["id"]


def test_gateway_ip_is_allocated_when_absent(api: Api, central: Central) -> None:
    ext, sub = net_with_subnet(api, "172.30.2.0/29", external=True)
    taken = api.port(ext["id"], name="taker")["fixed_ips"][0]["ip_address"]
    r = router(api, name="r-alloc", external_gateway_info=gateway_info(
        ext, sub, enable_snat=False))
    ip = r["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
    assert ipaddress.ip_address(ip) in ipaddress.ip_network("172.30.2.0/29")
    assert ip not in ("172.30.2.1", taken)
    assert exclude_ips(central, ext["id"]) == []
    # the gateway address is not handed out again: a new port gets another one
    again = api.port(ext["id"], name="after")["fixed_ips"][0]["ip_address"]
    assert again not in (ip, taken, "172.30.2.1")


def test_gateway_without_snat_key_and_no_chassis_defaults_to_no_snat(api: Api) -> None:
    ext, sub = net_with_subnet(api, "172.30.3.0/24", external=True)
    r = router(api, name="r-nosnat", external_gateway_info=gateway_info(ext, sub))
    assert r["external_gateway_info"]["enable_snat"] is False


@pytest.mark.parametrize(("case", "status", "message"), [
    ("no-network-id", 400, "network_id missing in the external gateway information."),
    ("empty-entry", 400, "~each entry needs subnet_id or ip_address"),
    ("duplicate-ip", 400, "~Duplicate IP address 172.30.4.20"),
    ("unknown-network", 404, "~could not be found"),
    ("internal-network", 400, "~is not a valid external network"),
    ("ip-in-no-subnet", 400, "~is not a valid IP for any subnet of network"),
    ("unknown-subnet", 400, "~does not exist"),
    ("foreign-subnet", 400, "~does not belong to network"),
    ("no-gateway", 400, "~cannot be used as external gateway, since it does not have a "
     "default gateway defined"),
    ("ip-outside", 400, "~is not a valid IP for the specified subnet"),
    ("ip-taken", 409, "~is already in use on network"),
    ("ip-is-subnet-gateway", 409, "~is already in use on network"),
    ("bad-ip", 400, "~not a valid IP"),
    ("snat-true", 501, "~enable_snat must set be false"),
    ("snat-string", 400, "enable_snat must be of type bool"),
    ("default-route", 400, "A default static route can not be added when an external "
     "gateway is defined on a router."),
])
def test_gateway_rejections(api: Api, central: Central, case: str, status: int,
                            message: str) -> None:
    ext, sub = net_with_subnet(api, "172.30.4.0/24", external=True)
    other, other_sub = net_with_subnet(api, "172.30.5.0/24", external=True)
    bare, bare_sub = net_with_subnet(api, "172.30.6.0/24", gateway=None, external=True)
    used = api.port(ext["id"], name="used")["fixed_ips"][0]["ip_address"]
    gwi: dict[str, Any] = gateway_info(ext, sub, "172.30.4.20", enable_snat=False)
    body: dict[str, Any] = {"name": "r-bad", "external_gateway_info": gwi}
    fixed = gwi["external_fixed_ips"][0]
    if case == "no-network-id":
        del gwi["network_id"]
    elif case == "empty-entry":
        gwi["external_fixed_ips"] = [{}]
    elif case == "duplicate-ip":
        gwi["external_fixed_ips"] = [fixed, {"ip_address": "172.30.4.20"}]
    elif case == "unknown-network":
        gwi["network_id"] = str(uuid.uuid4())
    elif case == "internal-network":
        inner, _ = net_with_subnet(api, "172.30.14.0/24")
        gwi["network_id"] = inner["id"]
        del gwi["external_fixed_ips"]
    elif case == "ip-in-no-subnet":
        gwi["external_fixed_ips"] = [{"ip_address": "172.30.5.20"}]
    elif case == "unknown-subnet":
        fixed["subnet_id"] = str(uuid.uuid4())
    elif case == "foreign-subnet":
        fixed["subnet_id"] = other_sub["id"]
    elif case == "no-gateway":
        gwi["network_id"], fixed["subnet_id"] = bare["id"], bare_sub["id"]
        fixed["ip_address"] = "172.30.6.20"
    elif case == "ip-outside":
        fixed["ip_address"] = "172.30.5.20"
    elif case == "ip-taken":
        fixed["ip_address"] = used
    elif case == "ip-is-subnet-gateway":
        fixed["ip_address"] = "172.30.4.1"
    elif case == "bad-ip":
        fixed["ip_address"] = "172.30.4.999"
    elif case == "snat-true":
        gwi["enable_snat"] = True
    elif case == "snat-string":
        gwi["enable_snat"] = "false"
    elif case == "default-route":
        body["routes"] = [{"destination": "0.0.0.0/0", "nexthop": "172.30.4.254"}]
    rejected(central, lambda: api.post("/v2.0/routers", {"router": body}), status, message)
    # the same on update of an existing router
    r = router(api, name="r-bad-update")
    update = {k: v for k, v in body.items() if k != "name"}
    rejected(central, lambda: api.put(f"/v2.0/routers/{r['id']}", {"router": update}),
             status, message)


def test_gateway_default_route_is_protected(api: Api, central: Central) -> None:
    ext, sub = net_with_subnet(api, "172.30.7.0/24", external=True)
    r = router(api, name="r-protect", external_gateway_info=gateway_info(
        ext, sub, "172.30.7.10", enable_snat=False),
        routes=[{"destination": "10.80.0.0/16", "nexthop": "172.30.7.2"}])
    default = ("0.0.0.0/0", "172.30.7.1")
    assert routes_of(central, r["id"]) == {default, ("10.80.0.0/16", "172.30.7.2")}
    # leaving the default route out keeps it
    api.put(f"/v2.0/routers/{r['id']}", {"router": {"routes": [
        {"destination": "10.81.0.0/16", "nexthop": "172.30.7.2"}]}})
    assert routes_of(central, r["id"]) == {default, ("10.81.0.0/16", "172.30.7.2")}
    # listing it unchanged is accepted
    shown = api.show("routers", "router", r["id"])
    response = api.put(f"/v2.0/routers/{r['id']}", {"router": {"routes": shown["routes"]}})
    assert response.status_code == 200, response.text
    assert routes_of(central, r["id"]) == {default, ("10.81.0.0/16", "172.30.7.2")}
    # an empty list removes the user routes only
    api.put(f"/v2.0/routers/{r['id']}", {"router": {"routes": []}})
    assert routes_of(central, r["id"]) == {default}
    # another default route is refused, and nothing changes
    rejected(central, lambda: api.put(f"/v2.0/routers/{r['id']}", {"router": {"routes": [
        {"destination": "0.0.0.0/0", "nexthop": "172.30.7.3"}]}}), 400,
        "A default static route can not be added when an external gateway is defined on a "
        "router.")
    rejected(central, lambda: api.put(f"/v2.0/routers/{r['id']}", {"router": {"routes": [
        {"destination": "::/0", "nexthop": "fd00::1"}]}}), 400)


def test_adding_gateway_to_router_with_user_default_route(api: Api, central: Central) -> None:
    ext, sub = net_with_subnet(api, "172.30.8.0/24", external=True)
    r = router(api, name="r-userdefault",
               routes=[{"destination": "0.0.0.0/0", "nexthop": "10.9.9.9"}])
    gwi = gateway_info(ext, sub, "172.30.8.10", enable_snat=False)
    rejected(central, lambda: api.put(f"/v2.0/routers/{r['id']}",
                                      {"router": {"external_gateway_info": gwi}}), 400)
    # dropping the user default route in the same request makes it valid
    response = api.put(f"/v2.0/routers/{r['id']}",
                       {"router": {"external_gateway_info": gwi, "routes": []}})
    assert response.status_code == 200, response.text
    assert routes_of(central, r["id"]) == {("0.0.0.0/0", "172.30.8.1")}


def test_gateway_update_replace_keep_and_remove(api: Api, central: Central) -> None:
    ext, sub = net_with_subnet(api, "172.30.9.0/24", external=True)
    ext2, sub2 = net_with_subnet(api, "fd00:30:9::/64", gateway="fd00:30:9::1", external=True)
    r = router(api, name="r-gwupd", external_gateway_info=gateway_info(
        ext, sub, "172.30.9.10", enable_snat=False))
    first = nb_row(central, "Logical_Router", r["id"])["external_ids"]["ovirt_gateway_port"]
    # same gateway again (ip omitted): the port stays
    same = api.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": gateway_info(ext, sub)}}).json()["router"]
    assert same["external_gateway_info"]["external_fixed_ips"][0]["ip_address"] == \
        "172.30.9.10"
    assert same["external_gateway_info"]["enable_snat"] is False  # kept
    assert nb_row(central, "Logical_Router", r["id"])["external_ids"][
        "ovirt_gateway_port"] == first
    # another IP on the same network (a reset): the gateway port stays, readdressed
    moved = api.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": gateway_info(ext, sub, "172.30.9.11")}}).json()["router"]
    assert moved["external_gateway_info"]["external_fixed_ips"][0]["ip_address"] == \
        "172.30.9.11"
    second = nb_row(central, "Logical_Router", r["id"])["external_ids"]["ovirt_gateway_port"]
    assert second == first
    readdressed = lrp_named(central, f"lrp{first}")
    assert readdressed is not None and readdressed["networks"] == "172.30.9.11/24"
    assert exclude_ips(central, ext["id"]) == []
    assert routes_of(central, r["id"]) == {("0.0.0.0/0", "172.30.9.1")}
    # an IPv6 external network: ::/0 via its gateway, no RA on the gateway port
    v6 = api.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": gateway_info(ext2, sub2, "fd00:30:9::10")}}).json()["router"]
    assert v6["routes"] == [{"destination": "::/0", "nexthop": "fd00:30:9::1"}]
    third = nb_row(central, "Logical_Router", r["id"])["external_ids"]["ovirt_gateway_port"]
    lrp = lrp_named(central, f"lrp{third}")
    assert lrp is not None and lrp["networks"] == "fd00:30:9::10/64"
    assert lrp["ipv6_ra_configs"] == {}
    assert exclude_ips(central, ext["id"]) == []
    # null removes the gateway with everything it brought
    gone = api.put(f"/v2.0/routers/{r['id']}",
                   {"router": {"external_gateway_info": None}}).json()["router"]
    assert gone["external_gateway_info"] is None and gone["routes"] == []
    lr = nb_row(central, "Logical_Router", r["id"])
    assert "ovirt_gateway_port" not in lr["external_ids"] and as_list(lr["ports"]) == []
    assert lsp_named(central, third) is None and routes_of(central, r["id"]) == set()
    # {} on a router without gateway is a no-op
    assert api.put(f"/v2.0/routers/{r['id']}",
                   {"router": {"external_gateway_info": {}}}).status_code == 200


# -- interfaces ---------------------------------------------------------------------------------
def test_add_interface_by_subnet_layout(api: Api, central: Central) -> None:
    net, sub = net_with_subnet(api, "10.31.1.0/24", mtu=1400)
    r = router(api, name="r-if")
    body = add_interface(api, r["id"], subnet_id=sub["id"])
    assert body == {"id": r["id"], "network_id": net["id"], "port_id": body["port_id"],
                    "subnet_id": sub["id"], "subnet_ids": [sub["id"]], "tenant_id": TENANT,
                    "project_id": TENANT}  # unwrapped
    lsp = lsp_named(central, body["port_id"])
    assert lsp is not None and UUID4.match(body["port_id"])
    assert lsp["type"] == "router" and lsp["addresses"] == "router"
    assert lsp["options"] == {"router-port": f"lrp{body['port_id']}"}
    assert as_list(lsp["enabled"]) == [True]
    stamps = ("ovirt_created_at", "ovirt_updated_at", "ovirt_revision_number")
    assert {k: v for k, v in lsp["external_ids"].items()
            if k != "ovirt_network_id" and k not in stamps} == {
        "ovirt_nic_name": "router_port", "ovirt_device_owner": "network:router_interface",
        "ovirt_device_id": r["id"]}
    assert lsp["external_ids"]["ovirt_revision_number"] == "1"  # a port like any other
    lrp = lrp_named(central, f"lrp{body['port_id']}")
    assert lrp is not None and lrp["networks"] == "10.31.1.1/24"
    assert re.fullmatch(r"02(:[0-9a-f]{2}){5}", lrp["mac"])
    assert lrp["ipv6_ra_configs"] == {}
    assert lrp["_uuid"] in as_list(nb_row(central, "Logical_Router", r["id"])["ports"])
    dhcp = nb_row(central, "DHCP_Options", sub["id"])
    assert dhcp["external_ids"]["gateway_router"] == r["id"]
    # the API port
    port = api.show("ports", "port", body["port_id"])
    assert port["mac_address"] == lrp["mac"] and port["device_id"] == r["id"]
    assert port["device_owner"] == "network:router_interface"
    assert port["fixed_ips"] == [{"ip_address": "10.31.1.1", "subnet_id": sub["id"]}]
    assert [p["id"] for p in router_ports(api, r["id"])] == [body["port_id"]]
    # router ports cannot be deleted through the port API; the message names the id
    check(api.delete(f"/v2.0/ports/{body['port_id']}"), 409,
          f"Port {body['port_id']} cannot be deleted directly via the port API: has device "
          "owner network:router_interface")
    # renaming is fine, an address change is a conflict, never 500
    ok = api.put(f"/v2.0/ports/{body['port_id']}", {"port": {"name": "rp"}})
    assert ok.status_code == 200, ok.text
    check(api.put(f"/v2.0/ports/{body['port_id']}", {"port": {"mac_address":
                                                               "02:11:22:33:44:55"}}), 409)
    # the router has a port
    rejected(central, lambda: api.delete(f"/v2.0/routers/{r['id']}"), 409,
             f"Router {r['id']} still has ports")
    # subnets attached to a router cannot be deleted
    check(api.delete(f"/v2.0/subnets/{sub['id']}"), 409)


def test_add_interface_ipv6_gets_router_advertisements(api: Api, central: Central) -> None:
    net = api.network(name="v6net", mtu=1450)
    sub = api.subnet(net["id"], "fd00:31:2::/64", gateway_ip="fd00:31:2::1",
                     ipv6_address_mode="dhcpv6_stateless")
    net2 = api.network(name="v6net-nomtu")
    sub2 = api.subnet(net2["id"], "fd00:31:3::/64", gateway_ip="fd00:31:3::1",
                      ipv6_address_mode="dhcpv6_stateful")
    r = router(api, name="r-v6")
    body = add_interface(api, r["id"], subnet_id=sub["id"])
    lrp = lrp_named(central, f"lrp{body['port_id']}")
    assert lrp is not None and lrp["networks"] == "fd00:31:2::1/64"
    assert lrp["ipv6_ra_configs"] == {"address_mode": "dhcpv6_stateless",
                                      "send_periodic": "true", "mtu": "1450"}
    body2 = add_interface(api, r["id"], subnet_id=sub2["id"])
    lrp2 = lrp_named(central, f"lrp{body2['port_id']}")
    assert lrp2 is not None
    assert lrp2["ipv6_ra_configs"] == {"address_mode": "dhcpv6_stateful",
                                       "send_periodic": "true"}


def test_add_interface_rejections(api: Api, central: Central) -> None:
    net, sub = net_with_subnet(api, "10.31.4.0/24")
    nogw_net, nogw = net_with_subnet(api, "10.31.5.0/24", gateway=None)
    r = router(api, name="r-rej")
    other = router(api, name="r-rej-other")
    url = f"/v2.0/routers/{r['id']}/add_router_interface"
    rejected(central, lambda: api.put(url, {}), 400,
             "Either subnet_id or port_id must be specified.")
    rejected(central, lambda: api.put(url, [1]), 400)
    rejected(central, lambda: api.put(url, {"subnet_id": sub["id"], "port_id": "x"}), 400,
             "Subnet and port can not both be set at the same time")
    missing = str(uuid.uuid4())
    rejected(central, lambda: api.put(url, {"subnet_id": missing}), 404,
             f"Subnet {missing} does not exist")
    rejected(central, lambda: api.put(url, {"port_id": missing}), 404,
             f"Port {missing} does not exist")
    # a subnet without gateway is a 400
    rejected(central, lambda: api.put(url, {"subnet_id": nogw["id"]}), 400,
             f"Unable to attach network {nogw_net['id']} to router {r['id']} by subnet "
             f"{nogw['id']}. Attaching by subnet requires the subnet to have a default gateway "
             "specified.")
    add_interface(api, other["id"], subnet_id=sub["id"])
    rejected(central, lambda: api.put(url, {"subnet_id": sub["id"]}), 400,
             f"~Subnet is already connected to router {other['id']}")
    check(api.put(f"/v2.0/routers/{other['id']}/add_router_interface",
                  {"subnet_id": sub["id"]}), 400)
    # by port: a port without IP, a router port, a router already on the network
    bare = api.port(nogw_net["id"], name="noip", fixed_ips=[])
    bare_net = api.network(name="nosubnet")
    no_subnet_port = api.port(bare_net["id"], name="nosub")
    for port in (bare, no_subnet_port):
        rejected(central, lambda p=port: api.put(url, {"port_id": p["id"]}), 400,
                 f"Unable to attach port {port['id']} to router {r['id']}. Attaching by port "
                 "requires the port to have an ip from subnet assigned.")
    router_port = router_ports(api, other["id"])[0]
    rejected(central, lambda: api.put(url, {"port_id": router_port["id"]}), 400,
             f"Can not add {router_port['id']} to router. Port is already connected to a "
             "router")
    vm = api.port(net["id"], name="vm")
    rejected(central, lambda: api.put(f"/v2.0/routers/{other['id']}/add_router_interface",
                                      {"port_id": vm["id"]}), 400, "~already has a port")


def test_add_interface_by_port(api: Api, central: Central) -> None:
    net, sub = net_with_subnet(api, "10.31.6.0/24")
    port = api.port(net["id"], name="gwport", fixed_ips=[{"ip_address": "10.31.6.254"}],
                    port_security_enabled=True)
    assert nb_find(central, "Port_Group", name="DropAll")[0]["ports"]  # joined DropAll
    r = router(api, name="r-byport")
    body = add_interface(api, r["id"], port_id=port["id"])
    assert body == {"id": r["id"], "network_id": net["id"], "port_id": port["id"],
                    "subnet_id": sub["id"], "subnet_ids": [sub["id"]], "tenant_id": TENANT,
                    "project_id": TENANT}
    lsp = lsp_named(central, port["id"])  # keeps its name
    assert lsp is not None and lsp["type"] == "router" and lsp["addresses"] == "router"
    assert lsp["options"] == {"router-port": f"lrp{port['id']}"}
    assert as_list(lsp["port_security"]) == [] and as_list(lsp["dhcpv4_options"]) == []
    assert lsp["external_ids"]["ovirt_nic_name"] == "gwport"
    assert lsp["external_ids"]["ovirt_device_owner"] == "network:router_interface"
    assert lsp["external_ids"]["ovirt_device_id"] == r["id"]
    assert all(lsp["_uuid"] not in as_list(pg["ports"]) for pg in nb_rows(central,
                                                                          "Port_Group"))
    lrp = lrp_named(central, f"lrp{port['id']}")
    assert lrp is not None and lrp["mac"] == port["mac_address"]
    assert lrp["networks"] == "10.31.6.254/24"
    assert "gateway_router" not in nb_row(central, "DHCP_Options", sub["id"])["external_ids"]
    shown = api.show("ports", "port", port["id"])
    assert shown["mac_address"] == port["mac_address"] and shown["security_groups"] == []
    assert shown["fixed_ips"] == [{"ip_address": "10.31.6.254", "subnet_id": sub["id"]}]
    # a network may be attached by port to several routers
    second = router(api, name="r-byport-2")
    port2 = api.port(net["id"], name="gwport2")
    add_interface(api, second["id"], port_id=port2["id"])
    # removing by port deletes the LRP and the LSP (BZ 1531112)
    removed = remove_interface(api, r["id"], port_id=port["id"])
    assert removed == body
    assert lsp_named(central, port["id"]) is None
    assert lrp_named(central, f"lrp{port['id']}") is None
    check(api.get(f"/v2.0/ports/{port['id']}"), 404)


def test_remove_interface_by_subnet_answers_the_interface(api: Api, central: Central) -> None:
    net, sub = net_with_subnet(api, "10.31.7.0/24")
    r = router(api, name="r-rm")
    added = add_interface(api, r["id"], subnet_id=sub["id"])
    removed = remove_interface(api, r["id"], subnet_id=sub["id"])
    assert removed == added
    assert lsp_named(central, added["port_id"]) is None
    assert lrp_named(central, f"lrp{added['port_id']}") is None
    assert as_list(nb_row(central, "Logical_Router", r["id"])["ports"]) == []
    assert "gateway_router" not in nb_row(central, "DHCP_Options", sub["id"])["external_ids"]
    assert api.delete(f"/v2.0/subnets/{sub['id']}").status_code == 204
    assert api.delete(f"/v2.0/routers/{r['id']}").status_code == 204


def test_remove_interface_by_port_clears_gateway_router(api: Api, central: Central) -> None:
    net, sub = net_with_subnet(api, "10.31.8.0/24")
    r = router(api, name="r-rmport")
    added = add_interface(api, r["id"], subnet_id=sub["id"])
    removed = remove_interface(api, r["id"], subnet_id=sub["id"], port_id=added["port_id"])
    assert removed == added
    assert "gateway_router" not in nb_row(central, "DHCP_Options", sub["id"])["external_ids"]
    again = add_interface(api, r["id"], subnet_id=sub["id"])
    assert remove_interface(api, r["id"], port_id=again["port_id"]) == again
    assert "gateway_router" not in nb_row(central, "DHCP_Options", sub["id"])["external_ids"]


def test_remove_interface_rejections(api: Api, central: Central) -> None:
    net, sub = net_with_subnet(api, "10.31.9.0/24")
    net2, sub2 = net_with_subnet(api, "10.31.10.0/24")
    r = router(api, name="r-rmrej")
    other = router(api, name="r-rmrej-other")
    added = add_interface(api, r["id"], subnet_id=sub["id"])
    on_other = add_interface(api, other["id"], subnet_id=sub2["id"])
    vm = api.port(net["id"], name="vm")
    url = f"/v2.0/routers/{r['id']}/remove_router_interface"
    rejected(central, lambda: api.put(url, {}), 400,
             "Either subnet_id or port_id must be specified.")
    # not attached: 404, as Neutron (docs/compatibility.md, "Routers and floating IPs")
    rejected(central, lambda: api.put(url, {"subnet_id": sub2["id"]}), 404,
             f"Subnet {sub2['id']} is not connected to router {r['id']}")
    rejected(central, lambda: api.put(url, {"port_id": vm["id"]}), 404,
             f"Port {vm['id']} is not connected to a router")
    rejected(central, lambda: api.put(url, {"port_id": on_other["port_id"]}), 404,
             f"Port {on_other['port_id']} is not connected to router {r['id']}")
    rejected(central, lambda: api.put(url, {"subnet_id": sub2["id"],
                                            "port_id": added["port_id"]}), 409,
             f"Port {added['port_id']} does not belong to subnet {sub2['id']}.")
    missing = str(uuid.uuid4())
    rejected(central, lambda: api.put(url, {"subnet_id": missing}), 404)
    rejected(central, lambda: api.put(url, {"port_id": missing}), 404)


def test_gateway_port_removed_through_remove_interface(api: Api, central: Central) -> None:
    ext, sub = net_with_subnet(api, "172.30.10.0/24", external=True)
    r = router(api, name="r-rmgw", external_gateway_info=gateway_info(
        ext, sub, "172.30.10.10", enable_snat=False))
    gw = nb_row(central, "Logical_Router", r["id"])["external_ids"]["ovirt_gateway_port"]
    removed = remove_interface(api, r["id"], port_id=gw)
    assert removed["port_id"] == gw and removed["subnet_id"] == sub["id"]
    shown = api.show("routers", "router", r["id"])
    assert shown["external_gateway_info"] is None and shown["routes"] == []
    assert exclude_ips(central, ext["id"]) == []
    assert "ovirt_gateway_port" not in nb_row(central, "Logical_Router",
                                              r["id"])["external_ids"]


def test_delete_router_with_gateway_only(api: Api, central: Central) -> None:
    ext, sub = net_with_subnet(api, "172.30.11.0/24", external=True)
    net, inner = net_with_subnet(api, "10.31.11.0/24")
    r = router(api, name="r-delgw", external_gateway_info=gateway_info(
        ext, sub, "172.30.11.10", enable_snat=False))
    gw = nb_row(central, "Logical_Router", r["id"])["external_ids"]["ovirt_gateway_port"]
    added = add_interface(api, r["id"], subnet_id=inner["id"])
    # 409 and nothing changed (the gateway is still there)
    rejected(central, lambda: api.delete(f"/v2.0/routers/{r['id']}"), 409,
             f"Router {r['id']} still has ports")
    remove_interface(api, r["id"], port_id=added["port_id"])
    assert api.delete(f"/v2.0/routers/{r['id']}").status_code == 204
    assert lsp_named(central, gw) is None and lrp_named(central, f"lrp{gw}") is None
    assert exclude_ips(central, ext["id"]) == []
    assert all(row["_uuid"] != r["id"] for row in nb_rows(central, "Logical_Router"))
    assert api.delete(f"/v2.0/networks/{ext['id']}").status_code == 204


# -- predecessor data ---------------------------------------------------------------------------
def test_predecessor_router_reads_back(api: Api, central: Central) -> None:
    """A router written the way ovirt-provider-ovn wrote it, with ovn-nbctl."""
    ext, sub = net_with_subnet(api, "172.30.12.0/24", external=True)
    net, inner = net_with_subnet(api, "10.31.12.0/24")
    gw_lsp, if_lsp = str(uuid.uuid4()), str(uuid.uuid4())
    lr = central.nbctl("create", "Logical_Router", "name=legacy", "enabled=true",
                       f"external_ids:ovirt_gateway_port={gw_lsp}").strip()
    for lsp, ls, owner, mac, networks in (
            (gw_lsp, ext["id"], "network:router_gateway", "00:1a:4a:16:01:70",
             "172.30.12.50/24"),
            (if_lsp, net["id"], "network:router_interface", "00:1a:4a:16:01:71",
             "10.31.12.1/24")):
        central.nbctl("lsp-add", ls, lsp, "--", "lsp-set-type", lsp, "router", "--",
                      "lsp-set-addresses", lsp, "router", "--",
                      "lsp-set-options", lsp, f"router-port=lrp{lsp}", "--",
                      "set", "Logical_Switch_Port", lsp, "external_ids:ovirt_nic_name=router_port",
                      f"external_ids:ovirt_device_owner={owner}",
                      f"external_ids:ovirt_device_id={lr}")
        central.nbctl("lrp-add", lr, f"lrp{lsp}", mac, networks)
    central.nbctl("lr-route-add", lr, "0.0.0.0/0", "172.30.12.1")
    central.nbctl("lr-route-add", lr, "192.168.77.0/24", "10.31.12.9")
    central.nbctl("set", "Logical_Switch", ext["id"], "other_config:exclude_ips=172.30.12.50")
    central.nbctl("set", "DHCP_Options", inner["id"], f"external_ids:gateway_router={lr}")
    central.nbctl("--wait=sb", "sync")
    eventually(lambda: len(api.show("routers", "router", lr)["routes"]) == 2 and len(
        router_ports(api, lr)) == 2 and api.show("routers", "router", lr)[
        "external_gateway_info"])
    r = api.show("routers", "router", lr)
    assert r["name"] == "legacy" and r["admin_state_up"] is True and r["status"] == "ACTIVE"
    assert r["external_gateway_info"] == {
        "network_id": ext["id"], "enable_snat": False,
        "external_fixed_ips": [{"subnet_id": sub["id"], "ip_address": "172.30.12.50"}]}
    assert r["routes"] == [{"destination": "192.168.77.0/24", "nexthop": "10.31.12.9"},
                           {"destination": "0.0.0.0/0", "nexthop": "172.30.12.1"}]
    ports = {p["id"]: p for p in router_ports(api, lr)}
    assert set(ports) == {gw_lsp, if_lsp}
    assert ports[gw_lsp]["mac_address"] == "00:1a:4a:16:01:70"
    assert ports[if_lsp]["fixed_ips"] == [{"ip_address": "10.31.12.1",
                                           "subnet_id": inner["id"]}]
    # rename and routes update keep the gateway route; the subnet is seen as attached
    api.put(f"/v2.0/routers/{lr}", {"router": {"name": "legacy2", "routes": []}})
    assert routes_of(central, lr) == {("0.0.0.0/0", "172.30.12.1")}
    check(api.put(f"/v2.0/routers/{lr}/add_router_interface", {"subnet_id": inner["id"]}), 400)
    assert remove_interface(api, lr, subnet_id=inner["id"])["port_id"] == if_lsp
    assert "gateway_router" not in nb_row(central, "DHCP_Options", inner["id"])["external_ids"]
    gone = api.put(f"/v2.0/routers/{lr}", {"router": {"external_gateway_info": None}})
    assert gone.json()["router"]["external_gateway_info"] is None
    assert exclude_ips(central, ext["id"]) == [] and routes_of(central, lr) == set()
    assert api.delete(f"/v2.0/routers/{lr}").status_code == 204


def test_foreign_router_is_listed(api: Api, central: Central) -> None:
    lr = central.nbctl("create", "Logical_Router", "name=foreign-lr").strip()
    listed = eventually(lambda: {r["id"]: r for r in api.get("/v2.0/routers").json()["routers"]
                                 if r["id"] == lr})
    assert listed[lr]["name"] == "foreign-lr" and listed[lr]["external_gateway_info"] is None
    central.nbctl("lr-del", lr)


def test_floatingips_without_chassis(api: Api, central: Central) -> None:
    response = api.get("/v2.0/floatingips")
    assert response.status_code == 200 and isinstance(response.json()["floatingips"], list)
    ext, _ = net_with_subnet(api, "172.30.13.0/24", external=True)
    rejected(central, lambda: api.post("/v2.0/floatingips", {"floatingip": {
        "floating_network_id": ext["id"]}}), 501)


def test_overlapping_subnets_are_refused(api: Api, central: Central) -> None:
    net, sub = net_with_subnet(api, "10.31.14.0/24")
    twin, twin_sub = net_with_subnet(api, "10.31.14.0/25", gateway="10.31.14.126",
                                     external=True)
    r = router(api, name="r-overlap")
    add_interface(api, r["id"], subnet_id=sub["id"])
    url = f"/v2.0/routers/{r['id']}/add_router_interface"
    rejected(central, lambda: api.put(url, {"subnet_id": twin_sub["id"]}), 400, "~overlaps")
    twin_port = api.port(twin["id"], name="twin", fixed_ips=[{"ip_address": "10.31.14.100"}])
    rejected(central, lambda: api.put(url, {"port_id": twin_port["id"]}), 400, "~overlaps")
    rejected(central, lambda: api.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": gateway_info(twin, twin_sub, enable_snat=False)}}), 400,
        "~overlaps")


def test_network_router_external_flag(api: Api, central: Central) -> None:
    ext = api.network(name="public", **{"router:external": True})
    assert ext["router:external"] is True
    assert nb_row(central, "Logical_Switch", ext["id"])["external_ids"][
        "ovirt_router_external"] == "True"
    listed = api.get("/v2.0/networks", params={"router:external": "true"}).json()["networks"]
    assert ext["id"] in {n["id"] for n in listed}
    kept = api.put(f"/v2.0/networks/{ext['id']}", {"network": {"name": "public2"}})
    assert kept.json()["network"]["router:external"] is True
    off = api.put(f"/v2.0/networks/{ext['id']}", {"network": {"router:external": False}})
    assert off.json()["network"]["router:external"] is False
    assert "ovirt_router_external" not in nb_row(central, "Logical_Switch",
                                                 ext["id"])["external_ids"]
    rejected(central, lambda: api.post("/v2.0/networks", {"network": {
        "router:external": "yes"}}), 400, "router:external must be of type bool")


# -- two providers at once (docs/compatibility.md, "Concurrency")
# ---------------------------------------------------------
def _attach(client: Api, router_id: str, subnet_id: str, results: dict[str, httpx.Response],
            key: str) -> None:
    results[key] = client.put(f"/v2.0/routers/{router_id}/add_router_interface",
                              {"subnet_id": subnet_id})


def _remove(client: Api, router_id: str, results: dict[str, httpx.Response], key: str
            ) -> None:
    results[key] = client.delete(f"/v2.0/routers/{router_id}")


def test_two_providers_racing_on_routers_stay_consistent(api: Api, central: Central) -> None:
    """One provider attaches a subnet while a second deletes the router and attaches the
    same subnet to another router, at the same moment. The checks verify the router's
    ports and the subnet's external_ids, so the loser retries on the fresh replica: the
    answers are those of some serial order and no router LSP is left dangling."""
    with running(make_config(central.nb_remote)) as second:
        other = Api(second)
        try:
            for i in range(6):
                net, sub = net_with_subnet(api, f"10.{180 + i}.0.0/24")
                r1, r2 = router(api, name=f"race-a{i}"), router(api, name=f"race-b{i}")
                results: dict[str, httpx.Response] = {}
                threads = [
                    threading.Thread(target=_attach, args=(api, r1["id"], sub["id"], results,
                                                           "a1")),
                    threading.Thread(target=_remove, args=(other, r1["id"], results, "d1")),
                    threading.Thread(target=_attach, args=(other, r2["id"], sub["id"],
                                                           results, "a2"))]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(30)
                a1, d1, a2 = (results[k].status_code for k in ("a1", "d1", "a2"))
                # exactly one router got the subnet
                assert [a1, a2].count(200) == 1, (a1, a2, results["a1"].text,
                                                  results["a2"].text)
                if a1 == 200:
                    assert d1 == 409, results["d1"].text  # r1 has a port now
                else:
                    assert d1 in (204, 409), results["d1"].text
                central.nbctl("--wait=sb", "sync")
                # the one router LSP on the network has its LRP, on a router that exists
                router_lsps = [r for r in nb_rows(central, "Logical_Switch_Port")
                               if r["type"] == "router"
                               and r["external_ids"].get("ovirt_device_id") in (r1["id"],
                                                                                r2["id"])]
                assert len(router_lsps) == 1, router_lsps
                lrp = lrp_named(central, router_lsps[0]["options"]["router-port"])
                assert lrp is not None
                owner = router_lsps[0]["external_ids"]["ovirt_device_id"]
                assert lrp["_uuid"] in as_list(nb_row(central, "Logical_Router",
                                                      owner)["ports"])
        finally:
            other.close()
