"""Subnets: DHCP_Options rows plus the LS other_config that drives OVN addressing
(docs/compatibility.md, "Networks, subnets, ports"; docs/nb-layout.md; docs/compatibility.md,
"Beyond the predecessor")."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from ovn_provider.errors import BadRequest, Conflict
from ovn_provider.neutron import (
    addressing,
    bulk,
    ipam,
    networks,
    ports,
    stamps,
    subnet_order,
    subnet_switch,
    tags,
    view,
)
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import subnet_values as SV
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.validate import IPAddress, IPNetwork
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.nb import Writer
from ovn_provider.schema.render import plan as render_plan
from ovn_provider.schema.subnets import SCHEMA
from ovn_provider.schema.write import plan as write_plan

#: DHCP_Options.options keys the provider owns. Any other key (an operator's ntp_server,
#: domain_name, ...) is foreign and survives updates (docs/nb-layout.md).
OWNED_OPTIONS = ("server_id", "server_mac", "lease_time", "router", "mtu", "dns_server",
                 "classless_static_route", "dhcpv6_stateless")


# -- reading -----------------------------------------------------------------------------
def _dns(row: Any) -> list[str]:
    """`options:dns_server`: one address, or the OVN set `{a, b}`."""
    text = row.options.get("dns_server", "").strip()
    if not text:
        return []
    return [part.strip() for part in text.strip("{}").split(",") if part.strip()]


def _host_routes(row: Any) -> list[dict[str, str]]:
    text = row.external_ids.get(L.DHCP_HOST_ROUTES, "")
    routes = []
    for item in text.split():
        dest, _, hop = item.partition(",")
        routes.append({"destination": dest, "nexthop": hop})
    return routes


#: The answer's plain attributes, from the schema (docs/architecture.md, "How to add an
#: attribute"), in the order subnets have always been shown; IPv6 subnets add their modes.
PLAN = render_plan(SCHEMA, (
    "id", "network_id", "name", "cidr", "ip_version", "gateway_ip", "enable_dhcp",
    "dns_nameservers", "host_routes", "allocation_pools", "tenant_id", "project_id",
    "description", "tags", "created_at", "updated_at", "revision_number"))
#: The plain attributes' writes (name, description), from the schema; network_id is the
#: network's UUID as found.
WRITE = write_plan(SCHEMA, by_module=("network_id",))


def render(ctx: Ctx, row: Any) -> dict[str, Any]:
    info = addressing.subnet_info(row)
    c = PLAN.read(row)
    ext = c["external_ids"]
    version = info.version if info else L.parse_int(ext.get(L.DHCP_IP_VERSION)) or 4
    pools = addressing.subnet_pools(info) if info else []
    result = PLAN.render(c)
    result["cidr"] = str(info.net) if info else row.cidr
    result["ip_version"] = version
    result["gateway_ip"] = str(info.gateway) if info and info.gateway else None
    result["enable_dhcp"] = info.dhcp if info else True
    result["dns_nameservers"] = _dns(row)
    result["host_routes"] = _host_routes(row)
    result["allocation_pools"] = [{"start": str(a), "end": str(b)} for a, b in pools]
    result["tenant_id"] = result["project_id"] = ctx.cfg.tenant_id
    if version == 6:
        result["ipv6_address_mode"] = info.mode if info else None
        result["ipv6_ra_mode"] = L.ipv6_mode(ext.get(L.DHCP_RA_MODE))
    return result


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        return [render(ctx, row) for row in view.rows(idl, L.DHCP).values()
                if L.is_ovirt_subnet(row)]


def find(idl: NbIdl, subnet_id: str) -> Any | None:
    row = view.by_uuid(idl, L.DHCP, subnet_id)
    return row if row is not None and L.is_ovirt_subnet(row) else None


def _get(idl: NbIdl, subnet_id: str) -> Any:
    return view.require(find(idl, subnet_id), "Subnet", subnet_id)


def show(ctx: Ctx, subnet_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        return render(ctx, _get(idl, subnet_id))


# -- NB rows -----------------------------------------------------------------------------
def _options(ctx: Ctx, ls: Any, version: int, net: IPNetwork, gateway: IPAddress | None,
             dns: list[str], mode: str | None, routes: list[tuple[str, str]]) -> dict[str, str]:
    """The provider-owned DHCP options of a subnet (docs/nb-layout.md)."""
    cfg = ctx.cfg
    dns_text = None
    if dns:
        dns_text = dns[0] if len(dns) == 1 else "{" + ", ".join(dns) + "}"
    if version == 6:
        opts = {"server_id": cfg.dhcp_server_mac}
        if dns_text:
            opts["dns_server"] = dns_text
        if mode in ("dhcpv6-stateless", "slaac"):
            opts["dhcpv6_stateless"] = "true"
        return opts
    opts = {"server_id": str(net.network_address), "server_mac": cfg.dhcp_server_mac,
            "lease_time": str(cfg.dhcp_lease_time)}
    if gateway is not None:
        opts["router"] = str(gateway)
    mtu = L.parse_int(ls.external_ids.get(L.LS_MTU))
    if mtu is not None and mtu > 0:
        opts["mtu"] = str(mtu)
    elif cfg.dhcp_enable_mtu:
        opts["mtu"] = str(cfg.dhcp_mtu)
    if dns_text:
        opts["dns_server"] = dns_text
    if routes:
        entries = [f"{dest},{hop}" for dest, hop in routes]
        if gateway is not None and not any(d == "0.0.0.0/0" for d, _ in routes):
            entries.append(f"0.0.0.0/0,{gateway}")  # RFC 3442: clients drop `router`
        opts["classless_static_route"] = "{" + ", ".join(entries) + "}"
    return opts


def _pool_exclusions(net: IPNetwork, pools: list[ipam.Pool] | None) -> list[str]:
    """The exclude_ips tokens that keep OVN's IPv4 allocation inside `pools`."""
    if pools is None or net.version != 4:
        return []
    return ipam.exclude_text_for_pools(net, pools).split()


