"""The collections the Networking API serves, and the model functions behind each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ovn_provider.neutron import (
    floating_ips,
    networks,
    ports,
    router_interfaces,
    routers,
    security_group_rules,
    security_groups,
    subnets,
)
from ovn_provider.neutron.context import Ctx

Body = dict[str, Any]


@dataclass
class Resource:
    """A collection: its path segment, JSON keys and model functions."""

    path: str  # "security-groups"
    collection: str  # "security_groups"
    root: str  # "security_group"
    list_all: Callable[[Ctx], list[Body]]
    show: Callable[[Ctx, str], Body] | None = None
    create: Callable[[Ctx, Body], Body] | None = None
    update: Callable[[Ctx, str, Body], Body] | None = None
    delete: Callable[[Ctx, str], None] | None = None
    #: PUT /{path}/{id}/{action} handlers (router interfaces); body is the raw JSON.
    actions: dict[str, Callable[[Ctx, str, Any], Body]] = field(default_factory=dict)
    #: A list request without any query: the whole JSON body (bytes); equal to what
    #: `list_all` + query.apply would send.
    list_serialized: Callable[[Ctx], Any] | None = None


def all_resources() -> list[Resource]:
    return [
        Resource("networks", "networks", "network", networks.list_all, networks.show,
                 networks.create, networks.update, networks.delete),
        Resource("subnets", "subnets", "subnet", subnets.list_all, subnets.show,
                 subnets.create, subnets.update, subnets.delete),
        Resource("ports", "ports", "port", ports.list_all, ports.show, ports.create,
                 ports.update, ports.delete, list_serialized=ports.list_serialized),
        Resource("routers", "routers", "router", routers.list_all, routers.show,
                 routers.create, routers.update, routers.delete,
                 actions={"add_router_interface": router_interfaces.add,
                          "remove_router_interface": router_interfaces.remove}),
        Resource("floatingips", "floatingips", "floatingip", floating_ips.list_all,
                 floating_ips.show, floating_ips.create, floating_ips.update,
                 floating_ips.delete),
        Resource("security-groups", "security_groups", "security_group",
                 security_groups.list_all, security_groups.show, security_groups.create,
                 security_groups.update, security_groups.delete),
        Resource("security-group-rules", "security_group_rules", "security_group_rule",
                 security_group_rules.list_all, security_group_rules.show,
                 security_group_rules.create, None, security_group_rules.delete),
    ]
