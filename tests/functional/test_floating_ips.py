"""SNAT and floating IPs over a real NB (docs/routers.md).

These tests run a second provider with gateway chassis configured
(`[NETWORK] gateway-chassis`), which turns SNAT and floating IPs on. Routers that use
neither must stay fully distributed: no NAT rows, no gateway chassis.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.support.nat import nat_config
from tests.support.nb import as_list, nb_row
from tests.support.provider import Api, running
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
)
from tests.support.stamps import stamped


@pytest.fixture(scope="module")
def nat_provider(central: Central) -> Iterator[Provider]:
    with running(nat_config(central)) as prov:
        yield prov


@pytest.fixture()
def napi(nat_provider: Provider) -> Iterator[Api]:
    client = Api(nat_provider)
    try:
        yield client
    finally:
        client.close()


def lr_of(central: Central, router_id: str) -> dict[str, Any]:
    return nb_row(central, "Logical_Router", router_id)


def nat_rows(central: Central, router_id: str) -> list[dict[str, Any]]:
    return [nb_row(central, "NAT", ref) for ref in as_list(lr_of(central, router_id)["nat"])]


def snat_set(central: Central, router_id: str) -> set[tuple[str, str]]:
    return {(n["external_ip"], n["logical_ip"]) for n in nat_rows(central, router_id)
            if n["type"] == "snat"}


def gateway_lrp(central: Central, router_id: str) -> dict[str, Any]:
    name = lr_of(central, router_id)["external_ids"]["ovirt_gateway_port"]
    lrp = lrp_named(central, f"lrp{name}")
    assert lrp is not None
    return lrp


def chassis_of(central: Central, router_id: str) -> list[tuple[str, int]]:
    lrp = gateway_lrp(central, router_id)
    rows = [nb_row(central, "Gateway_Chassis", ref) for ref in as_list(lrp["gateway_chassis"])]
    for row in rows:
        assert row["external_ids"] == {"ovirt_gateway_chassis": "True"}
        assert row["name"] == f"{lrp['name']}_{row['chassis_name']}"
    return sorted(((r["chassis_name"], r["priority"]) for r in rows), key=lambda c: -c[1])


def fip(api: Api, **attrs: Any) -> dict[str, Any]:
    return api.create("floatingips", "floatingip", **attrs)


# -- SNAT ----------------------------------------------------------------------------------------
def test_snat_follows_interfaces_and_flag(napi: Api, central: Central) -> None:
    ext, esub = net_with_subnet(napi, "172.31.1.0/24", external=True)
    net_a, sub_a = net_with_subnet(napi, "10.32.1.0/24")
    net_b, sub_b = net_with_subnet(napi, "10.32.2.0/24")
    net6 = napi.network(name="v6")
    sub6 = napi.subnet(net6["id"], "fd00:32:6::/64", gateway_ip="fd00:32:6::1")
    r = router(napi, name="r-snat", external_gateway_info=gateway_info(ext, esub, "172.31.1.10"))
    assert r["external_gateway_info"]["enable_snat"] is True  # the default with a gateway
    assert lr_of(central, r["id"])["external_ids"]["ovirt_enable_snat"] == "True"
    assert nat_rows(central, r["id"]) == [] and chassis_of(central, r["id"]) == []
    add_interface(napi, r["id"], subnet_id=sub_a["id"])
    assert snat_set(central, r["id"]) == {("172.31.1.10", "10.32.1.0/24")}
    assert all(n["external_ids"] == {"ovirt_snat": "True"} for n in nat_rows(central, r["id"]))
    # the gateway port became a distributed gateway port on the configured chassis
    assert chassis_of(central, r["id"]) == [("gw-chassis-1", 32767), ("gw-chassis-2", 32766)]
    port_b = napi.port(net_b["id"], name="b-router", fixed_ips=[{"ip_address": "10.32.2.254"}])
    add_interface(napi, r["id"], port_id=port_b["id"])
    add_interface(napi, r["id"], subnet_id=sub6["id"])  # IPv6: no SNAT
    assert snat_set(central, r["id"]) == {("172.31.1.10", "10.32.1.0/24"),
                                          ("172.31.1.10", "10.32.2.0/24")}
    # a PUT without the key keeps SNAT
    napi.put(f"/v2.0/routers/{r['id']}", {"router": {"name": "r-snat-2"}})
    napi.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": gateway_info(ext, esub)}})
    assert napi.show("routers", "router", r["id"])["external_gateway_info"]["enable_snat"]
    assert len(snat_set(central, r["id"])) == 2
    # disabling SNAT: no NAT rows, and the router is fully distributed again
    off = napi.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": gateway_info(ext, esub, enable_snat=False)}}).json()["router"]
    assert off["external_gateway_info"]["enable_snat"] is False
    assert nat_rows(central, r["id"]) == [] and chassis_of(central, r["id"]) == []
    napi.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": gateway_info(ext, esub)}})  # still off
    assert nat_rows(central, r["id"]) == []
    napi.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": gateway_info(ext, esub, enable_snat=True)}})
    assert len(snat_set(central, r["id"])) == 2
    # interfaces and gateway changes carry the rows along
    remove_interface(napi, r["id"], subnet_id=sub_a["id"])
    assert snat_set(central, r["id"]) == {("172.31.1.10", "10.32.2.0/24")}
    napi.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": gateway_info(ext, esub, "172.31.1.11")}})
    assert snat_set(central, r["id"]) == {("172.31.1.11", "10.32.2.0/24")}
    assert chassis_of(central, r["id"])[0] == ("gw-chassis-1", 32767)
    napi.put(f"/v2.0/routers/{r['id']}", {"router": {"external_gateway_info": None}})
    assert nat_rows(central, r["id"]) == []
    assert "ovirt_enable_snat" not in lr_of(central, r["id"])["external_ids"]


def test_router_without_gateway_stays_distributed(napi: Api, central: Central) -> None:
    net_a, sub_a = net_with_subnet(napi, "10.32.3.0/24")
    r = router(napi, name="r-plain")
    add_interface(napi, r["id"], subnet_id=sub_a["id"])
    lr = lr_of(central, r["id"])
    assert as_list(lr["nat"]) == [] and "ovirt_enable_snat" not in lr["external_ids"]
    for ref in as_list(lr["ports"]):
        lrp = nb_row(central, "Logical_Router_Port", ref)
        assert as_list(lrp["gateway_chassis"]) == [] and as_list(lrp["ha_chassis_group"]) == []


# -- floating IPs ----------------------------------------------------------------------------
_SEQ = itertools.count(10)


@pytest.fixture()
def topo(napi: Api) -> dict[str, Any]:
    """An external network, a router with a gateway (SNAT off) and an interface on an
    internal network with a VM port. `n` keeps each test's address ranges apart."""
    n = next(_SEQ)
    prefix = f"172.31.{n}"
    ext, esub = net_with_subnet(napi, f"{prefix}.0/24", external=True)
    net, sub = net_with_subnet(napi, f"10.33.{n}.0/24")
    r = router(napi, name="r-fip", external_gateway_info=gateway_info(
        ext, esub, f"{prefix}.2", enable_snat=False))
    iface = add_interface(napi, r["id"], subnet_id=sub["id"])
    vm = napi.port(net["id"], name="vm")
    return {"ext": ext, "esub": esub, "net": net, "sub": sub, "router": r, "vm": vm,
            "prefix": prefix, "iface": iface, "n": n}


