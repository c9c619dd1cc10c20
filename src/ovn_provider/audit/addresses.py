"""Addresses: every IP and MAC is used once per switch (ports, router ports, floating
IPs), and the switch keys the provider relies on are readable (docs/nb-layout.md)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ovn_provider.audit.findings import Findings
from ovn_provider.audit.snapshot import Snapshot
from ovn_provider.neutron import layout as L


def _norm(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.split("/")[0]))
    except ValueError:
        return None


def _port_addresses(snap: Snapshot, lsp: Any) -> tuple[set[str], set[str]]:
    """(IPs, MACs) the port holds on its switch; a router port holds its LRP's."""
    if lsp.type == "router":
        lrp = snap.lrp_by_name.get(lsp.options.get(L.LSP_ROUTER_PORT, ""))
        if lrp is None:
            return set(), set()
        networks = {ip for ip in (_norm(n) for n in lrp.networks) if ip}
        return networks, ({lrp.mac.lower()} if lrp.mac else set())
    ips: set[str] = set()
    macs: set[str] = set()
    for entry in lsp.addresses:
        tokens = entry.split()
        if not tokens or tokens[0] in ("router", "unknown", "dynamic"):
            continue
        macs.add(tokens[0].lower())
        ips.update(ip for ip in (_norm(t) for t in tokens[1:]) if ip)
    if any("dynamic" in entry.split() for entry in lsp.addresses):
        for entry in lsp.dynamic_addresses:
            ips.update(ip for ip in (_norm(t) for t in entry.split()[1:]) if ip)
    return ips, macs


def unique(snap: Snapshot, out: Findings) -> None:
    for key, ls in snap.ls.items():
        ip_owners: dict[str, list[str]] = {}
        mac_owners: dict[str, list[str]] = {}
        for lsp in ls.ports:
            ips, macs = _port_addresses(snap, lsp)
            for ip in ips:
                ip_owners.setdefault(ip, []).append(lsp.name)
            for mac in macs:
                mac_owners.setdefault(mac, []).append(lsp.name)
        for name, value in ls.external_ids.items():
            if name.startswith(L.LS_FIP_PREFIX):
                address = _norm(value)
                if address is None:
                    out.add("ls-floating-ip", [key, name[len(L.LS_FIP_PREFIX):]],
                            f"floating IP record {value!r} is not an address")
                else:
                    ip_owners.setdefault(address, []).append(name[len(L.LS_FIP_PREFIX):])
        for ip, owners in ip_owners.items():
            if len(owners) > 1:
                out.add("duplicate-ip", [key, *sorted(owners)], f"{ip} is used "
                        f"{len(owners)} times on the switch")
        for mac, owners in mac_owners.items():
            if len(owners) > 1:
                out.add("duplicate-mac", [key, *sorted(owners)], f"{mac} is used "
                        f"{len(owners)} times on the switch")


def switch_keys(snap: Snapshot, out: Findings) -> None:
    for key, ls in snap.ls.items():
        ext = ls.external_ids
        mtu = ext.get(L.LS_MTU)
        if mtu is not None and mtu != "None" and L.parse_int(mtu) is None:
            out.add("ls-mtu", [key], f"mtu={mtu!r} is not a number")
        serial = ext.get(L.LS_ADDRESS_SERIAL)
        if serial is not None and L.parse_int(serial) is None:
            out.add("ls-address-serial", [key], f"{L.LS_ADDRESS_SERIAL}={serial!r} is not "
                    "a number")
        subnet = ls.other_config.get(L.LS_SUBNET)
        if subnet is not None:
            try:
                ipaddress.ip_network(subnet, strict=False)
            except ValueError:
                out.add("ls-subnet", [key], f"other_config:subnet={subnet!r}")
