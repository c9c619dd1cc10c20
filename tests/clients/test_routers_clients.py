"""Routers, floating IPs and tags through the real clients (the `openstack` CLI and
openstacksdk), Keystone v2.0 and v3 (docs/routers.md; docs/compatibility.md, "Beyond the
predecessor"; docs/routers.md,
docs/tags.md).

SNAT and floating IPs need `[NETWORK] gateway-chassis`, so this module runs a second
provider with one configured, and registers that chassis in the SB as a host would. Each
CLI test is one `openstack` process fed its commands on stdin (tests/clients/conftest.py);
the networks and subnets around the routers are made through the API and every result is
checked against the API and the NB.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from openstack.exceptions import ConflictException

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.clients.conftest import Osc, auth_settings
from tests.support.provider import Api, make_config, running

# The SDK's own notices about its future API (openstack.warnings): not about the provider.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

CHASSIS = "osc-gw-chassis"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def octet() -> int:
    return uuid.uuid4().int % 200 + 20


# -- a provider with a gateway chassis ----------------------------------------------------------
@pytest.fixture(scope="module")
def nat_provider(central: Central) -> Iterator[Provider]:
    central.sbctl("--may-exist", "chassis-add", CHASSIS, "geneve", "127.0.0.1")
    try:
        cfg = make_config(central.nb_remote, **{"NETWORK/gateway-chassis": CHASSIS})
        with running(cfg) as prov:
            yield prov
    finally:
        central.sbctl("--if-exists", "chassis-del", CHASSIS)


@pytest.fixture(scope="module")
def napi(nat_provider: Provider) -> Iterator[Api]:
    client = Api(nat_provider)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture()
def nosc(nat_provider: Provider, identity_version: str) -> Iterator[Osc]:
    home = tempfile.mkdtemp(prefix="ovnp-osc-")
    try:
        yield Osc(nat_provider, identity_version, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture()
def nsdk(nat_provider: Provider, identity_version: str) -> Iterator[Any]:
    import openstack.connection

    conn = openstack.connection.Connection(**auth_settings(nat_provider, identity_version))
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture()
def topo(napi: Api) -> Iterator[dict[str, Any]]:
    """An external network and two internal networks (each with an IPv4 subnet), a port
    to attach as a router interface and a VM port; removed afterwards."""
    n = octet()
    ext = napi.network(name=unique("ext"), **{"router:external": True})
    esub = napi.subnet(ext["id"], f"172.28.{n}.0/24", gateway_ip=f"172.28.{n}.1",
                       name=unique("esub"))
    net_a = napi.network(name=unique("int-a"))
    sub_a = napi.subnet(net_a["id"], f"10.{n}.1.0/24", gateway_ip=f"10.{n}.1.1",
                        name=unique("sub-a"))
    net_b = napi.network(name=unique("int-b"))
    sub_b = napi.subnet(net_b["id"], f"10.{n}.2.0/24", gateway_ip=f"10.{n}.2.1")
    iface = napi.port(net_b["id"], name=unique("iface"),
                      fixed_ips=[{"ip_address": f"10.{n}.2.254"}])
    vm = napi.port(net_a["id"], name=unique("vm"))
    topology = {"n": n, "ext": ext, "esub": esub, "net_a": net_a, "sub_a": sub_a,
                "net_b": net_b, "sub_b": sub_b, "iface": iface, "vm": vm}
    yield topology
    # whatever a failed test left behind, then the topology itself
    for fip in napi.get("/v2.0/floatingips").json()["floatingips"]:
        if fip["floating_network_id"] == ext["id"]:
            napi.delete(f"/v2.0/floatingips/{fip['id']}")
    for router in napi.get("/v2.0/routers").json()["routers"]:
        gw = router["external_gateway_info"] or {}
        ports = napi.get("/v2.0/ports", params={"device_id": router["id"]}).json()["ports"]
        if gw.get("network_id") != ext["id"] and not any(
                p["network_id"] in (net_a["id"], net_b["id"]) for p in ports):
            continue
        for port in ports:
            if port["device_owner"] == "network:router_interface":
                napi.put(f"/v2.0/routers/{router['id']}/remove_router_interface",
                         {"port_id": port["id"]})
        napi.delete(f"/v2.0/routers/{router['id']}")
    for port in (vm, iface):
        napi.delete(f"/v2.0/ports/{port['id']}")
    for subnet, net in ((esub, ext), (sub_a, net_a), (sub_b, net_b)):
        napi.delete(f"/v2.0/subnets/{subnet['id']}")
        assert napi.delete(f"/v2.0/networks/{net['id']}").status_code == 204


def nat_rows(central: Central, router_id: str) -> list[dict[str, Any]]:
    """The router's NAT rows as (type, external_ip, logical_ip) dicts."""
    refs = json.loads(central.nbctl("--format=json", "--columns=nat", "list",
                                    "Logical_Router", router_id))["data"][0][0]
    uuids = [refs[1]] if refs[0] == "uuid" else [u for _, u in refs[1]]
    rows = []
    for ref in uuids:
        doc = json.loads(central.nbctl("--format=json", "--columns=type,external_ip,logical_ip",
                                       "list", "NAT", ref))
        kind, external, logical = doc["data"][0]
        rows.append({"type": kind, "external_ip": external, "logical_ip": logical})
    return rows


