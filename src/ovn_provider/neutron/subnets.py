"""Subnets: DHCP_Options rows plus the LS other_config that drives OVN addressing
(compat spec 3.8, 4.5, 9.3, 9.11)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ovn_provider.errors import BadRequest, Conflict
from ovn_provider.neutron import addressing, ipam, subnet_order, subnet_switch, tags, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.validate import IPAddress, IPNetwork
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.nb import Writer

IPV6_MODES = ("dhcpv6-stateful", "dhcpv6-stateless", "slaac")
UPDATE_KEYS = {"name", "enable_dhcp", "dns_nameservers", "allocation_pools", "gateway_ip",
               "host_routes", "description"}
#: DHCP_Options.options keys the provider owns. Any other key (an operator's ntp_server,
#: domain_name, ...) is foreign and survives updates (spec 4.1).
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


def render(ctx: Ctx, row: Any) -> dict[str, Any]:
    info = addressing.subnet_info(row)
    ext = row.external_ids
    version = info.version if info else L.parse_int(ext.get(L.DHCP_IP_VERSION)) or 4
    pools = addressing.subnet_pools(info) if info else []
    result: dict[str, Any] = {
        "id": str(row.uuid),
        "network_id": ext.get(L.DHCP_NETWORK_ID, ""),
        "name": ext.get(L.DHCP_NAME, ""),
        "cidr": str(info.net) if info else row.cidr,
        "ip_version": version,
        "gateway_ip": str(info.gateway) if info and info.gateway else None,
        "enable_dhcp": info.dhcp if info else True,
        "dns_nameservers": _dns(row),
        "host_routes": _host_routes(row),
        "allocation_pools": [{"start": str(a), "end": str(b)} for a, b in pools],
        "tenant_id": ctx.cfg.tenant_id,
        "project_id": ctx.cfg.tenant_id,
        "description": ext.get(L.DHCP_DESCRIPTION, ""),
        "tags": tags.of(ext),
    }
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


# -- validation ----------------------------------------------------------------------------
def _dns_list(value: Any, version: int) -> list[str]:
    items = V.list_of(value, "dns_nameservers")
    result: list[str] = []
    for item in items:
        ip = V.ip_address(item, "dns_nameservers")
        if ip.version != version:
            # DHCPv4 and DHCPv6 carry only addresses of their own family.
            raise BadRequest(f"Invalid input for dns_nameservers. Reason: '{item}' is not an "
                             f"IPv{version} address.")
        if str(ip) in result:
            raise BadRequest(f"Duplicate nameserver '{ip}' in dns_nameservers")
        result.append(str(ip))
    return result


def _gateway(value: Any, net: IPNetwork, version: int, cidr_text: str) -> IPAddress | None:
    if value is None or value == "":
        return None
    gw = V.ip_address(value, "gateway_ip")
    if gw.version != version:
        raise BadRequest(f"The provided ip_version [{version}] does not match the supplied "
                         f"cidr={cidr_text} or gateway={value}")
    if gw not in net or gw == net.network_address or (
            version == 4 and net.prefixlen < 31 and gw == net.broadcast_address):
        raise BadRequest(f"Gateway IP {gw} is not a valid host address of subnet {net}")
    return gw


def _pools(value: Any, net: IPNetwork, gateway: IPAddress | None) -> list[ipam.Pool]:
    items = V.list_of(value, "allocation_pools")
    pools: list[ipam.Pool] = []
    for item in items:
        if not isinstance(item, dict) or "start" not in item or ("end" not in item and
                                                                 "stop" not in item):
            raise BadRequest("Invalid allocation pool: each needs start and end")
        start = V.ip_address(item["start"], "allocation_pools")
        end = V.ip_address(item.get("end", item.get("stop")), "allocation_pools")
        if start not in net or end not in net or int(start) > int(end):
            raise BadRequest(f"The allocation pool {start}-{end} spans beyond the subnet cidr "
                             f"{net} or is reversed")
        if start == net.network_address or (net.version == 4 and end == net.broadcast_address
                                            and net.prefixlen < 31):
            raise BadRequest(f"The allocation pool {start}-{end} includes the network or "
                             "broadcast address")
        if gateway is not None and int(start) <= int(gateway) <= int(end):
            raise BadRequest(f"Gateway ip {gateway} conflicts with allocation pool "
                             f"{start}-{end}")
        pools.append((start, end))
    ordered = sorted(pools, key=lambda p: int(p[0]))
    for (_, end1), (start2, _) in zip(ordered, ordered[1:], strict=False):
        if int(start2) <= int(end1):
            raise BadRequest("Found overlapping allocation pools")
    return ordered


def _routes(value: Any, version: int) -> list[tuple[str, str]]:
    items = V.list_of(value, "host_routes")
    routes = []
    for item in items:
        if not isinstance(item, dict) or "destination" not in item or "nexthop" not in item:
            raise BadRequest("Invalid host route: each needs destination and nexthop")
        dest = V.cidr(item["destination"], "host_routes")
        hop = V.ip_address(item["nexthop"], "host_routes")
        if dest.version != version or hop.version != version:
            raise BadRequest(f"Host route {dest} via {hop} is not IPv{version}")
        routes.append((str(dest), str(hop)))
    return routes


def _ipv6_mode(ctx: Ctx, data: dict[str, Any], version: int, net: IPNetwork) -> str | None:
    raw = data.get("ipv6_address_mode")
    if version == 4:
        if raw is not None:
            raise BadRequest("ipv6_address_mode can only be set on IPv6 subnets")
        return None
    mode = ctx.cfg.ipv6_default_mode if raw is None else raw
    if not isinstance(mode, str) or mode.replace("_", "-") not in IPV6_MODES:
        raise BadRequest(f"Invalid ipv6_address_mode '{raw}'. Allowed values: "
                         + ", ".join(IPV6_MODES))
    mode = mode.replace("_", "-")
    if mode != "dhcpv6-stateful" and net.prefixlen != 64:
        raise BadRequest(f"Invalid CIDR {net} for IPv6 address mode. OVN uses the EUI-64 "
                         "address format, which requires the prefix to be /64")
    return mode


def _validate_create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("network_id") is None:
        raise BadRequest("network_id is a required parameter")
    if "ip_version" not in data or data["ip_version"] is None:
        raise BadRequest("Missing 'ip_version' attribute")
    version = data["ip_version"]
    if isinstance(version, str) and version in ("4", "6"):
        version = int(version)
    if version not in (4, 6) or isinstance(version, bool):
        raise BadRequest("'ip_version' must be either 4 or 6")
    if data.get("cidr") is None:
        raise BadRequest("Missing 'cidr' attribute")
    net = V.cidr(data["cidr"], require_prefix=True)
    if net.version != version:
        raise BadRequest(f"The provided ip_version [{version}] does not match the supplied "
                         f"cidr={data['cidr']} or gateway={data.get('gateway_ip')}")
    gateway = _gateway(data.get("gateway_ip"), net, version, data["cidr"])
    values: dict[str, Any] = {
        "network_id": V.string(data["network_id"], "network_id"),
        "version": version, "net": net, "gateway": gateway,
        "name": V.string(data["name"], "name") if data.get("name") is not None else "",
        "description": V.string(data["description"], "description")
        if data.get("description") is not None else "",
        "dns": _dns_list(data["dns_nameservers"], version)
        if data.get("dns_nameservers") is not None else [],
        "dhcp": V.boolean(data["enable_dhcp"], "enable_dhcp")
        if data.get("enable_dhcp") is not None else True,
        "mode": _ipv6_mode(ctx, data, version, net),
        "routes": _routes(data["host_routes"], version)
        if data.get("host_routes") is not None else [],
        "pools": _pools(data["allocation_pools"], net, gateway)
        if data.get("allocation_pools") else None,
        "ra_mode": None,
    }
    ra = data.get("ipv6_ra_mode")
    if ra is not None:
        if version != 6 or not isinstance(ra, str) or ra.replace("_", "-") not in IPV6_MODES:
            raise BadRequest(f"Invalid ipv6_ra_mode '{ra}'. Allowed values: "
                             + ", ".join(IPV6_MODES))
        values["ra_mode"] = ra.replace("_", "-")
        given = data.get("ipv6_address_mode")
        if isinstance(given, str) and given.replace("_", "-") != values["ra_mode"]:
            # as Neutron: when both are given they must agree
            raise BadRequest(f"Invalid input for operation: ipv6_ra_mode set to '{ra}' with "
                             f"ipv6_address_mode set to '{given}' is not valid. If both "
                             "attributes are set, they must be the same value.")
    return values


# -- NB rows -----------------------------------------------------------------------------
def _options(ctx: Ctx, ls: Any, version: int, net: IPNetwork, gateway: IPAddress | None,
             dns: list[str], mode: str | None, routes: list[tuple[str, str]]) -> dict[str, str]:
    """The provider-owned DHCP options of a subnet (spec 4.5)."""
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
    (D2 on create, enable_dhcp changes)."""
    from ovn_provider.neutron import ports

    for lsp in ls.ports:
        if not L.is_ovirt_port(lsp) or lsp.type in ("router", "localnet"):
            continue
        ports.readdress(w, ls, lsp)


