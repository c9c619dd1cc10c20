"""A port's addresses on its network: which IPs it gets and how they are written to the LSP.

Layout (docs/nb-layout.md; docs/compatibility.md, "Beyond the predecessor"):
- no subnet on the network, or `fixed_ips: []`: `addresses = ["<mac>"]`;
- only automatic addresses: `addresses = ["<mac> dynamic"]`, and the provider writes the
  address it picked into `dynamic_addresses` in the same transaction (ovn-northd keeps a
  valid pre-set value), so the create answer already carries `fixed_ips`;
- any requested address: `addresses = ["<mac> <ip> ..."]`.
IPv6 automatic addresses are EUI-64 from the MAC, as OVN derives them.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ovn_provider.errors import BadRequest, Conflict, NotFound
from ovn_provider.neutron import address_pairs as AP
from ovn_provider.neutron import ipam, scan_hint, subnet_order, switch_lock, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.validate import IPAddress, IPNetwork
from ovn_provider.ovn.index import NbIdl, committed_data, lsp_ips, set_contains, set_uuids


@dataclass
class SubnetInfo:
    row: Any
    net: IPNetwork
    version: int
    gateway: IPAddress | None
    mode: str | None  # IPv6 address mode (dashed), None for IPv4
    dhcp: bool

    @property
    def auto_only(self) -> bool:
        """IPv6 subnets whose addresses come from the MAC (no fixed addresses)."""
        return self.version == 6 and self.mode in ("dhcpv6-stateless", "slaac")


def subnet_info(row: Any) -> SubnetInfo | None:
    try:
        net = ipaddress.ip_network(row.cidr, strict=False)
    except ValueError:
        return None
    ext = row.external_ids
    if net.version == 4:
        gw_text = row.options.get("router")
    else:
        gw_text = ext.get(L.DHCP_ROUTER)
    gateway = ipam.ip_of(gw_text) if gw_text else None
    mode = L.ipv6_mode(ext.get(L.DHCP_IPV6_MODE) or ext.get("ovirt_ipv6_address_mode"))
    if net.version == 6 and mode is None:
        mode = "dhcpv6-stateless" if row.options.get("dhcpv6_stateless") == "true" else \
            "dhcpv6-stateful"
    return SubnetInfo(row, net, net.version, gateway, mode if net.version == 6 else None,
                      L.parse_bool(ext.get(L.DHCP_ENABLED), True))


def subnet_pools(info: SubnetInfo) -> list[ipam.Pool]:
    stored = ipam.parse_pools(info.row.external_ids.get(L.DHCP_POOLS))
    if stored is not None:
        return stored
    return ipam.default_pools(info.net, info.gateway)


@dataclass
class Plan:
    mac: str
    addresses: list[str]
    dynamic: str | None  # value for dynamic_addresses, None to leave it empty
    ips: list[tuple[str, Any]] = field(default_factory=list)  # (ip, subnet row)
    dhcpv4: Any | None = None
    dhcpv6: Any | None = None


class Allocator:
    """Answers "is this IP free on this switch?" from the address index, in O(1)."""

    def __init__(self, idl: NbIdl, ls: Any, ignore: uuid.UUID | None) -> None:
        if idl.txn is not None:
            switch_lock.lock_switch(idl, ls)
        self.idl = idl
        self.ls = ls
        self.ignore = ignore
        tokens = ls.other_config.get(L.LS_EXCLUDE_IPS, "").split()
        # The ranges that keep OVN's allocation inside a subnet's allocation_pools reserve
        # nothing: fixed IPs outside the pools are allowed, as in Neutron (docs/compatibility.md,
        # "Beyond the predecessor").
        pooled: set[str] = set()
        for row in view.subnets_of(idl, ls):
            pools = ipam.parse_pools(row.external_ids.get(L.DHCP_POOLS))
            info = subnet_info(row) if pools else None
            if pools and info is not None and info.version == 4:
                pooled.update(ipam.exclude_text_for_pools(info.net, pools).split())
        self.exclude = ipam.parse_exclude_ips(" ".join(t for t in tokens if t not in pooled))
        self.claimed: set[str] = set()
        # Claims of earlier ports in this transaction (a bulk create), by owner: a port
        # being updated (`ignore`) keeps its own; a new port is its own owner.
        self.owner: Any = ignore if ignore is not None else object()
        self.shared: dict[str, Any] = \
            idl.txn_claims.setdefault(f"ip:{ls.uuid}", {}) if idl.txn is not None else {}

    def owner_on_switch(self, ip: IPAddress) -> bool:
        owners = self.idl.addresses.by_ip.get(str(ip), ())
        lsps = view.rows(self.idl, L.LSP)
        lrps = view.rows(self.idl, L.LRP)
        for owner in owners:
            if owner == self.ignore:
                continue
            lsp = lsps.get(owner)
            if lsp is not None:
                if set_contains(self.ls, "ports", owner) and str(ip) in lsp_ips(lsp)[0]:
                    return True
                continue
            lrp = lrps.get(owner)
            if lrp is None:
                continue
            peer = self.idl.addresses.router_peer.get(lrp.name)
            if peer is not None and set_contains(self.ls, "ports", peer):
                return True
        return False

    def taken(self, ip: IPAddress, gateway: IPAddress | None) -> bool:
        text = str(ip)
        return (text in self.claimed or self.shared.get(text, self.owner) != self.owner
                or ip == gateway or ipam.excluded(ip, self.exclude)
                or self.owner_on_switch(ip))

    def claim(self, ip: IPAddress) -> None:
        self.claimed.add(str(ip))
        self.shared[str(ip)] = self.owner


def _parse_request(fixed_ips: list[Any], infos: list[SubnetInfo]
                   ) -> list[tuple[SubnetInfo, IPAddress | None]]:
    by_id = {str(info.row.uuid): info for info in infos}
    wanted: list[tuple[SubnetInfo, IPAddress | None]] = []
    for entry in fixed_ips:
        if not isinstance(entry, dict):
            raise BadRequest("Invalid fixed_ips entry: each must be an object with ip_address "
                             "and/or subnet_id")
        subnet_id = entry.get("subnet_id")
        ip_text = entry.get("ip_address")
        if subnet_id is None and ip_text is None:
            raise BadRequest("Invalid fixed_ips entry: ip_address or subnet_id is required")
        info: SubnetInfo | None = None
        if subnet_id is not None:
            if not isinstance(subnet_id, str) or subnet_id not in by_id:
                raise BadRequest(f"Subnet {subnet_id} does not belong to the port's network")
            info = by_id[subnet_id]
        ip = None
        if ip_text is not None:
            ip = V.ip_address(ip_text, "ip_address")
            if info is None:
                info = next((i for i in infos if ip in i.net), None)
                if info is None:
                    raise BadRequest(f"IP address {ip} is not in any subnet of the network")
            elif ip not in info.net:
                raise BadRequest(f"IP address {ip} is not a valid IP for the specified subnet "
                                 f"{info.row.uuid} ({info.net})")
            if not _host_address(ip, info.net):
                raise BadRequest(f"IP address {ip} is not a valid IP for the specified subnet "
                                 f"{info.row.uuid} ({info.net})")
            if info.auto_only:
                raise BadRequest(f"IPv6 address {ip} cannot be directly assigned to a port on "
                                 f"subnet {info.row.uuid} with {info.mode} address mode")
        assert info is not None
        wanted.append((info, ip))
    seen: set[str] = set()
    for _, ip in wanted:
        if ip is not None:
            if str(ip) in seen:
                raise BadRequest(f"Duplicate IP address {ip} in fixed_ips")
            seen.add(str(ip))
    return wanted


def _host_address(ip: IPAddress, net: IPNetwork) -> bool:
    """Neither the network address nor, for IPv4, the broadcast address (RFC 3021 /31 and
    /32 have neither)."""
    if net.version == 4 and net.prefixlen >= 31:
        return True
    if ip == net.network_address:
        return False
    return net.version == 6 or ip != net.broadcast_address


def plan(idl: NbIdl, ls: Any, mac: str, fixed_ips: list[Any] | None,
         port_uuid: uuid.UUID | None = None, prefer: dict[str, str] | None = None) -> Plan:
    """Work out the addresses of a port with MAC `mac` on `ls`.

    `fixed_ips`: the request's list, or None for "automatic on every subnet".
    `port_uuid`: the port being updated (its own addresses do not count as taken).
    `prefer`: {subnet id: ip} to hand out again when still free (a MAC change).
    Raises BadRequest / Conflict for invalid or taken addresses.
    """
    infos = subnet_order.ordered(
        ls, [i for i in (subnet_info(r) for r in view.subnets_of(idl, ls)) if i is not None])
    alloc = Allocator(idl, ls, port_uuid)
    if fixed_ips is None:
        wanted: list[tuple[SubnetInfo, IPAddress | None]] = [
            (info, None) for info in _automatic(infos)]
        explicit = False
    else:
        if not infos and fixed_ips:
            raise BadRequest(f"Network {ls.uuid} has no subnet, fixed_ips cannot be set")
        _missing_subnets(idl, fixed_ips)
        wanted = _parse_request(fixed_ips, infos)
        explicit = any(ip is not None for _, ip in wanted)
    result: list[tuple[str, Any]] = []
    for info, ip in wanted:
        if ip is not None:
            # the subnet's gateway address is free for a port while no router port holds
            # it (a router interface added by port, docs/routers.md)
            if alloc.taken(ip, None):
                raise Conflict(f"The ip {ip} specified is already in use on network {ls.uuid}",
                               "IpAddressInUse")
            alloc.claim(ip)
            result.append((str(ip), info.row))
            continue
        again = (prefer or {}).get(str(info.row.uuid))
        if again is not None and not info.auto_only:
            candidate = ipaddress.ip_address(again)
            if candidate in info.net and not alloc.taken(candidate, info.gateway):
                alloc.claim(candidate)
                result.append((again, info.row))
                continue
        # automatic: the requested subnet, else the first of the family with a free address
        tried = [info] if fixed_ips is not None or info.auto_only else \
            [i for i in infos if i.version == info.version and not i.auto_only]
        result.append(_allocate_first(idl, tried, mac, alloc))
    return _build(mac, result, explicit, infos, subnet_order.primaries(ls, infos))


def _allocate_first(idl: NbIdl, tried: list[SubnetInfo], mac: str, alloc: Allocator
                    ) -> tuple[str, Any]:
    for info in tried[:-1]:
        try:
            return str(_allocate(idl, info, mac, alloc)), info.row
        except Conflict:
            continue
    return str(_allocate(idl, tried[-1], mac, alloc)), tried[-1].row


def _missing_subnets(idl: NbIdl, fixed_ips: list[Any]) -> None:
    """404 for a `fixed_ips` subnet that does not exist at all, as Neutron (one that exists
    on another network stays a 400)."""
    for entry in fixed_ips:
        ident = entry.get("subnet_id") if isinstance(entry, dict) else None
        if isinstance(ident, str) and view.parse_uuid(ident) is not None \
                and view.by_uuid(idl, L.DHCP, ident) is None:
            raise NotFound(f"Subnet {ident} could not be found.", "SubnetNotFound")


def _automatic(infos: list[SubnetInfo]) -> list[SubnetInfo]:
    """The subnets a port without `fixed_ips` gets addresses from, as Neutron: every
    SLAAC / DHCPv6-stateless subnet (addresses from the MAC), and one other subnet per
    family (the first; the caller falls back to the next one that has room)."""
    chosen: list[SubnetInfo] = []
    families: set[int] = set()
    for info in infos:
        if info.auto_only:
            chosen.append(info)
        elif info.version not in families:
            families.add(info.version)
            chosen.append(info)
    return chosen


def _cursors(idl: NbIdl) -> dict[uuid.UUID, IPAddress]:
    """Subnet -> the last address handed out there: where the next search starts. A hint
    only (each pick is checked against the address index), so nothing ever drops it."""
    return idl.kept.keep("alloc_cursor", dict)


def _allocate(idl: NbIdl, info: SubnetInfo, mac: str, alloc: Allocator) -> IPAddress:
    if info.version == 6 and info.net.prefixlen == 64:
        ip: IPAddress = ipam.eui64(info.net, mac)
        if alloc.taken(ip, info.gateway):
            raise Conflict(f"The ip {ip} derived from MAC {mac} is already in use on network "
                           f"{alloc.ls.uuid}", "IpAddressInUse")
        alloc.claim(ip)
        return ip
    # ovn-northd never hands out the first IPv4 address of the switch's subnet (it keeps
    # it for a router) and would replace such a pre-set dynamic address: skip it too.
    reserved = info.net.network_address + 1 if info.version == 4 else None
    cursors = _cursors(idl)
    cursor = cursors.get(info.row.uuid)
    picked = ipam.pick_free(subnet_pools(info),
                            lambda c: c == reserved or alloc.taken(c, info.gateway),
                            start_after=cursor, held=scan_hint.held(idl, alloc.ls, info.version))
    if picked is None:
        raise Conflict(f"No more IP addresses available on subnet {info.row.uuid}",
                       "IpAddressGenerationFailure")
    cursors[info.row.uuid] = picked
    alloc.claim(picked)
    return picked


def _build(mac: str, ips: list[tuple[str, Any]], explicit: bool, infos: list[SubnetInfo],
           primaries: set[Any]) -> Plan:
    by_row = {info.row.uuid: info for info in infos}
    dhcp4 = dhcp6 = None
    for _, row in ips:
        info = by_row[row.uuid]
        if not info.dhcp:
            continue
        if info.version == 4 and dhcp4 is None:
            dhcp4 = row
        elif info.version == 6 and dhcp6 is None:
            dhcp6 = row
    if not ips:
        return Plan(mac, [mac], None)
    versions = [by_row[row.uuid].version for _, row in ips]
    if explicit or len(versions) != len(set(versions)) or \
            any(row.uuid not in primaries for _, row in ips):
        # OVN's dynamic addressing covers one address of each family's primary subnet
        # only: anything else is written as static addresses
        text = " ".join([mac, *(ip for ip, _ in ips)])
        return Plan(mac, [text], None, ips, dhcp4, dhcp6)
    ordered = sorted(ips, key=lambda item: by_row[item[1].uuid].version)
    dynamic = " ".join([mac, *(ip for ip, _ in ordered)])
    return Plan(mac, [f"{mac} dynamic"], dynamic, ips, dhcp4, dhcp6)


def apply(lsp: Any, p: Plan, with_security: bool, pairs: Sequence[AP.Pair] = ()) -> None:
    """Write a plan to an LSP row inside the current transaction, with the port security
    and `addresses` entries its allowed address `pairs` need."""
    lsp.addresses = AP.addresses(p.addresses, p.mac, pairs, with_security)
    lsp.dynamic_addresses = [p.dynamic] if p.dynamic else []
    lsp.dhcpv4_options = [p.dhcpv4] if p.dhcpv4 is not None else []
    lsp.dhcpv6_options = [p.dhcpv6] if p.dhcpv6 is not None else []
    lsp.port_security = AP.port_security(p.mac, pairs, with_security)


def current_ips(idl: NbIdl, lsp: Any, subnets: list[Any]) -> list[dict[str, str]]:
    """The `fixed_ips` of an LSP, from its static addresses or dynamic_addresses."""
    _, static, dynamic = ipam.parse_lsp_addresses(lsp.addresses)
    ips = ipam.parse_dynamic(lsp.dynamic_addresses) if dynamic else static
    return fixed_ips(idl, lsp, ips, lambda ip: view.subnet_for_ip(subnets, ip))


def fixed_ips(idl: NbIdl, lsp: Any, ips: list[str], find: Callable[[str], Any | None],
              key: Callable[[Any], str] = lambda row: str(row.uuid)
              ) -> list[dict[str, str]]:
    """`ips` as `fixed_ips` entries: the subnet is the network's subnet holding the IP
    (`find`), else the LSP's own DHCP reference holding it, else ``""``.

    A dynamic address that lies in no subnet of the network is left out: it is what
    ovn-northd had assigned from a subnet that is gone, and northd clears it shortly
    (it may even write it back once from a stale view right after the subnet delete)."""
    result: list[dict[str, str]] = []
    for ip in ips:
        subnet = find(ip)
        if subnet is None:
            subnet = next((r for r in _dhcp_refs(idl, lsp)
                           if r is not None and view.subnet_for_ip([r], ip)), None)
        if subnet is None and ipam.parse_lsp_addresses(lsp.addresses)[2]:
            continue
        result.append({"ip_address": ip, "subnet_id": key(subnet) if subnet else ""})
    return result


def _dhcp_refs(idl: NbIdl, lsp: Any) -> list[Any]:
    if committed_data(lsp) is None:  # written in this transaction
        return [*lsp.dhcpv4_options, *lsp.dhcpv6_options]
    table = view.rows(idl, L.DHCP)
    return [table.get(ref) for ref in
            (*set_uuids(lsp, "dhcpv4_options"), *set_uuids(lsp, "dhcpv6_options"))]
