"""Allowed address pairs of a port (docs/nb-layout.md, the `allowed-address-pairs` alias).

A pair is an IP address or CIDR, optionally with a MAC; without one it is the port's own
MAC, whatever that MAC is later. Pairs are recorded in the LSP's
`external_ids:ovirt_allowed_address_pairs` as "ip[,mac] ip[,mac] ..." (a MAC is recorded
only when it was given). What OVN enforces (docs/nb-layout.md):

- port security is MAC-only, so a pair with the port's own MAC needs nothing more:
  the VM may already use any IP from its MAC;
- a pair with a foreign MAC adds the `port_security` entry "<mac> <ip> ..." (that MAC,
  only from and to those IPs) and the `addresses` entry `unknown`: OVN floods frames
  for MACs no port owns to such ports, and each port's egress port security passes only
  the MACs it lists, so the frames for the foreign MAC reach the ports that list it
  (several may: a VRRP virtual MAC). A foreign MAC that another port owns reaches
  that port while it owns it, the listing ports after. OVN does not answer ARP/ND for
  the VIP; the VM that holds it does. (`addresses` is an OVSDB set, without order: an entry "<mac>"
  could not be told from the port's own entry of a port without IPs.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ovn_provider.errors import BadRequest, Conflict
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import validate as V

UNKNOWN = "unknown"  # the `addresses` entry that makes unowned MACs deliverable


@dataclass(frozen=True)
class Pair:
    ip: str  # an address, or a CIDR with its host bits clear
    mac: str | None  # None: the port's own MAC

    def mac_for(self, port_mac: str) -> str:
        return self.mac or port_mac

    def encode(self) -> str:
        return f"{self.ip},{self.mac}" if self.mac else self.ip


def _ip(value: Any) -> str:
    """An address, or a CIDR without host bits (as Neutron's validate_subnet)."""
    text = V.unpadded(value)
    if not text or "%" in text:
        raise BadRequest(f"Invalid input for ip_address. Reason: '{value}' is not a valid IP "
                         "address or CIDR.")
    try:
        if "/" not in text:
            return str(ipaddress.ip_address(text))
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise BadRequest(f"Invalid input for ip_address. Reason: '{value}' is not a valid IP "
                         "address or CIDR.") from None
    if str(net) != text and net.with_prefixlen != text.lower():
        raise BadRequest(f"Invalid input for ip_address. Reason: '{value}' is not a valid "
                         f"CIDR, '{net}' is recommended.")
    return str(net)


def parse(value: Any, limit: int) -> list[Pair]:
    """The request's `allowed_address_pairs` (null: none)."""
    if value is None:
        return []
    items = V.list_of(value, "allowed_address_pairs")
    if len(items) > limit:
        raise BadRequest(f"Exceeded maximum amount of allowed address pairs {limit}")
    pairs: list[Pair] = []
    for item in items:
        if not isinstance(item, dict):
            raise BadRequest("Invalid input for allowed_address_pairs. Reason: each pair must "
                             "be an object with ip_address and optionally mac_address.")
        extra = sorted(set(item) - {"ip_address", "mac_address"})
        if extra:
            raise BadRequest("Invalid input for allowed_address_pairs. Reason: unrecognized "
                             f"attribute(s) {', '.join(extra)}.")
        if item.get("ip_address") is None:
            raise BadRequest("AllowedAddressPair must contain ip_address")
        mac = item.get("mac_address")
        pair = Pair(_ip(item["ip_address"]), V.mac(mac) if mac is not None else None)
        pairs.append(pair)
    return pairs


def check_duplicates(pairs: list[Pair], port_mac: str) -> None:
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        key = (pair.ip, pair.mac_for(port_mac))
        if key in seen:
            raise BadRequest(f"Request contains duplicate address pair: mac_address {key[1]} "
                             f"ip_address {key[0]}.")
        seen.add(key)


def stored(ext: dict[str, str]) -> list[Pair]:
    """The pairs recorded in an LSP's external_ids (unreadable entries are skipped)."""
    pairs = []
    for token in ext.get(L.LSP_ADDRESS_PAIRS, "").split():
        ip, _, mac = token.partition(",")
        if ip:
            pairs.append(Pair(ip, V.normalize_mac(mac) if mac else None))
    return pairs


def encode(pairs: list[Pair]) -> str | None:
    return " ".join(pair.encode() for pair in pairs) or None


def render(pairs: list[Pair], port_mac: str) -> list[dict[str, str]]:
    return [{"ip_address": pair.ip, "mac_address": pair.mac_for(port_mac)} for pair in pairs]


def foreign(pairs: Sequence[Pair], port_mac: str) -> dict[str, list[str]]:
    """MAC -> its IPs, for pairs whose MAC is not the port's own (in first-given order)."""
    result: dict[str, list[str]] = {}
    for pair in pairs:
        mac = pair.mac_for(port_mac)
        if mac != port_mac:
            result.setdefault(mac, []).append(pair.ip)
    return result


def port_security(port_mac: str, pairs: Sequence[Pair], security: bool) -> list[str]:
    """The LSP `port_security` column: the port's MAC and one entry per foreign MAC."""
    if not security:
        return []
    return [port_mac, *(" ".join([mac, *ips]) for mac, ips in foreign(pairs, port_mac).items())]


def record(ext: dict[str, str], pairs: list[Pair]) -> None:
    """Record `pairs` in an LSP's external_ids (as a dict about to be written)."""
    text = encode(pairs)
    if text is not None:
        ext[L.LSP_ADDRESS_PAIRS] = text
    else:
        ext.pop(L.LSP_ADDRESS_PAIRS, None)


def addresses(own: list[str], port_mac: str, pairs: Sequence[Pair], security: bool
              ) -> list[str]:
    """The LSP `addresses` column: the port's own entries, and `unknown` when foreign
    MACs must be deliverable."""
    kept = [entry for entry in own if entry.split()[:1] != [UNKNOWN]]
    return [*kept, UNKNOWN] if security and foreign(pairs, port_mac) else kept


def apply(lsp: Any, port_mac: str, pairs: Sequence[Pair], security: bool) -> None:
    """Set an LSP's `port_security` and `addresses` for `pairs`, keeping its own
    addresses (for a change of pairs or port security alone; addressing.apply writes
    both columns when the addresses are re-planned)."""
    current = list(lsp.addresses)
    wanted_addresses = addresses(current, port_mac, pairs, security)
    if current != wanted_addresses:
        lsp.addresses = wanted_addresses
    wanted = port_security(port_mac, pairs, security)
    if list(lsp.port_security) != wanted:
        lsp.port_security = wanted


def require_security(pairs: list[Pair], security: bool) -> None:
    if pairs and not security:
        raise Conflict("Port Security must be enabled in order to have allowed address pairs "
                       "on a port.")
