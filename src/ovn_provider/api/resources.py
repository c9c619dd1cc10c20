"""The collections the Networking API serves: each one's schema (src/ovn_provider/schema)
and the model functions behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ovn_provider.neutron import (
    agents,
    bulk,
    floating_ips,
    ip_availability,
    network_view,
    networks,
    port_view,
    ports,
    router_interfaces,
    router_routes,
    routers,
    security_group_rules,
    security_groups,
    subnets,
)
from ovn_provider.neutron.context import Ctx
from ovn_provider.schema import SCHEMAS
from ovn_provider.schema.types import Schema

Body = dict[str, Any]


@dataclass
class Resource:
    """A collection: its schema (path segment, JSON keys, attributes) and model functions."""

    schema: Schema
    list_all: Callable[[Ctx], list[Body]]
    show: Callable[[Ctx, str], Body] | None = None
    create: Callable[[Ctx, Body], Body] | None = None
    update: Callable[[Ctx, str, Body], Body] | None = None
    delete: Callable[[Ctx, str], None] | None = None
    #: POST of {collection: [...]}: several objects in one transaction (neutron/bulk.py)
    bulk: Callable[[Ctx, list[Body]], list[Body]] | None = None
    #: PUT /{path}/{id}/{action} handlers (router interfaces); body is the raw JSON.
    actions: dict[str, Callable[[Ctx, str, Any], Body]] = field(default_factory=dict)
    #: A list request without any query: the whole JSON body (bytes); equal to what
    #: `list_all` + query.apply would send.
    list_serialized: Callable[[Ctx], Any] | None = None
    #: list_serialized's body when it can be had at once (never blocks), else None
    list_published: Callable[[Ctx], Any] | None = None
    #: A show request without any query: the whole JSON answer (bytes) when it can be had
    #: at once (never blocks), else None; equal to what `show` would answer.
    show_published: Callable[[Ctx, str], bytes | None] | None = None

    @property
    def path(self) -> str:  # "security-groups"
        return self.schema.path

    @property
    def collection(self) -> str:  # "security_groups"
        return self.schema.collection

    @property
    def root(self) -> str:  # "security_group"
        return self.schema.root


def _bulk(prepare: bulk.Prepare, show: bulk.Show) -> Callable[[Ctx, list[Body]], list[Body]]:
    return lambda ctx, items: bulk.create_many(ctx, prepare, show, items)


def _routes_action(adding: bool) -> Callable[[Ctx, str, Any], Body]:
    """extraroute-atomic: change the routes in one transaction, answer the router."""
    def action(ctx: Ctx, router_id: str, body: Any) -> Body:
        router_routes.change(ctx, router_id, body, adding)
        return {"router": routers.show(ctx, router_id)}
    return action


def all_resources() -> list[Resource]:
    s = SCHEMAS
    return [
        Resource(s["networks"], networks.list_all, networks.show, networks.create,
                 networks.update, networks.delete,
                 bulk=_bulk(networks.prepare_create, networks.show),
                 show_published=network_view.published),
        Resource(s["subnets"], subnets.list_all, subnets.show, subnets.create, subnets.update,
                 subnets.delete, bulk=_bulk(subnets.prepare_create, subnets.show)),
        Resource(s["ports"], port_view.list_all, ports.show, ports.create, ports.update,
                 ports.delete, bulk=_bulk(ports.prepare_create, ports.show),
                 list_serialized=port_view.list_serialized,
                 list_published=port_view.list_published),
        Resource(s["routers"], routers.list_all, routers.show, routers.create, routers.update,
                 routers.delete,
                 actions={"add_router_interface": router_interfaces.add,
                          "remove_router_interface": router_interfaces.remove,
                          "add_extraroutes": _routes_action(adding=True),
                          "remove_extraroutes": _routes_action(adding=False)}),
        Resource(s["floatingips"], floating_ips.list_all, floating_ips.show,
                 floating_ips.create, floating_ips.update, floating_ips.delete),
        Resource(s["security-groups"], security_groups.list_all, security_groups.show,
                 security_groups.create, security_groups.update, security_groups.delete,
                 bulk=_bulk(security_groups.prepare_create, security_groups.show)),
        Resource(s["security-group-rules"], security_group_rules.list_all,
                 security_group_rules.show, security_group_rules.create, None,
                 security_group_rules.delete,
                 bulk=_bulk(security_group_rules.prepare_create, security_group_rules.show)),
        Resource(s["network-ip-availabilities"], ip_availability.list_all,
                 ip_availability.show),
        Resource(s["agents"], agents.list_all, agents.show),
    ]
