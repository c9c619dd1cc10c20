"""The connection thread's waits for the NB, with the replica left to readers meanwhile
(docs/architecture.md, "Reads while a write waits").

ovsdbapp runs a write in its connection thread with the connection lock held
(ovn/keepalive.py), and python-ovs's `commit_block` and ovsdbapp's `wait_for_change` keep
it for the whole round trip to the NB. Every read (`Nb.read()`) waited for that: a port
list behind a port create waited for the NB to commit it, 50-370 ms on a busy central
host at 20,000 ports (bench/README.md, "Engine storm").

The lock guards the replica, and a write in flight is not in it: python-ovs's
`Transaction.commit()` sends the operations and at once takes the transaction's pending
changes off the rows (rows it inserted leave their tables, `Idl.txn` is None again). From
then on the replica holds committed state only and changes only when the IDL runs. So the
functions here hold the lock to run the IDL and to read the transaction's status, and
release it only while they block in poll(). A reader that gets it meanwhile sees the
replica without the write, which is not acknowledged yet; the write's own update is
applied (by `Idl.run`, locked) before its answer, so the client that wrote reads its write.

The next write still waits: the connection thread takes one transaction at a time, so
each write function sees the outcome of the one before.
"""

from __future__ import annotations

import time
from typing import Any

from ovs import poller as ovs_poller
from ovs.db import idl as ovs_idl
from ovsdbapp import exceptions as ovsdbapp_exc

from ovn_provider.ovn.keepalive import KeepaliveConnection


def _block(conn: KeepaliveConnection, idl: Any, txn: ovs_idl.Transaction | None = None,
           timeout: float | None = None) -> None:
    poller = ovs_poller.Poller()
    idl.wait(poller)
    if txn is not None:
        txn.wait(poller)
    if timeout:
        poller.timer_wait(int(timeout * 1000))
    with conn.released():
        poller.block()


def commit(conn: KeepaliveConnection, txn: ovs_idl.Transaction) -> int:
    """python-ovs's `commit_block`, with the lock held only while the IDL runs: the final
    status (anything but INCOMPLETE)."""
    idl = txn.idl
    status: int = txn.commit()
    while status == txn.INCOMPLETE:
        _block(conn, idl, txn)
        idl.run()
        status = txn.commit()
    return status


def wait_for_change(conn: KeepaliveConnection, idl: Any, timeout: float | None,
                    seqno: int) -> None:
    """ovsdbapp's `idlutils.wait_for_change` (until the replica changed past `seqno` and is
    synced), with the lock held only while the IDL runs."""
    stop = time.monotonic() + timeout if timeout and timeout > 0 else None
    while True:
        changed = idl.run()
        if (changed or idl.change_seqno != seqno) and idl.state == idl.IDL_S_MONITORING:
            return
        remaining = None if stop is None else max(stop - time.monotonic(), 0.001)
        _block(conn, idl, timeout=remaining)
        if stop is not None and time.monotonic() >= stop:
            raise ovsdbapp_exc.TimeoutException()
