"""Which row holds the tags of each taggable resource (docs/tags.md): one `tags.Finder` per
collection, keyed by its URL path segment. Kept apart from neutron/tags.py so that the
resource modules can use tags.py without tags.py importing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ovn_provider.errors import NotFound
from ovn_provider.neutron import (
    floating_ips,
    networks,
    ports,
    router_common,
    security_groups,
    stamps,
    subnets,
    view,
)
from ovn_provider.neutron import layout as L
from ovn_provider.neutron.tags import Finder, Target
from ovn_provider.ovn.index import NbIdl


def _by_row(find: Callable[[NbIdl, str], Any], what: str, kind: str,
            bump: Callable[[Any], None]) -> Finder:
    """A finder for a resource whose tags sit in its own row's external_ids."""

    def finder(idl: NbIdl, ident: str) -> Target:
        row = find(idl, ident)
        if row is None:
            raise NotFound(f"{what} {ident} does not exist", view.not_found_type(what))
        return Target(row, L.TAGS, kind, bump, lambda w: stamps.check(w, row))

    return finder


def floating_ip(idl: NbIdl, ident: str) -> Target:
    record = floating_ips.record(idl, ident)
    if record is None:
        raise NotFound(f"Floating IP {ident} could not be found", "FloatingIPNotFound")
    return Target(record.ls, L.LS_FIP_TAGS_PREFIX + record.id, "floatingip",
                  lambda ls: stamps.fip_bump(ls, record.id),
                  lambda w: stamps.fip_check(w, record.ls, record.id))


#: URL path segment -> how to find a resource's tags.
FINDERS: dict[str, Finder] = {
    "networks": _by_row(networks.find, "Network", "network", stamps.bump),
    "subnets": _by_row(subnets.find, "Subnet", "subnet", stamps.bump),
    "ports": _by_row(ports.find, "Port", "port", stamps.bump),
    "routers": _by_row(router_common.find_router, "Router", "router", stamps.bump),
    "security-groups": _by_row(security_groups.find, "Security Group", "security_group",
                               security_groups.bump),
    "floatingips": floating_ip,
}