def test_floating_ip_lifecycle(napi: Api, central: Central, topo: dict[str, Any]) -> None:
    ext, r, vm, prefix = topo["ext"], topo["router"], topo["vm"], topo["prefix"]
    created = fip(napi, floating_network_id=ext["id"], floating_ip_address=f"{prefix}.50",
                  description="web")
    assert created == {
        "id": created["id"], "floating_ip_address": f"{prefix}.50",
        "floating_network_id": ext["id"], "router_id": None, "port_id": None,
        "fixed_ip_address": None, "status": "DOWN", "tenant_id": TENANT,
        "project_id": TENANT, "description": "web", "tags": [], **stamped(created)}
    ls = nb_row(central, "Logical_Switch", ext["id"])
    assert ls["external_ids"][f"ovirt_floating_ip:{created['id']}"] == f"{prefix}.50"
    assert f"{prefix}.50" in exclude_ips(central, ext["id"])
    assert nat_rows(central, r["id"]) == []
    assert created in napi.get("/v2.0/floatingips").json()["floatingips"]
    assert napi.show("floatingips", "floatingip", created["id"]) == created
    # associate
    fixed = vm["fixed_ips"][0]["ip_address"]
    response = napi.put(f"/v2.0/floatingips/{created['id']}",
                        {"floatingip": {"port_id": vm["id"]}})
    assert response.status_code == 200, response.text
    assoc = response.json()["floatingip"]
    assert assoc["status"] == "ACTIVE" and assoc["router_id"] == r["id"]
    assert assoc["port_id"] == vm["id"] and assoc["fixed_ip_address"] == fixed
    [nat] = nat_rows(central, r["id"])
    assert nat["type"] == "dnat_and_snat" and nat["external_ip"] == f"{prefix}.50"
    assert nat["logical_ip"] == fixed
    assert nat["external_ids"] == {"ovirt_fip_id": created["id"], "ovirt_fip_port_id": vm["id"]}
    assert chassis_of(central, r["id"]) == [("gw-chassis-1", 32767), ("gw-chassis-2", 32766)]
    # a description update keeps the association
    kept = napi.put(f"/v2.0/floatingips/{created['id']}",
                    {"floatingip": {"description": "www"}}).json()["floatingip"]
    assert kept["port_id"] == vm["id"] and kept["description"] == "www"
    assert [n["_uuid"] for n in nat_rows(central, r["id"])] == [nat["_uuid"]]
    # disassociate: NAT and chassis gone (SNAT is off on this router)
    down = napi.put(f"/v2.0/floatingips/{created['id']}",
                    {"floatingip": {"port_id": None}}).json()["floatingip"]
    assert down["status"] == "DOWN" and down["router_id"] is None and down["port_id"] is None
    assert nat_rows(central, r["id"]) == [] and chassis_of(central, r["id"]) == []
    # create associated, with an allocated address
    second = fip(napi, floating_network_id=ext["id"], port_id=vm["id"],
                 fixed_ip_address=fixed)
    assert second["status"] == "ACTIVE" and second["fixed_ip_address"] == fixed
    address = second["floating_ip_address"]
    assert address.startswith(prefix + ".") and address not in (f"{prefix}.1", f"{prefix}.2",
                                                                f"{prefix}.50")
    assert address in exclude_ips(central, ext["id"])
    # delete: the NAT row, the reservation and the record go
    for item in (created, second):
        assert napi.delete(f"/v2.0/floatingips/{item['id']}").status_code == 204
        check(napi.get(f"/v2.0/floatingips/{item['id']}"), 404)
    assert nat_rows(central, r["id"]) == [] and chassis_of(central, r["id"]) == []
    assert exclude_ips(central, ext["id"]) == []  # the gateway address is not in it
    assert not any(k.startswith("ovirt_floating_ip") for k in
                   nb_row(central, "Logical_Switch", ext["id"])["external_ids"])


