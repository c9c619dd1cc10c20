"""`PUT /v2.0/routers/{id}/add_router_interface` and `.../remove_router_interface`
(docs/routers.md). Both answer 200 with an unwrapped body, and each call
is one NB transaction.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ovn_provider.errors import BadRequest, Conflict, NotFound
from ovn_provider.neutron import addressing, ipam, networks, ports, stamps, subnets, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import router_gateway as GW
from ovn_provider.neutron import router_routes as RR
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.index import set_contains, verify
from ovn_provider.ovn.nb import Writer


def _body(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, dict):
        raise BadRequest("Either subnet_id or port_id must be specified.")
    subnet_id = body.get("subnet_id")
    port_id = body.get("port_id")
    if subnet_id is not None:
        subnet_id = V.string(subnet_id, "subnet_id")
    if port_id is not None:
        port_id = V.string(port_id, "port_id")
    if not subnet_id and not port_id:
        raise BadRequest("Either subnet_id or port_id must be specified.")
    return subnet_id or None, port_id or None


def _answer(ctx: Ctx, router_id: str, network_id: str, port_id: str,
            subnet_ids: list[str]) -> dict[str, Any]:
    return {"id": router_id, "network_id": network_id, "port_id": port_id,
            "subnet_id": subnet_ids[0] if subnet_ids else None, "subnet_ids": subnet_ids,
            "tenant_id": ctx.cfg.tenant_id, "project_id": ctx.cfg.tenant_id}


def _subnet(w: Writer, subnet_id: str) -> tuple[Any, Any]:

    row = subnets.find(w.idl, subnet_id)
    if row is None:
        raise NotFound(f"Subnet {subnet_id} does not exist", "SubnetNotFound")
    ls = networks.find(w.idl, row.external_ids.get(L.DHCP_NETWORK_ID, ""))
    if ls is None:
        raise NotFound(f"Network {row.external_ids.get(L.DHCP_NETWORK_ID)} of subnet "
                       f"{subnet_id} does not exist")
    return row, ls


def _port(w: Writer, port_id: str) -> Any:

    lsp = ports.find(w.idl, port_id)
    if lsp is None:
        raise NotFound(f"Port {port_id} does not exist", "PortNotFound")
    return lsp


def _on_switch(w: Writer, lrp: Any, ls: Any) -> bool:
    peer_ls = RC.lrp_ls(w.idl, lrp, w)
    return peer_ls is not None and peer_ls.uuid == ls.uuid


def _router_on_switch(w: Writer, lr: Any, ls: Any) -> bool:
    return any(_on_switch(w, lrp, ls) for lrp in lr.ports)


# -- add ----------------------------------------------------------------------------------
def add(ctx: Ctx, router_id: str, body: Any) -> dict[str, Any]:
    subnet_id, port_id = _body(body)
    if subnet_id and port_id:
        raise BadRequest("Subnet and port can not both be set at the same time")

    def write(w: Writer) -> dict[str, Any]:
        lr = RC.get_router(w.idl, router_id)
        # docs/compatibility.md, "Concurrency": a concurrent interface add or router delete by
        # another provider
        # instance makes this transaction retry and re-check on the fresh replica
        lr.verify("ports")
        stamps.check(w, lr)  # If-Match (revision-if-match) on the router
        if subnet_id:
            result = _add_by_subnet(ctx, w, lr, router_id, subnet_id)
        else:
            assert port_id is not None
            result = _add_by_port(ctx, w, lr, router_id, port_id)
        RC.refresh_nat(w, ctx.cfg, lr)
        stamps.touch(w, lr)
        return result

    return ctx.nb.transact(write)


def _add_by_subnet(ctx: Ctx, w: Writer, lr: Any, router_id: str, subnet_id: str
                   ) -> dict[str, Any]:
    row, ls = _subnet(w, subnet_id)
    prefix = f"Unable to attach network {ls.uuid} to router {router_id} by subnet {subnet_id}."
    info = addressing.subnet_info(row)
    if info is None or info.gateway is None:
        raise BadRequest(f"{prefix} Attaching by subnet requires the subnet to have a default "
                         "gateway specified.")
    row.verify("external_ids")  # another router attaching the subnet meanwhile
    attached = row.external_ids.get(L.DHCP_GATEWAY_ROUTER)
    if attached and RC.find_router(w.idl, attached) is not None:
        raise BadRequest(f"{prefix} Subnet is already connected to router {attached}")
    if _router_on_switch(w, lr, ls):
        raise BadRequest(f"{prefix} Router already has a port on network {ls.uuid}")
    gateway = str(info.gateway)
    if any(str(iface.ip) == gateway for iface in RC.networks_of_lrps(lr.ports)):
        raise BadRequest(f"{prefix} Router already has an interface with IP {gateway}")
    RC.check_overlap(w, lr, router_id, info.net)
    if addressing.Allocator(w.idl, ls, None).owner_on_switch(info.gateway):
        raise Conflict(f"IP address {gateway} already allocated in subnet {subnet_id}",
                       "IpAddressAlreadyAllocated")
    lsp = RC.add_router_lsp(w, ls, router_id, L.OWNER_ROUTER_INTERFACE)
    mac = RC.unique_mac(w.idl, set())
    ra = RC.ra_configs(ls, row) if info.version == 6 else None
    RC.add_lrp(w, lr, lsp, mac, [f"{gateway}/{info.net.prefixlen}"], ra)
    row.setkey("external_ids", L.DHCP_GATEWAY_ROUTER, router_id)
    return _answer(ctx, router_id, str(ls.uuid), lsp.name, [subnet_id])


def _add_by_port(ctx: Ctx, w: Writer, lr: Any, router_id: str, port_id: str
                 ) -> dict[str, Any]:
    lsp = _port(w, port_id)
    # its addresses (the interface's IPs) and owner, changed meanwhile by another writer:
    # TRY_AGAIN and a fresh check
    verify(lsp, "type", "addresses", "dynamic_addresses", "external_ids")
    if lsp.type == "router":
        raise BadRequest(f"Can not add {port_id} to router. Port is already connected to a "
                         "router")
    for other in view.rows(w.idl, L.LR).values():
        if any(nat.external_ids.get(L.NAT_FIP_PORT) == port_id for nat in other.nat):
            raise Conflict(f"Unable to attach port {port_id} to router {router_id}: the port "
                           "has a floating IP; disassociate it first")
    ls = view.network_of(w.idl, lsp)
    no_ip = (f"Unable to attach port {port_id} to router {router_id}. Attaching by port "
             "requires the port to have an ip from subnet assigned.")
    if ls is None:
        raise BadRequest(no_ip)
    subnets = view.subnets_of(w.idl, ls)
    by_id = {str(row.uuid): row for row in subnets}
    fixed = [ip for ip in addressing.current_ips(w.idl, lsp, subnets)
             if ip["subnet_id"] in by_id]
    mac = ipam.parse_lsp_addresses(lsp.addresses)[0]
    if not fixed or mac is None:
        raise BadRequest(no_ip)
    if _router_on_switch(w, lr, ls):
        raise BadRequest(f"Unable to attach port {port_id} to router {router_id}. Router "
                         f"already has a port on subnet {fixed[0]['subnet_id']}")
    networks: list[str] = []
    ra: dict[str, str] | None = None
    for entry in fixed:
        row = by_id[entry["subnet_id"]]
        net = ipaddress.ip_network(row.cidr, strict=False)
        RC.check_overlap(w, lr, router_id, net)
        networks.append(f"{entry['ip_address']}/{net.prefixlen}")
        if net.version == 6 and ra is None:
            ra = RC.ra_configs(ls, row)
    # The LSP becomes the router port and keeps its name (docs/routers.md): no addresses of its
    # own, no DHCP, no port security and no security groups (ACLs must not filter routed
    # traffic).
    for pg in view.groups_of(w.idl, lsp):
        pg.delvalue("ports", lsp)
    lrp_name = L.lrp_name(lsp.name)
    lsp.type = "router"
    lsp.addresses = ["router"]
    lsp.dynamic_addresses = []
    lsp.options = {L.LSP_ROUTER_PORT: lrp_name}
    lsp.port_security = []
    lsp.dhcpv4_options = []
    lsp.dhcpv6_options = []
    lsp.enabled = [True]
    ext = dict(lsp.external_ids)
    ext[L.LSP_DEVICE_OWNER] = L.OWNER_ROUTER_INTERFACE
    ext[L.LSP_DEVICE_ID] = router_id
    ext.pop(L.LSP_SECURITY_GROUPS, None)
    ext.pop(L.LSP_FIXED_SUBNETS, None)
    ext.pop(L.LSP_ADDRESS_PAIRS, None)  # a router port has none
    lsp.external_ids = ext
    stamps.touch(w, lsp)  # the port changed owner, as in Neutron: its revision moves on
    w.pending[RC.pending_key("peer-ls", lsp.name)] = ls
    RC.add_lrp(w, lr, lsp, mac, networks, ra)
    return _answer(ctx, router_id, str(ls.uuid), lsp.name,
                   list(dict.fromkeys(entry["subnet_id"] for entry in fixed)))


# -- remove -------------------------------------------------------------------------------
def remove(ctx: Ctx, router_id: str, body: Any) -> dict[str, Any]:
    subnet_id, port_id = _body(body)

    def write(w: Writer) -> dict[str, Any]:
        lr = RC.get_router(w.idl, router_id)
        stamps.check(w, lr)  # If-Match (revision-if-match) on the router
        row = ls = None
        if subnet_id:
            row, ls = _subnet(w, subnet_id)
        if port_id:
            lsp = _port(w, port_id)
            if ls is not None and not set_contains(ls, "ports", lsp.uuid):
                raise Conflict(f"Port {port_id} does not belong to subnet {subnet_id}.")
            result = _remove_by_port(ctx, w, lr, router_id, lsp, row)
        else:
            assert row is not None and ls is not None and subnet_id is not None
            result = _remove_by_subnet(ctx, w, lr, router_id, row, ls, subnet_id)
        RC.refresh_nat(w, ctx.cfg, lr)
        stamps.touch(w, lr)
        return result

    return ctx.nb.transact(write)


def _remove_by_port(ctx: Ctx, w: Writer, lr: Any, router_id: str, lsp: Any,
                    subnet: Any | None) -> dict[str, Any]:
    if lsp.type != "router":
        raise NotFound(f"Port {lsp.name} is not connected to a router")
    lrp = RC.lrp_named(w.idl, lsp.options.get(L.LSP_ROUTER_PORT, ""), w)
    if lrp is None or not any(p.uuid == lrp.uuid for p in lr.ports):
        raise NotFound(f"Port {lsp.name} is not connected to router {router_id}")
    ls = view.network_of(w.idl, lsp)
    name = lsp.name  # the row is gone once removed
    subnet_ids = _remove_interface(w, lr, router_id, lrp, lsp, ls)
    if subnet is not None:
        subnet_ids = [str(subnet.uuid)]
    return _answer(ctx, router_id, str(ls.uuid) if ls is not None else "", name, subnet_ids)


def _remove_by_subnet(ctx: Ctx, w: Writer, lr: Any, router_id: str, row: Any, ls: Any,
                      subnet_id: str) -> dict[str, Any]:
    found = [lrp for lrp in list(lr.ports) if _on_switch(w, lrp, ls)]
    if not found:
        raise NotFound(f"Subnet {subnet_id} is not connected to router {router_id}")
    removed = ""
    for lrp in found:
        lsp = RC.peer_lsp(w.idl, lrp, w)
        if lsp is not None and not removed:
            removed = lsp.name
        _remove_interface(w, lr, router_id, lrp, lsp, ls, row)
    if row.external_ids.get(L.DHCP_GATEWAY_ROUTER) == router_id:
        row.delkey("external_ids", L.DHCP_GATEWAY_ROUTER)
    return _answer(ctx, router_id, str(ls.uuid), removed, [subnet_id])


def _remove_interface(w: Writer, lr: Any, router_id: str, lrp: Any, lsp: Any | None,
                      ls: Any | None, subnet: Any | None = None) -> list[str]:
    """Delete one router port (LRP and LSP), with what hangs on it. Returns the ids of the
    subnets it was on. `subnet`: the subnet the request named; when it holds every
    address of the port, the network's other subnets need not be looked at (their map
    is rebuilt after every change, O(all subnets))."""
    ifaces = RC.networks_of_lrps([lrp])
    if subnet is not None and all(view.subnet_for_ip([subnet], str(i.ip)) is not None
                                  for i in ifaces):
        subnets = [subnet]
    else:
        subnets = view.subnets_of(w.idl, ls) if ls is not None else []
    found = [view.subnet_for_ip(subnets, str(i.ip)) for i in ifaces]
    subnet_ids = [str(row.uuid) for row in found if row is not None]
    gw = RC.gateway_of(w.idl, lr, w)
    is_gateway = gw is not None and gw.lrp.uuid == lrp.uuid
    RR.in_use_check(lr, router_id, ifaces, subnet_ids, GW.current_routes(w.idl, gw), is_gateway)
    if gw is not None and is_gateway:
        if RC.fips_on_router(lr):
            network = gw.ls.uuid if gw.ls is not None else "?"
            raise Conflict(f"Gateway cannot be updated for router {router_id}, since a "
                           f"gateway to external network {network} is required by one or "
                           "more floating IPs.")
        RC.remove_gateway(w, lr, gw)
        if L.LR_ENABLE_SNAT in lr.external_ids:
            lr.delkey("external_ids", L.LR_ENABLE_SNAT)
        return subnet_ids
    for nat in RC.fips_on_router(lr):
        try:
            fixed = ipaddress.ip_address(nat.logical_ip)
        except ValueError:
            continue
        if any(fixed in iface.network for iface in ifaces):
            raise RR.interface_in_use(router_id, subnet_ids, "floating IPs", "FloatingIP")
    RC.delete_router_port(w, lr, lrp, lsp, ls)
    for row, iface in zip(found, ifaces, strict=True):
        if row is None or row.external_ids.get(L.DHCP_GATEWAY_ROUTER) != router_id:
            continue
        info = addressing.subnet_info(row)
        if info is not None and info.gateway == iface.ip:
            row.delkey("external_ids", L.DHCP_GATEWAY_ROUTER)
    return subnet_ids
