"""Routers: Logical_Router rows, their external gateway, static routes and SNAT
(docs/routers.md).

Every LR is a router. Lookups go by LR UUID only. A create, update or delete is
one NB transaction; all validation that needs the NB happens inside it, so a rejected
request writes nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ovn_provider.errors import BadRequest, Conflict, NotImplementedFeature
from ovn_provider.neutron import addressing, ipam, networks, stamps, subnets, tags, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.router_routes import GATEWAY_DEFAULT_ROUTE_MSG, Route
from ovn_provider.neutron.router_routes import default_route_check as _default_route_check
from ovn_provider.neutron.router_routes import gateway_route as _gateway_route
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
    gateway_info: dict[str, Any] | None = None
    if gw is not None:
        gateway_info = {
            "network_id": str(gw.ls.uuid) if gw.ls is not None else None,
            "enable_snat": RC.snat_enabled(lr),
            "external_fixed_ips": [{"subnet_id": str(gw.subnet.uuid) if gw.subnet else None,
                                    "ip_address": gw.ip}],
        }
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
@dataclass
class GatewayRequest:
    network_id: str
    subnet_id: str
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    enable_snat: bool | None  # None: the key was absent


def _gateway(value: Any) -> GatewayRequest | None:
    """`external_gateway_info`; None (or {}) means no gateway."""
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise BadRequest("Invalid input for external_gateway_info. Reason: an object is "
                         "expected.")
    for key in ("network_id", "external_fixed_ips"):
        if value.get(key) is None:
            raise BadRequest(f"{key} missing in the external gateway information.")
    network_id = V.string(value["network_id"], "network_id")
    fixed = value["external_fixed_ips"]
    if not isinstance(fixed, list) or len(fixed) != 1:
        raise BadRequest("external_fixed_ips must have exactly one element")
    entry = fixed[0]
    if not isinstance(entry, dict):
        raise BadRequest("Invalid input for external_fixed_ips. Reason: an object with "
                         "subnet_id and ip_address is expected.")
    if entry.get("subnet_id") is None:
        raise BadRequest("subnet_id missing in the external gateway information.")
    subnet_id = V.string(entry["subnet_id"], "subnet_id")
    ip = None
    if entry.get("ip_address") is not None:
        ip = V.ip_address(entry["ip_address"], "ip_address")
    snat = None
    if value.get("enable_snat") is not None:
        snat = V.boolean(value["enable_snat"], "enable_snat")
    return GatewayRequest(network_id, subnet_id, ip, snat)


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
        out["gateway"] = _gateway(data["external_gateway_info"])
    return out


# -- the external gateway ------------------------------------------------------------------
def _check_gateway(w: Writer, req: GatewayRequest, keep_ip: str | None = None,
                   lr: Any | None = None, router_id: str = "",
                   old_lrp: Any | None = None) -> tuple[Any, Any, addressing.SubnetInfo, str]:
    """(LS, subnet row, subnet info, gateway IP) for a requested gateway; picks a free IP
    when none was given. `keep_ip` is the router's current gateway IP on that subnet,
    which does not count as taken. For an existing router `lr`, the external subnet must
    not overlap its other ports (`old_lrp`, the current gateway, excepted)."""

    ls = networks.find(w.idl, req.network_id)
    if ls is None:
        raise BadRequest(f"Network {req.network_id} does not exist")
    row = subnets.find(w.idl, req.subnet_id)
    if row is None:
        raise BadRequest(f"Subnet {req.subnet_id} does not exist")
    if row.external_ids.get(L.DHCP_NETWORK_ID) != str(ls.uuid):
        raise BadRequest(f"Subnet {req.subnet_id} does not belong to network "
                         f"{req.network_id}")
    info = addressing.subnet_info(row)
    if info is None or info.gateway is None:
        raise BadRequest(f"Subnet {req.subnet_id} cannot be used as external gateway, since "
                         "it does not have a default gateway defined")
    if lr is not None:
        RC.check_overlap(w, lr, router_id, info.net, skip=old_lrp)
    alloc = addressing.Allocator(w.idl, ls, None)
    if req.ip is not None:
        if req.ip not in info.net:
            raise BadRequest(f"IP address {req.ip} is not a valid IP for the specified subnet "
                             f"{req.subnet_id} ({info.net})")
        if str(req.ip) != keep_ip and alloc.taken(req.ip, info.gateway):
            raise Conflict(f"The ip {req.ip} specified is already in use on network "
                           f"{req.network_id}")
        return ls, row, info, str(req.ip)
    if keep_ip is not None:
        return ls, row, info, keep_ip
    picked = ipam.pick_free(addressing.subnet_pools(info),
                            lambda ip: alloc.taken(ip, info.gateway))
    if picked is None:
        raise Conflict(f"No more IP addresses available on subnet {req.subnet_id}")
    return ls, row, info, str(picked)


def _add_gateway(w: Writer, lr: Any, lr_id: str | None, ls: Any, info: addressing.SubnetInfo,
                 ip: str) -> None:
    lsp = RC.add_router_lsp(w, ls, lr_id, L.OWNER_ROUTER_GATEWAY)
    mac = RC.unique_mac(w.idl, set())
    RC.add_lrp(w, lr, lsp, mac, [f"{ip}/{info.net.prefixlen}"])
    lr.setkey("external_ids", L.LR_GATEWAY_PORT, lsp.name)
    RC.exclude_add(ls, ip)
    prefix, hop = _gateway_route(info)
    if not any(_normal_route(r.ip_prefix, r.nexthop) == (prefix, hop) for r in lr.static_routes):
        RC.add_route(w, lr, prefix, hop)


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
    req: GatewayRequest | None = v.get("gateway")
    tagged = tags.create_ext(data)

    def write(w: Writer) -> Any:
        gw = None
        snat = False
        if req is not None:
            gw = _check_gateway(w, req)
            snat = _snat_setting(ctx, req.enable_snat, None)
            _default_route_check(routes, None)
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
            ls, _, info, ip = gw
            _add_gateway(w, lr, None, ls, info, ip)
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
        gateway_route: Route | None = None
        if current is not None and current.subnet is not None:
            info = addressing.subnet_info(current.subnet)
            if info is not None and info.gateway is not None:
                gateway_route = _gateway_route(info)
        new_gateway_route = gateway_route if current is not None else None
        if "gateway" in v:
            new_gateway_route = _update_gateway(ctx, w, lr, router_id, current, v["gateway"])
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
            _set_routes(w, lr, v["routes"], new_gateway_route, has_gateway)
        if has_gateway and ("routes" in v or "gateway" in v):
            # No default route besides the gateway's own, whichever way it came in.
            for row in _listed_routes(lr):
                key = _normal_route(row.ip_prefix, row.nexthop)
                if RC.is_default(row.ip_prefix) and new_gateway_route is not None \
                        and key != new_gateway_route:
                    raise BadRequest(GATEWAY_DEFAULT_ROUTE_MSG)
        RC.refresh_nat(w, ctx.cfg, lr)
        stamps.touch(w, lr)

    ctx.nb.transact(write)
    return show(ctx, router_id)


def _update_gateway(ctx: Ctx, w: Writer, lr: Any, router_id: str, current: RC.Gateway | None,
                    req: GatewayRequest | None) -> Route | None:
    """Apply `external_gateway_info`; returns the default route the gateway owns after."""
    fips = RC.fips_on_router(lr)
    if req is None:
        if current is None:
            return None
        if fips:
            raise Conflict(_fip_gateway_msg(router_id, current))
        RC.remove_gateway(w, lr, current)
        if L.LR_ENABLE_SNAT in lr.external_ids:
            lr.delkey("external_ids", L.LR_ENABLE_SNAT)
        return None
    same_place = (current is not None and current.ls is not None
                  and str(current.ls.uuid) == req.network_id and current.subnet is not None
                  and str(current.subnet.uuid) == req.subnet_id)
    keep_ip = current.ip if same_place and current is not None else None
    ls, _, info, ip = _check_gateway(w, req, keep_ip=keep_ip, lr=lr, router_id=router_id,
                                     old_lrp=current.lrp if current is not None else None)
    old_snat = RC.snat_enabled(lr) if current is not None else None
    snat = _snat_setting(ctx, req.enable_snat, old_snat)
    if current is not None and (not same_place or ip != current.ip):
        if fips and (current.ls is None or str(current.ls.uuid) != req.network_id):
            raise Conflict(_fip_gateway_msg(router_id, current))
        RC.remove_gateway(w, lr, current)
        current = None
    if current is None:
        _add_gateway(w, lr, router_id, ls, info, ip)
    lr.setkey("external_ids", L.LR_ENABLE_SNAT, L.true_text(snat))
    return _gateway_route(info)


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
            raise Conflict(f"Router {router_id} still has ports")
        if gw is not None:
            RC.remove_gateway(w, lr, gw)
        for route in list(lr.static_routes):
            route.delete()
        for nat in list(lr.nat):
            nat.delete()
        lr.delete()

    ctx.nb.transact(write)
