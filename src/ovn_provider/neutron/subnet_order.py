"""Several subnets of one IP family on a network (docs/nb-layout.md, "Several subnets").

OVN's own addressing knows one IPv4 subnet (LS `other_config:subnet`) and one IPv6 prefix
(`other_config:ipv6_prefix`) per switch. The subnet of each family that the LS names is
the family's *primary* subnet: the first one created, exactly what the predecessor wrote
for its single subnet. Automatic addresses from a primary subnet keep the predecessor's
`"<mac> dynamic"` form; addresses from any other subnet are written as static addresses,
which the provider allocates itself.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Protocol, TypeVar

from ovn_provider.neutron import layout as L


class Subnet(Protocol):
    """What this module reads of addressing.SubnetInfo (addressing imports this module, so
    it names the shape instead of importing the class)."""

    @property
    def row(self) -> Any: ...
    @property
    def net(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network: ...
    @property
    def version(self) -> int: ...


SubnetInfo = TypeVar("SubnetInfo", bound=Subnet)


def _named_by_switch(ls: Any, info: SubnetInfo) -> bool:
    try:
        if info.version == 4:
            text = ls.other_config.get(L.LS_SUBNET)
            return text is not None and ipaddress.ip_network(text, strict=False) == info.net
        prefix = ls.other_config.get(L.LS_IPV6_PREFIX)
        return prefix is not None and ipaddress.ip_address(prefix.split("/")[0]) == \
            info.net.network_address
    except ValueError:
        return False


def primary(ls: Any, infos: list[SubnetInfo], version: int) -> SubnetInfo | None:
    """The family's primary subnet: the one the LS names, else the first of the family."""
    same = [info for info in infos if info.version == version]
    return next((info for info in same if _named_by_switch(ls, info)), same[0] if same
                else None)


def primaries(ls: Any, infos: list[SubnetInfo]) -> set[Any]:
    """The UUIDs of the primary subnets (at most one per family)."""
    found = (primary(ls, infos, version) for version in (4, 6))
    return {info.row.uuid for info in found if info is not None}


def ordered(ls: Any, infos: list[SubnetInfo]) -> list[SubnetInfo]:
    """`infos` with each family's primary subnet first: the order automatic addresses are
    tried in."""
    first = primaries(ls, infos)
    return sorted(infos, key=lambda info: info.row.uuid not in first)


def switch_config(info: SubnetInfo) -> tuple[str, str]:
    """(LS other_config key, value) that makes `info` its family's primary subnet."""
    if info.version == 4:
        return L.LS_SUBNET, str(info.net)
    return L.LS_IPV6_PREFIX, str(info.net.network_address)
