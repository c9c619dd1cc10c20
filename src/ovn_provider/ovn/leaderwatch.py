"""Leave an NB leader that stopped answering as soon as another member is elected.

The provider follows the NB leader only (docs/ha.md). A leader that stops answering
without closing its connections (paused, its host frozen) was left only when the
inactivity probe fired (2 x PROBE_MS, ~4 s); meanwhile the write in flight on it, and
every request queued behind it, waited. The other members elect a new leader after
their election timer (1-2 s on the bed), and each member says in its `_Server` database
whether it is the leader.

`LeaderWatch` keeps one small session to every member, monitoring only the `Database`
rows of `_Server`. When a member *becomes* the leader (an update turning its `leader`
column true: a new term), the NB session is told; if it is on another member, it leaves
it for that one at once (`WatchedIdl`). Only a change counts, never a state read at
(re)connection: a paused member's stale "I am the leader" must not pull the session
away from the real one. A busy but live leader is never left for being slow: only a
new leader elsewhere moves the session, and then the old one could not commit anyway.
The write in flight on the old leader is not sent again: it may have been applied, so it
gets the usual 503 "may or may not be applied" (ovn/nb.py).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from ovs import jsonrpc as ovs_jsonrpc
from ovs import poller as ovs_poller
from ovs import reconnect as ovs_reconnect

from ovn_provider.ovn.index import NbIdl

LOG = logging.getLogger(__name__)

MONITOR_ID = "ovn-provider-leader-watch"
TICK_MS = 200  # how often the watch thread looks at its stop flag
BACKOFF_MS = (250, 2000)  # reconnect backoff of the watch sessions


class LeaderWatch:
    """A thread watching which NB member becomes the leader; `take()` gives the remote
    that did most recently (once), and `fileno()` is readable meanwhile."""

    def __init__(self, remotes: list[str], database: str) -> None:
        self.remotes = remotes
        self.database = database
        self._lock = threading.Lock()
        self._elected: str | None = None
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nb-leader-watch",
                                        daemon=True)

    def start(self) -> LeaderWatch:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        for fd in (self._read_fd, self._write_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def fileno(self) -> int:
        return self._read_fd

    def take(self) -> str | None:
        with self._lock:
            elected, self._elected = self._elected, None
            try:
                while os.read(self._read_fd, 512):
                    pass
            except (BlockingIOError, OSError):
                pass
        return elected

    # -- the watch thread -------------------------------------------------------------
    def _run(self) -> None:
        sessions = []
        for remote in self.remotes:
            session = ovs_jsonrpc.Session.open(remote)
            session.reconnect.min_backoff, session.reconnect.max_backoff = BACKOFF_MS
            sessions.append(session)
        monitored = [-1] * len(sessions)  # session seqno the monitor was sent on
        try:
            while not self._stop.is_set():
                poller = ovs_poller.Poller()
                for i, session in enumerate(sessions):
                    self._serve(session, i, monitored)
                    session.wait(poller)
                    session.recv_wait(poller)
                poller.timer_wait(TICK_MS)
                poller.block()
        except Exception:  # the watch only shortens failovers: the probe still works
            LOG.exception("NB leader watch stopped")
        finally:
            for session in sessions:
                session.close()

    def _serve(self, session: Any, index: int, monitored: list[int]) -> None:
        session.run()
        if session.is_connected() and session.get_seqno() != monitored[index]:
            monitored[index] = session.get_seqno()
            session.send(ovs_jsonrpc.Message.create_request("monitor", [
                "_Server", MONITOR_ID,
                {"Database": {"columns": ["name", "leader", "connected"]}}]))
        for _ in range(100):
            msg = session.recv()
            if msg is None:
                return
            if msg.type == ovs_jsonrpc.Message.T_NOTIFY and msg.method == "update" \
                    and len(msg.params) == 2 and msg.params[0] == MONITOR_ID:
                self._update(self.remotes[index], msg.params[1])

    def _update(self, remote: str, update: Any) -> None:
        """A `_Server` update (monitor v1: "new" holds every monitored column, "old" the
        ones that changed): the member just became the leader of our database?"""
        rows = update.get("Database", {}) if isinstance(update, dict) else {}
        for change in rows.values():
            new, old = change.get("new") or {}, change.get("old") or {}
            if new.get("name") == self.database and new.get("leader") is True \
                    and "leader" in old and new.get("connected") is True:
                LOG.info("NB member %s became the %s leader", remote, self.database)
                with self._lock:
                    self._elected = remote
                    os.write(self._write_fd, b"!")


class WatchedIdl(NbIdl):
    """The NB replica's IDL, which leaves its member for the one `leader_watch` saw
    elected (checked whenever the IDL runs, also while a write waits for its answer:
    python-ovs's commit_block runs the IDL)."""

    leader_watch: LeaderWatch | None = None

    def watch(self, leader_only: bool, database: str) -> LeaderWatch | None:
        """Starts the watch when following the leader of several members."""
        remotes = self._session.remotes
        if leader_only and len(remotes) > 1:
            self.leader_watch = LeaderWatch(list(remotes), database).start()
        return self.leader_watch

    def run(self) -> Any:
        watch = self.leader_watch
        if watch is not None:
            elected = watch.take()
            if elected is not None:
                self._follow(elected)
        return super().run()

    def wait(self, poller: Any) -> None:
        super().wait(poller)
        if self.leader_watch is not None:
            poller.fd_wait(self.leader_watch.fileno(), ovs_poller.POLLIN)

    def _follow(self, elected: str) -> None:
        session = self._session
        if elected not in session.remotes or (session.is_connected()
                                              and session.get_name() == elected):
            return
        index = session.remotes.index(elected)
        fsm = session.reconnect
        if session.is_connected():
            LOG.warning("NB session to %s: %s was elected leader; moving to it",
                        session.get_name(), elected)
            session.next_remote = index  # python-ovs picks it on the disconnect
            session.reset_backoff()
            self.force_reconnect()
        elif fsm.state is ovs_reconnect.Reconnect.Backoff:
            # Waiting to try the next member (an election, an outage): the leader, now.
            fsm.set_name(elected)
            session.next_remote = (index + 1) % len(session.remotes)
            fsm.backoff = 0
        else:  # connecting to another member: the leader next
            session.next_remote = index
