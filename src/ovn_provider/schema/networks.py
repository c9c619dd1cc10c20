"""Networks: one Logical_Switch each (docs/nb-layout.md)."""

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

NETWORKS = schema(
    "networks", "network", "networks",
    ident(L.LS),
    name(At(L.LS, EXT, L.LS_NAME, "as given; LS.name is ovirt-<name>-<uuid prefix>; "
            "absent: LS.name"), computed=True),
    *tenant(),
    status("ACTIVE", doc="always ACTIVE", fixed="ACTIVE"),
    Attr("admin_state_up", "boolean", post=True, put=True, default=True, sortable=True,
         ignored=True, fixed=True, doc="accepted and ignored; always true"),
    Attr("shared", "boolean", post=True, put=True, default=False, sortable=True, ignored=True,
         fixed=False, doc="accepted and ignored; always false"),
    Attr("subnets", "array", items="uuid", filterable=False, computed=True,
         at=(At(L.DHCP, EXT, L.DHCP_NETWORK_ID, "DHCP_Options rows naming this LS"),)),
    # A PUT stores an empty description as "" (as the predecessor did); a POST leaves it out.
    description(At(L.LS, EXT, L.LS_DESCRIPTION, "absent when created empty; a PUT stores \"\"",
                   encode=codec.text_or_absent, update_encode=codec.as_is)),
    tagged(At(L.LS, EXT, L.TAGS, "comma-joined, absent when none")),
    *stamped(L.LS, L.STAMP_CREATED, L.STAMP_UPDATED, L.STAMP_REVISION),
)

#: net-mtu, net-mtu-writable
MTU = (Attr("mtu", "integer", post=True, put=True, minimum=68, maximum=65535, sortable=True,
            computed=True,
            at=(At(L.LS, EXT, L.LS_MTU, "decimal; absent: [DHCP] dhcp-mtu"),
                At(L.DHCP, "options", "mtu", "copied to the IPv4 DHCP options")),
            doc="at most [PROVIDER] max-mtu when set"),)

#: port-security
PORT_SECURITY = (Attr("port_security_enabled", "boolean", post=True, put=True, sortable=True,
                      computed=True,
                      at=(At(L.LS, EXT, L.LS_PORT_SECURITY, '"True"/"False"'),),
                      doc="default: [PROVIDER] port-security-enabled"),)

#: external-net
EXTERNAL = (Attr("router:external", "boolean", post=True, put=True, default=False,
                 sortable=True,
                 at=(At(L.LS, EXT, L.LS_ROUTER_EXTERNAL, '"True" when set, else absent',
                        decode=codec.flag(False), encode=codec.true_or_absent),)),)

_LOCALNET = "the network's localnet Logical_Switch_Port"
#: provider
PROVIDER = (
    Attr("provider:network_type", "string", post=True, put=True, nullable=True,
         enum=("flat", "vlan", "geneve", None), sortable=True, computed=True,
         at=(At(L.LSP, "tag", how=f"{_LOCALNET}: vlan when tagged, else flat; "
                                    "no localnet port: geneve (an overlay)"),)),
    Attr("provider:physical_network", "string", post=True, put=True, nullable=True,
         # Neutron's PHYSICAL_NETWORK_MAX_LEN; vdsm names are short
         max_len=64, sortable=True, computed=True,
         at=(At(L.LSP, "options", L.LSP_NETWORK_NAME, _LOCALNET),)),
    Attr("provider:segmentation_id", "integer", post=True, put=True, nullable=True,
         minimum=0, maximum=4094, sortable=True, computed=True,
         at=(At(L.LSP, "tag", how=f"{_LOCALNET}: the VLAN"),)),
)

SCHEMA = NETWORKS.extend(*MTU, *PORT_SECURITY, *EXTERNAL, *PROVIDER)
