"""Routers: Logical_Router rows, their external gateway, static routes and SNAT
(compat spec 3.10, 4.7, 9.5; defects D7, D8, D31 not reproduced).

Every LR is a router (Q8). Lookups go by LR UUID only (D31). A create, update or delete is
one NB transaction; all validation that needs the NB happens inside it, so a rejected
request writes nothing.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ovn_provider.errors import BadRequest, Conflict, NotImplementedFeature
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import router_gateway as GW
from ovn_provider.neutron import tags, view
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.nb import Writer

Route = GW.Route  # (normalised destination CIDR, normalised nexthop)
GATEWAY_DEFAULT_ROUTE_MSG = ("A default static route can not be added when an external "
                             "gateway is defined on a router.")


# -- reading -----------------------------------------------------------------------------
def _route_order(route: Any) -> tuple[bool, str, str]:
    return (RC.is_default(route.ip_prefix), route.ip_prefix, route.nexthop)


def _listed_routes(lr: Any) -> list[Any]:
    """Destination-based routes of the main table: the ones the API shows and manages."""
    return [r for r in lr.static_routes
            if (not r.policy or r.policy == ["dst-ip"]) and not getattr(r, "route_table", "")]


def render(ctx: Ctx, idl: NbIdl, lr: Any) -> dict[str, Any]:
    ext = lr.external_ids
    enabled = lr.enabled != [False]
    gw = RC.gateway_of(idl, lr)
    gateway_info = GW.render(idl, gw, RC.snat_enabled(lr)) if gw is not None else None
    routes = sorted(_listed_routes(lr), key=_route_order)
    return {
        "id": str(lr.uuid),
        "name": lr.name,
        "admin_state_up": enabled,
        "status": "ACTIVE" if enabled else "INACTIVE",
        "tenant_id": ctx.cfg.tenant_id,
        "project_id": ctx.cfg.tenant_id,
        "external_gateway_info": gateway_info,
        "routes": [{"destination": r.ip_prefix, "nexthop": r.nexthop} for r in routes],
        "description": ext.get(L.LR_DESCRIPTION, ""),
        "tags": tags.of(ext),
    }


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        return [render(ctx, idl, lr) for lr in view.rows(idl, L.LR).values()]


def show(ctx: Ctx, router_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        return render(ctx, idl, RC.get_router(idl, router_id))


# -- validation (no NB access) -------------------------------------------------------------
def _routes(value: Any) -> list[Route]:
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


def _validate(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data and data["name"] is not None:
        out["name"] = V.string(data["name"], "name")
    elif creating:
        out["name"] = ""
    if "admin_state_up" in data and data["admin_state_up"] is not None:
        out["enabled"] = V.boolean(data["admin_state_up"], "admin_state_up")
    elif creating:
        out["enabled"] = True
    if "description" in data and data["description"] is not None:
        out["description"] = V.string(data["description"], "description")
    if "routes" in data:
        out["routes"] = _routes(data["routes"] if data["routes"] is not None else [])
    if "external_gateway_info" in data:
        out["gateway"] = GW.parse(data["external_gateway_info"])
    return out


# -- the external gateway ------------------------------------------------------------------
def _snat_setting(ctx: Ctx, requested: bool | None, current: bool | None) -> bool:
    """The SNAT flag a router with a gateway ends up with. Absent keeps the current
    value; a new gateway defaults to SNAT when NAT is available (spec 9.5)."""
    available = RC.nat_available(ctx)
    if requested is True and not available:
        raise NotImplementedFeature(f"enable_snat must set be false: {RC.NO_CHASSIS}")
    if requested is not None:
        return requested
    if current is not None:
        return current
    return available


def _default_route_check(routes: list[Route], gateway_routes: set[Route]) -> None:
    for route in routes:
        if RC.is_default(route[0]) and route not in gateway_routes:
            raise BadRequest(GATEWAY_DEFAULT_ROUTE_MSG)


# -- writes --------------------------------------------------------------------------------
def create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    v = _validate(data, creating=True)
    routes: list[Route] = v.get("routes", [])
    req: GW.GatewayRequest | None = v.get("gateway")
    tagged = tags.create_ext(data)

    def write(w: Writer) -> Any:
        gw = None
        snat = False
        if req is not None:
            gw = GW.resolve(w, req)
            snat = _snat_setting(ctx, req.enable_snat, None)
            _default_route_check(routes, set())
        ext = dict(tagged)
        if v.get("description"):
            ext[L.LR_DESCRIPTION] = v["description"]
        if gw is not None:
            ext[L.LR_ENABLE_SNAT] = L.true_text(snat)
        lr = w.insert(L.LR, name=v["name"], enabled=[v["enabled"]], external_ids=ext, ports=[],
                      static_routes=[], nat=[])
        for prefix, hop in routes:
            RC.add_route(w, lr, prefix, hop)
        if gw is not None:
            GW.add(w, lr, None, gw)
            RC.refresh_nat(w, ctx.cfg, lr)
        return w.real_uuid(lr)

    resolve = ctx.nb.transact(write)
    return show(ctx, str(resolve()))


def update(ctx: Ctx, router_id: str, data: dict[str, Any]) -> dict[str, Any]:
    if "id" in data and data["id"] is not None and data["id"] != router_id:
        raise BadRequest("The router id in the body does not match the path")
    v = _validate(data, creating=False)

    def write(w: Writer) -> None:
        lr = RC.get_router(w.idl, router_id)
        current = RC.gateway_of(w.idl, lr, w)
        gateway_routes = GW.current_routes(w.idl, current)
        if "gateway" in v:
            gateway_routes = _update_gateway(ctx, w, lr, router_id, current, v["gateway"])
        if "name" in v:
            lr.name = v["name"]
        if "enabled" in v:
            lr.enabled = [v["enabled"]]
        if "description" in v:
            if v["description"]:
                lr.setkey("external_ids", L.LR_DESCRIPTION, v["description"])
            elif L.LR_DESCRIPTION in lr.external_ids:
                lr.delkey("external_ids", L.LR_DESCRIPTION)
        gateway = RC.gateway_of(w.idl, lr, w)
        has_gateway = gateway is not None
        if gateway is not None and not gateway.lsp.external_ids.get(L.LSP_DEVICE_ID):
            # created with its router, before the router's UUID was known
            gateway.lsp.setkey("external_ids", L.LSP_DEVICE_ID, router_id)
        if "routes" in v:
            _set_routes(w, lr, v["routes"], gateway_routes, has_gateway)
        if has_gateway and ("routes" in v or "gateway" in v):
            # No default route besides the gateway's own, whichever way it came in.
            for row in _listed_routes(lr):
                key = _normal_route(row.ip_prefix, row.nexthop)
                if RC.is_default(row.ip_prefix) and gateway_routes \
                        and key not in gateway_routes:
                    raise BadRequest(GATEWAY_DEFAULT_ROUTE_MSG)
        RC.refresh_nat(w, ctx.cfg, lr)

    ctx.nb.transact(write)
    return show(ctx, router_id)


def _update_gateway(ctx: Ctx, w: Writer, lr: Any, router_id: str, current: RC.Gateway | None,
                    req: GW.GatewayRequest | None) -> set[Route]:
    """Apply `external_gateway_info`; returns the default routes the gateway owns after."""
    fips = RC.fips_on_router(lr)
    if req is None:
        if current is None:
            return set()
        if fips:
            raise Conflict(_fip_gateway_msg(router_id, current))
        RC.remove_gateway(w, lr, current)
        if L.LR_ENABLE_SNAT in lr.external_ids:
            lr.delkey("external_ids", L.LR_ENABLE_SNAT)
        return set()
    place = GW.resolve(w, req, current, lr, router_id)
    old_snat = RC.snat_enabled(lr) if current is not None else None
    snat = _snat_setting(ctx, req.enable_snat, old_snat)
    if current is not None and current.ls is not None and current.ls.uuid == place.ls.uuid:
        if list(current.lrp.networks) != place.networks:
            GW.readdress(w, lr, current, place)
    else:
        if current is not None:
            if fips:
                raise Conflict(_fip_gateway_msg(router_id, current))
            RC.remove_gateway(w, lr, current)
        GW.add(w, lr, router_id, place)
    lr.setkey("external_ids", L.LR_ENABLE_SNAT, L.true_text(snat))
    return place.routes()


def _fip_gateway_msg(router_id: str, gw: RC.Gateway) -> str:
    network = gw.ls.uuid if gw.ls is not None else "?"
    return (f"Gateway cannot be updated for router {router_id}, since a gateway to external "
            f"network {network} is required by one or more floating IPs.")


def _set_routes(w: Writer, lr: Any, routes: list[Route], gateway_routes: set[Route],
                has_gateway: bool) -> None:
    """`routes` is the full set of user routes; the gateway's default route stays."""
    if has_gateway:
        _default_route_check(routes, gateway_routes)
    wanted = [r for r in routes if not (has_gateway and r in gateway_routes)]
    existing: dict[Route, Any] = {}
    for row in _listed_routes(lr):
        key = _normal_route(row.ip_prefix, row.nexthop)
        if has_gateway and RC.is_default(row.ip_prefix) and (
                not gateway_routes or key in gateway_routes):
            continue  # the gateway's default route is protected (D8, Q30)
        if key in existing or key not in wanted:
            lr.delvalue("static_routes", row)
            row.delete()
        else:
            existing[key] = row
    for prefix, hop in wanted:
        if (prefix, hop) not in existing:
            RC.add_route(w, lr, prefix, hop)


def _normal_route(prefix: str, nexthop: str) -> Route:
    try:
        return (str(ipaddress.ip_network(prefix, strict=False)),
                str(ipaddress.ip_address(nexthop)))
    except ValueError:
        return (prefix, nexthop)


def delete(ctx: Ctx, router_id: str) -> None:
    def write(w: Writer) -> None:
        lr = RC.get_router(w.idl, router_id)
        gw = RC.gateway_of(w.idl, lr, w)
        gw_lrp = gw.lrp.name if gw is not None else None
        lr.verify("ports")  # spec 9.8: an interface added meanwhile by another instance
        if any(lrp.name != gw_lrp for lrp in lr.ports):
            raise Conflict(f"Router {router_id} still has ports")
        if gw is not None:
            RC.remove_gateway(w, lr, gw)
        for route in list(lr.static_routes):
            route.delete()
        for nat in list(lr.nat):
            nat.delete()
        lr.delete()

    ctx.nb.transact(write)
