"""The garbage collector and the NB replica (docs/architecture.md, "The replica and the
garbage collector").

At 20,000 ports the replica is millions of long-lived objects (python-ovs rows and their
column data). CPython's full collection (generation 2) walks every tracked object with
the GIL held, each time the number of objects has grown by a quarter since the last one:
200-450 ms pauses while the replica grows, and in the engine storm a 723 ms pause in the
middle of the plug phase, which was the whole p99 (bench/README.md, "Engine storm"). Those
collections find next to nothing to free: a row that leaves its table is freed by
reference counting, not by the cycle collector.

So `Settler` moves every object alive into the collector's permanent generation
(`gc.freeze()`, a constant-time list move) when a session's replica is synced and
whenever the replica has grown by a quarter (and at least GROWTH_MIN rows) since the last
time: later collections walk only what came since. Frozen objects are still freed by
reference counting; cyclic garbage among them (an HTTP connection that was open at the
freeze and closes later) is not, which is why freezes are rare: once per connection to
the NB and then only as the replica grows geometrically.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

LOG = logging.getLogger(__name__)

GROWTH = 1.25  # freeze again once the replica has this many times the rows of the last
GROWTH_MIN = 5000  # ... and at least this many rows more


class Settler:
    """Decides when to freeze the heap, from the connection and the replica's size."""

    def __init__(self) -> None:
        self._seqno = -1
        self._rows = 0

    def synced(self, seqno: int, idl: Any) -> bool:
        """The replica of connection `seqno` is synced (called on every IDL run while it
        is): freezes once per connection and on growth; whether it froze now."""
        rows = sum(len(table.rows) for table in list(idl.tables.values()))
        if seqno == self._seqno and (rows < self._rows * GROWTH
                                     or rows < self._rows + GROWTH_MIN):
            return False
        self._seqno, self._rows = seqno, rows
        gc.freeze()
        LOG.info("NB replica of %d rows synced or grown: %d objects left out of the "
                 "garbage collector's full walks", rows, gc.get_freeze_count())
        return True
