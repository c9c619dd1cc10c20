"""Routers: Logical_Router rows, their external gateway, static routes and SNAT
(docs/routers.md).

Every LR is a router. Lookups go by LR UUID only. A create, update or delete is
one NB transaction; all validation that needs the NB happens inside it, so a rejected
request writes nothing.
"""

from __future__ import annotations

from typing import Any

from ovn_provider.errors import BadRequest, Conflict, NotImplementedFeature
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import router_gateway as GW
from ovn_provider.neutron import stamps, tags, view
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.router_routes import GATEWAY_DEFAULT_ROUTE_MSG, Route
from ovn_provider.neutron.router_routes import default_route_check as _default_route_check
from ovn_provider.neutron.router_routes import listed_routes as _listed_routes
from ovn_provider.neutron.router_routes import normal_route as _normal_route
from ovn_provider.neutron.router_routes import parse_routes as _routes
from ovn_provider.neutron.router_routes import route_order as _route_order
from ovn_provider.neutron.router_routes import set_routes as _set_routes
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.nb import Writer


# -- reading -----------------------------------------------------------------------------
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
        **stamps.shown(ext),
    }


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        return [render(ctx, idl, lr) for lr in view.rows(idl, L.LR).values()]


def show(ctx: Ctx, router_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        return render(ctx, idl, RC.get_router(idl, router_id))


# -- validation (no NB access) -------------------------------------------------------------


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
    value; a new gateway defaults to SNAT when NAT is available (docs/routers.md)."""
    available = RC.nat_available(ctx)
    if requested is True and not available:
        raise NotImplementedFeature(f"enable_snat must set be false: {RC.NO_CHASSIS}")
    if requested is not None:
        return requested
    if current is not None:
        return current
    return available


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
        ext = {**tagged, **stamps.new()}
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
        stamps.check(w, lr)
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
        stamps.touch(w, lr)

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


def delete(ctx: Ctx, router_id: str) -> None:
    def write(w: Writer) -> None:
        lr = RC.get_router(w.idl, router_id)
        stamps.check(w, lr)
        gw = RC.gateway_of(w.idl, lr, w)
        gw_lrp = gw.lrp.name if gw is not None else None
        # docs/compatibility.md, "Concurrency": an interface added meanwhile by another instance
        lr.verify("ports")
        if any(lrp.name != gw_lrp for lrp in lr.ports):
            raise Conflict(f"Router {router_id} still has ports", "RouterInUse")
        if gw is not None:
            RC.remove_gateway(w, lr, gw)
        for route in list(lr.static_routes):
            route.delete()
        for nat in list(lr.nat):
            nat.delete()
        lr.delete()

    ctx.nb.transact(write)