# -- openstackclient ------------------------------------------------------------------------------
def test_router_floating_ip_and_tags_with_the_cli(nosc: Osc, napi: Api, central: Central,
                                                  topo: dict[str, Any]) -> None:
    n, ext, esub = topo["n"], topo["ext"], topo["esub"]
    sub_a, iface, vm = topo["sub_a"], topo["iface"], topo["vm"]
    name, renamed, tagged = unique("osc-r"), unique("osc-r"), unique("osc-tags")
    fip = f"172.28.{n}.50"
    route = f"destination=192.168.{n}.0/24,gateway=10.{n}.1.254"
    route2 = f"destination=192.168.{n + 1}.0/24,gateway=10.{n}.1.253"
    vm_ip = vm["fixed_ips"][0]["ip_address"]
    out = nosc.batch(
        # routers
        ["router", "create", "-f", "json", "--description", "first", "--external-gateway",
         ext["name"], "--fixed-ip", f"subnet={esub['name']},ip-address=172.28.{n}.10",
         "--enable-snat", "--tag", "red", name],
        ["router", "list", "-f", "json", "--name", name],
        ["router", "add", "subnet", name, sub_a["name"]],
        ["router", "add", "port", name, iface["id"]],
        ["router", "set", "--name", renamed, "--description", "second", "--route", route,
         name],
        ["router", "show", "-f", "json", renamed],
        ["router", "unset", "--route", route, "--tag", "red", renamed],
        ["router", "set", "--route", route2, "--tag", "blue", renamed],
        ["router", "show", "-f", "json", renamed],
        ["router", "set", "--no-route", renamed],
        ["router", "show", "-f", "json", renamed],
        ["router", "set", "--external-gateway", ext["id"], "--fixed-ip",
         f"subnet={esub['id']},ip-address=172.28.{n}.10", "--disable-snat", renamed],
        ["router", "show", "-f", "json", renamed],
        # floating IPs
        ["floating", "ip", "create", "-f", "json", "--floating-ip-address", fip, "--port",
         vm["id"], "--description", "web", ext["name"]],
        ["floating", "ip", "list", "-f", "json", "--network", ext["id"]],
        ["floating", "ip", "unset", "--port", fip],
        ["floating", "ip", "show", "-f", "json", fip],
        ["floating", "ip", "set", "--port", vm["id"], "--fixed-ip-address", vm_ip, fip],
        ["floating", "ip", "show", "-f", "json", fip],
        ["floating", "ip", "delete", fip],
        # interfaces and gateway away, then the router
        ["router", "remove", "subnet", renamed, sub_a["name"]],
        ["router", "remove", "port", renamed, iface["id"]],
        ["router", "unset", "--external-gateway", renamed],
        ["router", "show", "-f", "json", renamed],
        ["router", "delete", renamed],
        # network tags and the tag filters
        ["network", "create", "-f", "json", "--tag", "a", "--tag", "b", tagged],
        ["network", "set", "--tag", "c", tagged],
        ["network", "unset", "--tag", "a", tagged],
        ["network", "show", "-f", "json", tagged],
        ["network", "list", "-f", "json", "--tags", "b,c"],
        ["network", "list", "-f", "json", "--any-tags", "a,c"],
        ["network", "list", "-f", "json", "--not-tags", "b,c"],
        ["network", "list", "-f", "json", "--not-any-tags", "c"],
        ["network", "delete", tagged])
    docs = [doc for doc in out if doc is not None]
    (created, listed, after_set, after_unset, no_route, snat_off, fip_created, fip_list,
     fip_down, fip_up, after_remove, net_created, net_shown, by_all, by_any, by_not_all,
     by_not_any) = docs
    rid = created["id"]
    gw_route = {"destination": "0.0.0.0/0", "nexthop": f"172.28.{n}.1"}
    assert created["name"] == name and created["description"] == "first"
    assert created["external_gateway_info"] == {
        "network_id": ext["id"], "enable_snat": True,
        "external_fixed_ips": [{"subnet_id": esub["id"], "ip_address": f"172.28.{n}.10"}]}
    assert created["tags"] == ["red"] and created["status"] == "ACTIVE"
    assert [r["ID"] for r in listed] == [rid]
    assert after_set["id"] == rid and after_set["name"] == renamed
    assert after_set["description"] == "second"
    assert {"destination": f"192.168.{n}.0/24", "nexthop": f"10.{n}.1.254"} in \
        after_set["routes"]
    assert gw_route in after_set["routes"]  # the gateway's route is listed
    assert sorted(i["subnet_id"] for i in after_set["interfaces_info"]) == sorted(
        [sub_a["id"], topo["sub_b"]["id"]])
    assert after_unset["routes"] == [
        {"destination": f"192.168.{n + 1}.0/24", "nexthop": f"10.{n}.1.253"}, gw_route]
    assert after_unset["tags"] == ["blue"]
    assert no_route["routes"] == [gw_route]  # the default route is protected
    assert snat_off["external_gateway_info"]["enable_snat"] is False
    assert snat_off["external_gateway_info"]["external_fixed_ips"] == \
        created["external_gateway_info"]["external_fixed_ips"]
    assert fip_created["floating_ip_address"] == fip
    assert fip_created["port_id"] == vm["id"] and fip_created["fixed_ip_address"] == vm_ip
    assert fip_created["router_id"] == rid and fip_created["status"] == "ACTIVE"
    assert fip_created["description"] == "web"
    assert [f["Floating IP Address"] for f in fip_list] == [fip]
    assert fip_down["port_id"] is None and fip_down["status"] == "DOWN"
    assert fip_up["port_id"] == vm["id"] and fip_up["fixed_ip_address"] == vm_ip
    assert after_remove["external_gateway_info"] is None
    assert after_remove["interfaces_info"] == [] and after_remove["routes"] == []
    assert napi.get(f"/v2.0/routers/{rid}").status_code == 404
    assert napi.get(f"/v2.0/ports/{iface['id']}").status_code == 404  # removed with the LRP
    assert napi.get("/v2.0/floatingips", params={"floating_network_id": ext["id"]}).json()[
        "floatingips"] == []
    # tags: create (a second call), set adds, unset removes; the filters
    net_id = net_created["id"]
    assert sorted(net_created["tags"]) == ["a", "b"]
    assert net_shown["tags"] == ["b", "c"]
    assert net_id in {x["ID"] for x in by_all} and net_id in {x["ID"] for x in by_any}
    assert net_id not in {x["ID"] for x in by_not_all}
    assert net_id not in {x["ID"] for x in by_not_any}
    assert ext["id"] in {x["ID"] for x in by_not_all} | {x["ID"] for x in by_not_any}
    assert napi.get(f"/v2.0/networks/{net_id}").status_code == 404
    assert nosc.processes == 1


