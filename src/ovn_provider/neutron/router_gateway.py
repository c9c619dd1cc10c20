"""A router's external gateway as Neutron defines it (docs/routers.md): parsing
`external_gateway_info`, choosing its addresses, and writing its port.

- `{network_id}` alone is enough: the provider picks, per IP family, the first subnet of
  the network that has a gateway and a free address (IPv4 and IPv6 when both exist).
- `external_fixed_ips` entries name a subnet, an address, or both; several are allowed.
- The gateway LRP carries every address (IPv4 first, so the first one is the SNAT source),
  and the router gets one default route per family, via that family's subnet gateway.
- The gateway address is not written to the external LS's `exclude_ips`: its router LSP
  already reserves it in ovn-northd's IPAM (a second reservation makes ovn-northd log
  "Duplicate IP set"), and the provider's own allocator sees the LRP's addresses.

Everything that needs the NB runs inside the caller's one transaction.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ovn_provider.errors import BadRequest, Conflict, NotFound
from ovn_provider.neutron import addressing, ipam, subnet_order, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.validate import IPAddress
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.nb import Writer

Route = tuple[str, str]  # (destination CIDR, nexthop)


@dataclass
class FixedIp:
    subnet_id: str | None
    ip: IPAddress | None


@dataclass
class GatewayRequest:
    network_id: str
    fixed: list[FixedIp]  # empty: the provider picks one address per family
    enable_snat: bool | None  # None: the key was absent


@dataclass
class Placement:
    """Where a gateway goes: its external LS and its (subnet, address) pairs, IPv4 first."""
    ls: Any
    addresses: list[tuple[addressing.SubnetInfo, str]]

    @property
    def networks(self) -> list[str]:
        return [f"{ip}/{info.net.prefixlen}" for info, ip in self.addresses]

    def routes(self) -> set[Route]:
        return default_routes([info for info, _ in self.addresses])


# -- parsing (no NB access) ----------------------------------------------------------------
def parse(value: Any) -> GatewayRequest | None:
    """`external_gateway_info`; None (or {}) means no gateway."""
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise BadRequest("Invalid input for external_gateway_info. Reason: an object is "
                         "expected.")
    if value.get("network_id") is None:
        raise BadRequest("network_id missing in the external gateway information.")
    network_id = V.string(value["network_id"], "network_id")
    fixed: list[FixedIp] = []
    entries = value.get("external_fixed_ips")
    if entries is not None:
        if not isinstance(entries, list):
            raise BadRequest("Invalid input for external_fixed_ips. Reason: a list is "
                             "expected.")
        for entry in entries:
            fixed.append(_fixed_ip(entry))
    seen: set[str] = set()
    for item in fixed:
        if item.ip is not None:
            if str(item.ip) in seen:
                raise BadRequest(f"Duplicate IP address {item.ip} in external_fixed_ips")
            seen.add(str(item.ip))
    snat = None
    if value.get("enable_snat") is not None:
        snat = V.boolean(value["enable_snat"], "enable_snat")
    return GatewayRequest(network_id, fixed, snat)


def _fixed_ip(entry: Any) -> FixedIp:
    if not isinstance(entry, dict):
        raise BadRequest("Invalid input for external_fixed_ips. Reason: an object with "
                         "subnet_id and/or ip_address is expected.")
    subnet_id = entry.get("subnet_id")
    ip_text = entry.get("ip_address")
    if subnet_id is None and ip_text is None:
        raise BadRequest("Invalid input for external_fixed_ips. Reason: each entry needs "
                         "subnet_id or ip_address.")
    return FixedIp(V.string(subnet_id, "subnet_id") if subnet_id is not None else None,
                   V.ip_address(ip_text, "ip_address") if ip_text is not None else None)


# -- reading -------------------------------------------------------------------------------
def addresses(idl: NbIdl, gw: RC.Gateway) -> list[tuple[str, Any | None]]:
    """(address, subnet row or None) for each address of the gateway LRP."""
    subnets = view.subnets_of(idl, gw.ls) if gw.ls is not None else []
    result: list[tuple[str, Any | None]] = []
    for network in gw.lrp.networks:
        try:
            ip = str(ipaddress.ip_interface(network).ip)
        except ValueError:
            continue
        result.append((ip, view.subnet_for_ip(subnets, ip)))
    return result


def render(idl: NbIdl, gw: RC.Gateway, enable_snat: bool) -> dict[str, Any]:
    return {
        "network_id": str(gw.ls.uuid) if gw.ls is not None else None,
        "enable_snat": enable_snat,
        "external_fixed_ips": [{"subnet_id": str(row.uuid) if row is not None else None,
                                "ip_address": ip} for ip, row in addresses(idl, gw)],
    }


def default_routes(infos: list[addressing.SubnetInfo]) -> set[Route]:
    """One default route per family, via the gateway of that family's first subnet."""
    routes: dict[int, Route] = {}
    for info in infos:
        if info.gateway is not None and info.version not in routes:
            routes[info.version] = ("0.0.0.0/0" if info.version == 4 else "::/0",
                                    str(info.gateway))
    return set(routes.values())


