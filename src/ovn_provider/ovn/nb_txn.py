"""One write: the write function's command, the transaction that commits it in ovsdbapp's
connection thread, and what a write function gets (`Writer`); `ovn/nb.py` queues them.

While the write function runs, no other transaction of this process runs and the replica
does not change, so validation inside it sees exactly the state it writes on. If it
raises, the transaction is aborted and nothing is written. When the server answers
TRY_AGAIN (another client changed a row the function verified), it runs again on the
fresh replica. While the transaction waits for the NB's answer, readers have the replica
(ovn/commit_wait.py). Malformed transactions (docs/architecture.md, "Malformed
transactions") are refused before they are sent (`NbMalformed`).
"""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from ovs.db import idl as ovs_idl
from ovsdbapp.backend.ovs_idl import command as ovsdbapp_command
from ovsdbapp.backend.ovs_idl import idlutils
from ovsdbapp.backend.ovs_idl import transaction as ovsdbapp_txn

from ovn_provider.ovn import commit_wait
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.malformed import malformed_column
from ovn_provider.ovn.sb import GatewayChassis

LOST = ("the OVN Northbound connection was lost while the transaction was in flight; it may "
        "or may not be applied")

#: Set by the HTTP layer for the request being served; read when its write function runs
#: (in the connection thread, so it is captured in `Nb.transact` on the request's side).
IF_MATCH: ContextVar[int | None] = ContextVar("if_match", default=None)
#: Set by `Nb.transact` when a write of the request being served may have committed.
WROTE: ContextVar[bool] = ContextVar("wrote", default=False)


class NbUnavailable(Exception):
    """The NB cannot be reached or did not answer in time."""


class NbCommitError(Exception):
    """The NB refused a transaction (constraint violation, etc.)."""


class NbMalformed(NbCommitError):
    """A transaction holds a value the NB cannot take (a NUL byte in a string); it was
    never sent."""


class Writer:
    """What a write function gets: the replica, the open IDL transaction, and the SB
    gateway chassis (for scheduling distributed gateway ports)."""

    def __init__(self, idl: NbIdl, txn: ovs_idl.Transaction,
                 gateways: GatewayChassis | None = None, if_match: int | None = None
                 ) -> None:
        self.idl, self.txn = idl, txn
        self.gateways = gateways if gateways is not None else GatewayChassis()
        self._after: list[Callable[[ovs_idl.Transaction], None]] = []
        self.pending: dict[str, Any] = {}  # rows inserted earlier in this transaction
        #: the revision a request's `If-Match` requires (neutron/stamps.py), else None
        self.if_match = if_match

    def rows(self, table: str) -> dict[uuid.UUID, Any]:
        if table not in self.idl.tables:
            return {}
        return self.idl.tables[table].rows

    def has_table(self, table: str) -> bool:
        return table in self.idl.tables

    def insert(self, table: str, **columns: Any) -> Any:
        row = self.txn.insert(self.idl.tables[table])
        for column, value in columns.items():
            setattr(row, column, value)
        return row

    def real_uuid(self, row: Any) -> Callable[[], uuid.UUID]:
        """A callable giving the UUID of `row` once the transaction has committed."""
        holder: dict[str, uuid.UUID] = {}

        def resolve(txn: ovs_idl.Transaction) -> None:
            holder["uuid"] = txn.get_insert_uuid(row.uuid) or row.uuid

        self._after.append(resolve)
        return lambda: holder["uuid"]

    def post_commit(self, txn: ovs_idl.Transaction) -> None:
        for hook in self._after:
            hook(txn)


class FnCommand(ovsdbapp_command.BaseCommand):
    def __init__(self, api: Any, fn: Callable[[Writer], Any]) -> None:
        super().__init__(api)
        self.fn = fn
        self.writer: Writer | None = None
        self.session: int | None = None  # connection seqno of the first attempt
        self.attempts = 0  # more than 1: the NB answered TRY_AGAIN and `fn` ran again
        self.if_match = IF_MATCH.get()  # the request's thread: see IF_MATCH

    def run_idl(self, txn: ovs_idl.Transaction) -> None:
        self.attempts += 1
        session = self.api.idl._session.get_seqno()
        if self.session is not None and session != self.session:
            # An earlier attempt may have gone out on a connection that is gone: the NB may
            # have committed it, the answer lost (an NB leader killed, tests/ha). Running
            # `fn` again could apply it twice (a second port), so: outcome unknown, 503.
            raise NbUnavailable(LOST)
        self.session = session
        self.writer = Writer(self.api.idl, txn, self.api.gateways, self.if_match)
        # (`_run_members` ends the write: read caches built inside it may hold pending rows)
        self.result = self.fn(self.writer)
        bad = malformed_column(txn)
        if bad is not None:
            raise NbMalformed(f"Invalid input: a string for {bad} contains a NUL character")

    def post_commit(self, txn: ovs_idl.Transaction) -> None:
        if self.writer is not None:
            self.writer.post_commit(txn)

    def __str__(self) -> str:
        return f"fn({getattr(self.fn, '__qualname__', self.fn)})"


