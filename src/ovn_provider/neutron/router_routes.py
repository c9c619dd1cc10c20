"""A router's static routes (docs/routers.md): parsing, the protected default routes of
its gateway (one per IP family, router_gateway.current_routes), replacing the whole set
(a router PUT) and adding or removing some in one transaction (extraroute-atomic:
PUT /routers/{id}/add_extraroutes, remove_extraroutes)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ovn_provider.errors import BadRequest
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import router_gateway as GW
from ovn_provider.neutron import stamps
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.nb import Writer

#: Neutron's default `max_routes`: at most this many routes per router.
MAX_ROUTES = 30

Route = GW.Route  # (normalised destination CIDR, normalised nexthop)
GATEWAY_DEFAULT_ROUTE_MSG = ("A default static route can not be added when an external "
                             "gateway is defined on a router.")

def route_order(route: Any) -> tuple[bool, str, str]:
    return (RC.is_default(route.ip_prefix), route.ip_prefix, route.nexthop)


def listed_routes(lr: Any) -> list[Any]:
    """Destination-based routes of the main table: the ones the API shows and manages."""
    return [r for r in lr.static_routes
            if (not r.policy or r.policy == ["dst-ip"]) and not getattr(r, "route_table", "")]


def parse_routes(value: Any) -> list[Route]:
    if not isinstance(value, list):
        raise BadRequest("Invalid input for routes. Reason: a list of {destination, nexthop} "
                         "is expected.")
    result: list[Route] = []
    for item in value:
        if not isinstance(item, dict) or item.get("destination") is None \
                or item.get("nexthop") is None:
            raise BadRequest("Static route must have destination and nexthop specified.")
        dest = V.cidr(item["destination"], "destination")
        hop = V.ip_address(item["nexthop"], "nexthop")
        if dest.version != hop.version:
            raise BadRequest(f"Invalid route {item['destination']} via {item['nexthop']}: "
                             "destination and nexthop are of different IP versions")
        route = (str(dest), str(hop))
        if route not in result:
            result.append(route)
    return result


def default_route_check(routes: list[Route], gateway_routes: set[Route]) -> None:
    """With a gateway, the only default routes allowed are the gateway's own."""
    for route in routes:
        if RC.is_default(route[0]) and route not in gateway_routes:
            raise BadRequest(GATEWAY_DEFAULT_ROUTE_MSG)


def set_routes(w: Writer, lr: Any, routes: list[Route], gateway_routes: set[Route],
               has_gateway: bool) -> None:
    """`routes` is the full set of user routes; the gateway's default routes stay."""
    if has_gateway:
        default_route_check(routes, gateway_routes)
    wanted = [r for r in routes if not (has_gateway and r in gateway_routes)]
    existing: dict[Route, Any] = {}
    for row in listed_routes(lr):
        key = normal_route(row.ip_prefix, row.nexthop)
        if has_gateway and RC.is_default(row.ip_prefix) and (
                not gateway_routes or key in gateway_routes):
            continue  # the gateway's default routes are protected
        if key in existing or key not in wanted:
            lr.delvalue("static_routes", row)
            row.delete()
        else:
            existing[key] = row
    for prefix, hop in wanted:
        if (prefix, hop) not in existing:
            RC.add_route(w, lr, prefix, hop)


def normal_route(prefix: str, nexthop: str) -> Route:
    try:
        return (str(ipaddress.ip_network(prefix, strict=False)),
                str(ipaddress.ip_address(nexthop)))
    except ValueError:
        return (prefix, nexthop)


# -- extraroute-atomic ----------------------------------------------------------------------
def _body_routes(body: Any) -> list[Route]:
    router = body.get("router") if isinstance(body, dict) else None
    if not isinstance(router, dict) or set(router) != {"routes"}:
        raise BadRequest("Resource body required: {\"router\": {\"routes\": [...]}}")
    return parse_routes(router["routes"])


def change(ctx: Ctx, router_id: str, body: Any, adding: bool) -> None:
    """Add the body's routes to the router's (those present already stay once), or remove
    them (those absent are ignored), in one transaction; the gateway's default routes
    cannot be touched."""
    given = _body_routes(body)

    def write(w: Writer) -> None:
        lr = RC.get_router(w.idl, router_id)
        stamps.check(w, lr)
        gw = RC.gateway_of(w.idl, lr, w)
        protected = GW.current_routes(w.idl, gw)
        current = [normal_route(r.ip_prefix, r.nexthop) for r in listed_routes(lr)]
        current = [r for r in dict.fromkeys(current)
                   if not (gw is not None and RC.is_default(r[0]) and
                           (not protected or r in protected))]
        if adding:
            wanted = current + [r for r in given if r not in current]
        else:
            wanted = [r for r in current if r not in given]
        if len(wanted) > MAX_ROUTES:
            raise BadRequest(f"Number of routes exceeds the maximum {MAX_ROUTES}")
        set_routes(w, lr, wanted, protected, gw is not None)
        stamps.touch(w, lr)

    ctx.nb.transact(write)