def _set_exclusions(ls: Any, net: IPNetwork, old: list[ipam.Pool] | None,
                    new: list[ipam.Pool] | None) -> None:
    """Swap the pool-derived part of LS `exclude_ips`, keeping every other entry (router
    gateway IPs, an operator's own)."""
    if net.version != 4 or (old is None and new is None):
        return
    derived = set(_pool_exclusions(net, old))
    kept = [t for t in ls.other_config.get(L.LS_EXCLUDE_IPS, "").split() if t not in derived]
    tokens = _pool_exclusions(net, new) + kept
    if tokens:
        ls.setkey("other_config", L.LS_EXCLUDE_IPS, " ".join(tokens))
    elif L.LS_EXCLUDE_IPS in ls.other_config:
        ls.delkey("other_config", L.LS_EXCLUDE_IPS)


def _relink_ports(w: Writer, ls: Any) -> None:
    """Give every oVirt VM port of `ls` the addresses and DHCP of the current subnets
    (on create, and when enable_dhcp changes)."""

    for lsp in ls.ports:
        if not L.is_ovirt_port(lsp) or lsp.type in ("router", "localnet"):
            continue
        ports.readdress(w, ls, lsp)


def prepare_create(ctx: Ctx, data: dict[str, Any]) -> Callable[[Writer], Any]:
    """Validate a POST body; the returned write function inserts the object into an
    open transaction (a bulk create shares one, neutron/bulk.py) and returns its id
    (or a callable giving it after the commit)."""
    v = SV.validate_create(ctx, data)
    tagged = tags.create_ext(data)

    def write(w: Writer) -> Any:

        ls = networks.find(w.idl, v["network_id"])
        if ls is None:
            raise BadRequest(f"Subnet can not be created, network {v['network_id']} does not "
                             "exist")
        # Another provider instance creating a subnet on this network changes other_config
        # too: the server then answers TRY_AGAIN and this check runs again (docs/compatibility.md,
        # "Concurrency").
        ls.verify("other_config")
        first_of_family = True
        for other in view.subnets_of(w.idl, ls):
            info = addressing.subnet_info(other)
            if info is None or info.version != v["version"]:
                continue
            first_of_family = False
            if info.net.overlaps(v["net"]):
                raise BadRequest(f"Invalid input for operation: Requested subnet with cidr: "
                                 f"{v['net']} for network: {v['network_id']} overlaps with "
                                 "another subnet.")
        ext = {L.DHCP_NETWORK_ID: str(ls.uuid), L.DHCP_IP_VERSION: str(v["version"]), **tagged,
               **stamps.new(), **WRITE.create(data).get("external_ids", {})}
        if not v["dhcp"]:
            ext[L.DHCP_ENABLED] = "False"
        if v["pools"] is not None:
            ext[L.DHCP_POOLS] = ipam.pools_text(v["pools"])
        if v["routes"]:
            ext[L.DHCP_HOST_ROUTES] = " ".join(f"{d},{h}" for d, h in v["routes"])
        if v["version"] == 6:
            ext[L.DHCP_IPV6_MODE] = v["mode"].replace("-", "_")
            mtu = L.parse_int(ls.external_ids.get(L.LS_MTU))
            if mtu is not None and mtu > 0:
                ext[L.DHCP_MTU] = str(mtu)
            if v["gateway"] is not None:
                ext[L.DHCP_ROUTER] = str(v["gateway"])
            if v["ra_mode"]:
                ext[L.DHCP_RA_MODE] = v["ra_mode"].replace("-", "_")
        row = w.insert(L.DHCP, cidr=str(v["net"]), external_ids=ext,
                       options=_options(ctx, ls, v["version"], v["net"], v["gateway"],
                                        v["dns"], v["mode"], v["routes"]))
        if not first_of_family:
            pass  # OVN's addressing stays on the family's primary subnet
        elif v["version"] == 4:
            ls.setkey("other_config", L.LS_SUBNET, str(v["net"]))
            _set_exclusions(ls, v["net"], None, v["pools"])
        else:
            ls.setkey("other_config", L.LS_IPV6_PREFIX, str(v["net"].network_address))
        # The new row must be visible to the address planning of existing ports.
        _set_subnets(w, ls, [*view.subnets_of(w.idl, ls), row])
        _relink_ports(w, ls)
        return w.real_uuid(row)

    return write