# -- openstacksdk ---------------------------------------------------------------------------------
def test_router_floating_ip_and_tags_with_the_sdk(nsdk: Any, napi: Api, central: Central,
                                                  topo: dict[str, Any]) -> None:
    net = nsdk.network
    n, ext, esub = topo["n"], topo["ext"], topo["esub"]
    sub_a, iface, vm = topo["sub_a"], topo["iface"], topo["vm"]
    router = net.create_router(name=unique("sdk-r"), description="d", external_gateway_info={
        "network_id": ext["id"], "external_fixed_ips": [{"subnet_id": esub["id"]}]})
    assert router.external_gateway_info["enable_snat"] is True
    gw_ip = router.external_gateway_info["external_fixed_ips"][0]["ip_address"]
    added = net.add_interface_to_router(router, subnet_id=sub_a["id"])
    assert added["subnet_id"] == sub_a["id"] and added["id"] == router.id
    by_port = net.add_interface_to_router(router, port_id=iface["id"])
    assert by_port["port_id"] == iface["id"]
    assert {(r["type"], r["external_ip"], r["logical_ip"])
            for r in nat_rows(central, router.id)} == {
        ("snat", gw_ip, sub_a["cidr"]), ("snat", gw_ip, topo["sub_b"]["cidr"])}
    routed = net.update_router(router, routes=[
        {"destination": f"192.168.{n}.0/24", "nexthop": f"10.{n}.1.254"}])
    assert {"destination": f"192.168.{n}.0/24", "nexthop": f"10.{n}.1.254"} in routed.routes
    interfaces = list(net.ports(device_id=router.id))
    assert sorted(p.device_owner for p in interfaces) == [
        "network:router_gateway", "network:router_interface", "network:router_interface"]
    # floating IPs
    ip = net.create_ip(floating_network_id=ext["id"], port_id=vm["id"], description="web")
    assert ip.port_id == vm["id"] and ip.router_id == router.id and ip.status == "ACTIVE"
    assert ip.fixed_ip_address == vm["fixed_ips"][0]["ip_address"]
    assert {"type": "dnat_and_snat", "external_ip": ip.floating_ip_address,
            "logical_ip": ip.fixed_ip_address} in nat_rows(central, router.id)
    assert net.find_ip(ip.floating_ip_address).id == ip.id
    assert [i.id for i in net.ips(floating_network_id=ext["id"])] == [ip.id]
    down = net.update_ip(ip, port_id=None)
    assert down.port_id is None and down.status == "DOWN"
    up = net.update_ip(ip, port_id=vm["id"])
    assert up.port_id == vm["id"]
    # tags on the floating IP and the router
    net.set_tags(ip, ["x", "y"])
    assert net.get_ip(ip.id).tags == ["x", "y"]
    net.add_tag(router, "edge")
    assert net.check_tag(router, "edge") is not None
    assert net.get_router(router.id).tags == ["edge"]
    net.remove_tag(router, "edge")
    assert net.get_router(router.id).tags == []
    net.delete_ip(ip)
    assert net.find_ip(ip.id) is None
    # interfaces away (not while a route uses one: 409, as in Neutron), gateway away,
    # router away
    with pytest.raises(ConflictException, match="required by one or more routes"):
        net.remove_interface_from_router(router, subnet_id=sub_a["id"])
    net.update_router(router, routes=[])
    net.remove_interface_from_router(router, subnet_id=sub_a["id"])
    net.remove_interface_from_router(router, port_id=iface["id"])
    assert nat_rows(central, router.id) == []
    cleared = net.update_router(router, external_gateway_info=None, routes=[])
    assert cleared.external_gateway_info is None and cleared.routes == []
    net.delete_router(router)
    assert net.find_router(router.id) is None


