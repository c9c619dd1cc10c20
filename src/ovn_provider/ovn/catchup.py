"""When a rejection may come from a replica behind another provider instance's write
(docs/concurrency.md, "Across provider instances"): the moments at which checking the
request again can give a different answer.

`Nb.catch_up` is the barrier: one round trip after which the replica holds everything
the NB member it follows had applied. That is exact when the member is the RAFT leader
(or the NB is not clustered). A follower learns that an entry is committed from the
leader's next message to it, up to a heartbeat (a third of the election timer, 333 ms by
default) after the member that answered the writer did, so on a follower the request is
checked again after each entry the member applies, for up to FOLLOWER_LAG_S.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from ovn_provider.ovn.nb import Nb

FOLLOWER_LAG_S = 0.5
POLL_S = 0.01


def catching_up(nb: Nb) -> Iterator[None]:
    """Yields each time the replica may hold more than when the request was rejected."""
    if not nb.catch_up():
        return
    yield
    if nb.is_leader() is not False:  # the leader, a standalone NB, or not known
        return
    deadline = time.monotonic() + FOLLOWER_LAG_S
    index = nb.applied_index()
    while time.monotonic() < deadline:
        time.sleep(POLL_S)
        now = nb.applied_index()
        if now != index:
            index = now
            if not nb.catch_up():
                return
            yield
