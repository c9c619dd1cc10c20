"""Router external gateways as Neutron clients set them (docs/routers.md): by network
alone, dual-stack, several fixed IPs given by subnet, address or both; update, reset and
unset; no double reservation of the gateway address (ovn-northd's "Duplicate IP set").
The traffic the gateway carries is proven with ovn-trace (bed from test_router_trace)."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

from ovn_provider.ovn.central import Central
from tests.functional import test_router_trace as T
from tests.functional.test_router_trace import Bed, outputs_to, router_mac, trace
from tests.functional.test_routers import (
    add_interface,
    check,
    exclude_ips,
    lrp_named,
    nb_row,
    rejected,
    router,
    routes_of,
)
from tests.support.provider import Api

_SEQ = iter(range(1, 200))
bed = T.bed  # the module's gateway chassis and SNAT-capable provider
tapi = T.tapi


def dual_stack_external(api: Api, n: int) -> dict[str, Any]:
    """An external network with an IPv4 and an IPv6 subnet, both with gateways."""
    ext = api.network(name=f"ext-{n}", **{"router:external": True})
    v4 = api.subnet(ext["id"], f"172.27.{n}.128/26", gateway_ip=f"172.27.{n}.129")
    v6 = api.subnet(ext["id"], f"fd00:27:{n}::/64", gateway_ip=f"fd00:27:{n}::1",
                    ipv6_address_mode="dhcpv6_stateful")
    return {"net": ext, "v4": v4, "v6": v6}


def gateway_port(central: Central, router_id: str) -> dict[str, Any]:
    name = nb_row(central, "Logical_Router", router_id)["external_ids"]["ovirt_gateway_port"]
    lrp = lrp_named(central, f"lrp{name}")
    assert lrp is not None
    return lrp


def networks(lrp: dict[str, Any]) -> list[str]:
    value = lrp["networks"]
    return value if isinstance(value, list) else [value]


def test_gateway_by_network_alone_is_dual_stack(api: Api, central: Central) -> None:
    n = next(_SEQ)
    e = dual_stack_external(api, n)
    r = router(api, name="r-bynet", external_gateway_info={"network_id": e["net"]["id"]})
    info = r["external_gateway_info"]
    assert info["network_id"] == e["net"]["id"]
    fixed = info["external_fixed_ips"]
    assert [f["subnet_id"] for f in fixed] == [e["v4"]["id"], e["v6"]["id"]]
    v4, v6 = (f["ip_address"] for f in fixed)
    assert v4.startswith(f"172.27.{n}.") and v4 != f"172.27.{n}.129"
    assert v6.startswith(f"fd00:27:{n}::") and v6 != f"fd00:27:{n}::1"
    assert sorted(networks(gateway_port(central, r["id"]))) == sorted(
        [f"{v4}/26", f"{v6}/64"])
    assert routes_of(central, r["id"]) == {("0.0.0.0/0", f"172.27.{n}.129"),
                                           ("::/0", f"fd00:27:{n}::1")}
    assert exclude_ips(central, e["net"]["id"]) == []
    # the addresses are not handed out again
    port = api.port(e["net"]["id"], name="neighbour",
                    fixed_ips=[{"subnet_id": e["v4"]["id"]}, {"subnet_id": e["v6"]["id"]}])
    assert not {v4, v6} & {f["ip_address"] for f in port["fixed_ips"]}
    check(api.post("/v2.0/ports", {"port": {"network_id": e["net"]["id"],
                                            "fixed_ips": [{"ip_address": v4}]}}), 409)


def test_gateway_fixed_ips_by_subnet_address_or_both(api: Api, central: Central) -> None:
    n = next(_SEQ)
    e = dual_stack_external(api, n)
    r = router(api, name="r-fixed", external_gateway_info={
        "network_id": e["net"]["id"], "enable_snat": False, "external_fixed_ips": [
            {"subnet_id": e["v4"]["id"]},
            {"ip_address": f"fd00:27:{n}::50"},
            {"subnet_id": e["v4"]["id"], "ip_address": f"172.27.{n}.150"}]})
    fixed = r["external_gateway_info"]["external_fixed_ips"]
    assert len(fixed) == 3
    by_ip = {f["ip_address"]: f["subnet_id"] for f in fixed}
    assert by_ip[f"fd00:27:{n}::50"] == e["v6"]["id"]
    assert by_ip[f"172.27.{n}.150"] == e["v4"]["id"]
    [picked] = [ip for ip in by_ip if ip not in (f"fd00:27:{n}::50", f"172.27.{n}.150")]
    assert by_ip[picked] == e["v4"]["id"]
    assert len(networks(gateway_port(central, r["id"]))) == 3
    # one default route per family
    assert routes_of(central, r["id"]) == {("0.0.0.0/0", f"172.27.{n}.129"),
                                           ("::/0", f"fd00:27:{n}::1")}
    rejected(central, lambda: api.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": {"network_id": e["net"]["id"], "external_fixed_ips": [
            {"ip_address": "192.0.2.9"}]}}}), 400, "~not a valid IP for any subnet")
    # a subnet without gateway cannot serve: by network, only the IPv6 one is taken
    other = api.network(name=f"ext-bare-{n}", **{"router:external": True})
    bare = api.subnet(other["id"], f"172.26.{n}.0/24")
    v6 = api.subnet(other["id"], f"fd00:26:{n}::/64", gateway_ip=f"fd00:26:{n}::1",
                    ipv6_address_mode="dhcpv6_stateful")
    rejected(central, lambda: api.put(f"/v2.0/routers/{r['id']}", {"router": {
        "external_gateway_info": {"network_id": other["id"], "external_fixed_ips": [
            {"subnet_id": bare["id"]}]}}}), 400, "~cannot be used as external gateway")
    moved = api.put(f"/v2.0/routers/{r['id']}", {"router": {"external_gateway_info": {
        "network_id": other["id"]}}}).json()["router"]["external_gateway_info"]
    assert [f["subnet_id"] for f in moved["external_fixed_ips"]] == [v6["id"]]
    assert routes_of(central, r["id"]) == {("::/0", f"fd00:26:{n}::1")}


def test_gateway_update_reset_and_unset(api: Api, central: Central) -> None:
    n = next(_SEQ)
    e = dual_stack_external(api, n)
    r = router(api, name="r-upd")
    url = f"/v2.0/routers/{r['id']}"
    # set on update, by network alone
    set_ = api.put(url, {"router": {"external_gateway_info": {
        "network_id": e["net"]["id"]}}}).json()["router"]
    assert len(set_["external_gateway_info"]["external_fixed_ips"]) == 2
    port = gateway_port(central, r["id"])
    # the same network again without fixed IPs: nothing changes
    again = api.put(url, {"router": {"external_gateway_info": {
        "network_id": e["net"]["id"]}}}).json()["router"]
    assert again["external_gateway_info"] == set_["external_gateway_info"]
    # reset: same network, new fixed IPs; the port stays, only IPv4 is left
    reset = api.put(url, {"router": {"external_gateway_info": {
        "network_id": e["net"]["id"], "external_fixed_ips": [
            {"ip_address": f"172.27.{n}.140"}]}}}).json()["router"]
    assert reset["external_gateway_info"]["external_fixed_ips"] == [
        {"subnet_id": e["v4"]["id"], "ip_address": f"172.27.{n}.140"}]
    after = gateway_port(central, r["id"])
    assert after["_uuid"] == port["_uuid"] and networks(after) == [f"172.27.{n}.140/26"]
    assert routes_of(central, r["id"]) == {("0.0.0.0/0", f"172.27.{n}.129")}
    # the released addresses are free again
    freed = set_["external_gateway_info"]["external_fixed_ips"][1]["ip_address"]
    assert api.port(e["net"]["id"], name="reuse", fixed_ips=[{"ip_address": freed}])
    # unset with {} and with null
    for empty in ({}, None):
        gone = api.put(url, {"router": {"external_gateway_info": empty}}).json()["router"]
        assert gone["external_gateway_info"] is None and gone["routes"] == []
        assert "ovirt_gateway_port" not in nb_row(central, "Logical_Router",
                                                  r["id"])["external_ids"]
        api.put(url, {"router": {"external_gateway_info": {"network_id": e["net"]["id"]}}})
    # unknown network: 404; an internal one: 400; nothing changes
    rejected(central, lambda: api.put(url, {"router": {"external_gateway_info": {
        "network_id": str(uuid.uuid4())}}}), 404)
    internal = api.network(name=f"int-{n}")
    rejected(central, lambda: api.put(url, {"router": {"external_gateway_info": {
        "network_id": internal["id"]}}}), 400, f"Network {internal['id']} is not a valid "
        "external network")


def test_gateway_address_is_reserved_once(api: Api, central: Central) -> None:
    """ovn-northd reserves a router LSP's addresses in its IPAM; the same address in
    `exclude_ips` as well makes it log "Duplicate IP set" for every gateway."""
    n = next(_SEQ)
    e = dual_stack_external(api, n)
    r = router(api, name="r-dup", external_gateway_info={"network_id": e["net"]["id"]})
    v4 = r["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
    api.port(e["net"]["id"], name="dyn")  # makes ovn-northd run its IPAM on the switch
    central.nbctl("--wait=sb", "sync")
    with open(os.path.join(central.directory, "northd.log")) as log:
        duplicates = [line for line in log if "Duplicate IP set" in line]
    assert not [line for line in duplicates if line.rstrip().endswith(f" {v4}")], duplicates


def test_gateway_by_network_carries_traffic(tapi: Api, central: Central, bed: Bed) -> None:
    """With SNAT available the default is on, and IPv4 leaves with the picked gateway
    address; IPv6 is routed through the same gateway port, unchanged."""
    n = next(_SEQ)
    e = dual_stack_external(tapi, n)
    inner = tapi.network(name=f"inner-{n}")
    inner6 = tapi.network(name=f"inner6-{n}")
    in4 = tapi.subnet(inner["id"], f"10.27.{n}.0/24", gateway_ip=f"10.27.{n}.1")
    in6 = tapi.subnet(inner6["id"], f"fd00:28:{n}::/64", gateway_ip=f"fd00:28:{n}::1",
                      ipv6_address_mode="dhcpv6_stateful")
    r = router(tapi, name="r-traffic", external_gateway_info={"network_id": e["net"]["id"]})
    assert r["external_gateway_info"]["enable_snat"] is True
    gw4 = r["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
    add_interface(tapi, r["id"], subnet_id=in4["id"])
    add_interface(tapi, r["id"], subnet_id=in6["id"])
    host = tapi.port(e["net"]["id"], name="outside", fixed_ips=[
        {"ip_address": f"172.27.{n}.170"}, {"ip_address": f"fd00:27:{n}::70"}])
    out = trace(central, inner["id"], _ping(tapi, r["id"], tapi.port(inner["id"], name="vm4"),
                                           f"172.27.{n}.170"))
    assert re.search(rf"ct_snat[a-z_]*\(ip4\.src={re.escape(gw4)}\)", out), out
    assert outputs_to(out, host), out
    out = trace(central, inner6["id"], _ping(tapi, r["id"], tapi.port(inner6["id"],
                                                                     name="vm6"),
                                            f"fd00:27:{n}::70"))
    assert "ip.ttl--;" in out and "ct_snat" not in out and outputs_to(out, host), out


def _ping(api: Api, router_id: str, vm: dict[str, Any], dst: str) -> str:
    src = vm["fixed_ips"][0]["ip_address"]
    mac = router_mac(api, router_id, vm["network_id"])
    family = ("ip6", "icmp6.type == 128") if ":" in dst else ("ip4", "icmp4.type == 8")
    return (f'inport == "{vm["id"]}" && eth.src == {vm["mac_address"]} && eth.dst == {mac} '
            f"&& {family[0]}.src == {src} && {family[0]}.dst == {dst} && ip.ttl == 64 && "
            f"{family[1]}")


def test_extraroutes_keep_both_gateway_default_routes(api: Api, central: Central) -> None:
    """extraroute-atomic with a dual-stack gateway: both families' default routes are the
    gateway's, so adding or removing routes keeps them, and another default route is 400.
    A gateway change bumps the revision like any update."""
    n = next(_SEQ)
    e = dual_stack_external(api, n)
    r = router(api, name="r-atomic", external_gateway_info={"network_id": e["net"]["id"]})
    path = f"/v2.0/routers/{r['id']}"
    gateway = {("0.0.0.0/0", f"172.27.{n}.129"), ("::/0", f"fd00:27:{n}::1")}
    extra = {"destination": "10.77.0.0/16", "nexthop": f"172.27.{n}.140"}
    response = api.put(f"{path}/add_extraroutes", {"router": {"routes": [extra]}})
    assert response.status_code == 200, response.text
    assert extra in response.json()["router"]["routes"]
    assert routes_of(central, r["id"]) == gateway | {("10.77.0.0/16", f"172.27.{n}.140")}
    # removing the gateway's own default routes is ignored: they are not the user's
    own = [{"destination": d, "nexthop": h} for d, h in sorted(gateway)]
    response = api.put(f"{path}/remove_extraroutes", {"router": {"routes": [extra, *own]}})
    assert response.status_code == 200, response.text
    assert routes_of(central, r["id"]) == gateway
    rejected(central, lambda: api.put(f"{path}/add_extraroutes", {"router": {"routes": [
        {"destination": "::/0", "nexthop": f"fd00:27:{n}::99"}]}}), 400,
        "A default static route can not be added when an external gateway is defined on a "
        "router.")
    assert routes_of(central, r["id"]) == gateway
    # a route with a key besides destination and nexthop: refused, as in a router PUT
    odd = {**extra, "metric": 5}
    for action in ("add_extraroutes", "remove_extraroutes"):
        rejected(central, lambda action=action: api.put(f"{path}/{action}", {"router": {
            "routes": [odd]}}), 400,
            f"Invalid input for routes. Reason: '{odd}' has unexpected keys: metric.")
    before = api.get(path).json()["router"]["revision_number"]
    moved = {"network_id": e["net"]["id"], "external_fixed_ips": [{"subnet_id": e["v4"]["id"]}]}
    response = api.put(path, {"router": {"external_gateway_info": moved}})
    assert response.status_code == 200, response.text
    assert response.json()["router"]["revision_number"] == before + 1
    assert routes_of(central, r["id"]) == {("0.0.0.0/0", f"172.27.{n}.129")}
