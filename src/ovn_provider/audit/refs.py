"""References between rows: ports and their switch, subnets, router ports and routers,
NAT rows and floating IPs (docs/nb-layout.md, docs/routers.md)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ovn_provider.audit.findings import Findings
from ovn_provider.audit.snapshot import Snapshot, is_subnet
from ovn_provider.neutron import layout as L


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("/")[0])
    except ValueError:
        return None


def ports(snap: Snapshot, out: Findings) -> None:
    for key, lsp in snap.lsp.items():
        switches = snap.switches_of.get(key, [])
        if not L.is_ovirt_port(lsp):
            continue
        if len(switches) != 1:
            out.add("lsp-switch", [lsp.name], f"an oVirt port is on {len(switches)} switches "
                    "(expected exactly one)")
            continue
        ls = switches[0]
        ls_id = str(ls.uuid)
        hint = lsp.external_ids.get(L.LSP_NETWORK_ID)
        if hint is not None and hint != ls_id:
            out.add("lsp-network-id", [lsp.name, ls_id],
                    f"{L.LSP_NETWORK_ID}={hint} but the port is on switch {ls_id}")
        for column in ("dhcpv4_options", "dhcpv6_options"):
            for ref in getattr(lsp, column):
                owner = ref.external_ids.get(L.DHCP_NETWORK_ID)
                if owner is not None and owner != ls_id:
                    out.add("lsp-dhcp", [lsp.name, str(ref.uuid)],
                            f"{column} names a subnet of network {owner}, not of {ls_id}")
        if lsp.type == "router":
            _router_port(snap, lsp, out)
        elif lsp.external_ids.get(L.LSP_DEVICE_OWNER) in L.ROUTER_OWNERS:
            out.add("lsp-router-owner", [lsp.name], "device_owner is a router's but the "
                    f"port has type {lsp.type!r}")
        _fixed_subnets(snap, lsp, ls_id, out)


def _router_port(snap: Snapshot, lsp: Any, out: Findings) -> None:
    peer = lsp.options.get(L.LSP_ROUTER_PORT)
    lrp = snap.lrp_by_name.get(peer or "")
    if lrp is None:
        out.add("lsp-router-port", [lsp.name], f"options:router-port={peer} names no "
                "Logical_Router_Port")
        return
    routers = snap.router_of.get(str(lrp.uuid), [])
    if len(routers) != 1:
        out.add("lrp-router", [lsp.name, lrp.name],
                f"the router port is on {len(routers)} routers (expected one)")
        return
    device = lsp.external_ids.get(L.LSP_DEVICE_ID)
    if device and device != str(routers[0].uuid):
        out.add("lsp-router-device", [lsp.name, str(routers[0].uuid)],
                f"device_id {device} but the LRP belongs to router {routers[0].uuid}")


def _fixed_subnets(snap: Snapshot, lsp: Any, ls_id: str, out: Findings) -> None:
    text = lsp.external_ids.get(L.LSP_FIXED_SUBNETS)
    if text is None:
        return
    for item in text.split():
        ip_text, _, subnet_id = item.partition("=")
        subnet = snap.dhcp.get(subnet_id)
        address = _ip(ip_text)
        if subnet is None or address is None or not is_subnet(subnet):
            out.add("lsp-fixed-subnets", [lsp.name, subnet_id],
                    f"{L.LSP_FIXED_SUBNETS} entry {item!r} names no subnet")
            continue
        if subnet.external_ids.get(L.DHCP_NETWORK_ID) != ls_id:
            out.add("lsp-fixed-subnets", [lsp.name, subnet_id],
                    f"{item!r}: the subnet belongs to another network")
        elif address not in ipaddress.ip_network(subnet.cidr, strict=False):
            out.add("lsp-fixed-subnets", [lsp.name, subnet_id],
                    f"{item!r}: the address is outside {subnet.cidr}")


def subnets(snap: Snapshot, out: Findings) -> None:
    for key, row in snap.dhcp.items():
        if not is_subnet(row):
            continue
        ext = row.external_ids
        network = ext[L.DHCP_NETWORK_ID]
        if network not in snap.ls:
            out.add("dhcp-network", [key], f"{L.DHCP_NETWORK_ID}={network} names no switch")
        try:
            net = ipaddress.ip_network(row.cidr, strict=False)
        except ValueError:
            out.add("dhcp-cidr", [key], f"cidr {row.cidr!r} is not a network")
            continue
        version = ext.get(L.DHCP_IP_VERSION)
        if version is not None and version != str(net.version):
            out.add("dhcp-ip-version", [key], f"ip_version={version} but cidr {row.cidr}")
        router = ext.get(L.DHCP_GATEWAY_ROUTER)
        if router and router not in snap.lr:
            out.add("dhcp-gateway-router", [key], f"gateway_router={router} names no router")


def routers(snap: Snapshot, out: Findings) -> None:
    for key, lr in snap.lr.items():
        gw_name = lr.external_ids.get(L.LR_GATEWAY_PORT)
        if gw_name:
            lsp = snap.lsp_by_name.get(gw_name)
            lrp = snap.lrp_by_name.get(lsp.options.get(L.LSP_ROUTER_PORT, "")) \
                if lsp is not None else None
            if lrp is None or lr not in snap.router_of.get(str(lrp.uuid), []):
                out.add("lr-gateway-port", [key, gw_name], f"{L.LR_GATEWAY_PORT} names no "
                        "router port of this router")
        for nat in lr.nat:
            _nat(snap, lr, nat, out)


def _floating_records(snap: Snapshot) -> dict[str, str]:
    """floating IP id -> address, from the floating networks' switches."""
    records: dict[str, str] = {}
    for ls in snap.ls.values():
        for k, v in ls.external_ids.items():
            if k.startswith(L.LS_FIP_PREFIX):
                records[k[len(L.LS_FIP_PREFIX):]] = v
    return records


def _nat(snap: Snapshot, lr: Any, nat: Any, out: Findings) -> None:
    ext = nat.external_ids
    fip = ext.get(L.NAT_FIP_ID)
    ids = [str(lr.uuid), str(nat.uuid)]
    if fip is not None:
        address = _floating_records(snap).get(fip)
        if address is None or _ip(address) != _ip(nat.external_ip):
            out.add("nat-floating-ip", [*ids, fip], f"dnat_and_snat {nat.external_ip} has "
                    f"no matching floating IP record (recorded: {address})")
        port = ext.get(L.NAT_FIP_PORT)
        lsp = snap.lsp_by_name.get(port or "")
        if lsp is None:
            out.add("nat-floating-port", [*ids, fip], f"{L.NAT_FIP_PORT}={port} names no port")
        elif _ip(nat.logical_ip) not in _lsp_ips(lsp):
            out.add("nat-floating-port", [*ids, fip], f"logical_ip {nat.logical_ip} is not "
                    f"an address of port {port}")
    if ext.get(L.NAT_SNAT) == "True" and not lr.external_ids.get(L.LR_GATEWAY_PORT):
        out.add("nat-snat-gateway", ids, "a managed snat row on a router without gateway")


def _lsp_ips(lsp: Any) -> set[Any]:
    ips: set[Any] = set()
    for entry in [*lsp.addresses, *lsp.dynamic_addresses]:
        for token in entry.split()[1:]:
            ip = _ip(token)
            if ip is not None:
                ips.add(ip)
    return ips
