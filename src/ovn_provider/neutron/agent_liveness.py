"""When an agent (an SB chassis) is `alive`, as Neutron's OVN driver decides it
(docs/agents.md, "Liveness").

ovn-controller reports in `Chassis_Private.nb_cfg` the `NB_Global.nb_cfg` it has applied,
and in `nb_cfg_timestamp` when it did. A chassis is alive while it is at most one behind
`NB_Global.nb_cfg`, or while its last report is younger than `[PROVIDER] agent-down-time`
(Neutron's `agent_down_time`, 75 s by default).

Nothing moves `NB_Global.nb_cfg` on its own, so a chassis whose ovn-controller died would
stay one step behind, hence alive, forever. Listing or showing agents therefore bumps it
(`ping`), as Neutron does when agents are listed: at most once per half of agent-down-time
across every provider instance, since the time of the last bump is kept in the NB
(`NB_Global.external_ids:ovirt_liveness_check_at`). This is the one write a GET makes (one
transaction, the request's only one); a bump that fails (NB unreachable, refused) is
logged and the list is answered anyway, from what the replica holds. The oVirt engine
never reads agents, so its requests never write this.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from ovn_provider.neutron import layout as L
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.index import NbIdl, verify
from ovn_provider.ovn.nb import NbCommitError, NbUnavailable, Writer
from ovn_provider.ovn.sb_chassis import ChassisState

LOG = logging.getLogger(__name__)


def interval(down_time: int) -> float:
    """Seconds between two bumps: half of agent-down-time (at least 1), as in Neutron."""
    return float(max(down_time // 2, 1))


def _last_check(external_ids: dict[str, str]) -> float | None:
    text = external_ids.get(L.NB_LIVENESS_CHECK)
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None  # unreadable: as if never done
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _due(row: Any, now: float, every: float) -> bool:
    last = _last_check(dict(row.external_ids))
    # A time in the future (another instance's clock ahead) counts as recent.
    return last is None or now - last >= every or last - now > every


def _global(idl: NbIdl) -> Any | None:
    rows = idl.tables[L.NB_GLOBAL].rows if L.NB_GLOBAL in idl.tables else {}
    return next(iter(rows.values()), None)


def _nb_cfg(ctx: Ctx) -> tuple[int | None, bool]:
    """(NB_Global.nb_cfg or None when the NB cannot be read, whether a bump is due)."""
    with ctx.nb.read() as idl:
        row = _global(idl)
        if row is None:
            return None, False
        return int(row.nb_cfg), _due(row, time.time(), interval(ctx.cfg.agent_down_time))


def ping(ctx: Ctx) -> int | None:
    """Bump `NB_Global.nb_cfg` when due; its value afterwards (None: the NB is not
    readable, the caller falls back on `SB_Global.nb_cfg`)."""
    try:
        nb_cfg, due = _nb_cfg(ctx)
    except NbUnavailable:
        return None
    if not due:
        return nb_cfg
    every = interval(ctx.cfg.agent_down_time)

    def write(w: Writer) -> None:
        row = _global(w.idl)
        if row is None:
            return
        verify(row, "external_ids")  # another instance bumping meanwhile: TRY_AGAIN
        now = time.time()
        if not _due(row, now, every):
            return
        stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
        row.setkey("external_ids", L.NB_LIVENESS_CHECK, stamp)
        row.increment("nb_cfg")  # a mutation: never conflicts with ovn-nbctl --wait

    try:
        ctx.nb.transact(write)
        return _nb_cfg(ctx)[0]
    except (NbUnavailable, NbCommitError, RuntimeError) as exc:
        LOG.warning("agents: could not bump NB_Global.nb_cfg (%s); `alive` is computed "
                    "from the last value", exc)
        return nb_cfg


def alive(chassis: ChassisState, nb_cfg: int, down_time: int,
          now: float | None = None) -> bool:
    """Caught up (at most one behind `nb_cfg`) or reported within `down_time` seconds."""
    if nb_cfg - chassis.nb_cfg <= 1:
        return True
    if chassis.nb_cfg_timestamp <= 0:
        return False  # never reported
    now = time.time() if now is None else now
    return now - chassis.nb_cfg_timestamp / 1000 < down_time
