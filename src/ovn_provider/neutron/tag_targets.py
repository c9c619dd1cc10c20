"""Which row holds the tags of each taggable resource (docs/tags.md): one `tags.Finder` per
collection, keyed by its URL path segment. Kept apart from neutron/tags.py so that the
resource modules can use tags.py without tags.py importing them."""

from __future__ import annotations

from ovn_provider.errors import NotFound
from ovn_provider.neutron import (
    floating_ips,
    networks,
    ports,
    router_common,
    security_groups,
    stamps,
    subnets,
)
from ovn_provider.neutron import layout as L
from ovn_provider.neutron.tags import Finder, Target
from ovn_provider.ovn.index import NbIdl


def _missing(row: object, what: str, ident: str) -> None:
    if row is None:
        raise NotFound(f"{what} {ident} does not exist")


def network(idl: NbIdl, ident: str) -> Target:
    row = networks.find(idl, ident)
    _missing(row, "Network", ident)
    return Target(row, L.TAGS, "network", stamps.bump)


def subnet(idl: NbIdl, ident: str) -> Target:
    row = subnets.find(idl, ident)
    _missing(row, "Subnet", ident)
    return Target(row, L.TAGS, "subnet", stamps.bump)


def port(idl: NbIdl, ident: str) -> Target:
    row = ports.find(idl, ident)
    _missing(row, "Port", ident)
    return Target(row, L.TAGS, "port", stamps.bump)


def router(idl: NbIdl, ident: str) -> Target:
    row = router_common.find_router(idl, ident)
    _missing(row, "Router", ident)
    return Target(row, L.TAGS, "router", stamps.bump)


def security_group(idl: NbIdl, ident: str) -> Target:
    row = security_groups.find(idl, ident)
    _missing(row, "Security Group", ident)
    return Target(row, L.TAGS, "security_group", security_groups.bump)


def floating_ip(idl: NbIdl, ident: str) -> Target:
    record = floating_ips.record(idl, ident)
    if record is None:
        raise NotFound(f"Floating IP {ident} could not be found")
    return Target(record.ls, L.LS_FIP_TAGS_PREFIX + record.id, "floatingip",
                  lambda ls: stamps.fip_bump(ls, record.id))


#: URL path segment -> how to find a resource's tags.
FINDERS: dict[str, Finder] = {
    "networks": network, "subnets": subnet, "ports": port, "routers": router,
    "security-groups": security_group, "floatingips": floating_ip,
}
