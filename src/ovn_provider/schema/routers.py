"""Routers: one Logical_Router each; the external gateway is a Logical_Router_Port on the
external network with its Gateway_Chassis and SNAT rows (docs/routers.md)."""

from __future__ import annotations

from ovn_provider.neutron import layout as L
from ovn_provider.schema import codec
from ovn_provider.schema.types import (
    At,
    Attr,
    description,
    ident,
    name,
    schema,
    stamped,
    status,
    tagged,
    tenant,
)

EXT = "external_ids"

ROUTERS = schema(
    "routers", "router", "routers",
    ident(L.LR),
    name(At(L.LR, "name", encode=codec.as_is)),
    Attr("admin_state_up", "boolean", post=True, put=True, default=True, sortable=True,
         at=(At(L.LR, "enabled", how="[] or [true] for up", decode=codec.enabled,
                encode=codec.enabled_set),)),
    status("ACTIVE", "INACTIVE", doc="ACTIVE when enabled",
           at=(At(L.LR, "enabled", how="[false]: INACTIVE",
                  decode=codec.status_of("INACTIVE", "ACTIVE", [False])),)),
    *tenant(),
    Attr("distributed", "boolean", post=True, put=True, returned=False, ignored=True,
         doc="accepted and ignored"),
    Attr("ha", "boolean", post=True, put=True, returned=False, ignored=True,
         doc="accepted and ignored"),
    description(At(L.LR, EXT, L.LR_DESCRIPTION, "absent when empty",
                   encode=codec.text_or_absent)),
    tagged(At(L.LR, EXT, L.TAGS, "comma-joined, absent when none")),
    *stamped(L.LR, L.STAMP_CREATED, L.STAMP_UPDATED, L.STAMP_REVISION),
)

#: router, ext-gw-mode
GATEWAY = (Attr(
    "external_gateway_info", "object", post=True, put=True, nullable=True, filterable=False,
    item_keys=("network_id", "enable_snat", "external_fixed_ips"), computed=True,
    at=(At(L.LRP, "networks", how="the gateway LRP, named by LR.external_ids:"
           + L.LR_GATEWAY_PORT),
        At(L.LSP, "options", L.LSP_ROUTER_PORT, "its peer LSP on the external network"),
        At(L.GATEWAY_CHASSIS, "chassis_name", how="where the gateway runs"),
        At(L.LR, EXT, L.LR_ENABLE_SNAT, '"True"/"False"'),
        At(L.NAT, "type", how="snat rows per attached subnet when enable_snat"),
        At(L.STATIC_ROUTE, "nexthop",
           how="one default route per IP family, via that family's subnet gateway")),
    doc="network_id, enable_snat, external_fixed_ips: entries with subnet_id, ip_address "
        "or both, several allowed (docs/routers.md)"),)

#: extraroute
ROUTES = (Attr("routes", "array", post=True, put=True, nullable=True, items="object",
               max_items=30, too_many="Unable to complete operation for {id}. The number of "
                                      "routes exceeds the maximum {limit}.",
               item_keys=("destination", "nexthop"), filterable=False, computed=True,
               at=(At(L.STATIC_ROUTE, "ip_prefix", how="destination; nexthop in nexthop"),)),)

SCHEMA = ROUTERS.extend(*GATEWAY, *ROUTES)

#: The bodies of PUT /routers/{id}/add_router_interface and remove_router_interface.
INTERFACE = schema(
    "router_interfaces", "router_interface", "routers",
    Attr("subnet_id", "uuid", post=True, put=True),
    Attr("port_id", "uuid", post=True, put=True),
)
