"""IP address maths: pools, exclusions, LSP address strings, picking a free address.

Pure functions: no NB access, unit tested on their own.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Container, Iterable

from ovn_provider.neutron.validate import IPAddress, IPNetwork

Pool = tuple[IPAddress, IPAddress]


def default_pools(net: IPNetwork, gateway: IPAddress | None) -> list[Pool]:
    """From the first address after the network address to the last usable one (IPv4
    excludes broadcast), split around the gateway. Tiny networks give []."""
    first = int(net.network_address) + 1
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)
    if net.version == 4 and net.prefixlen >= 31:
        return []
    if net.version == 6 and net.prefixlen >= 127:
        return []
    if last < first:
        return []
    return split_around(first, last, gateway, net.version)


def split_around(first: int, last: int, skip: IPAddress | None, version: int) -> list[Pool]:
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    ranges: list[tuple[int, int]] = [(first, last)]
    if skip is not None and first <= int(skip) <= last:
        gw = int(skip)
        ranges = [(first, gw - 1), (gw + 1, last)]
    return [(make(a), make(b)) for a, b in ranges if a <= b]


def pools_text(pools: Iterable[Pool]) -> str:
    return ",".join(f"{a}-{b}" for a, b in pools)


def parse_pools(text: str | None) -> list[Pool] | None:
    if not text:
        return None
    result: list[Pool] = []
    for part in text.split(","):
        try:
            start, end = part.split("-", 1)
            result.append((ipaddress.ip_address(start), ipaddress.ip_address(end)))
        except ValueError:
            return None
    return result


def parse_exclude_ips(text: str | None) -> list[tuple[int, int]]:
    """`exclude_ips`: space-separated single IPs and `a..b` ranges, as integer ranges."""
    result: list[tuple[int, int]] = []
    for token in (text or "").split():
        try:
            if ".." in token:
                start, end = token.split("..", 1)
                result.append((int(ipaddress.ip_address(start)), int(ipaddress.ip_address(end))))
            else:
                value = int(ipaddress.ip_address(token))
                result.append((value, value))
        except ValueError:
            continue
    return result


def excluded(ip: IPAddress, ranges: Iterable[tuple[int, int]]) -> bool:
    value = int(ip)
    return any(a <= value <= b for a, b in ranges)


def exclude_text_for_pools(net: IPNetwork, pools: list[Pool]) -> str:
    """exclude_ips that keeps OVN's dynamic IPv4 allocation inside `pools`."""
    first = int(net.network_address) + 1
    last = int(net.broadcast_address) - 1
    cursor = first
    parts: list[str] = []
    make = ipaddress.IPv4Address

    def add(a: int, b: int) -> None:
        if a > b:
            return
        parts.append(str(make(a)) if a == b else f"{make(a)}..{make(b)}")

    for start, end in sorted((int(a), int(b)) for a, b in pools):
        add(cursor, start - 1)
        cursor = max(cursor, end + 1)
    add(cursor, last)
    return " ".join(parts)


def parse_lsp_addresses(entries: Iterable[str]) -> tuple[str | None, list[str], bool]:
    """(mac, static ips, dynamic?) from an LSP `addresses` column: its first entry with a
    MAC (an `unknown` entry, which allowed address pairs add, is no address)."""
    for entry in entries:
        tokens = entry.split()
        if not tokens or tokens[0] == "unknown":
            continue
        if tokens[0] == "router":
            return None, [], False
        mac = tokens[0].lower()
        dynamic = "dynamic" in tokens[1:]
        ips = [t for t in tokens[1:] if t != "dynamic"]
        return mac, ips, dynamic
    return None, [], False


def parse_dynamic(value: str | list[str] | None) -> list[str]:
    """IPs from `dynamic_addresses` ("<mac> <ip4> <ip6>"; an optional column, so the IDL
    gives a list of zero or one string)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not value:
        return []
    return value.split()[1:]


def ip_of(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("/")[0])
    except ValueError:
        return None


EXACT_FIRST = 32  # candidates pick_free checks with `is_taken` before it asks for `held`


def pick_free(pools: list[Pool], is_taken: Callable[[IPAddress], bool],
              start_after: IPAddress | None = None, limit: int = 1 << 20,
              held: Callable[[], Container[int]] | None = None) -> IPAddress | None:
    """The first free address in `pools`, searching from just after `start_after` and
    wrapping around, giving up after `limit` candidates.

    `held`, when given, is asked once, after EXACT_FIRST candidates were taken: addresses
    (as integers) known to be taken, which the search then passes over without calling
    `is_taken` (neutron/scan_hint.py). The address returned always passed `is_taken`."""
    if not pools:
        return None
    ordered = sorted(pools, key=lambda p: int(p[0]))
    version = ordered[0][0].version
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    segments = [(int(a), int(b)) for a, b in ordered]
    if start_after is not None:
        pivot = int(start_after) + 1
        head = [(max(a, pivot), b) for a, b in segments if b >= pivot]
        tail = [(a, min(b, pivot - 1)) for a, b in segments if a < pivot]
        segments = head + tail
    tried = 0
    skip: Container[int] | None = None
    for a, b in segments:
        value = a
        while value <= b:
            if skip is not None:
                first = value
                while value <= b and value in skip:
                    value += 1
                tried += value - first
                if tried >= limit:
                    return None
                if value > b:
                    break
            ip = make(value)
            if not is_taken(ip):
                return ip
            value += 1
            tried += 1
            if tried >= limit:
                return None
            if skip is None and held is not None and tried >= EXACT_FIRST:
                skip = held()
    return None


def eui64(prefix: IPNetwork, mac: str) -> ipaddress.IPv6Address:
    """The SLAAC / OVN dynamic IPv6 address for `mac` in a /64 `prefix`."""
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02
    iid = octets[:3] + [0xFF, 0xFE] + octets[3:]
    value = int(prefix.network_address) | int.from_bytes(bytes(iid), "big")
    return ipaddress.IPv6Address(value)
