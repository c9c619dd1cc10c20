"""The NB layout contract shared with ovirt-provider-ovn (docs/nb-layout.md).

Every external_ids / options / other_config key and naming rule the provider reads or
writes is defined here, so the compatibility surface is visible in one place. Keys this
project adds beyond the predecessor are marked NEW.
"""

from __future__ import annotations

import uuid
from typing import Any

# Tables
LS = "Logical_Switch"
LSP = "Logical_Switch_Port"
LR = "Logical_Router"
LRP = "Logical_Router_Port"
DHCP = "DHCP_Options"
PG = "Port_Group"
ACL = "ACL"
NAT = "NAT"
STATIC_ROUTE = "Logical_Router_Static_Route"
NB_GLOBAL = "NB_Global"

# NB_Global.external_ids. NEW (docs/agents.md, "Liveness"): when a provider instance last
# bumped NB_Global.nb_cfg for /v2.0/agents (ISO 8601 UTC), shared by every instance.
NB_LIVENESS_CHECK = "ovirt_liveness_check_at"

# Logical_Switch.external_ids
LS_NAME = "ovirt_network_name"
LS_MTU = "mtu"
LS_PORT_SECURITY = "ovirt_port_security"
# NEW (docs/compatibility.md, "Beyond the predecessor"): network description
LS_DESCRIPTION = "ovirt_description"
# NEW (docs/compatibility.md, "Concurrency"): a counter bumped by every transaction that hands out
# or checks addresses
# or MACs on the switch, which verifies it: concurrent writers (other provider instances)
# then retry on the fresh replica instead of handing out one address twice.
LS_ADDRESS_SERIAL = "ovirt_address_serial"
# Logical_Switch.other_config
LS_SUBNET = "subnet"
LS_IPV6_PREFIX = "ipv6_prefix"
LS_EXCLUDE_IPS = "exclude_ips"

# Logical_Switch_Port.external_ids
LSP_NIC_NAME = "ovirt_nic_name"  # presence marks an oVirt port
LSP_DEVICE_ID = "ovirt_device_id"
LSP_DEVICE_OWNER = "ovirt_device_owner"
LSP_SECURITY_GROUPS = "ovirt_security_groups"
LSP_BINDING_HOST = "ovirt_binding_host_id"  # NEW (docs/nb-layout.md)
LSP_NETWORK_ID = "ovirt_network_id"  # NEW: owning LS UUID, a lookup hint only
LSP_DESCRIPTION = "ovirt_description"  # NEW: port description
LSP_FIXED_SUBNETS = "ovirt_fixed_subnets"  # NEW: "ip=subnet_uuid ..." for fixed IPs
# NEW (docs/nb-layout.md): allowed address pairs, "ip[,mac] ..." (ip: address or CIDR; no mac: the
# port's own). Foreign MACs also appear in port_security / addresses (address_pairs.py).
LSP_ADDRESS_PAIRS = "ovirt_allowed_address_pairs"
# Logical_Switch_Port.options
LSP_REQUESTED_CHASSIS = "requested-chassis"
LSP_ROUTER_PORT = "router-port"
LSP_NETWORK_NAME = "network_name"

NIC_NAME_ROUTER = "router_port"
NIC_NAME_LOCALNET = "localnet_port"
OWNER_ROUTER_INTERFACE = "network:router_interface"
OWNER_ROUTER_GATEWAY = "network:router_gateway"
ROUTER_OWNERS = (OWNER_ROUTER_INTERFACE, OWNER_ROUTER_GATEWAY)

# DHCP_Options.external_ids
DHCP_NETWORK_ID = "ovirt_network_id"  # presence marks an oVirt subnet
DHCP_IP_VERSION = "ip_version"
DHCP_NAME = "ovirt_name"
DHCP_IPV6_MODE = "ovirt_ipv6_address_mode"
DHCP_MTU = "mtu"
DHCP_ROUTER = "router"
DHCP_GATEWAY_ROUTER = "gateway_router"
DHCP_ENABLED = "ovirt_enable_dhcp"  # NEW: "False" when enable_dhcp is false
DHCP_POOLS = "ovirt_allocation_pools"  # NEW: "a-b,c-d" when pools were given
DHCP_HOST_ROUTES = "ovirt_host_routes"  # NEW: "dest,nexthop dest,nexthop"
DHCP_RA_MODE = "ovirt_ipv6_ra_mode"  # NEW
DHCP_DESCRIPTION = "ovirt_description"  # NEW

# Logical_Router.external_ids
LR_GATEWAY_PORT = "ovirt_gateway_port"
LR_ENABLE_SNAT = "ovirt_enable_snat"  # NEW (docs/routers.md): "True"/"False"; absent means False
LR_DESCRIPTION = "ovirt_description"  # NEW: router description

