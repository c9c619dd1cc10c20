"""Which chassis host a router's distributed gateway port, in which priority order
(docs/routers.md, "Gateway chassis").

- `[NETWORK] gateway-chassis` set: exactly those chassis, in the configured order, on
  every router (the operator's choice, unchanged).
- Empty (the default): the chassis the SB marks as gateways (ovn/sb.py). Each router gets
  up to MAX_CHASSIS of them. A router keeps the chassis it has, in its order, as long as
  they remain gateways, so adding a gateway never moves a working router; gateways that
  appear are appended at lower priorities. A router without a remaining chassis (a new
  router, or one whose chassis all went away) gets as its active chassis the gateway that
  is active for the fewest routers, then the others. Ties and the lower ranks follow a
  hash of the port and chassis names, so every provider instance computes the same plan
  from the same NB and SB and concurrent rescheduling converges.

Pure policy: no NB writes here (router_common applies the plan).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

from ovn_provider.config import Config
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import view
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.sb import GatewayChassis

CHASSIS_PRIORITY_TOP = 32767  # Gateway_Chassis.priority is 0..32767
MAX_CHASSIS = 5  # Gateway_Chassis rows per router port, as Neutron's OVN driver caps it


def automatic(cfg: Config) -> bool:
    """Whether chassis come from the SB rather than `[NETWORK] gateway-chassis`."""
    return not cfg.gateway_chassis


def available(cfg: Config, gateways: GatewayChassis) -> bool:
    """SNAT and floating IPs need at least one gateway chassis."""
    return bool(cfg.gateway_chassis) or bool(gateways.names)


def _rank(port: str, chassis: str) -> bytes:
    return hashlib.blake2b(f"{port}\0{chassis}".encode(), digest_size=8).digest()


def active_loads(idl: NbIdl) -> Counter[str]:
    """How many router ports each chassis is the active (highest-priority) gateway of,
    among the provider's own Gateway_Chassis rows."""
    loads: Counter[str] = Counter()
    for gc in view.rows(idl, L.GATEWAY_CHASSIS).values():
        if gc.external_ids.get(L.GW_CHASSIS_MARK) == "True" and \
                gc.priority == CHASSIS_PRIORITY_TOP:
            loads[gc.chassis_name] += 1
    return loads


def plan(port: str, current: list[str], gateways: Iterable[str],
         loads: Counter[str]) -> list[str]:
    """The chassis of router port `port`, highest priority first. `current` is its
    chassis now (highest first); `loads` is updated when the active chassis changes."""
    pool = set(gateways)
    keep = [name for name in current if name in pool][:MAX_CHASSIS]
    rest = sorted(pool.difference(keep), key=lambda name: (_rank(port, name), name))
    if not keep and rest:
        top = min(rest, key=lambda name: (loads[name], _rank(port, name), name))
        rest.remove(top)
        keep = [top]
    result = (keep + rest)[:MAX_CHASSIS]
    old_top = current[0] if current else None
    new_top = result[0] if result else None
    if old_top != new_top:
        if new_top is not None:
            loads[new_top] += 1
        if old_top is not None and loads[old_top] > 0:
            loads[old_top] -= 1
    return result


def wanted(cfg: Config, gateways: GatewayChassis, idl: NbIdl, port: str, current: list[str],
           loads: Counter[str] | None = None) -> dict[str, int]:
    """chassis name -> priority for router port `port` (empty: none known)."""
    if not automatic(cfg):
        names = list(dict.fromkeys(cfg.gateway_chassis))
    else:
        names = plan(port, current, gateways.names,
                     active_loads(idl) if loads is None else loads)
    return {name: CHASSIS_PRIORITY_TOP - i for i, name in enumerate(names)}
