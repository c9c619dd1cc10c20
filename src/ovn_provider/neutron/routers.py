"""Routers: Logical_Router rows, their external gateway, static routes and SNAT
(docs/routers.md).

Every LR is a router. Lookups go by LR UUID only. A create, update or delete is
one NB transaction; all validation that needs the NB happens inside it, so a rejected
request writes nothing.
"""

from __future__ import annotations

from typing import Any, TypedDict

from ovn_provider.errors import BadRequest, Conflict, NotImplementedFeature
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import router_gateway as GW
from ovn_provider.neutron import stamps, tags, view
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.router_routes import GATEWAY_DEFAULT_ROUTE_MSG, Route, connected
from ovn_provider.neutron.router_routes import default_route_check as _default_route_check
from ovn_provider.neutron.router_routes import listed_routes as _listed_routes
from ovn_provider.neutron.router_routes import nexthop_check as _nexthop_check
from ovn_provider.neutron.router_routes import normal_route as _normal_route
from ovn_provider.neutron.router_routes import parse_routes as _routes
from ovn_provider.neutron.router_routes import route_order as _route_order
from ovn_provider.neutron.router_routes import set_routes as _set_routes
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.nb import Writer
from ovn_provider.schema.render import plan as render_plan
from ovn_provider.schema.routers import SCHEMA
from ovn_provider.schema.write import plan as write_plan

# -- reading -----------------------------------------------------------------------------
#: The answer's plain attributes, from the schema (docs/architecture.md, "How to add an
#: attribute"), in the order routers have always been shown.
PLAN = render_plan(SCHEMA, (
    "id", "name", "admin_state_up", "status", "tenant_id", "project_id",
    "external_gateway_info", "routes", "description", "tags", "created_at", "updated_at",
    "revision_number"))
#: The plain attributes' writes (name, admin_state_up, description), from the schema.
WRITE = write_plan(SCHEMA)


def render(ctx: Ctx, idl: NbIdl, lr: Any) -> dict[str, Any]:
    result = PLAN.row(lr)
    gw = RC.gateway_of(idl, lr)
    routes = sorted(_listed_routes(lr), key=_route_order)
    result["tenant_id"] = result["project_id"] = ctx.cfg.tenant_id
    result["external_gateway_info"] = (GW.render(idl, gw, RC.snat_enabled(lr))
                                       if gw is not None else None)
    result["routes"] = [{"destination": r.ip_prefix, "nexthop": r.nexthop} for r in routes]
    return result


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        return [render(ctx, idl, lr) for lr in view.rows(idl, L.LR).values()]


def show(ctx: Ctx, router_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        return render(ctx, idl, RC.get_router(idl, router_id))


# -- validation (no NB access) -------------------------------------------------------------


#: A validated router request: the attributes the schema's write plan (`WRITE`) does not
#: write, converted.
class RouterRequest(TypedDict, total=False):
    routes: list[Route]
    external_gateway_info: GW.GatewayRequest | None


def _validate(data: dict[str, Any]) -> RouterRequest:
    """What the schema (schema/routers.py) cannot check: routes and the gateway; types
    and bounds are checked already (schema/check.py)."""
    out: RouterRequest = {}
    if "routes" in data:
        out["routes"] = _routes(data["routes"] if data["routes"] is not None else [])
    if "external_gateway_info" in data:
        out["external_gateway_info"] = GW.parse(data["external_gateway_info"])
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
    v = _validate(data)
    routes: list[Route] = v.get("routes", [])
    req = v.get("external_gateway_info")
    tagged = tags.create_ext(data)

    def write(w: Writer) -> Any:
        gw = None
        snat = False
        if req is not None:
            gw = GW.resolve(w, req)
            snat = _snat_setting(ctx, req.enable_snat, None)
            _default_route_check(routes, set())
        plain = WRITE.create(data)
        ext = {**tagged, **stamps.new(), **plain.pop("external_ids", {})}
        if gw is not None:
            ext[L.LR_ENABLE_SNAT] = L.true_text(snat)
        lr = w.insert(L.LR, **plain, external_ids=ext, ports=[], static_routes=[], nat=[])
        for prefix, hop in routes:
            RC.add_route(w, lr, prefix, hop)
        if gw is not None:
            GW.add(w, lr, None, gw)
            RC.refresh_nat(w, ctx.cfg, lr)
        _nexthop_check(routes, [], ([], set()),
                       connected(lr, gw.networks if gw is not None else []))
        return w.real_uuid(lr)

    resolve = ctx.nb.transact(write)
    return show(ctx, str(resolve()))


def update(ctx: Ctx, router_id: str, data: dict[str, Any]) -> dict[str, Any]:
    if "id" in data and data["id"] is not None and data["id"] != router_id:
        raise BadRequest("The router id in the body does not match the path")
    v = _validate(data)

    def write(w: Writer) -> None:
        lr = RC.get_router(w.idl, router_id)
        stamps.check(w, lr)
        current = RC.gateway_of(w.idl, lr, w)
        gateway_routes = GW.current_routes(w.idl, current)
        was = connected(lr)
        before = [_normal_route(r.ip_prefix, r.nexthop) for r in _listed_routes(lr)]
        if "external_gateway_info" in v:
            gateway_routes = _update_gateway(ctx, w, lr, router_id, current,
                                             v["external_gateway_info"])
        WRITE.update(lr, data)
        gateway = RC.gateway_of(w.idl, lr, w)
        has_gateway = gateway is not None
        if gateway is not None and not gateway.lsp.external_ids.get(L.LSP_DEVICE_ID):
            # created with its router, before the router's UUID was known
            gateway.lsp.setkey("external_ids", L.LSP_DEVICE_ID, router_id)
        if "routes" in v:
            _set_routes(w, lr, v["routes"], gateway_routes, has_gateway)
        if has_gateway and ("routes" in v or "external_gateway_info" in v):
            # No default route besides the gateway's own, whichever way it came in.
            for row in _listed_routes(lr):
                key = _normal_route(row.ip_prefix, row.nexthop)
                if RC.is_default(row.ip_prefix) and gateway_routes \
                        and key not in gateway_routes:
                    raise BadRequest(GATEWAY_DEFAULT_ROUTE_MSG)
        if "routes" in v or "external_gateway_info" in v:
            left = v["routes"] if "routes" in v else sorted(
                {_normal_route(r.ip_prefix, r.nexthop) for r in _listed_routes(lr)})
            _nexthop_check([r for r in left if r not in gateway_routes], before, was,
                           connected(lr))
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
