"""What a subnet's deletion does to its switch's `other_config` when a network has
several subnets of one family (docs/nb-layout.md, "Several subnets")."""

from __future__ import annotations

from typing import Any

from ovn_provider.neutron import addressing, ipam, subnet_order, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron.validate import IPNetwork
from ovn_provider.ovn.index import NbIdl


def _pool_tokens(net: IPNetwork, pools: list[ipam.Pool] | None) -> list[str]:
    """The exclude_ips tokens that keep OVN's IPv4 allocation inside `pools`."""
    if pools is None or net.version != 4:
        return []
    return ipam.exclude_text_for_pools(net, pools).split()


def release(ls: Any, idl: NbIdl, row: Any,
                           info: addressing.SubnetInfo | None) -> None:
    """A deleted primary subnet hands OVN's addressing of its family to the next subnet of
    that family (docs/nb-layout.md); a deleted other subnet leaves the LS alone."""
    infos = [i for i in map(addressing.subnet_info, view.subnets_of(idl, ls)) if i]
    if info is not None and row.uuid not in subnet_order.primaries(ls, infos):
        return
    nxt = None
    if info is not None:
        nxt = subnet_order.primary(ls, [i for i in infos if i.row.uuid != row.uuid],
                                   info.version)
    key = L.LS_SUBNET if info is None or info.version == 4 else L.LS_IPV6_PREFIX
    if nxt is not None:
        key, value = subnet_order.switch_config(nxt)
        ls.setkey("other_config", key, value)
    elif key in ls.other_config:
        ls.delkey("other_config", key)
    if info is None or info.version != 4:
        return
    old = set(_pool_tokens(info.net, ipam.parse_pools(row.external_ids.get(L.DHCP_POOLS))))
    new = _pool_tokens(nxt.net, ipam.parse_pools(nxt.row.external_ids.get(
        L.DHCP_POOLS))) if nxt is not None else []
    tokens = new + [t for t in ls.other_config.get(L.LS_EXCLUDE_IPS, "").split()
                    if t not in old]
    if tokens:
        ls.setkey("other_config", L.LS_EXCLUDE_IPS, " ".join(tokens))
    elif L.LS_EXCLUDE_IPS in ls.other_config:
        ls.delkey("other_config", L.LS_EXCLUDE_IPS)
