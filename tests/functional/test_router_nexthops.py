"""Static route nexthops as Neutron checks them (docs/routers.md, "Static routes"): a
nexthop must be on one of the router's subnets (interfaces or gateway) and must not be
the router's own address; an interface or gateway that routes still use cannot go. Every
refusal leaves the NB as it was."""

from __future__ import annotations

from typing import Any

from ovn_provider.ovn.central import Central
from tests.functional.test_routers import routes_of
from tests.support.provider import Api
from tests.support.router_checks import (
    add_interface,
    gateway_info,
    net_with_subnet,
    rejected,
    remove_interface,
    router,
)

NOT_CONNECTED = "the nexthop is not connected with router"


def _routes(api: Api, router_id: str, *pairs: tuple[str, str]) -> Any:
    return api.put(f"/v2.0/routers/{router_id}", {"router": {"routes": [
        {"destination": d, "nexthop": h} for d, h in pairs]}})


def test_put_routes_needs_a_connected_nexthop(api: Api, central: Central) -> None:
    r = router(api, name="r-hops")
    _, inner = net_with_subnet(api, "10.41.0.0/24")  # the router's address: 10.41.0.1
    rejected(central, lambda: _routes(api, r["id"], ("10.50.0.0/16", "10.41.0.9")), 400,
             "Invalid format for routes: [{'destination': '10.50.0.0/16', 'nexthop': "
             f"'10.41.0.9'}}], {NOT_CONNECTED}")
    add_interface(api, r["id"], subnet_id=inner["id"])
    assert _routes(api, r["id"], ("10.50.0.0/16", "10.41.0.9")).status_code == 200
    # one bad route refuses the whole set; the router's own address is refused too
    rejected(central, lambda: _routes(api, r["id"], ("10.50.0.0/16", "10.41.0.9"),
                                      ("10.51.0.0/16", "10.42.0.9")), 400, f"~{NOT_CONNECTED}")
    rejected(central, lambda: _routes(api, r["id"], ("10.52.0.0/16", "10.41.0.1")), 400,
             "~the nexthop is used by router")
    rejected(central, lambda: _routes(api, r["id"], ("fd00:52::/64", "fd00:41::9")), 400,
             f"~{NOT_CONNECTED}")
    assert routes_of(central, r["id"]) == {("10.50.0.0/16", "10.41.0.9")}


def test_interface_used_by_a_route_stays(api: Api, central: Central) -> None:
    r = router(api, name="r-inuse")
    _, a = net_with_subnet(api, "10.43.0.0/24")
    _, b = net_with_subnet(api, "10.44.0.0/24")
    add_interface(api, r["id"], subnet_id=a["id"])
    add_interface(api, r["id"], subnet_id=b["id"])
    assert _routes(api, r["id"], ("10.60.0.0/16", "10.43.0.9")).status_code == 200
    path = f"/v2.0/routers/{r['id']}/remove_router_interface"
    rejected(central, lambda: api.put(path, {"subnet_id": a["id"]}), 409,
             f"Router interface for subnet {a['id']} on router {r['id']} cannot be deleted, "
             "as it is required by one or more routes.")
    remove_interface(api, r["id"], subnet_id=b["id"])  # no route uses it
    assert _routes(api, r["id"]).status_code == 200
    remove_interface(api, r["id"], subnet_id=a["id"])
    assert routes_of(central, r["id"]) == set()


def test_gateway_used_by_a_route_stays(api: Api, central: Central) -> None:
    ext, sub = net_with_subnet(api, "172.30.16.0/24", external=True)
    ext2, sub2 = net_with_subnet(api, "172.30.17.0/24", external=True)
    gwi = gateway_info(ext, sub, "172.30.16.10", enable_snat=False)
    r = router(api, name="r-gwhop", external_gateway_info=gwi,
               routes=[{"destination": "10.62.0.0/16", "nexthop": "172.30.16.9"}])
    default = ("0.0.0.0/0", "172.30.16.1")
    assert routes_of(central, r["id"]) == {default, ("10.62.0.0/16", "172.30.16.9")}
    path = f"/v2.0/routers/{r['id']}"
    for change in (None, gateway_info(ext2, sub2, "172.30.17.10", enable_snat=False)):
        rejected(central, lambda body=change: api.put(path, {"router": {
            "external_gateway_info": body}}), 400, f"~{NOT_CONNECTED}")
    # the same request may drop the route, and a new address on the same subnet is fine
    moved = gateway_info(ext, sub, "172.30.16.11", enable_snat=False)
    assert api.put(path, {"router": {"external_gateway_info": moved}}).status_code == 200
    response = api.put(path, {"router": {"external_gateway_info": None, "routes": []}})
    assert response.status_code == 200, response.text
    assert routes_of(central, r["id"]) == set()
    # a gateway and a route through it in one request: the new port counts
    response = api.put(path, {"router": {"external_gateway_info": gwi, "routes": [
        {"destination": "10.63.0.0/16", "nexthop": "172.30.16.9"}]}})
    assert response.status_code == 200, response.text
    assert routes_of(central, r["id"]) == {default, ("10.63.0.0/16", "172.30.16.9")}