def create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    v = _validate_create(ctx, data)
    tagged = tags.create_ext(data)

    def write(w: Writer) -> Any:
        from ovn_provider.neutron import networks

        ls = networks.find(w.idl, v["network_id"])
        if ls is None:
            raise BadRequest(f"Subnet can not be created, network {v['network_id']} does not "
                             "exist")
        # Another provider instance creating a subnet on this network changes other_config
        # too: the server then answers TRY_AGAIN and this check runs again (spec 9.8).
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
        ext = {L.DHCP_NETWORK_ID: str(ls.uuid), L.DHCP_IP_VERSION: str(v["version"]), **tagged}
        if v["name"]:
            ext[L.DHCP_NAME] = v["name"]
        if v["description"]:
            ext[L.DHCP_DESCRIPTION] = v["description"]
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
        # The new row must be visible to the address planning of existing ports (D2).
        _set_subnets(w, ls, [*view.subnets_of(w.idl, ls), row])
        _relink_ports(w, ls)
        return w.real_uuid(row)

    resolve = ctx.nb.transact(write)
    return show(ctx, str(resolve()))


def _set_subnets(w: Writer, ls: Any, rows: list[Any]) -> None:
    """Make `rows` the network's subnets for the rest of this transaction (the view cache
    is dropped when the transaction ends)."""
    view.subnets_by_ls(w.idl)[str(ls.uuid)] = rows