def create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    return bulk.create_one(ctx, prepare_create, show, data)


def _set_subnets(w: Writer, ls: Any, rows: list[Any]) -> None:
    """Make `rows` the network's subnets for the rest of this transaction."""
    view.set_subnets(w.idl, str(ls.uuid), rows)


def update(ctx: Ctx, subnet_id: str, data: dict[str, Any]) -> dict[str, Any]:

    def write(w: Writer) -> None:

        row = _get(w.idl, subnet_id)
        stamps.check(w, row)
        info = addressing.subnet_info(row)
        if info is None:
            raise BadRequest(f"Subnet {subnet_id} has an invalid CIDR and cannot be updated")
        ls = networks.find(w.idl, row.external_ids[L.DHCP_NETWORK_ID])
        ext = dict(row.external_ids)
        gateway = info.gateway
        if "gateway_ip" in data:
            gateway = SV.gateway_ip(data["gateway_ip"], info.net, info.version, str(info.net))
            if gateway != info.gateway and ext.get(L.DHCP_GATEWAY_ROUTER):
                raise Conflict(f"Unable to change the gateway of subnet {subnet_id}: it is "
                               f"connected to router {ext[L.DHCP_GATEWAY_ROUTER]}")
        WRITE.update(row, data, maps={"external_ids": ext})
        dns = _dns(row)
        if "dns_nameservers" in data:
            dns = SV.dns_list(data["dns_nameservers"] or [], info.version)
        routes = [(r["destination"], r["nexthop"]) for r in _host_routes(row)]
        if "host_routes" in data:
            routes = SV.routes(data["host_routes"] or [], info.version)
            if routes:
                ext[L.DHCP_HOST_ROUTES] = " ".join(f"{d},{h}" for d, h in routes)
            else:
                ext.pop(L.DHCP_HOST_ROUTES, None)
        dhcp_changed = False
        if data.get("enable_dhcp") is not None:
            enabled = data["enable_dhcp"]
            dhcp_changed = enabled != info.dhcp
            if enabled:
                ext.pop(L.DHCP_ENABLED, None)
            else:
                ext[L.DHCP_ENABLED] = "False"
        old_pools = ipam.parse_pools(ext.get(L.DHCP_POOLS))
        pools = None
        if data.get("allocation_pools"):
            pools = SV.pools(data["allocation_pools"], info.net, gateway)
            if old_pools is None and gateway == info.gateway and \
                    pools == addressing.subnet_pools(info):
                pools = None  # the default pools, as shown: a no-op keeps them implicit
            else:
                ext[L.DHCP_POOLS] = ipam.pools_text(pools)
        elif gateway is not None and old_pools and gateway != info.gateway and any(
                int(a) <= int(gateway) <= int(b) for a, b in old_pools):
            raise BadRequest(f"Gateway ip {gateway} conflicts with the allocation pools")
        if info.version == 6:
            if gateway is not None:
                ext[L.DHCP_ROUTER] = str(gateway)
            else:
                ext.pop(L.DHCP_ROUTER, None)
        if ext != dict(row.external_ids):
            row.external_ids = ext
        if ls is not None:
            owned = _options(ctx, ls, info.version, info.net, gateway, dns, info.mode, routes)
            if info.version == 4 and "mtu" in row.options and \
                    L.parse_int(ls.external_ids.get(L.LS_MTU)) is None:
                owned["mtu"] = row.options["mtu"]  # keep an MTU an operator set
            # Foreign keys stay; owned keys are rewritten, so IPv6 rows lose any DHCPv4-only
            # option an older writer left there.
            opts = {k: v for k, v in row.options.items() if k not in OWNED_OPTIONS}
            opts.update(owned)
            if opts != dict(row.options):
                row.options = opts
            infos = [i for i in map(addressing.subnet_info, view.subnets_of(w.idl, ls)) if i]
            if pools is not None and row.uuid in subnet_order.primaries(ls, infos):
                _set_exclusions(ls, info.net, old_pools, pools)
            if dhcp_changed:
                _relink_ports(w, ls)
        stamps.touch(w, row)

    ctx.nb.transact(write)
    return show(ctx, subnet_id)


