"""Rescheduling distributed gateway ports when SB gateway chassis come or go
(docs/routers.md, "Gateway chassis").

An SB change only sets a flag; a worker thread waits until the SB has been quiet for
DEBOUNCE seconds, then rewrites every router's gateway chassis to the scheduler's plan
in ONE NB transaction. The plan keeps what still works, so the transaction writes only
the routers that lost a chassis or can use a new one, and nothing at all when another
provider instance already did it (its columns are verified: a race means a retry on the
fresh replica, which then finds nothing to do).
"""

from __future__ import annotations

import logging
import threading

from ovn_provider.config import Config
from ovn_provider.neutron import gateway_scheduler as GS
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import view
from ovn_provider.ovn.nb import Nb, NbUnavailable, Writer

LOG = logging.getLogger(__name__)

DEBOUNCE = 1.0  # seconds of SB quiet before rescheduling
RETRY = 2.0  # seconds between attempts while the NB is unavailable


def reschedule(w: Writer, cfg: Config) -> int:
    """Apply the plan to every router with a gateway; returns how many ports changed."""
    if not GS.automatic(cfg) or not w.gateways.synced:
        return 0
    loads = GS.active_loads(w.idl)
    routers = []
    for lr in view.rows(w.idl, L.LR).values():
        gw = RC.gateway_of(w.idl, lr, w)
        if gw is not None:
            routers.append((gw.lrp.name, lr, gw))
    changed = 0
    for _, lr, gw in sorted(routers, key=lambda item: item[0]):
        if RC.sync_chassis(w, cfg, gw.lrp, needed=bool(lr.nat), loads=loads):
            changed += 1
    return changed


class Rescheduler:
    """Runs `reschedule` after each (debounced) change of the SB gateway chassis."""

    def __init__(self, cfg: Config, nb: Nb) -> None:
        self.cfg = cfg
        self.nb = nb
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # completed reschedules (for tests and logs)
        nb.gateways.subscribe(self._wake.set)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="gateway-reschedule",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            # Debounce: wait until no new SB change arrived for DEBOUNCE seconds.
            while self._wake.is_set() and not self._stop.is_set():
                self._wake.clear()
                self._stop.wait(DEBOUNCE)
            if self._stop.is_set():
                return
            self._run_once()

    def _run_once(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.nb.wait_connected(RETRY):
                    continue
                changed = self.nb.transact(lambda w: reschedule(w, self.cfg))
                self.runs += 1
                if changed:
                    LOG.info("gateway chassis rescheduled on %d router port(s): %s", changed,
                             ", ".join(sorted(self.nb.gateways.names)) or "none")
                return
            except NbUnavailable:
                self._stop.wait(RETRY)
            except Exception:
                LOG.exception("rescheduling gateway chassis failed")
                return