def update(ctx: Ctx, subnet_id: str, data: dict[str, Any]) -> dict[str, Any]:
    V.only_keys(data, UPDATE_KEYS)

    def write(w: Writer) -> None:
        from ovn_provider.neutron import networks

        row = _get(w.idl, subnet_id)
        info = addressing.subnet_info(row)
        if info is None:
            raise BadRequest(f"Subnet {subnet_id} has an invalid CIDR and cannot be updated")
        ls = networks.find(w.idl, row.external_ids[L.DHCP_NETWORK_ID])
        ext = dict(row.external_ids)
        gateway = info.gateway
        if "gateway_ip" in data:
            gateway = _gateway(data["gateway_ip"], info.net, info.version, str(info.net))
            if gateway != info.gateway and ext.get(L.DHCP_GATEWAY_ROUTER):
                raise Conflict(f"Unable to change the gateway of subnet {subnet_id}: it is "
                               f"connected to router {ext[L.DHCP_GATEWAY_ROUTER]}")
        for key, ext_key in (("name", L.DHCP_NAME), ("description", L.DHCP_DESCRIPTION)):
            if key in data:
                text = V.string(data[key], key) if data[key] is not None else ""
                if text:
                    ext[ext_key] = text
                else:
                    ext.pop(ext_key, None)
        dns = _dns(row)
        if "dns_nameservers" in data:
            dns = _dns_list(data["dns_nameservers"] or [], info.version)
        routes = [(r["destination"], r["nexthop"]) for r in _host_routes(row)]
        if "host_routes" in data:
            routes = _routes(data["host_routes"] or [], info.version)
            if routes:
                ext[L.DHCP_HOST_ROUTES] = " ".join(f"{d},{h}" for d, h in routes)
            else:
                ext.pop(L.DHCP_HOST_ROUTES, None)
        dhcp_changed = False
        if data.get("enable_dhcp") is not None:
            enabled = V.boolean(data["enable_dhcp"], "enable_dhcp")
            dhcp_changed = enabled != info.dhcp
            if enabled:
                ext.pop(L.DHCP_ENABLED, None)
            else:
                ext[L.DHCP_ENABLED] = "False"
        old_pools = ipam.parse_pools(ext.get(L.DHCP_POOLS))
        pools = None
        if data.get("allocation_pools"):
            pools = _pools(data["allocation_pools"], info.net, gateway)
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
            # option an older writer left there (D29).
            opts = {k: v for k, v in row.options.items() if k not in OWNED_OPTIONS}
            opts.update(owned)
            if opts != dict(row.options):
                row.options = opts
            infos = [i for i in map(addressing.subnet_info, view.subnets_of(w.idl, ls)) if i]
            if pools is not None and row.uuid in subnet_order.primaries(ls, infos):
                _set_exclusions(ls, info.net, old_pools, pools)
            if dhcp_changed:
                _relink_ports(w, ls)

    ctx.nb.transact(write)
    return show(ctx, subnet_id)


