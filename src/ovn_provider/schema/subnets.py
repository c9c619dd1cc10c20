"""Subnets: one DHCP_Options row each, plus keys on the network's Logical_Switch
(docs/nb-layout.md)."""

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
         tagged,
         tenant,
)

EXT = "external_ids"
OPT = "options"
MODES = ("dhcpv6-stateful", "dhcpv6-stateless", "slaac", "dhcpv6_stateful",
         "dhcpv6_stateless", None)

SCHEMA = schema(
    "subnets", "subnet", "subnets",
    ident(L.DHCP),
    Attr("network_id", "uuid", post=True, required=True, sortable=True, max_len=255,
         at=(At(L.DHCP, EXT, L.DHCP_NETWORK_ID, "the LS UUID", decode=codec.text("")),)),
    name(At(L.DHCP, EXT, L.DHCP_NAME, "absent when empty; null in a PUT clears it",
            encode=codec.text_or_absent, null_resets=True)),
    Attr("cidr", "cidr", post=True, required=True, sortable=True, computed=True,
         at=(At(L.DHCP, "cidr", how="host bits cleared"),
             At(L.LS, "other_config", L.LS_SUBNET, "IPv4: the LS's dynamic range"),
             At(L.LS, "other_config", L.LS_IPV6_PREFIX, "IPv6 /64 prefix"))),
    Attr("ip_version", "integer", post=True, required=True, enum=(4, 6), sortable=True,
         model_checks=True, computed=True,
         at=(At(L.DHCP, EXT, L.DHCP_IP_VERSION, '"4"/"6"'),)),
    Attr("gateway_ip", "ip", post=True, put=True, nullable=True, sortable=True, computed=True,
         at=(At(L.DHCP, OPT, L.DHCP_ROUTER, "IPv4: DHCP option router; absent for null"),),
         doc="default: the first address of the CIDR; null: no gateway"),
    Attr("enable_dhcp", "boolean", post=True, put=True, default=True, sortable=True,
         computed=True,
         at=(At(L.DHCP, EXT, L.DHCP_ENABLED, '"False" when off, else absent'),)),
    Attr("dns_nameservers", "array", post=True, put=True, nullable=True, items="ip",
         max_items=5, too_many="Unable to complete operation for {id}. The number of DNS "
                               "nameservers exceeds the limit {limit}.",
         default=[], filterable=False, computed=True,
         at=(At(L.DHCP, OPT, "dns_server", "IPv4 {a, b}; IPv6 as for dhcpv6"),)),
    Attr("host_routes", "array", post=True, put=True, nullable=True, items="object",
         max_items=20, too_many="Unable to complete operation for {id}. The number of host "
                                "routes exceeds the limit {limit}.",
         item_keys=("destination", "nexthop"), default=[], filterable=False, computed=True,
         at=(At(L.DHCP, EXT, L.DHCP_HOST_ROUTES, '"dest,nexthop dest,nexthop"'),
             At(L.DHCP, OPT, "classless_static_route", "IPv4 DHCP option 121"))),
    Attr("allocation_pools", "array", post=True, put=True, nullable=True, items="object",
         item_keys=("start", "end"), filterable=False, computed=True,
         at=(At(L.DHCP, EXT, L.DHCP_POOLS, '"a-b,c-d" when given'),
             At(L.LS, "other_config", L.LS_EXCLUDE_IPS, "the addresses outside the pools"))),
    Attr("ipv6_address_mode", "string", post=True, nullable=True, enum=MODES, sortable=True,
         computed=True,
         at=(At(L.DHCP, EXT, L.DHCP_IPV6_MODE),),
         doc="IPv6 only; default: [NETWORK] ipv6-default-address-mode"),
    Attr("ipv6_ra_mode", "string", post=True, nullable=True, enum=MODES, sortable=True,
         computed=True,
         at=(At(L.DHCP, EXT, L.DHCP_RA_MODE),)),
    *tenant(),
    description(At(L.DHCP, EXT, L.DHCP_DESCRIPTION, "absent when empty; null in a PUT clears it",
                   encode=codec.text_or_absent, null_resets=True)),
    tagged(At(L.DHCP, EXT, L.TAGS, "comma-joined, absent when none")),
    *stamped(L.DHCP, L.STAMP_CREATED, L.STAMP_UPDATED, L.STAMP_REVISION),
)
