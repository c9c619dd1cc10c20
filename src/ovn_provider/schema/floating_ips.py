"""Floating IPs: a record on the floating network's Logical_Switch and, while associated,
a dnat_and_snat NAT row on the router (docs/routers.md)."""

from __future__ import annotations

from ovn_provider.neutron import layout as L
from ovn_provider.schema.types import At, Attr, schema, stamped, status, tagged, tenant

EXT = "external_ids"
_RECORD = "<id>"

SCHEMA = schema(
    "floatingips", "floatingip", "floatingips",
    Attr("id", "uuid", sortable=True, computed=True,
         at=(At(L.LS, EXT, L.LS_FIP_PREFIX + _RECORD, "the key names the id"),)),
    Attr("floating_ip_address", "ip", post=True, sortable=True, computed=True,
         at=(At(L.LS, EXT, L.LS_FIP_PREFIX + _RECORD, "the value"),
             At(L.NAT, "external_ip", how="while associated"))),
    Attr("floating_network_id", "uuid", post=True, required=True, sortable=True, max_len=255,
         computed=True,
         at=(At(L.LS, "_uuid", how="the LS holding the record"),)),
    Attr("subnet_id", "uuid", post=True, returned=False, max_len=255,
         doc="the external subnet to allocate from"),
    Attr("port_id", "uuid", post=True, put=True, nullable=True, sortable=True, computed=True,
         max_len=255,
         at=(At(L.NAT, EXT, L.NAT_FIP_PORT),)),
    Attr("fixed_ip_address", "ip", post=True, put=True, nullable=True, sortable=True,
         computed=True,
         at=(At(L.NAT, "logical_ip"),)),
    Attr("router_id", "uuid", sortable=True, computed=True,
         at=(At(L.LR, "nat", how="the LR holding the NAT"),)),
    status("ACTIVE", "DOWN", doc="ACTIVE while associated", computed=True),
    *tenant(),
    Attr("description", "string", post=True, put=True, default="", nullable=True, max_len=255,
         sortable=True, computed=True,
         at=(At(L.LS, EXT, L.LS_FIP_DESCRIPTION_PREFIX + _RECORD, "absent when empty"),)),
    tagged(At(L.LS, EXT, L.LS_FIP_TAGS_PREFIX + _RECORD, "comma-joined"), computed=True),
    *stamped(L.LS, L.LS_FIP_STAMP_PREFIX + _RECORD, L.LS_FIP_STAMP_PREFIX + _RECORD,
             L.LS_FIP_STAMP_PREFIX + _RECORD, "'<revision> <created> <updated>'", computed=True),
)
