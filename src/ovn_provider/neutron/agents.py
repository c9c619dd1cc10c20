"""Agents (`/v2.0/agents`, read only; docs/agents.md): each SB chassis shown as Neutron's
OVN driver shows it, an "OVN Controller agent", or an "OVN Controller Gateway agent" when
its ovn-cms-options list enable-chassis-as-gw (the chassis the provider schedules router
gateways on, docs/routers.md).

`alive` follows the chassis' `nb_cfg`: ovn-controller reports the NB sequence number it
has applied (Chassis_Private.nb_cfg, or Chassis.nb_cfg on an older OVN), and a chassis at
most one behind `SB_Global.nb_cfg` is alive, as in Neutron. The data comes from the SB
monitor's last snapshot (ovn/sb_chassis.py), never from the NB.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ovn_provider.errors import NotFound
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.sb_chassis import ChassisState

CONTROLLER = "OVN Controller agent"
GATEWAY = "OVN Controller Gateway agent"
CMS_OPTIONS = "ovn-cms-options"
CONFIG_KEYS = {"bridge-mappings": "ovn-bridge-mappings", "datapath-type": "datapath-type",
               "iface-types": "iface-types"}


def _setting(chassis: ChassisState, key: str) -> str:
    """A chassis setting: other_config, or external_ids where older OVN keeps it."""
    return chassis.other_config.get(key, chassis.external_ids.get(key, ""))


def _zones(chassis: ChassisState) -> str | None:
    for option in _setting(chassis, CMS_OPTIONS).split(","):
        key, _, value = option.strip().partition("=")
        if key == "availability-zones" and value:
            return ", ".join(zone for zone in value.split(":") if zone)
    return None


def _heartbeat(ms: int) -> str | None:
    if ms <= 0:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def render(chassis: ChassisState, nb_cfg: int) -> dict[str, Any]:
    return {
        "id": chassis.name,
        "agent_type": GATEWAY if chassis.gateway else CONTROLLER,
        "binary": "ovn-controller",
        "topic": "n/a",
        "host": chassis.hostname,
        "alive": nb_cfg - chassis.nb_cfg <= 1,
        "admin_state_up": True,
        "availability_zone": _zones(chassis),
        "configurations": {"chassis_name": chassis.name,
                           **{shown: _setting(chassis, key)
                              for shown, key in CONFIG_KEYS.items()}},
        "description": chassis.external_ids.get("neutron:description", ""),
        "heartbeat_timestamp": _heartbeat(chassis.nb_cfg_timestamp),
        "created_at": None,
        "started_at": None,
        "resources_synced": None,
    }


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    chassis, nb_cfg, _ = ctx.nb.chassis.snapshot()
    return [render(one, nb_cfg) for one in chassis]


def show(ctx: Ctx, agent_id: str) -> dict[str, Any]:
    chassis, nb_cfg, _ = ctx.nb.chassis.snapshot()
    for one in chassis:
        if one.name == agent_id:
            return render(one, nb_cfg)
    raise NotFound(f"Agent {agent_id} could not be found")