class NbTransaction(ovsdbapp_txn.Transaction):
    """TRY_AGAIN on the same connection (a verify failed, or not sent) runs the write function
    again on the fresh replica, also after a failover; after a connection lost under it, it
    is not run again (it may have been applied: 503); a server ERROR is never retried."""

    #: may share one NB transaction with others queued with it (`commit_together`)
    group = False

    def commit_with(self, others: list[NbTransaction]) -> list[Any]:
        """This transaction and `others` in one NB transaction (`commit_together`): one
        answer each (a result, or an ovsdbapp ExceptionResult), in order."""
        return commit_together([self, *others])

    def do_commit(self) -> list[Any]:
        """`commit_together` for this transaction alone, its error raised."""
        answer = commit_together([self])[0]
        if isinstance(answer, idlutils.ExceptionResult):
            raise answer.ex
        return answer


class Api:
    """The minimal object ovsdbapp's Transaction and BaseCommand need."""

    def __init__(self, idl: NbIdl, gateways: GatewayChassis) -> None:
        self.idl, self.gateways = idl, gateways


# -- group commit -----------------------------------------------------------------------------
def commit_together(txns: list[NbTransaction]) -> list[Any]:
    """Writes queued together, committed in ONE NB transaction (docs/concurrency.md, "Group
    commit"): one round trip to the NB and one TRY_AGAIN window for all of them, where one
    at a time each waited for the answer to the one before. Each still changes all or
    nothing:
    - their write functions run one after the other on one open transaction, each seeing
      the addresses and MACs the ones before claimed (`NbIdl.txn_claims`), as in a bulk
      create;
    - one that raises is answered with its error and left out: the transaction is aborted
      and the others run again without it;
    - TRY_AGAIN runs them all again; a lost connection answers all of them 503;
    - an NB error (which write caused it is not known) commits each on its own.
    Answers (a result, or an ovsdbapp ExceptionResult) are in the order of `txns`."""
    answers: dict[int, Any] = {}
    live = list(txns)
    idl, conn = txns[0].api.idl, txns[0].ovsdb_connection
    for txn in live:
        txn.start_time = time.time()
    sent = False
    try:
        while live:
            if sent:
                for txn in [t for t in live if t.timeout_exceeded()]:
                    answers[id(txn)] = _failed(RuntimeError("OVS transaction timed out"))
                    live.remove(txn)
                if not live:
                    break
            # Updates the NB sent meanwhile (another instance's writes) are applied first:
            # the write functions then validate on them instead of being answered
            # TRY_AGAIN and running a second time.
            idl.run()
            remaining = min(t.time_remaining() for t in live)
            if not (idl._session.is_connected() and idl.state == idl.IDL_S_MONITORING):
                # Failing over: python-ovs would send it to a member not yet checked (a
                # follower that holds it) or drop it: wait for the sync (docs/ha.md).
                commit_wait.wait_for_change(conn, idl, remaining, idl.change_seqno)
                sent = True
                continue
            seqno, session = idl.change_seqno, idl._session.get_seqno()
            otxn = ovs_idl.Transaction(idl)
            refused = _run_members(idl, live, otxn)
            if refused is not None:
                otxn.abort()
                answers[id(refused[0])] = _failed(refused[1])
                live.remove(refused[0])
                continue
            status = commit_wait.commit(conn, otxn)  # readers go on meanwhile
            sent = True
            if status == otxn.TRY_AGAIN:
                if idl._session.get_seqno() != session:  # dropped under it: 503 at once
                    raise NbUnavailable(LOST)
                # Same connection: answered "try again" or never sent (docs/ha.md): not
                # applied, so the write functions may run again on a later connection too.
                for txn in live:
                    for command in txn.commands:
                        command.session = None
                commit_wait.wait_for_change(conn, idl, remaining, seqno)
                continue
            if status in (otxn.ERROR, otxn.NOT_LOCKED):
                if len(live) == 1:
                    raise NbCommitError(otxn.get_error() if status == otxn.ERROR else
                                        "the NB lock is not held")
                for txn in live:  # which one the NB refused is not known: each on its own
                    answers[id(txn)] = commit_together([txn])[0]
                break
            for txn in live:
                if status == otxn.SUCCESS:
                    txn.post_commit(otxn)
                answers[id(txn)] = [command.result for command in txn.commands]
            break
    except Exception as exc:  # for every write still waiting
        for txn in live:
            answers.setdefault(id(txn), _failed(exc))
    return [answers[id(txn)] for txn in txns]


def _run_members(idl: NbIdl, live: list[NbTransaction], otxn: ovs_idl.Transaction
                 ) -> tuple[NbTransaction, Exception] | None:
    """Runs the write functions of `live` on `otxn`, in order, and ends the write once
    (`NbIdl.write_ended`); the first that raises, with its error (the ones before it run
    again: not a retry the NB asked for)."""
    ran: list[NbTransaction] = []
    try:
        for txn in live:
            if ran:  # read caches built by the ones before may miss the rows they wrote
                idl.kept.write_ended()
            try:
                for command in txn.commands:
                    command.run_idl(otxn)
            except Exception as exc:
                for done in ran:
                    for command in done.commands:
                        command.attempts -= 1
                return txn, exc
            ran.append(txn)
        return None
    finally:
        idl.write_ended()  # what read caches built from the pending rows is dropped


def _failed(exc: BaseException) -> idlutils.ExceptionResult:
    return idlutils.ExceptionResult(
        ex=exc, tb="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