def current_routes(idl: NbIdl, gw: RC.Gateway | None) -> set[Route]:
    if gw is None:
        return set()
    infos = [addressing.subnet_info(row) for _, row in addresses(idl, gw) if row is not None]
    return default_routes([i for i in infos if i is not None])


# -- choosing addresses (inside the transaction) -------------------------------------------
def resolve(w: Writer, req: GatewayRequest, current: RC.Gateway | None = None,
            lr: Any | None = None, router_id: str = "") -> Placement:
    """The gateway's network and addresses for `req`. The router's `current` gateway
    addresses on the same network do not count as taken, and a request naming that
    network without fixed IPs keeps them. For an existing router `lr`, the external
    subnets must not overlap its other ports."""
    from ovn_provider.neutron import networks

    ls = networks.find(w.idl, req.network_id)
    if ls is None:
        raise NotFound(f"Network {req.network_id} could not be found.", "NetworkNotFound")
    if not L.parse_bool(ls.external_ids.get(L.LS_ROUTER_EXTERNAL), False):
        raise BadRequest(f"Network {req.network_id} is not a valid external network")
    same_network = (current is not None and current.ls is not None
                    and current.ls.uuid == ls.uuid)
    keep = {ip for ip, _ in addresses(w.idl, current)} if same_network and current else set()
    infos = subnet_order.ordered(ls, [i for i in map(addressing.subnet_info,
                                                     view.subnets_of(w.idl, ls)) if i])
    alloc = addressing.Allocator(w.idl, ls, current.lrp.uuid if same_network and current
                                 else None)

    def free(ip: IPAddress, info: addressing.SubnetInfo) -> bool:
        return str(ip) in keep and str(ip) not in alloc.claimed or \
            not alloc.taken(ip, info.gateway)

    if req.fixed:
        chosen = [_requested(req, item, infos, alloc, free, keep) for item in req.fixed]
    elif same_network and current is not None:
        chosen = _kept(w.idl, current, infos)
    else:
        chosen = _picked(req, infos, alloc, free)
    chosen.sort(key=lambda pair: pair[0].version)
    if lr is not None:
        for info in {str(i.row.uuid): i for i, _ in chosen}.values():
            RC.check_overlap(w, lr, router_id, info.net,
                             skip=current.lrp if current is not None else None)
    return Placement(ls, chosen)


def _usable(info: addressing.SubnetInfo) -> None:
    if info.gateway is None:
        raise BadRequest(f"Subnet {info.row.uuid} cannot be used as external gateway, since "
                         "it does not have a default gateway defined")


def _requested(req: GatewayRequest, item: FixedIp, infos: list[addressing.SubnetInfo],
               alloc: addressing.Allocator, free: Any, keep: set[str]
               ) -> tuple[addressing.SubnetInfo, str]:
    """One `external_fixed_ips` entry. A subnet without an address keeps the gateway's
    current address on that subnet, if any (so repeating the shown gateway is a no-op)."""
    info: addressing.SubnetInfo | None = None
    if item.subnet_id is not None:
        from ovn_provider.neutron import subnets

        row = subnets.find(alloc.idl, item.subnet_id)
        if row is None:
            raise BadRequest(f"Subnet {item.subnet_id} does not exist")
        info = next((i for i in infos if i.row.uuid == row.uuid), None)
        if info is None:
            raise BadRequest(f"Subnet {item.subnet_id} does not belong to network "
                             f"{req.network_id}")
        if item.ip is not None and item.ip not in info.net:
            raise BadRequest(f"IP address {item.ip} is not a valid IP for the specified "
                             f"subnet {item.subnet_id} ({info.net})")
    elif item.ip is not None:
        info = next((i for i in infos if item.ip in i.net), None)
        if info is None:
            raise BadRequest(f"IP address {item.ip} is not a valid IP for any subnet of "
                             f"network {req.network_id}")
    assert info is not None
    _usable(info)
    if item.ip is not None:
        if not free(item.ip, info):
            raise Conflict(f"The ip {item.ip} specified is already in use on network "
                           f"{req.network_id}", "IpAddressInUse")
        alloc.claim(item.ip)
        return info, str(item.ip)
    kept = sorted((ip for ip in keep if ip not in alloc.claimed
                   and ipaddress.ip_address(ip) in info.net), key=ipaddress.ip_address)
    picked = ipaddress.ip_address(kept[0]) if kept else \
        ipam.pick_free(addressing.subnet_pools(info), lambda ip: not free(ip, info))
    if picked is None:
        raise Conflict(f"No more IP addresses available on subnet {info.row.uuid}",
                       "IpAddressGenerationFailure")
    alloc.claim(picked)
    return info, str(picked)