def test_floating_ip_rejections(napi: Api, central: Central, topo: dict[str, Any]) -> None:
    ext, esub, vm, prefix = topo["ext"], topo["esub"], topo["vm"], topo["prefix"]
    other_net, other_sub = net_with_subnet(napi, f"10.34.{topo['n']}.0/24")
    stray = napi.port(other_net["id"], name="unrouted")
    v6_net = napi.network(name="fip-v6", **{"router:external": True})
    napi.subnet(v6_net["id"], f"fd00:34:{topo['n']}::/64")
    v6_port = napi.port(v6_net["id"], name="v6only")
    post = "/v2.0/floatingips"

    def create(**body: Any) -> Any:
        return lambda: napi.post(post, {"floatingip": body})

    rejected(central, create(), 400, "floating_network_id is a required parameter")
    rejected(central, create(floating_network_id=str(uuid.uuid4())), 400, "~does not exist")
    rejected(central, create(floating_network_id="not-a-uuid"), 400,
             "Network not-a-uuid does not exist")
    rejected(central, create(floating_network_id=v6_net["id"]), 400, "~no IPv4 subnet")
    # a network that is not router:external, as in Neutron
    rejected(central, create(floating_network_id=other_net["id"], port_id=stray["id"]), 400,
             f"Bad floatingip request: Network {other_net['id']} is not a valid external "
             "network.")
    rejected(central, create(floating_network_id=ext["id"], floating_ip_address="10.99.0.1"),
             400, "~is not in a subnet")
    rejected(central, create(floating_network_id=ext["id"], floating_ip_address="fd00::1"),
             400)
    rejected(central, create(floating_network_id=ext["id"], floating_ip_address=f"{prefix}.2"),
             409, "~already allocated")
    rejected(central, create(floating_network_id=ext["id"], floating_ip_address=f"{prefix}.1"),
             409)
    rejected(central, create(floating_network_id=ext["id"], subnet_id=str(uuid.uuid4())), 400)
    rejected(central, create(floating_network_id=ext["id"], fixed_ip_address="10.0.0.1"), 400,
             "fixed_ip_address cannot be specified without a port_id")
    rejected(central, create(floating_network_id=ext["id"], port_id=str(uuid.uuid4())), 400,
             "~does not exist")
    rejected(central, create(floating_network_id=ext["id"], port_id=v6_port["id"]), 400,
             "~has no fixed IPv4 addresses")
    rejected(central, create(floating_network_id=ext["id"], port_id=stray["id"]), 404,
             f"~External network {ext['id']} is not reachable from subnet {other_sub['id']}")
    rejected(central, create(floating_network_id=ext["id"], port_id=vm["id"],
                             fixed_ip_address="10.99.0.7"), 400, "~does not have fixed ip")
    rejected(central, create(floating_network_id=ext["id"], port_id=topo["iface"]["port_id"]),
             400, "~router port")
    first = fip(napi, floating_network_id=ext["id"], port_id=vm["id"])
    rejected(central, create(floating_network_id=ext["id"], port_id=vm["id"]), 409,
             "~already has a floating IP on external network")
    spare = fip(napi, floating_network_id=ext["id"], subnet_id=esub["id"])
    rejected(central, lambda: napi.put(f"/v2.0/floatingips/{spare['id']}",
                                       {"floatingip": {"port_id": vm["id"]}}), 409)
    rejected(central, lambda: napi.put(f"/v2.0/floatingips/{spare['id']}",
                                       {"floatingip": {"fixed_ip_address": "10.0.0.1"}}), 400)
    rejected(central, lambda: napi.put(f"/v2.0/floatingips/{spare['id']}", {"floatingip": {
        "floating_network_id": other_net["id"]}}), 400)
    missing = str(uuid.uuid4())
    for response in (napi.get(f"{post}/{missing}"), napi.delete(f"{post}/{missing}"),
                     napi.put(f"{post}/{missing}", {"floatingip": {"port_id": None}})):
        check(response, 404, f"Floating IP {missing} could not be found")
    for item in (first, spare):
        assert napi.delete(f"{post}/{item['id']}").status_code == 204


