"""Agents (Neutron's `agent` resource, as Neutron's OVN driver shows ovn-controller): read
only, from the SB Chassis and Chassis_Private rows (neutron/agents.py, docs/agents.md)."""

from __future__ import annotations

from ovn_provider.schema.types import At, Attr, schema

_CH, _PRIV = "Chassis (SB)", "Chassis_Private (SB)"

# Every attribute is rendered by hand from the SB rows (neutron/agents.py): computed.
SCHEMA = schema(
    "agents", "agent", "agents",
    Attr("id", "string", computed=True, sortable=True, at=(At(_CH, "name"),),
         doc="the chassis name"),
    Attr("agent_type", "string", computed=True, sortable=True,
         enum=("OVN Controller agent", "OVN Controller Gateway agent"),
         at=(At(_CH, "other_config", "ovn-cms-options",
                how="Gateway when it lists enable-chassis-as-gw; with [NETWORK] "
                "gateway-chassis set, when named there instead"),)),
    Attr("binary", "string", computed=True, sortable=True, doc="always ovn-controller"),
    Attr("topic", "string", computed=True, sortable=True, doc="always n/a"),
    Attr("host", "string", computed=True, sortable=True, at=(At(_CH, "hostname"),)),
    Attr("alive", "boolean", computed=True, sortable=True,
         at=(At(_PRIV, "nb_cfg", how="alive when at most 1 behind NB_Global.nb_cfg, or "
                "nb_cfg_timestamp younger than [PROVIDER] agent-down-time; listing bumps "
                "NB_Global.nb_cfg (docs/agents.md)"),)),
    Attr("admin_state_up", "boolean", computed=True, sortable=True, doc="always true"),
    Attr("availability_zone", "string", computed=True, nullable=True, sortable=True,
         at=(At(_CH, "other_config", "ovn-cms-options",
                how="its availability-zones=, joined with ', '; null without"),)),
    Attr("configurations", "object", computed=True, filterable=False,
         at=(At(_CH, "other_config", how="chassis_name, bridge-mappings, datapath-type, "
                "iface-types"),)),
    Attr("description", "string", computed=True, sortable=True,
         at=(At(_CH, "external_ids", "neutron:description"),)),
    Attr("heartbeat_timestamp", "string", computed=True, nullable=True, sortable=True,
         at=(At(_PRIV, "nb_cfg_timestamp", how="`YYYY-MM-DD HH:MM:SS`, UTC"),)),
    Attr("created_at", "string", computed=True, nullable=True, doc="always null (unknown)"),
    Attr("started_at", "string", computed=True, nullable=True, doc="always null (unknown)"),
    Attr("resources_synced", "boolean", computed=True, nullable=True,
         doc="always null, as for OVN"),
)