# Routers, NAT and floating IPs (docs/routers.md)
GATEWAY_CHASSIS = "Gateway_Chassis"
LS_ROUTER_EXTERNAL = "ovirt_router_external"  # NEW: LS.external_ids, "True" = router:external
# NEW: LS.external_ids of the floating network, one key per floating IP:
# "ovirt_floating_ip:<fip id>" = "<floating address>" (the record survives disassociation)
LS_FIP_PREFIX = "ovirt_floating_ip:"
LS_FIP_DESCRIPTION_PREFIX = "ovirt_floating_ip_description:"  # NEW: "<prefix><fip id>" = text
NAT_FIP_ID = "ovirt_fip_id"  # NEW: NAT.external_ids of a dnat_and_snat row: the FIP id
NAT_FIP_PORT = "ovirt_fip_port_id"  # NEW: NAT.external_ids: the associated REST port id
NAT_SNAT = "ovirt_snat"  # NEW: NAT.external_ids "True": a snat row the provider manages
GW_CHASSIS_MARK = "ovirt_gateway_chassis"  # NEW: Gateway_Chassis.external_ids "True"

# Tags (standard-attr-tag; docs/tags.md). NEW: external_ids of LS, DHCP_Options, LSP, LR
# and PG rows: the resource's tags, comma-joined in order (a tag never holds a comma);
# absent when there are none. Floating IPs keep theirs on the floating network's LS.
TAGS = "ovirt_tags"
LS_FIP_TAGS_PREFIX = "ovirt_floating_ip_tags:"  # NEW: "<prefix><fip id>" = tags as above

# Port_Group
PG_DEFAULT = "Default"
#: The name Neutron clients look for: the `Default` group is shown under it
#: (docs/security-groups.md, "The default group").
PG_DEFAULT_SHOWN = "default"
PG_DROP_ALL = "DropAll"
PG_NAME = "ovirt_sec_group_name"
# Port_Group.external_ids (docs/nb-layout.md)
PG_DESCRIPTION = "ovirt_description"
PG_TENANT = "ovirt_tenant_id"
PG_PROJECT = "ovirt_project_id"
PG_CREATED = "ovirt_created_at"  # naive UTC ISO-8601 with microseconds; a trailing Z is read
PG_UPDATED = "ovirt_updated_at"
PG_STATEFUL = "ovirt_stateful"  # "False" for a stateless group (allow-stateless ACLs)
PG_REVISION = "ovirt_revision_number"  # decimal, from 1, +1 on any change to group or rules
# ACL.external_ids (docs/nb-layout.md; docs/security-groups.md)
ACL_GROUP = "ovirt_port_group_id"  # owning PG name (old data: PG name or UUID)
ACL_REMOTE_GROUP = "ovirt_remote_group_id"  # remote PG name (old data: name or UUID)
ACL_ETHERTYPE = "ovirt_ethertype"
ACL_PROTOCOL = "ovirt_protocol"  # as supplied; integers as decimal strings
ACL_MIN_PORT = "ovirt_min_port"
ACL_MAX_PORT = "ovirt_max_port"
ACL_IP_PREFIX = "ovirt_ip_prefix"
ACL_DESCRIPTION = "ovirt_rule_description"
ACL_OLD_DESCRIPTION = "description"  # where the predecessor wrote it; read as a fallback


def new_id() -> str:
    return str(uuid.uuid4())


def network_ls_name(rest_name: str) -> str:
    return f"ovirt-{rest_name}-{uuid.uuid4()}"


def is_ovirt_port(lsp: Any) -> bool:
    return LSP_NIC_NAME in lsp.external_ids


def is_api_port(lsp: Any) -> bool:
    """LSPs the Networking API shows: oVirt ports (router ones included), never localnet."""
    return LSP_NIC_NAME in lsp.external_ids and lsp.type != "localnet"


def is_ovirt_subnet(row: Any) -> bool:
    return DHCP_NETWORK_ID in row.external_ids


def lrp_name(lsp_name: str) -> str:
    return f"lrp{lsp_name}"


def true_text(value: bool) -> str:
    return "True" if value else "False"


def parse_bool(text: str | None, default: bool) -> bool:
    if text is None:
        return default
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    return default


def parse_int(text: str | None) -> int | None:
    """Tolerant numeric read: missing, non-numeric or 'None' means unset."""
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def ipv6_mode(text: str | None) -> str | None:
    if not text:
        return None
    return text.strip().replace("_", "-")

# Standard attributes of every other resource (docs/nb-layout.md, "Timestamps and
# revisions"): the same keys as a Port_Group's, in the external_ids of the LS (network),
# DHCP_Options (subnet), LSP (port), LR (router) and ACL (rule). A floating IP keeps
# "<revision> <created> <updated>" under "<prefix><fip id>" on its floating network's LS.
STAMP_CREATED = PG_CREATED
STAMP_UPDATED = PG_UPDATED
STAMP_REVISION = PG_REVISION
LS_FIP_STAMP_PREFIX = "ovirt_floating_ip_stamp:"