def test_floating_ip_keeps_its_router_in_place(napi: Api, central: Central,
                                               topo: dict[str, Any]) -> None:
    ext, esub, r, vm, sub = topo["ext"], topo["esub"], topo["router"], topo["vm"], topo["sub"]
    other_ext, other_esub = net_with_subnet(napi, f"172.31.{100 + topo['n']}.0/24", external=True)
    item = fip(napi, floating_network_id=ext["id"], port_id=vm["id"])
    rid = r["id"]
    rejected(central, lambda: napi.put(f"/v2.0/routers/{rid}/remove_router_interface",
                                       {"subnet_id": sub["id"]}), 409,
             "~cannot be deleted, as it is required by one or more floating IPs.")
    rejected(central, lambda: napi.put(f"/v2.0/routers/{rid}",
                                       {"router": {"external_gateway_info": None}}), 409,
             "~is required by one or more floating IPs.")
    rejected(central, lambda: napi.put(f"/v2.0/routers/{rid}", {"router": {
        "external_gateway_info": gateway_info(other_ext, other_esub)}}), 409)
    gw = lr_of(central, rid)["external_ids"]["ovirt_gateway_port"]
    rejected(central, lambda: napi.put(f"/v2.0/routers/{rid}/remove_router_interface",
                                       {"port_id": gw}), 409)
    rejected(central, lambda: napi.delete(f"/v2.0/routers/{rid}"), 409)
    other = router(napi, name="r-other")
    rejected(central, lambda: napi.put(f"/v2.0/routers/{other['id']}/add_router_interface",
                                       {"port_id": vm["id"]}), 409, "~has a floating IP")
    # a new gateway IP on the same network is fine: the floating IP stays
    moved = napi.put(f"/v2.0/routers/{rid}", {"router": {"external_gateway_info":
                                                         gateway_info(ext, esub)}})
    assert moved.status_code == 200
    assert napi.show("floatingips", "floatingip", item["id"])["status"] == "ACTIVE"
    assert napi.delete(f"/v2.0/floatingips/{item['id']}").status_code == 204
    remove_interface(napi, rid, subnet_id=sub["id"])
    assert napi.delete(f"/v2.0/routers/{rid}").status_code == 204
    assert exclude_ips(central, ext["id"]) == []