def _kept(idl: NbIdl, current: RC.Gateway, infos: list[addressing.SubnetInfo]
          ) -> list[tuple[addressing.SubnetInfo, str]]:
    by_uuid = {i.row.uuid: i for i in infos}
    kept = []
    for ip, row in addresses(idl, current):
        info = by_uuid.get(row.uuid) if row is not None else None
        if info is not None:
            kept.append((info, ip))
    return kept


def _picked(req: GatewayRequest, infos: list[addressing.SubnetInfo],
            alloc: addressing.Allocator, free: Any) -> list[tuple[addressing.SubnetInfo, str]]:
    """One address per family from the first subnet with a gateway and a free address."""
    chosen: list[tuple[addressing.SubnetInfo, str]] = []
    full = False
    for version in (4, 6):
        for info in infos:
            if info.version != version or info.gateway is None:
                continue
            picked = ipam.pick_free(addressing.subnet_pools(info), _taken_in(free, info))
            if picked is None:
                full = True
                continue
            alloc.claim(picked)
            chosen.append((info, str(picked)))
            break
    if chosen:
        return chosen
    if full:
        raise Conflict(f"No more IP addresses available on network {req.network_id}",
                       "IpAddressGenerationFailure")
    raise BadRequest(f"Network {req.network_id} has no subnet with a default gateway, so it "
                     "cannot be used as external gateway")


def _taken_in(free: Any, info: addressing.SubnetInfo) -> Any:
    return lambda ip: not free(ip, info)


# -- writing -------------------------------------------------------------------------------
def add(w: Writer, lr: Any, lr_id: str | None, place: Placement) -> None:
    """A new gateway port on `place` for `lr`, with its default routes."""
    lsp = RC.add_router_lsp(w, place.ls, lr_id, L.OWNER_ROUTER_GATEWAY)
    mac = RC.unique_mac(w.idl, set())
    RC.add_lrp(w, lr, lsp, mac, place.networks)
    lr.setkey("external_ids", L.LR_GATEWAY_PORT, lsp.name)
    set_routes(w, lr, place.routes(), set())


def readdress(w: Writer, lr: Any, gw: RC.Gateway, place: Placement) -> None:
    """Same external network, other addresses: the port stays, its addresses change."""
    old = current_routes(w.idl, gw)
    gw.lrp.networks = place.networks
    RC.exclude_remove(place.ls, gw.ip)  # a reservation the predecessor wrote
    set_routes(w, lr, place.routes(), old)


def set_routes(w: Writer, lr: Any, routes: set[Route], old: set[Route]) -> None:
    """Replace the gateway's default routes `old` by `routes` (other routes stay, so a
    conflicting user default route is still seen and refused by the caller)."""
    for row in list(lr.static_routes):
        if RC.is_default(row.ip_prefix) and _normal(row) in old - routes:
            lr.delvalue("static_routes", row)
            row.delete()
    present = {_normal(row) for row in lr.static_routes if RC.is_default(row.ip_prefix)}
    for prefix, hop in sorted(routes - present):
        RC.add_route(w, lr, prefix, hop)


def _normal(row: Any) -> Route:
    try:
        return (str(ipaddress.ip_network(row.ip_prefix, strict=False)),
                str(ipaddress.ip_address(row.nexthop)))
    except ValueError:
        return (row.ip_prefix, row.nexthop)
