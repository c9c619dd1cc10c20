"""Agents (`/v2.0/agents`, read only; docs/agents.md): each SB chassis shown as Neutron's
OVN driver shows it, an "OVN Controller agent", or an "OVN Controller Gateway agent" when
it is a chassis the provider schedules router gateways on (docs/routers.md): one whose
ovn-cms-options list enable-chassis-as-gw, or, when `[NETWORK] gateway-chassis` names
the gateways, one named there.

The chassis come from the SB monitor's last snapshot (ovn/sb_chassis.py); `alive` is
decided as Neutron's OVN driver does (neutron/agent_liveness.py), against
`NB_Global.nb_cfg`, which listing bumps now and then (`SB_Global.nb_cfg` while the NB
cannot be read).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ovn_provider.errors import NotFound
from ovn_provider.neutron import agent_liveness, gateway_scheduler
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


def is_gateway(ctx: Ctx, chassis: ChassisState) -> bool:
    """A chassis router gateways are scheduled on (neutron/gateway_scheduler.py)."""
    if gateway_scheduler.automatic(ctx.cfg):
        return chassis.gateway
    return chassis.name in ctx.cfg.gateway_chassis


def render(chassis: ChassisState, gateway: bool, alive: bool) -> dict[str, Any]:
    return {
        "id": chassis.name,
        "agent_type": GATEWAY if gateway else CONTROLLER,
        "binary": "ovn-controller",
        "topic": "n/a",
        "host": chassis.hostname,
        "alive": alive,
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


def _agents(ctx: Ctx, only: str | None = None) -> list[dict[str, Any]]:
    chassis, sb_nb_cfg, _ = ctx.nb.chassis.snapshot()
    chosen = [one for one in chassis if only is None or one.name == only]
    if not chosen:
        return []
    nb_cfg = agent_liveness.ping(ctx)
    reference = sb_nb_cfg if nb_cfg is None else nb_cfg
    down_time = ctx.cfg.agent_down_time
    return [render(one, is_gateway(ctx, one),
                   agent_liveness.alive(one, reference, down_time)) for one in chosen]


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    return _agents(ctx)


def show(ctx: Ctx, agent_id: str) -> dict[str, Any]:
    found = _agents(ctx, agent_id)
    if not found:
        raise NotFound(f"Agent {agent_id} could not be found")
    return found[0]