def test_session_provider_lists_floating_ips(napi: Api, api: Api, topo: dict[str, Any]
                                            ) -> None:
    item = fip(napi, floating_network_id=topo["ext"]["id"])
    # always listable; another provider instance sees it once its replica has it
    assert eventually(lambda: item["id"] in {
        f["id"] for f in api.get("/v2.0/floatingips").json()["floatingips"]})
    assert napi.delete(f"/v2.0/floatingips/{item['id']}").status_code == 204


def test_release_port_disassociates(napi: Api, central: Central, nat_provider: Provider,
                                    topo: dict[str, Any]) -> None:
    """The hook for port deletion: the port's floating IPs lose their NAT, stay allocated."""
    from ovn_provider.neutron import floating_ips

    item = fip(napi, floating_network_id=topo["ext"]["id"], port_id=topo["vm"]["id"])
    assert nat_rows(central, topo["router"]["id"])
    nat_provider.nb.transact(lambda w: floating_ips.release_port(
        w, nat_provider.cfg, topo["vm"]["id"]))
    assert nat_rows(central, topo["router"]["id"]) == []
    assert chassis_of(central, topo["router"]["id"]) == []
    shown = napi.show("floatingips", "floatingip", item["id"])
    assert shown["status"] == "DOWN" and shown["port_id"] is None
    assert item["floating_ip_address"] in exclude_ips(central, topo["ext"]["id"])
    assert napi.delete(f"/v2.0/floatingips/{item['id']}").status_code == 204


def test_deleting_the_external_network_deletes_its_floating_ips(napi: Api,
                                                                 central: Central) -> None:
    """As Neutron: unassociated floating IPs do not keep their network alive; they go
    with it (their records live on the external LS)."""
    ext, _ = net_with_subnet(napi, "172.31.250.0/24", external=True)
    first = fip(napi, floating_network_id=ext["id"])
    second = fip(napi, floating_network_id=ext["id"], description="d", tags=["t"])
    assert napi.delete(f"/v2.0/networks/{ext['id']}").status_code == 204
    for item in (first, second):
        check(napi.get(f"/v2.0/floatingips/{item['id']}"), 404)
    listed = {f["id"] for f in napi.get("/v2.0/floatingips").json()["floatingips"]}
    assert not listed & {first["id"], second["id"]}
