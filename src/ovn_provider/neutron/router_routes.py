"""A router's static routes (docs/routers.md): parsing, the protected default routes of
its gateway (one per IP family, router_gateway.current_routes), replacing the whole set
(a router PUT) and adding or removing some in one transaction (extraroute-atomic:
PUT /routers/{id}/add_extraroutes, remove_extraroutes)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ovn_provider.errors import BadRequest, Conflict
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


# -- nexthops (docs/routers.md, "Static routes") -------------------------------------------
Connected = tuple[list[ipaddress.IPv4Network | ipaddress.IPv6Network], set[str]]


def connected(lr: Any, networks: list[str] | None = None) -> Connected:
    """The networks the router has a port on (interfaces and gateway, from the LRPs'
    `networks`) and its own addresses there. `networks`: those of a router inserted in
    this transaction instead (its `ports` read back as inserted, without later adds)."""
    ifaces = (RC.networks_of_lrps(lr.ports) if networks is None
              else [ipaddress.ip_interface(text) for text in networks])
    return [i.network for i in ifaces], {str(i.ip) for i in ifaces}


def _reaches(nets: Connected, hop: str) -> bool:
    address = ipaddress.ip_address(hop)
    return any(address in net for net in nets[0])


def _shown(routes: list[Route]) -> str:
    return "[" + ", ".join(f"{{'destination': '{d}', 'nexthop': '{h}'}}"
                           for d, h in routes) + "]"


def nexthop_check(routes: list[Route], before: list[Route], was: Connected,
                  now: Connected) -> None:
    """Neutron's rule for the routes a request leaves: a nexthop is on one of the router's
    subnets and is not one of the router's own addresses. Routes the router had already
    (`before`) are only refused when this request disconnects their nexthop (a route
    written by an older release stays as it is)."""
    for route in routes:
        hop = route[1]
        if route in before:
            bad = _reaches(was, hop) and not _reaches(now, hop)
        else:
            bad = not _reaches(now, hop)
            if not bad and hop in now[1]:
                raise BadRequest(f"Invalid format for routes: {_shown(routes)}, the nexthop "
                                 "is used by router")
        if bad:
            raise BadRequest(f"Invalid format for routes: {_shown(routes)}, the nexthop is "
                             "not connected with router")


def in_use_check(lr: Any, router_id: str, removed: list[Any], subnet_ids: list[str],
                 protected: set[Route], gateway: bool) -> None:
    """409 when a route's nexthop is on one of the `removed` interfaces (Neutron's
    RouterInterfaceInUseByRoute); the gateway's own default routes go with the gateway
    (`gateway`: the gateway port is the one removed)."""
    for row in listed_routes(lr):
        route = normal_route(row.ip_prefix, row.nexthop)
        if route in protected or (gateway and RC.is_default(route[0])):
            continue
        try:
            hop = ipaddress.ip_address(route[1])
        except ValueError:
            continue
        if any(hop in iface.network for iface in removed):
            raise interface_in_use(router_id, subnet_ids, "routes", "Route")


def interface_in_use(router_id: str, subnet_ids: list[str], what: str, by: str) -> Conflict:
    """Neutron's 409 for removing an interface that routes or floating IPs need."""
    return Conflict(f"Router interface for subnet {', '.join(subnet_ids) or '?'} on router "
                    f"{router_id} cannot be deleted, as it is required by one or more {what}.",
                    f"RouterInterfaceInUseBy{by}")


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
        extra = sorted(set(item) - {"destination", "nexthop"})
        if extra:  # the schema's words (a router PUT); here for the extraroute actions
            raise BadRequest(f"Invalid input for routes. Reason: '{item}' has unexpected "
                             f"keys: {', '.join(extra)}.")
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
            raise BadRequest(f"Unable to complete operation for {router_id}. The number of "
                             f"routes exceeds the maximum {MAX_ROUTES}.")
        nets = connected(lr)
        nexthop_check(wanted, current, nets, nets)
        set_routes(w, lr, wanted, protected, gw is not None)
        stamps.touch(w, lr)

    ctx.nb.transact(write)
