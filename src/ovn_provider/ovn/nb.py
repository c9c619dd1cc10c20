"""The NB connection: an ovsdbapp IDL replica, one-transaction writes, locked reads.

Writes: `Nb.transact(fn)` runs `fn(Writer)` inside ONE OVSDB transaction, in ovsdbapp's
connection thread (ovn/nb_txn.py says what `fn` may rely on); checks stay race-free
across several provider instances (docs/concurrency.md).

Reads: `with nb.read() as view:` holds the connection lock, so the replica cannot change
while a response is being built from it (the NB session stays alive: ovn/keepalive.py); a
write waiting for the NB's answer leaves it to readers (ovn/commit_wait.py).

A RAFT NB is followed on its leader only (`leader_only`), on a new one once it is elected
(ovn/leaderwatch.py; docs/ha.md, docs/concurrency.md). While the NB is unreachable or not
yet synced, both raise `NbUnavailable` (503): at once, or, when the session has just
dropped (a failover), after waiting up to FAILOVER_S for it to be back (docs/ha.md).

A transaction the server answers with an error is never retried; one during which the
connection dropped is retried once (a failover), and if the connection drops again under
it, it is given up (`NbCommitError`) instead of being retried into an outage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from ovs import json as ovs_json
from ovs import stream as ovs_stream
from ovsdbapp import exceptions as ovsdbapp_exc
from ovsdbapp.backend.ovs_idl import idlutils

from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.keepalive import KeepaliveConnection
from ovn_provider.ovn.leaderwatch import LeaderWatch, WatchedIdl
from ovn_provider.ovn.nb_state import FAILOVER_S, SCHEMA, NbState
from ovn_provider.ovn.nb_txn import (
    IF_MATCH,
    LOST,
    WROTE,
    Api,
    FnCommand,
    NbCommitError,
    NbMalformed,
    NbTransaction,
    NbUnavailable,
    Writer,
)
from ovn_provider.ovn.sb import ChassisTable, GatewayChassis

LOG = logging.getLogger(__name__)
T = TypeVar("T")
__all__ = ["IF_MATCH", "LOST", "WROTE", "Nb", "NbCommitError", "NbMalformed", "NbUnavailable",
           "Writer", "configure_ssl"]

PROBE_MS = 2000  # client inactivity probe of the NB connection, several members
SOLE_PROBE_MS = 30000  # ... one NB server: nothing to fail over to (docs/ha.md)
RECONNECT_MS = (100, 250)  # reconnect backoff, min and max
def configure_ssl(key: str | None, cert: str | None, cacert: str | None) -> None:
    for value, setter in ((key, ovs_stream.Stream.ssl_set_private_key_file),
                          (cert, ovs_stream.Stream.ssl_set_certificate_file),
                          (cacert, ovs_stream.Stream.ssl_set_ca_cert_file)):
        if value:
            setter(value)


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, ovsdbapp_exc.TimeoutException):  # its str() fails when bare
        return f"no synced replica within {timeout:g} s"
    return str(exc) or exc.__class__.__name__


#: Called after every `Nb.transact`: (seconds, TRY_AGAIN retries, outcome), the outcome
#: being "ok", "refused" (NbCommitError), "timeout", or "failed" (`fn` raised).
TxnObserver = Callable[[float, int, str], None]


class Nb(NbState):
    """One NB connection per process. `start()` returns at once; it connects in the
    background and keeps reconnecting by itself."""

    def __init__(self, remote: str, timeout: float = 20.0, leader_only: bool = True,
                 ssl: tuple[str, str, str] | None = None,
                 gateways: GatewayChassis | None = None) -> None:
        self.remote = remote
        # The SB gateway chassis, fed by an SbMonitor when the provider runs one.
        self.gateways = gateways if gateways is not None else GatewayChassis()
        self.chassis = ChassisTable()  # every SB chassis (neutron/agents.py), likewise
        self.timeout = timeout
        self.leader_only = leader_only
        self.ssl = ssl
        self._conn: KeepaliveConnection | None = None
        self._watch: LeaderWatch | None = None  # several members: ovn/leaderwatch.py
        self._api: Api | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error = "not connected yet"
        self._down_since = 0.0  # when a request first found the session down (_failover)
        self.observer: TxnObserver | None = None  # metrics (ovn_provider/metrics.py)

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        if ovs_json.PARSER != ovs_json.PARSER_C:
            # Measured at 20,000 ports (bench/README.md, "Initial sync"): reading the NB
            # takes about twice the CPU with the pure-Python parser; ovsdb-server drops a
            # client that does not answer its 5 s inactivity probe meanwhile, so on a
            # busy host a reconnect may never complete.
            LOG.warning("python-ovs has no C JSON parser (ovs._json): reading a large NB "
                        "takes about twice as long; see docs/operations.md")
        if self.ssl and any(part.startswith("ssl:") for part in self.remote.split(",")):
            configure_ssl(*self.ssl)
        self._thread = threading.Thread(target=self._connect_loop, name="nb-connect",
                                        daemon=True)
        self._thread.start()

    def wait_connected(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connected:
                return True
            time.sleep(0.02)
        return self.connected

    def _connect_loop(self) -> None:
        delay = 0.2
        while not self._stopping.is_set():
            idl: WatchedIdl | None = None
            try:
                helper = idlutils.get_schema_helper(self.remote, SCHEMA)
                helper.register_all()
                idl = WatchedIdl(self.remote, helper, leader_only=self.leader_only)
                # Reconnect backoff RECONNECT_MS (python-ovs's set_backoff raises anything
                # below 1 s to 1 s), so that an NB outage's end costs <= 0.25 s; a failover
                # to another member costs none (KeepaliveConnection.grant_free_tries).
                fsm = idl._session.reconnect
                fsm.min_backoff, fsm.max_backoff = RECONNECT_MS
                # A member that stops answering is left after 2 x PROBE_MS (a paused leader
                # once another is elected: ovn/leaderwatch.py); a sole server, busy for
                # seconds, would only be read whole again.
                fsm.set_probe_interval(PROBE_MS if "," in self.remote else SOLE_PROBE_MS)
                self._create_indexes(idl)
                conn = KeepaliveConnection(idl, timeout=self.timeout)
                conn.start()
                self._watch = idl.watch(self.leader_only, SCHEMA)
                self._conn, self._api = conn, Api(idl, self.gateways)  # _api: connected
                LOG.info("connected to OVN NB at %s", self.remote)
                return
            except Exception as exc:  # keep trying: the provider stays up and answers 503
                self.last_error = _describe(exc, self.timeout)
                if idl is not None:  # not synced within the timeout: a new session
                    idl.close()
                LOG.warning("OVN NB %s not reachable (%s); retrying", self.remote,
                            self.last_error)
                if self._stopping.wait(delay):
                    return
                delay = min(delay * 2, 2.0)

    @staticmethod
    def _create_indexes(idl: NbIdl) -> None:
        for table, column in (("Logical_Switch_Port", "name"), ("Logical_Router_Port", "name"),
                              ("Port_Group", "name")):
            if table in idl.tables:
                idx = idl.tables[table].rows.index_create(column)
                idx.add_column(column)

    def stop(self) -> None:
        self._stopping.set()
        for part in (self._watch, self._conn):
            if part is not None:
                part.stop(timeout=5)
        self._conn = None

    # -- state -----------------------------------------------------------------------
    @property
    def idl(self) -> NbIdl:
        if self._api is None:
            raise NbUnavailable(f"OVN Northbound database is not reachable: {self.last_error}")
        return self._api.idl

    def _require(self) -> tuple[KeepaliveConnection, Api]:
        conn, api = self._conn, self._api
        if conn is None or api is None:
            raise NbUnavailable(f"OVN Northbound database is not reachable: {self.last_error}")
        if self.connected:
            self._down_since = 0.0
        elif not self._failover():
            raise NbUnavailable("OVN Northbound database is not reachable; reconnecting")
        return conn, api

    def _failover(self) -> bool:
        """Waits for the replica while the session reconnects, up to FAILOVER_S from the
        moment a request first found it down (docs/ha.md): whether it is back."""
        now = time.monotonic()
        down_since = self._down_since = self._down_since or now
        while time.monotonic() < down_since + FAILOVER_S:
            time.sleep(0.02)
            if self.connected:
                self._down_since = 0.0
                return True
        return False

    def catch_up(self) -> bool:
        """A barrier: returns once the replica holds every change the NB member it follows
        had applied when called (one round trip: a transaction holding only a comment,
        answered after the updates sent before it; docs/concurrency.md, "Across provider
        instances"). False when the NB is unavailable."""
        try:
            self.transact(lambda w: w.txn.add_op({"op": "comment",
                                                  "comment": "ovn-provider: catch-up"}),
                          observe=False)
        except (NbUnavailable, NbCommitError):
            return False
        return True

    # -- reads and writes --------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[NbIdl]:
        conn, api = self._require()
        if not conn.lock.acquire(timeout=self.timeout):
            raise NbUnavailable("OVN Northbound replica is busy; try again")
        try:
            yield api.idl
        finally:
            conn.lock.release()

    def replica(self) -> NbIdl | None:
        """The synced replica WITHOUT its lock, never waiting: only to take a value
        published for its current change_seqno (neutron/view.published); None while it is
        not synced (`read()` then waits or answers 503)."""
        api = self._api
        return api.idl if api is not None and self.connected else None

    def transact(self, fn: Callable[[Writer], T], observe: bool = True,
                 group: bool = False) -> T:
        """Runs `fn` in one NB transaction. `group`: it may share that transaction with
        other `group` writes queued with it (ovn/nb_txn.py `commit_together`)."""
        conn, api = self._require()
        cmd = FnCommand(api, fn)
        txn = NbTransaction(api, conn, timeout=self.timeout, check_error=True,
                           log_errors=False)
        txn.group = group
        txn.add(cmd)
        started = time.monotonic()
        outcome = "failed"
        try:
            txn.commit()
            WROTE.set(WROTE.get() or observe)
            outcome = "ok"
        except ovsdbapp_exc.TimeoutException as exc:
            outcome = "timeout"
            raise NbUnavailable("OVN Northbound database did not answer in time") from exc
        except RuntimeError as exc:
            text = str(exc)
            if "timed out" in text:
                outcome = "timeout"
                raise NbUnavailable("OVN Northbound database did not answer in time") from exc
            raise
        except NbCommitError:
            outcome = "refused"
            raise
        finally:
            if self.observer is not None and observe:  # not catch_up's: docs/operations.md
                self.observer(time.monotonic() - started, max(cmd.attempts - 1, 0), outcome)
        return cmd.result
