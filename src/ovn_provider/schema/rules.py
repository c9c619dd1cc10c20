"""Security group rules: one ACL each, in its group's Port_Group (docs/security-groups.md)."""

from __future__ import annotations

from ovn_provider.neutron import layout as L
from ovn_provider.schema.types import At, Attr, schema, stamped

EXT = "external_ids"

_MATCH = At(L.ACL, "match", how="built from all the rule's attributes (neutron/acl_match.py)")
_TENANT_DOC = "shown as the group's; what a POST gives is checked, not stored"

SCHEMA = schema(
    "security_group_rules", "security_group_rule", "security-group-rules",
    Attr("id", "uuid", sortable=True, at=(At(L.ACL, "_uuid"),)),
    Attr("security_group_id", "string", post=True, required=True, max_len=255,
         sortable=True, at=(At(L.PG, "acls", how="the group holding the ACL"),
                            At(L.ACL, EXT, L.ACL_GROUP, "the PG name"))),
    Attr("direction", "string", post=True, required=True, enum=("ingress", "egress"),
         sortable=True, at=(At(L.ACL, "direction", how="ingress: to-lport"),)),
    Attr("ethertype", "string", post=True, default="IPv4", enum=("IPv4", "IPv6"),
         sortable=True, at=(At(L.ACL, EXT, L.ACL_ETHERTYPE), _MATCH)),
    Attr("protocol", "any", post=True, nullable=True, sortable=True,
         at=(At(L.ACL, EXT, L.ACL_PROTOCOL, "as given; numbers as decimal"), _MATCH),
         doc="a name (tcp, udp, icmp, ...) or a number 0-255, as a string or an integer"),
    # model_checks: neutron/acl_match.py gives Neutron's "Invalid value for port N"
    Attr("port_range_min", "integer", post=True, nullable=True, minimum=-1, maximum=65535,
         sortable=True, model_checks=True,
         at=(At(L.ACL, EXT, L.ACL_MIN_PORT, "decimal"), _MATCH)),
    Attr("port_range_max", "integer", post=True, nullable=True, minimum=-1, maximum=65535,
         sortable=True, model_checks=True,
         at=(At(L.ACL, EXT, L.ACL_MAX_PORT, "decimal"), _MATCH)),
    Attr("remote_ip_prefix", "cidr", post=True, nullable=True, sortable=True,
         at=(At(L.ACL, EXT, L.ACL_IP_PREFIX), _MATCH)),
    Attr("remote_group_id", "string", post=True, nullable=True, max_len=255, sortable=True,
         at=(At(L.ACL, EXT, L.ACL_REMOTE_GROUP, "the remote PG name"), _MATCH)),
    Attr("description", "string", post=True, nullable=True, max_len=255, sortable=True,
         at=(At(L.ACL, EXT, L.ACL_DESCRIPTION),)),
    Attr("tenant_id", "string", post=True, max_len=255, sortable=True, ignored=True,
         doc=_TENANT_DOC),
    Attr("project_id", "string", post=True, max_len=255, sortable=True, ignored=True,
         doc=_TENANT_DOC),
    *stamped(L.ACL, L.STAMP_CREATED, L.STAMP_UPDATED, L.STAMP_REVISION),
)
