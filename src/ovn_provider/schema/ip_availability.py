"""Network IP availability (network-ip-availability): computed from the NB replica, read
only (neutron/ip_availability.py)."""

from __future__ import annotations

from ovn_provider.neutron import layout as L
from ovn_provider.schema.types import At, Attr, schema

_HOW = "computed: pool sizes, and the ports' and floating IPs' addresses in each subnet"

SCHEMA = schema(
    "network_ip_availabilities", "network_ip_availability", "network-ip-availabilities",
    Attr("network_id", "uuid", sortable=True, computed=True, at=(At(L.LS, "_uuid"),)),
    Attr("network_name", "string", sortable=True, computed=True,
         at=(At(L.LS, "external_ids", L.LS_NAME),)),
    Attr("tenant_id", "string", sortable=True, computed=True, doc="the configured tenant"),
    Attr("project_id", "string", sortable=True, computed=True, doc="the configured tenant"),
    Attr("total_ips", "integer", sortable=True, computed=True, doc=_HOW),
    Attr("used_ips", "integer", sortable=True, computed=True, doc=_HOW),
    Attr("subnet_ip_availability", "array", items="object", filterable=False, computed=True,
         doc="per subnet: subnet_id, subnet_name, cidr, ip_version, total_ips, used_ips"),
)