def delete(ctx: Ctx, subnet_id: str) -> None:
    def write(w: Writer) -> None:

        row = _get(w.idl, subnet_id)
        stamps.check(w, row)
        router = row.external_ids.get(L.DHCP_GATEWAY_ROUTER)
        ls = networks.find(w.idl, row.external_ids[L.DHCP_NETWORK_ID])
        info = addressing.subnet_info(row)
        if not router and ls is not None and info is not None:
            router = _router_on(w.idl, ls, info.net)
        if router:
            raise Conflict(f"Unable to delete subnet {subnet_id} because it is connected to "
                           f"router {router}. Please disconnect the subnet from the router "
                           "first.")
        if ls is not None:
            subnet_switch.release(ls, w.idl, row, info)
            remaining = [r for r in view.subnets_of(w.idl, ls) if r.uuid != row.uuid]
            _set_subnets(w, ls, remaining)
            kept_nets = [i.net for i in map(addressing.subnet_info, remaining) if i is not None]
            for lsp in ls.ports:
                if lsp.type in ("router", "localnet"):
                    continue
                if any(r.uuid == row.uuid for r in lsp.dhcpv4_options):
                    lsp.dhcpv4_options = []
                if any(r.uuid == row.uuid for r in lsp.dhcpv6_options):
                    lsp.dhcpv6_options = []
                if info is not None:
                    _drop_subnet_ips(lsp, info.net, kept_nets)
        row.delete()

    ctx.nb.transact(write)


def _router_on(idl: NbIdl, ls: Any, net: IPNetwork) -> str | None:
    """The router (its id, else its port name) with a port on `ls` inside `net`."""

    for lsp, lrp in networks.router_ports(idl, ls):
        for network in lrp.networks:
            ip = ipam.ip_of(network)
            if ip is not None and ip in net:
                return str(lsp.external_ids.get(L.LSP_DEVICE_ID) or lrp.name)
    return None


def _drop_subnet_ips(lsp: Any, net: IPNetwork, kept_nets: list[IPNetwork]) -> None:
    """Take the addresses of `net` off a port; with none left it is the bare MAC. Of a
    dynamic port's `dynamic_addresses` only those on the switch's remaining subnets
    (`kept_nets`) stay: ovn-northd may have written an address of a subnet deleted just
    before, computed before it saw that delete (it writes without verifying)."""
    mac, static, dynamic = ipam.parse_lsp_addresses(lsp.addresses)
    if mac is None:
        return
    if dynamic:
        left = [ip for ip in ipam.parse_dynamic(lsp.dynamic_addresses)
                if ipaddress.ip_address(ip) not in net
                and any(ipaddress.ip_address(ip) in kept for kept in kept_nets)]
        if left:
            lsp.dynamic_addresses = [" ".join([mac, *left])]
        else:
            lsp.addresses = [mac]
            lsp.dynamic_addresses = []
        return
    kept = [ip for ip in static if (ipam.ip_of(ip) or net.network_address) not in net]
    if kept != static:
        lsp.addresses = [" ".join([mac, *kept])]
