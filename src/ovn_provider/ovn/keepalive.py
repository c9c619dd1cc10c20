"""Keep the NB session alive while a reader holds the replica.

`Nb.read()` holds the connection lock for as long as a response is built from the
replica (a first full list of 20,000 ports takes seconds on a busy host, bench/README.md,
"Initial sync").
ovsdbapp's connection thread needs that lock to run the IDL, and only the IDL's run reads
the socket, so meanwhile nobody answered ovsdb-server's inactivity probe (echo): the server
dropped the provider, which then read the whole NB again.

Here the connection thread, while it waits for the lock, keeps doing the session's I/O
without touching the replica: it sends what is queued, runs the reconnect state machine
(its own probe; a dropped session is reconnected only afterwards), answers the server's
echo requests, and holds every other message, in order, for the IDL. When it gets the
lock, the IDL's run receives the held messages first and applies them as usual. The
replica thus still changes only under the lock, so a reader sees one consistent state
however long it holds it (docs/ha.md, "What the provider does on faults";
tests/functional/test_long_reader.py).

The same holds while the connection thread itself applies a long update (the initial
sync of a large NB): the IDL calls back once per row read and once per row notified
(`NbIdl.on_row`), and every PUMP_S the session is served from there, its other messages
held for after the update (tests/functional/test_long_reader.py, the initial sync).
"""

from __future__ import annotations

import collections
import logging
import os
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ovs import jsonrpc as ovs_jsonrpc
from ovs import poller as ovs_poller
from ovs import reconnect as ovs_reconnect
from ovsdbapp.backend.ovs_idl import connection as ovsdbapp_connection
from ovsdbapp.backend.ovs_idl import idlutils

from ovn_provider.ovn import heap

LOG = logging.getLogger(__name__)

PUMP_S = 0.1  # how often the waiting connection thread serves the session
GROUP_MAX = 16  # writes in one group commit (ovn/nb_txn.py `commit_together`)


class LoggedReconnect(ovs_reconnect.Reconnect):
    """python-ovs's reconnect state machine, saying in the provider's log why a connected
    NB session was left (python-ovs's own log, ovs.vlog, is not set up in the provider):
    no answer to the inactivity probe, or the connection closed or failed."""

    def run(self, now: int) -> Any:
        was_idle = self.state is ovs_reconnect.Reconnect.Idle
        action = super().run(now)
        if was_idle and action == ovs_reconnect.DISCONNECT:
            LOG.warning("NB session to %s: no answer to the inactivity probe for %.1f s; "
                        "reconnecting", self.name, (now - self.state_entered) / 1000)
        return action

    def disconnected(self, now: int, error: int) -> None:
        if error and self.is_connected():
            LOG.warning("NB session to %s lost (%s); reconnecting", self.name,
                        "closed by the server" if error == ovs_reconnect.EOF
                        else os.strerror(error))
        super().disconnected(now, error)


class HoldingSession(ovs_jsonrpc.Session):
    """A python-ovs session whose `pump()` does its I/O and answers echo requests without
    the IDL, keeping the other messages for the IDL's next `recv()`.

    Only the connection thread calls `pump()`, `recv()`, `run()` and `wait()`."""

    _held: collections.deque[Any]
    _held_seqno: int

    @classmethod
    def adopt(cls, session: ovs_jsonrpc.Session) -> HoldingSession:
        """Turn the session an Idl made (Session.open_multiple) into a HoldingSession."""
        session.__class__ = cls
        assert isinstance(session, HoldingSession)
        session.reconnect.__class__ = LoggedReconnect
        session._held = collections.deque()
        session._held_seqno = session.get_seqno()
        return session

    def pump(self) -> None:
        """Send, probe, answer echoes; hold every other received message. A session that
        is down is left alone: reconnecting (and resyncing) is the IDL's run, after the
        reader, so `Nb.connected` is false from the drop until the replica is synced again."""
        if not self.is_connected():
            return
        self.run()
        seqno = self.get_seqno()
        if seqno != self._held_seqno:  # reconnected: what was held is of a dead connection
            self._held.clear()
            self._held_seqno = seqno
        while self.is_connected() and self.rpc is not None:
            before = self.rpc.get_received_bytes()
            msg = super().recv()  # answers an echo request itself and returns None for it
            if msg is not None:
                self._held.append(msg)
                continue
            rpc = self.rpc
            # None: nothing more to read now, or an echo was answered (then read on).
            if rpc is None or (rpc.get_received_bytes() == before and not rpc.input):
                break

    def recv(self) -> Any:
        if self._held:
            if self.get_seqno() == self._held_seqno and self.is_connected():
                return self._held.popleft()
            self._held.clear()
        return super().recv()

    def wait(self, poller: Any) -> None:
        if self._held:
            poller.immediate_wake()
        super().wait(poller)

    @property
    def held(self) -> int:
        return len(self._held)


