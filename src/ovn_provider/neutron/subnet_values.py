"""Subnet request values: the checks and conversions of a subnet's POST and PUT values that
need more than the schema (src/ovn_provider/schema/subnets.py): the CIDR against the IP
version, the gateway, pools, routes and IPv6 modes."""

from __future__ import annotations

from typing import Any

from ovn_provider.errors import BadRequest
from ovn_provider.neutron import ipam
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.validate import IPAddress, IPNetwork

IPV6_MODES = ("dhcpv6-stateful", "dhcpv6-stateless", "slaac")

def dns_list(value: Any, version: int) -> list[str]:
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


def gateway_ip(value: Any, net: IPNetwork, version: int, cidr_text: str) -> IPAddress | None:
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


def pools(value: Any, net: IPNetwork, gateway: IPAddress | None) -> list[ipam.Pool]:
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


def routes(value: Any, version: int) -> list[tuple[str, str]]:
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


def ipv6_mode(ctx: Ctx, data: dict[str, Any], version: int, net: IPNetwork) -> str | None:
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


def validate_create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
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
    if net.prefixlen == 0:
        raise BadRequest(f"Invalid input for cidr. Reason: '{data['cidr']}' is the whole "
                         "address space, not a subnet.")
    if net.version != version:
        raise BadRequest(f"The provided ip_version [{version}] does not match the supplied "
                         f"cidr={data['cidr']} or gateway={data.get('gateway_ip')}")
    gateway = gateway_ip(data.get("gateway_ip"), net, version, data["cidr"])
    if "gateway_ip" not in data and ctx.cfg.subnet_default_gateway and net.num_addresses > 2:
        gateway = net.network_address + 1  # Neutron's default (docs/configuration.md)
    values: dict[str, Any] = {
        "network_id": data["network_id"],  # types and lengths: schema/check.py
        "version": version, "net": net, "gateway": gateway,
        "dns": dns_list(data["dns_nameservers"], version)
        if data.get("dns_nameservers") is not None else [],
        "dhcp": data["enable_dhcp"] if data.get("enable_dhcp") is not None else True,
        "mode": ipv6_mode(ctx, data, version, net),
        "routes": routes(data["host_routes"], version)
        if data.get("host_routes") is not None else [],
        "pools": pools(data["allocation_pools"], net, gateway)
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