def delete(ctx: Ctx, subnet_id: str) -> None:
    def write(w: Writer) -> None:
        from ovn_provider.neutron import networks

        row = _get(w.idl, subnet_id)
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
            _set_subnets(w, ls, [r for r in view.subnets_of(w.idl, ls) if r.uuid != row.uuid])
            for lsp in ls.ports:
                if lsp.type in ("router", "localnet"):
                    continue
                if any(r.uuid == row.uuid for r in lsp.dhcpv4_options):
                    lsp.dhcpv4_options = []
                if any(r.uuid == row.uuid for r in lsp.dhcpv6_options):
                    lsp.dhcpv6_options = []
                if info is not None:
                    _drop_subnet_ips(lsp, info.net)
        row.delete()

    ctx.nb.transact(write)


def _router_on(idl: NbIdl, ls: Any, net: IPNetwork) -> str | None:
    """The router (its id, else its port name) with a port on `ls` inside `net`."""
    from ovn_provider.neutron import networks

    for lsp, lrp in networks.router_ports(idl, ls):
        for network in lrp.networks:
            ip = ipam.ip_of(network)
            if ip is not None and ip in net:
                return str(lsp.external_ids.get(L.LSP_DEVICE_ID) or lrp.name)
    return None


def _drop_subnet_ips(lsp: Any, net: IPNetwork) -> None:
    """Take the addresses of `net` off a port; with none left it is the bare MAC (D3)."""
    mac, static, dynamic = ipam.parse_lsp_addresses(lsp.addresses)
    if mac is None:
        return
    if dynamic:
        left = [ip for ip in ipam.parse_dynamic(lsp.dynamic_addresses)
                if ipaddress.ip_address(ip) not in net]
        if left:
            lsp.dynamic_addresses = [" ".join([mac, *left])]
        else:
            lsp.addresses = [mac]
            lsp.dynamic_addresses = []
        return
    kept = [ip for ip in static if (ipam.ip_of(ip) or net.network_address) not in net]
    if kept != static:
        lsp.addresses = [" ".join([mac, *kept])]
