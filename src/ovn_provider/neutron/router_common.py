"""Shared router plumbing: finding routers, their ports and gateway, `exclude_ips`
reservations, and keeping NAT rows and gateway chassis in step (docs/routers.md).

Used by routers.py, router_interfaces.py and floating_ips.py, and by ports.py to render
router ports. Functions taking a Writer run inside the caller's one NB transaction; rows
inserted earlier in that transaction are found through `Writer.pending`, never through the
IDL's name index (which is keyed when a row is inserted, before its name is set).
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ovn_provider.config import Config
from ovn_provider.errors import BadRequest
from ovn_provider.neutron import addressing, stamps, view
from ovn_provider.neutron import gateway_scheduler as GS
from ovn_provider.neutron import layout as L
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.reservations import exclude_add as exclude_add  # used as RC.exclude_add
from ovn_provider.neutron.reservations import exclude_remove
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.nb import Writer

CHASSIS_PRIORITY_TOP = GS.CHASSIS_PRIORITY_TOP


# -- configuration ---------------------------------------------------------------------
def nat_available(ctx: Ctx) -> bool:
    """SNAT and floating IPs need a distributed gateway port, hence a gateway chassis
    (configured, or marked as gateway in the SB)."""
    return GS.available(ctx.cfg, ctx.nb.gateways)


NO_CHASSIS = ("no gateway chassis exists (no chassis has ovn-cms-options="
              "enable-chassis-as-gw and [NETWORK] gateway-chassis is empty), so SNAT and "
              "floating IPs are not available")


# -- finding rows ------------------------------------------------------------------------
def find_router(idl: NbIdl, router_id: str) -> Any | None:
    return view.by_uuid(idl, L.LR, router_id)


def get_router(idl: NbIdl, router_id: str) -> Any:
    return view.require(find_router(idl, router_id), "Router", router_id)


def pending_key(table: str, name: str) -> str:
    return f"{table}:{name}"


def remember(w: Writer, table: str, row: Any, name: str) -> None:
    """Make a row inserted in this transaction findable by name."""
    w.pending[pending_key(table, name)] = row


def lsp_named(idl: NbIdl, name: str, w: Writer | None = None) -> Any | None:
    """An LSP by name (or by row UUID, as some predecessor data refers to it)."""
    if not name:
        return None
    if w is not None:
        row = w.pending.get(pending_key(L.LSP, name))
        if row is not None:
            return row
    lsp = view.lsp_by_name(idl, name)
    if lsp is not None and lsp.name == name:
        return lsp
    key = view.parse_uuid(name)
    return view.rows(idl, L.LSP).get(key) if key is not None else None


def lrp_named(idl: NbIdl, name: str, w: Writer | None = None) -> Any | None:
    if not name:
        return None
    if w is not None:
        row = w.pending.get(pending_key(L.LRP, name))
        if row is not None:
            return row
    lrp = view.lrp_by_name(idl, name)
    return lrp if lrp is not None and lrp.name == name else None


def peer_lsp(idl: NbIdl, lrp: Any, w: Writer | None = None) -> Any | None:
    """The router-type LSP whose `options:router-port` names `lrp`."""
    if w is not None:
        row = w.pending.get(pending_key("peer", lrp.name))
        if row is not None:
            return row
    owner = idl.addresses.router_peer.get(lrp.name)
    if owner is not None:
        lsp = view.rows(idl, L.LSP).get(owner)
        if lsp is not None and lsp.options.get(L.LSP_ROUTER_PORT) == lrp.name:
            return lsp
    if lrp.name.startswith("lrp"):
        lsp = lsp_named(idl, lrp.name[3:], w)
        if lsp is not None and lsp.options.get(L.LSP_ROUTER_PORT) == lrp.name:
            return lsp
    return None


def _lrp_owner(idl: NbIdl) -> dict[uuid.UUID, Any]:
    result: dict[uuid.UUID, Any] = {}
    for lr in view.rows(idl, L.LR).values():
        for lrp in lr.ports:
            result[lrp.uuid] = lr
    return result


def router_of_lrp(idl: NbIdl, lrp: Any) -> Any | None:
    """The LR holding `lrp` (a map built once per replica change)."""
    return view.cached(idl, "lrp_owner", _lrp_owner, (L.LR,)).get(lrp.uuid)


def router_port_device(idl: NbIdl, lsp: Any) -> tuple[str, str]:
    """(device_owner, device_id) of a router-type LSP: the stored keys, else derived from
    the router that holds its LRP (a gateway port created with its router cannot record
    the router's UUID, which is only known after the commit)."""
    ext = lsp.external_ids
    owner = ext.get(L.LSP_DEVICE_OWNER, "")
    device = ext.get(L.LSP_DEVICE_ID, "")
    if owner and device:
        return owner, device
    lrp = view.lrp_by_name(idl, lsp.options.get(L.LSP_ROUTER_PORT, ""))
    lr = router_of_lrp(idl, lrp) if lrp is not None else None
    if lr is None:
        return owner, device
    if not owner:
        owner = L.OWNER_ROUTER_GATEWAY if lr.external_ids.get(L.LR_GATEWAY_PORT) == lsp.name \
            else L.OWNER_ROUTER_INTERFACE
    return owner, device or str(lr.uuid)


@dataclass
class Gateway:
    lsp: Any
    lrp: Any
    ls: Any | None
    ip: str  # the gateway address, without prefix
    prefixlen: int
    subnet: Any | None  # the external subnet (DHCP_Options row)

    @property
    def version(self) -> int:
        return ipaddress.ip_address(self.ip).version


def gateway_of(idl: NbIdl, lr: Any, w: Writer | None = None) -> Gateway | None:
    name = lr.external_ids.get(L.LR_GATEWAY_PORT)
    lsp = lsp_named(idl, name or "", w)
    if lsp is None:
        return None
    lrp = lrp_named(idl, lsp.options.get(L.LSP_ROUTER_PORT, ""), w)
    if lrp is None or not lrp.networks:
        return None
    if w is not None and w.pending.get(pending_key("peer-ls", lsp.name)) is not None:
        ls = w.pending[pending_key("peer-ls", lsp.name)]
    else:
        ls = view.network_of(idl, lsp)
    iface = ipaddress.ip_interface(lrp.networks[0])
    subnet = None
    if ls is not None:
        subnet = view.subnet_for_ip(view.subnets_of(idl, ls), str(iface.ip))
    return Gateway(lsp, lrp, ls, str(iface.ip), iface.network.prefixlen, subnet)


def interface_lrps(idl: NbIdl, lr: Any, w: Writer | None = None) -> list[Any]:
    """The router's LRPs other than its external gateway."""
    gw_name = lr.external_ids.get(L.LR_GATEWAY_PORT)
    gw = lsp_named(idl, gw_name or "", w)
    gw_lrp = gw.options.get(L.LSP_ROUTER_PORT) if gw is not None else None
    return [lrp for lrp in lr.ports if lrp.name != gw_lrp]


def lrp_ls(idl: NbIdl, lrp: Any, w: Writer | None = None) -> Any | None:
    """The LS an LRP is attached to (through its peer LSP)."""
    lsp = peer_lsp(idl, lrp, w)
    if lsp is None:
        return None
    if w is not None:
        ls = w.pending.get(pending_key("peer-ls", lsp.name))
        if ls is not None:
            return ls
    return view.network_of(idl, lsp)


# -- creating router ports -------------------------------------------------------------------
def unique_mac(idl: NbIdl, claimed: set[str]) -> str:
    rng = random.SystemRandom()
    for _ in range(64):
        mac = "02:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5))
        if mac not in idl.addresses.by_mac and mac not in claimed:
            claimed.add(mac)
            return mac
    raise BadRequest("Unable to generate a unique MAC address")


def ra_configs(ls: Any, subnet: Any) -> dict[str, str]:
    """`ipv6_ra_configs` of an IPv6 router interface (docs/routers.md)."""
    info = addressing.subnet_info(subnet)
    mode = (info.mode if info is not None and info.mode else "dhcpv6-stateful")
    configs = {"address_mode": mode.replace("-", "_"), "send_periodic": "true"}
    mtu = L.parse_int(ls.external_ids.get(L.LS_MTU))
    if mtu is not None and mtu > 0:
        configs["mtu"] = str(mtu)
    return configs


def add_router_lsp(w: Writer, ls: Any, lr_id: str | None, owner: str) -> Any:
    """A new router-type LSP on `ls` (docs/routers.md); its LRP is named `lrp<name>`."""
    name = L.new_id()
    ext = {L.LSP_NIC_NAME: L.NIC_NAME_ROUTER, L.LSP_DEVICE_OWNER: owner,
           L.LSP_NETWORK_ID: str(ls.uuid), **stamps.new()}
    if lr_id:
        ext[L.LSP_DEVICE_ID] = lr_id
    lsp = w.insert(L.LSP, name=name, type="router", addresses=["router"],
                   options={L.LSP_ROUTER_PORT: L.lrp_name(name)}, enabled=[True],
                   external_ids=ext)
    ls.addvalue("ports", lsp)
    remember(w, L.LSP, lsp, name)
    w.pending[pending_key("peer-ls", name)] = ls
    return lsp


def add_lrp(w: Writer, lr: Any, lsp: Any, mac: str, networks: list[str],
            ra: dict[str, str] | None = None) -> Any:
    name = L.lrp_name(lsp.name)
    lrp = w.insert(L.LRP, name=name, mac=mac, networks=networks, gateway_chassis=[],
                   ha_chassis_group=[], ipv6_ra_configs={}, external_ids={})
    if ra:
        lrp.ipv6_ra_configs = ra
    lr.addvalue("ports", lrp)
    remember(w, L.LRP, lrp, name)
    w.pending[pending_key("peer", name)] = lsp
    return lrp


def delete_router_port(w: Writer, lr: Any, lrp: Any, lsp: Any | None, ls: Any | None) -> None:
    """Remove an interface: the LRP and its peer LSP (as Neutron does, BZ 1531112)."""
    lr.delvalue("ports", lrp)
    lrp.delete()
    if lsp is not None:
        if ls is not None:
            ls.delvalue("ports", lsp)
        lsp.delete()


def check_overlap(w: Writer, lr: Any, router_id: str, net: Any,
                  skip: Any | None = None) -> None:
    """A router cannot reach two overlapping subnets: 400 when `net` overlaps a network
    of one of its ports (other than `skip`)."""
    for lrp in lr.ports:
        if skip is not None and lrp.uuid == skip.uuid:
            continue
        for iface in networks_of_lrps([lrp]):
            if iface.version == net.version and iface.network.overlaps(net):
                raise BadRequest(f"Bad router request: Cidr {net} overlaps with cidr "
                                 f"{iface.network} of an interface of router {router_id}")


# -- routes --------------------------------------------------------------------------------
def is_default(prefix: str) -> bool:
    try:
        return ipaddress.ip_network(prefix, strict=False).prefixlen == 0
    except ValueError:
        return False


def add_route(w: Writer, lr: Any, prefix: str, nexthop: str) -> None:
    route = w.insert(L.STATIC_ROUTE, ip_prefix=prefix, nexthop=nexthop, policy=[],
                     output_port=[], external_ids={})
    lr.addvalue("static_routes", route)


def remove_default_routes(lr: Any) -> None:
    for route in list(lr.static_routes):
        if is_default(route.ip_prefix):
            lr.delvalue("static_routes", route)
            route.delete()


# -- gateway removal --------------------------------------------------------------------------
def fips_on_router(lr: Any) -> list[Any]:
    return [nat for nat in lr.nat if nat.type == "dnat_and_snat"
            and L.NAT_FIP_ID in nat.external_ids]


def remove_gateway(w: Writer, lr: Any, gw: Gateway) -> None:
    """Drop the external gateway: its LSP and LRP, `ovirt_gateway_port`, the default
    routes and the `exclude_ips` reservation (docs/routers.md)."""
    delete_router_port(w, lr, gw.lrp, gw.lsp, gw.ls)
    if L.LR_GATEWAY_PORT in lr.external_ids:
        lr.delkey("external_ids", L.LR_GATEWAY_PORT)
    remove_default_routes(lr)
    if gw.ls is not None:
        exclude_remove(gw.ls, gw.ip)


# -- NAT and gateway chassis ------------------------------------------------------------------
def snat_enabled(lr: Any) -> bool:
    return L.parse_bool(lr.external_ids.get(L.LR_ENABLE_SNAT), False)


def refresh_nat(w: Writer, cfg: Config, lr: Any) -> None:
    """Bring the router's `snat` rows and its gateway port's chassis in line with its
    current gateway, SNAT flag and interfaces (call after every change to any of them).

    - one `snat` row per internal subnet (the CIDR of each interface network of the
      gateway's IP family) with `external_ip` = the gateway IP, when SNAT is enabled;
    - the gateway LRP is a distributed gateway port (`gateway_chassis`) exactly while
      the router has NAT rows; routers without NAT stay fully distributed (docs/routers.md).
    """
    gw = gateway_of(w.idl, lr, w)
    wanted: set[str] = set()
    if gw is not None and snat_enabled(lr):
        for lrp in interface_lrps(w.idl, lr, w):
            for network in lrp.networks:
                try:
                    iface = ipaddress.ip_interface(network)
                except ValueError:
                    continue
                if iface.version == gw.version:
                    wanted.add(str(iface.network))
    for nat in list(lr.nat):
        if nat.type != "snat" or nat.external_ids.get(L.NAT_SNAT) != "True":
            continue
        if gw is not None and nat.external_ip == gw.ip and nat.logical_ip in wanted:
            wanted.discard(nat.logical_ip)
            continue
        lr.delvalue("nat", nat)
        nat.delete()
    if wanted and gw is not None:
        for cidr in sorted(wanted):
            nat = w.insert(L.NAT, type="snat", external_ip=gw.ip, logical_ip=cidr,
                           external_ids={L.NAT_SNAT: "True"})
            lr.addvalue("nat", nat)
    if gw is not None:
        sync_chassis(w, cfg, gw.lrp, needed=bool(lr.nat))


def sync_chassis(w: Writer, cfg: Config, lrp: Any, needed: bool,
                 loads: Counter[str] | None = None) -> bool:
    """Make the provider's Gateway_Chassis rows of `lrp` the scheduler's plan
    (gateway_scheduler.py); none when not `needed`. Returns whether anything changed.
    The column is verified, so a concurrent change by another provider instance makes
    the transaction run again on the fresh replica instead of writing a stale plan."""
    current = list(lrp.gateway_chassis)
    mine = [gc for gc in current if gc.external_ids.get(L.GW_CHASSIS_MARK) == "True"]
    foreign = [gc for gc in current if gc not in mine]
    if foreign or lrp.ha_chassis_group:
        return False  # an operator made this a gateway port: leave it alone
    mine.sort(key=lambda gc: (-gc.priority, gc.chassis_name))
    wanted = GS.wanted(cfg, w.gateways, w.idl, lrp.name,
                       [gc.chassis_name for gc in mine], loads) if needed else {}
    if needed and not wanted:
        return False  # no gateway chassis known now: keep what is there
    if {gc.chassis_name: gc.priority for gc in mine} == wanted and len(mine) == len(wanted):
        return False
    lrp.verify("gateway_chassis")
    for gc in mine:
        priority = wanted.pop(gc.chassis_name, None)
        if priority is None:
            lrp.delvalue("gateway_chassis", gc)
            gc.delete()
        elif gc.priority != priority:
            gc.priority = priority
    for name, priority in wanted.items():
        gc = w.insert(L.GATEWAY_CHASSIS, name=f"{lrp.name}_{name}", chassis_name=name,
                      priority=priority, external_ids={L.GW_CHASSIS_MARK: "True"})
        lrp.addvalue("gateway_chassis", gc)
    return True


def networks_of_lrps(lrps: Iterable[Any]) -> list[ipaddress.IPv4Interface |
                                                   ipaddress.IPv6Interface]:
    result = []
    for lrp in lrps:
        for network in lrp.networks:
            try:
                result.append(ipaddress.ip_interface(network))
            except ValueError:
                continue
    return result
