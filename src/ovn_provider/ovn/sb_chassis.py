"""What the SB says of each chassis, as last seen: the source of `/v2.0/agents`
(neutron/agents.py, docs/agents.md).

`SbMonitor` (ovn/sb.py) publishes one `ChassisState` per SB `Chassis` row, with the
`nb_cfg` its ovn-controller last reported (in `Chassis_Private`, or in `Chassis` on an OVN
without that table) and `SB_Global.nb_cfg`, the sequence number northd copied from the NB.
The holder keeps the last answer while the SB is unreachable.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChassisState:
    name: str
    hostname: str
    gateway: bool  # ovn-cms-options lists enable-chassis-as-gw
    nb_cfg: int  # what its ovn-controller last applied
    nb_cfg_timestamp: int  # when, in ms since the epoch (0: never reported)
    external_ids: dict[str, str] = field(default_factory=dict)
    other_config: dict[str, str] = field(default_factory=dict)


class ChassisTable:
    """The SB chassis and `SB_Global.nb_cfg`, as last seen (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chassis: tuple[ChassisState, ...] = ()
        self._nb_cfg = 0
        self._synced = False

    def publish(self, chassis: list[ChassisState], nb_cfg: int) -> None:
        with self._lock:
            self._chassis = tuple(sorted(chassis, key=lambda c: c.name))
            self._nb_cfg = nb_cfg
            self._synced = True

    def snapshot(self) -> tuple[tuple[ChassisState, ...], int, bool]:
        """(chassis by name, SB_Global.nb_cfg, whether the SB has been read at all)."""
        with self._lock:
            return self._chassis, self._nb_cfg, self._synced
