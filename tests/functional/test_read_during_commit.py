"""Reads go on while a write waits for the NB's answer (ovn/commit_wait.py).

The NB server is paused (SIGSTOP) after the provider's replica synced; a write is then
sent and cannot be answered. A read meanwhile must get the replica at once, without the
write (it is not acknowledged), and once the server runs again the write completes and
the next read has it. Before ovn/commit_wait.py the read waited for the connection lock
until the write's answer, here for ever (the read's own timeout).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.nb import Nb, Writer

READ_LIMIT_S = 2.0  # a read on an idle replica takes milliseconds


def _switch_names(nb: Nb) -> set[str]:
    with nb.read() as idl:
        return {row.name for row in idl.tables["Logical_Switch"].rows.values()}


def test_read_is_not_held_by_a_write_in_flight(fresh_central: Central) -> None:
    nb = Nb(fresh_central.nb_remote, timeout=8)
    nb.start()
    with open(fresh_central.nb[0].pidfile) as handle:
        pid = int(handle.read())
    outcome: dict[str, Any] = {}

    def write() -> None:
        def fn(w: Writer) -> str:
            w.insert("Logical_Switch", name="in-flight")
            return "written"
        try:
            outcome["result"] = nb.transact(fn)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc

    writer = threading.Thread(target=write)
    try:
        assert nb.wait_connected(30)
        assert "in-flight" not in _switch_names(nb)
        os.kill(pid, signal.SIGSTOP)
        writer.start()
        deadline = time.monotonic() + 5
        while not nb.idl._outstanding_txns and time.monotonic() < deadline:
            time.sleep(0.01)
        assert nb.idl._outstanding_txns, "the write was never sent"

        started = time.monotonic()
        names = _switch_names(nb)
        took = time.monotonic() - started
        assert took < READ_LIMIT_S, f"the read waited {took:.2f} s for the write's answer"
        assert "in-flight" not in names  # not acknowledged: not in the replica
        assert writer.is_alive() and not outcome  # still waiting for its answer

        os.kill(pid, signal.SIGCONT)
        writer.join(10)
        assert outcome == {"result": "written"}
        assert "in-flight" in _switch_names(nb)  # the writer reads its write
    finally:
        os.kill(pid, signal.SIGCONT)
        if writer.is_alive():
            writer.join(10)
        nb.stop()
