"""Ports: one Logical_Switch_Port each, in its network's Logical_Switch and in the
Port_Group of each of its security groups (docs/nb-layout.md)."""

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

PORTS = schema(
    "ports", "port", "ports",
    ident(L.LSP, "a UUID; the row's own UUID is not shown", column="name"),
    name(At(L.LSP, EXT, L.LSP_NIC_NAME, "presence marks a port of this provider; "
            "null in a PUT: empty", encode=codec.as_is, null_resets=True)),
    Attr("network_id", "uuid", post=True, put=True, required=True, sortable=True, max_len=255,
         computed=True,
         at=(At(L.LS, "ports", how="the LS holding the LSP"),
             At(L.LSP, EXT, L.LSP_NETWORK_ID, "a lookup hint")),
         doc="a PUT may only repeat the current one"),
    *tenant(),
    Attr("mac_address", "mac", post=True, put=True, sortable=True, computed=True,
         at=(At(L.LSP, "addresses", how='"<mac> <ip>..." or "<mac> dynamic"'),),
         doc="any EUI-48 form, stored lower case with colons; default: generated"),
    Attr("fixed_ips", "array", post=True, put=True, items="object",
         item_keys=("subnet_id", "ip_address"), filterable=False, computed=True,
         at=(At(L.LSP, "addresses", how="static IPs after the MAC"),
             At(L.LSP, "dynamic_addresses", how="when allocated by OVN"),
             At(L.LSP, EXT, L.LSP_FIXED_SUBNETS, '"ip=subnet ..." for fixed IPs'))),
    Attr("admin_state_up", "boolean", post=True, put=True, default=True, sortable=True,
         at=(At(L.LSP, "enabled", how="[] or [true] for up, [false] for down",
                decode=codec.enabled, encode=codec.enabled_set),)),
    status("ACTIVE", "DOWN", doc="ACTIVE when LSP.up is true",
           at=(At(L.LSP, "up", how="set by ovn-northd",
                  decode=codec.status_of("ACTIVE", "DOWN", [True])),)),
    Attr("device_id", "string", post=True, put=True, default="", max_len=255, sortable=True,
         at=(At(L.LSP, EXT, L.LSP_DEVICE_ID, "absent when empty", decode=codec.text(""),
                encode=codec.text_or_absent, null_resets=True),),
         doc="router ports: the router's"),
    Attr("device_owner", "string", post=True, put=True, default="", max_len=255,
         sortable=True,
         at=(At(L.LSP, EXT, L.LSP_DEVICE_OWNER, "absent when empty", decode=codec.text(""),
                encode=codec.text_or_absent, null_resets=True),),
         doc="router ports: the router's"),
    description(At(L.LSP, EXT, L.LSP_DESCRIPTION, "absent when empty; null in a PUT clears it",
                   encode=codec.text_or_absent, null_resets=True)),
    tagged(At(L.LSP, EXT, L.TAGS, "comma-joined, absent when none")),
    *stamped(L.LSP, L.STAMP_CREATED, L.STAMP_UPDATED, L.STAMP_REVISION),
)

#: security-group
SECURITY_GROUPS = (Attr(
    "security_groups", "array", post=True, put=True, nullable=True, items="string",
    max_len=255, filterable=False, computed=True,
    at=(At(L.PG, "ports", how="membership of each group's Port_Group"),
        At(L.LSP, EXT, L.LSP_SECURITY_GROUPS, "the ids as given, for their order")),
    doc="group ids or names; null in a PUT: the default set"),)

#: port-security
PORT_SECURITY = (Attr("port_security_enabled", "boolean", post=True, put=True, sortable=True,
                      at=(At(L.LSP, "port_security", how="the MAC and IPs when enabled",
                             decode=codec.non_empty),),
                      doc="default: the network's"),)

#: allowed-address-pairs
ADDRESS_PAIRS = (Attr("allowed_address_pairs", "array", post=True, put=True, nullable=True,
                      items="object", item_keys=("ip_address", "mac_address"),
                      filterable=False, model_checks=True, computed=True,
                      at=(At(L.LSP, EXT, L.LSP_ADDRESS_PAIRS, "JSON"),
                          At(L.LSP, "port_security", how="extra addresses"))),)

#: binding
BINDING = (
    Attr("binding:host_id", "string", post=True, put=True, nullable=True, max_len=255,
         sortable=True, computed=True,
         at=(At(L.LSP, EXT, L.LSP_BINDING_HOST),
             At(L.LSP, "options", L.LSP_REQUESTED_CHASSIS, "read for older ports")),
         doc="null: no binding"),
    Attr("binding:vnic_type", "string", post=True, put=True, enum=("normal",), sortable=True,
         ignored=True, fixed="normal", doc="accepted and ignored; always normal"),
    Attr("binding:vif_type", "string", sortable=True, enum=("ovs", "unbound"), computed=True,
         doc="ovs while a host is set, else unbound"),
    Attr("binding:vif_details", "object", filterable=False, computed=True,
         doc="{port_filter: port security} while bound, else {}"),
    Attr("binding:profile", "object", post=True, put=True, nullable=True, returned=False,
         ignored=True, doc="accepted and ignored"),
)

SCHEMA = PORTS.extend(*SECURITY_GROUPS, *PORT_SECURITY, *ADDRESS_PAIRS, *BINDING)