def test_network_tags_with_the_sdk(nsdk: Any) -> None:
    net = nsdk.network
    label = uuid.uuid4().hex[:6]
    first = net.create_network(name=unique("sdk-tags"), tags=[f"{label}-a", f"{label}-b"])
    second = net.create_network(name=unique("sdk-tags"))
    try:
        assert first.tags == [f"{label}-a", f"{label}-b"]  # tag-creation: in the POST
        assert second.tags == []
        net.set_tags(second, [f"{label}-b", f"{label}-c"])
        assert net.get_tags(second) == [f"{label}-b", f"{label}-c"]
        ids = {"first": first.id, "second": second.id}

        def names(**query: str) -> set[str]:
            found = {n.id for n in net.networks(**query)}
            return {name for name, ident in ids.items() if ident in found}

        assert names(tags=f"{label}-b") == {"first", "second"}
        assert names(tags=f"{label}-a,{label}-b") == {"first"}
        assert names(any_tags=f"{label}-a,{label}-c") == {"first", "second"}
        assert names(not_tags=f"{label}-b,{label}-c") == {"first"}
        assert names(not_any_tags=f"{label}-a") == {"second"}
        net.remove_all_tags(second)
        assert net.get_network(second.id).tags == []
    finally:
        net.delete_network(first)
        net.delete_network(second)


def test_router_interface_by_port_with_the_gateway_address(osc: Osc, api: Api,
                                                           central: Central) -> None:
    """`openstack port create --fixed-ip subnet=S,ip-address=<gateway>`, then `openstack
    router add port`: the flow Neutron clients use to attach a router by port."""
    n = octet()
    net = api.network(name=unique("byport"))
    sub = api.subnet(net["id"], f"10.48.{n}.0/24", name=unique("byport-s"),
                     gateway_ip=f"10.48.{n}.1")
    port_name, router_name = unique("gwp"), unique("gwr")
    created, _, shown = osc.batch(
        ["port", "create", "-f", "json", "--network", net["id"], "--fixed-ip",
         f"subnet={sub['name']},ip-address=10.48.{n}.1", port_name],
        ["router", "create", "-f", "json", router_name],
        ["router", "show", "-f", "json", router_name])
    assert created["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": f"10.48.{n}.1"}]
    osc.run("router", "add", "port", router_name, created["id"])
    lrp = central.nbctl("--bare", "--columns=networks", "find", "Logical_Router_Port",
                        f"name=lrp{created['id']}").strip()
    assert lrp == f"10.48.{n}.1/24"
    ports = api.get("/v2.0/ports", params={"device_id": shown["id"]}).json()["ports"]
    assert [(p["id"], p["device_owner"]) for p in ports] == [
        (created["id"], "network:router_interface")]
    osc.run("router", "remove", "port", router_name, created["id"])
    osc.run("router", "delete", router_name)