class KeepaliveConnection(ovsdbapp_connection.Connection):
    """ovsdbapp's Connection whose thread serves the session (HoldingSession.pump) while
    a reader holds the lock, instead of blocking on it."""

    def __init__(self, idl: Any, timeout: float) -> None:
        super().__init__(idl, timeout)
        # ovsdbapp queues one transaction (the other writers wait to queue theirs): room
        # for a group (`_joining`)
        single: Any = self.txns
        single.close()
        self.txns: Any = ovsdbapp_connection.TransactionQueue(GROUP_MAX)
        self.session = HoldingSession.adopt(idl._session)
        self._granted = -1  # session seqno whose free tries were granted
        self.synced_at = 0.0  # monotonic time the replica was last seen synced
        self._next_pump = 0.0
        self._settled_seqno = -1  # the replica's change_seqno when kept objects last settled
        self.heap = heap.Settler()  # the synced replica leaves the cycle collector's walks
        if hasattr(idl, "on_row"):  # ovn/index.NbIdl
            idl.on_row = self._pump_while_applying

    def _pump_while_applying(self) -> None:
        """Per row of an update the IDL reads or notifies (the initial sync of 20,000 ports takes
        seconds, and more on a busy host): serve the session every PUMP_S meanwhile."""
        now = time.monotonic()
        if now >= self._next_pump:
            self._next_pump = now + PUMP_S
            self.session.pump()

    def synced(self) -> bool:
        """Connected, and the replica holds the NB's contents."""
        return bool(self.session.is_connected()
                    and self.idl.state == self.idl.IDL_S_MONITORING)

    def grant_free_tries(self) -> None:
        """python-ovs grants one reconnect without backoff per remote once, when the
        session opens; after that every reconnect first waited the minimum backoff (1 s:
        the failure window after an NB leader kill, docs/ha.md). Each connection that got
        as far as a synced replica grants them again, so losing a member costs an
        immediate connect to the next one; while none syncs (an outage), it backs off."""
        session = self.session
        seqno = session.get_seqno()
        if seqno != self._granted and self.synced():
            session.reset_backoff()
            if self._granted >= 0:
                LOG.info("NB session synced again, on %s", session.get_name())
            self._granted = seqno

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            self.lock.release()

    def _acquire(self) -> None:
        """Takes the lock, serving the session every PUMP_S while a reader holds it."""
        while not self.lock.acquire(timeout=PUMP_S):
            self.session.pump()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Inside `_locked` (the connection thread): lets readers have the replica while
        the thread only waits (a write's answer from the NB), and takes it back, serving
        the session meanwhile, after."""
        self.lock.release()
        try:
            yield
        finally:
            self._acquire()

    def _settle(self) -> None:
        """The replica's kept objects refresh after a change (ovn/kept.py `settled`), once
        the replica is synced."""
        seqno = self.idl.change_seqno
        kept = getattr(self.idl, "kept", None)
        if seqno != self._settled_seqno and kept is not None and self.idl.txn is None \
                and self.synced():
            self._settled_seqno = seqno
            kept.settled()

    def run(self) -> None:
        while self.is_running:
            try:
                self.idl.wait(self.poller)
                self.poller.fd_wait(self.txns.alert_fileno, ovs_poller.POLLIN)
                self.poller.block()
                with self._locked():
                    self._next_pump = time.monotonic() + PUMP_S
                    self.idl.run()
                    self._check_lock_change()
                    self.grant_free_tries()
                    if self.synced():
                        self.synced_at = time.monotonic()
                        self.heap.synced(self.session.get_seqno(), self.idl)
                    self._settle()
            except Exception:  # as ovsdbapp: log it and keep the thread alive
                LOG.exception("NB connection thread")
                continue
            txn = self.txns.get_nowait()
            if txn is not None:
                self._commit(txn)
        self.idl.close()

    def _commit(self, txn: Any) -> None:
        """Commits `txn`, and with it the transactions queued behind it that may share its
        NB transaction (`group`, ovn/nb_txn.py `commit_together`)."""
        batch = [txn]
        try:
            with self._locked():
                batch.extend(self._joining(txn))
                try:
                    answers = txn.commit_with(batch[1:])
                finally:
                    self._settle()
        except Exception as exc:
            answers = [idlutils.ExceptionResult(ex=exc, tb=traceback.format_exc())] * len(batch)
        for queued, answer in zip(batch, answers, strict=True):
            queued.results.put(answer)
            self.txns.task_done()

    def _joining(self, txn: Any) -> list[Any]:
        """The transactions queued right behind a `group` one that are `group` too, up to
        GROUP_MAX in all. Only this thread takes from the queue, so the head seen is the
        one taken."""
        joining: list[Any] = []
        if not getattr(txn, "group", False):
            return joining
        while len(joining) < GROUP_MAX - 1:
            with self.txns.mutex:
                head = self.txns.queue[0] if self.txns.queue else None
            if head is None or not getattr(head, "group", False):
                break
            joining.append(self.txns.get_nowait())
        return joining

