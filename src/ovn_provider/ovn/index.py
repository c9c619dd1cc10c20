"""Incremental indexes over the NB replica, kept up to date from IDL change notifications.

They answer, in O(1), the questions a write must ask of a 20,000-port database: which
rows use this IP / this MAC, which LSP is the peer of a router port, and whether a set
column (e.g. Logical_Switch.ports) holds a given row. Entries are hints: a row found
through an index is always re-checked against the replica, so an index can never make
the provider accept a conflict, and a full resync (which does not notify deletes) only
leaves stale hints behind.
"""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import Callable
from typing import Any

from ovs.db import data as ovs_data
from ovs.db import error as ovs_error
from ovs.db import idl as ovs_idl
from ovs.db import types as ovs_types

from ovn_provider.ovn.fastidl import FastIdl
from ovn_provider.ovn.kept import Kept

LSP = "Logical_Switch_Port"
LRP = "Logical_Router_Port"


def _norm_ip(text: str) -> str | None:
    address = text.split("/")[0]
    if ":" not in address:  # IPv4: the C parser, ~10x cheaper than ipaddress
        try:
            return socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, address))
        except (OSError, ValueError):  # ValueError: a NUL or non-ASCII character
            return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def committed_data(row: Any) -> dict[str, Any] | None:
    """The row's replica data (column -> Datum) when it has no change pending in a
    transaction, else None: then only `getattr(row, column)` gives the current value. The
    one place that reads python-ovs row internals for this shortcut."""
    data = row._data
    if data is None or row._changes or row._mutations:
        return None
    return data


def committed(row: Any) -> bool:
    """Whether `row` is in the replica with no change pending in a transaction, so that
    the readers below see its current value in its datum."""
    return committed_data(row) is not None


def changed(row: Any) -> bool:
    """Whether the open transaction really changes `row`: python-ovs records a write (or a
    `setkey`) of the value a monitored column already holds as a change, so `committed`
    alone cannot tell a no-op update (neutron/stamps.py) from a real one."""
    if row._data is None or row._changes is None:
        return True  # inserted or deleted in this transaction
    names = set(row._changes)
    for kind in ("_inserts", "_removes"):
        names.update(row._mutations.get(kind, {}))
    for name in names:
        column = row._table.columns[name]
        old = row._data.get(name) or ovs_data.Datum.default(column.type)
        new = ovs_data.Datum.from_python(column.type, getattr(row, name),
                                         ovs_idl._row_to_uuid)
        if new != old:
            return True
    return False


def strings(row: Any, column: str) -> list[str]:
    """A set-of-strings (or optional string) column as a list. Read straight from the
    replica datum: python-ovs rebuilds and re-validates a set on every attribute access."""
    data = committed_data(row)
    if data is None:
        value = getattr(row, column)
        return list(value) if isinstance(value, list | tuple | set) else \
            ([value] if value else [])
    datum = data.get(column)  # absent: never set, its default (empty, or "")
    return [] if datum is None else [atom.value for atom in datum.values]


def map_get(row: Any, column: str, key: str) -> Any | None:
    """`getattr(row, column).get(key)` for a map column, without building the map."""
    data = committed_data(row)
    if data is None:
        return getattr(row, column).get(key)
    datum = data.get(column)  # absent: never set, an empty map
    if datum is None:
        return None
    value = datum.values.get(ovs_data.Atom(ovs_types.StringType, key))
    return None if value is None else value.value


def lsp_ips(row: Any) -> tuple[set[str], set[str]]:
    """(IPs, MACs) an LSP row uses: static addresses, dynamic_addresses."""
    ips: set[str] = set()
    macs: set[str] = set()
    for entry in strings(row, "addresses"):
        tokens = entry.split()
        if not tokens or tokens[0] in ("router", "unknown", "dynamic"):
            continue
        macs.add(tokens[0].lower())
        for token in tokens[1:]:
            ip = _norm_ip(token)
            if ip:
                ips.add(ip)
    dynamic = strings(row, "dynamic_addresses")
    for token in (dynamic[0] if dynamic else "").split()[1:]:
        ip = _norm_ip(token)
        if ip:
            ips.add(ip)
    return ips, macs


def lsp_pair_macs(row: Any, own: set[str]) -> set[str]:
    """The foreign MACs an LSP's `port_security` lets through (allowed address pairs):
    entries whose MAC is not one of the port's own addresses."""
    macs = set()
    for entry in strings(row, "port_security"):
        tokens = entry.split()
        if tokens and tokens[0].lower() not in own:
            macs.add(tokens[0].lower())
    return macs


def lrp_ips(row: Any) -> tuple[set[str], set[str]]:
    ips = {ip for ip in (_norm_ip(n) for n in strings(row, "networks")) if ip}
    return ips, ({row.mac.lower()} if row.mac else set())


Owners = tuple[uuid.UUID, ...]


def _add_owner(index: dict[str, Owners], key: str, row_uuid: uuid.UUID) -> None:
    owners = index.get(key)
    if owners is None:
        index[key] = (row_uuid,)
    elif row_uuid not in owners:
        index[key] = (*owners, row_uuid)


def _drop_owner(index: dict[str, Owners], key: str, row_uuid: uuid.UUID) -> None:
    owners = index.get(key)
    if owners is None:
        return
    rest = tuple(owner for owner in owners if owner != row_uuid)
    if rest:
        index[key] = rest
    else:
        del index[key]


class AddressIndex:
    """Address -> the rows using it. Owners are tuples (nearly always one row): a set per
    address and per row cost ~13 MB more at 20,000 ports."""

    def __init__(self) -> None:
        self.by_ip: dict[str, Owners] = {}
        self.by_mac: dict[str, Owners] = {}
        #: foreign MACs of allowed address pairs (several ports may share one, VRRP)
        self.by_pair_mac: dict[str, Owners] = {}
        self._row_ips: dict[uuid.UUID, tuple[tuple[str, ...], tuple[str, ...],
                                             tuple[str, ...]]] = {}
        self.router_peer: dict[str, uuid.UUID] = {}  # LRP name -> LSP uuid

    def _forget(self, row_uuid: uuid.UUID) -> None:
        old = self._row_ips.pop(row_uuid, None)
        if old is None:
            return
        for ip in old[0]:
            _drop_owner(self.by_ip, ip, row_uuid)
        for mac in old[1]:
            _drop_owner(self.by_mac, mac, row_uuid)
        for mac in old[2]:
            _drop_owner(self.by_pair_mac, mac, row_uuid)

    def _learn(self, row_uuid: uuid.UUID, ips: set[str], macs: set[str],
               pair_macs: set[str] | None = None) -> None:
        if not ips and not macs and not pair_macs:
            return
        self._row_ips[row_uuid] = (tuple(ips), tuple(macs),
                                   tuple(pair_macs) if pair_macs else ())
        for ip in ips:
            _add_owner(self.by_ip, ip, row_uuid)
        for mac in macs:
            _add_owner(self.by_mac, mac, row_uuid)
        for mac in pair_macs or ():
            _add_owner(self.by_pair_mac, mac, row_uuid)

    def ips_of(self, row_uuid: uuid.UUID) -> tuple[str, ...]:
        entry = self._row_ips.get(row_uuid)
        return () if entry is None else entry[0]

    def notify(self, event: str, row: Any, table: str) -> None:
        self._forget(row.uuid)
        if event == "delete":
            return
        if table == LSP:
            ips, macs = lsp_ips(row)
            self._learn(row.uuid, ips, macs, lsp_pair_macs(row, macs))
            peer = map_get(row, "options", "router-port")
            if peer:
                self.router_peer[peer] = row.uuid
        else:
            self._learn(row.uuid, *lrp_ips(row))


class _SetBefore(ovs_data.Datum):
    """The value a set column had before an update2 diff, worked out only when read.

    A set diff toggles its members, so the old value is the new one toggled back. It is
    computed from the live new value, so it is right while the notification for this
    update runs (the IDL notifies after applying one update message, in which a row
    appears once), not after later updates of the row."""

    __slots__ = ("_after", "_diff", "_old")

    def __init__(self, after: ovs_data.Datum, diff: ovs_data.Datum) -> None:
        self.type = after.type  # type: ignore[misc]  # Datum's own slot
        self._after = after
        self._diff = diff
        self._old: dict[Any, Any] | None = None

    @property
    def values(self) -> dict[Any, Any]:
        if self._old is None:
            old = dict(self._after.values)
            for key, value in self._diff.values.items():
                if key in old:
                    del old[key]
                else:
                    old[key] = value
            self._old = old
        return self._old


class NbIdl(FastIdl):
    """The IDL with our indexes fed from its change notifications."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.addresses = AddressIndex()
        self.localnets: set[uuid.UUID] = set()  # LSPs of type localnet
        #: addresses and MACs handed out by the running write function (a bulk create
        #: writes several ports before the index sees any): key -> value -> owner
        self.txn_claims: dict[str, dict[str, Any]] = {}
        #: per table, how many row changes were notified; `epoch` counts full resyncs
        self.table_changes: dict[str, int] = {}
        self.epoch = 0
        self.kept = Kept()  # what the layers above keep per replica (ovn/kept.py)

    def write_ended(self) -> None:
        """After each write function (ovn/nb.py): what was built from its pending rows."""
        self.txn_claims.clear()
        self.kept.write_ended()

    #: Called once per row of an update being read and once per row notified (python-ovs
    #: notifies after reading the whole update); ovn/keepalive.py serves the NB session
    #: from it, so a long initial sync still answers the inactivity probe.
    on_row: Callable[[], None] | None = None

    def cooperative_yield(self) -> None:
        if self.on_row is not None:
            self.on_row()

    @property
    def can_keep_views(self) -> bool:
        """Whether the replica holds committed state only: no transaction is open (a
        write function's pending changes must never end up in a kept view)."""
        return self.txn is None

    def _Idl__clear(self) -> None:
        """A full resync (python-ovs Idl.__clear) replaces every row without notifying
        the deletes: forget every view and indexed address as well (the rows it then
        receives are notified as new ones and indexed again)."""
        self.epoch += 1
        self.kept.resynced()
        self.addresses = AddressIndex()
        self.localnets.clear()
        super()._Idl__clear()

    def stamp(self, tables: tuple[str, ...] | None) -> Any:
        """What a read cache built from `tables` (None: the whole replica) is valid for."""
        if tables is None:
            return self.change_seqno
        changes = self.table_changes
        return (self.epoch, *(changes.get(table, 0) for table in tables))

    def notify(self, event: str, row: Any, updates: Any = None) -> None:
        if self.on_row is not None:
            self.on_row()
        table = row._table.name
        self.table_changes[table] = self.table_changes.get(table, 0) + 1
        self.kept.changed(event, row, updates, table)
        if table not in (LSP, LRP):
            return
        if table == LSP and (event != "update" or "type" in updates._data):
            if event != "delete" and strings(row, "type") == ["localnet"]:
                self.localnets.add(row.uuid)
            else:
                self.localnets.discard(row.uuid)
        if event == "update" and updates is not None:
            watched = ("addresses", "dynamic_addresses", "options", "port_security") if (
                table == LSP) else (
                "networks", "mac")
            if not any(col in updates._data for col in watched):
                return
        self.addresses.notify(event, row, table)

    def _Idl__apply_diff(self, table: Any, row: Any, row_diff: dict[str, Any]
                         ) -> dict[str, Any]:
        """python-ovs's Idl.__apply_diff (update2/update3 "modify"), without its O(N)
        work on set columns: it copies the whole old value of every changed column for
        the notification and then compares the new value with itself. With 20,000 ports,
        every port added to or removed from a Logical_Switch or Port_Group cost several
        copies and comparisons of a 20,000-member set. Here a set is changed in place
        (as upstream does) and its old value is only worked out if someone reads it."""
        old_row: dict[str, Any] = {}
        for column_name, datum_diff_json in row_diff.items():
            column = table.columns.get(column_name)
            if not column:
                ovs_idl.vlog.warn(f"unknown column {column_name} updating table {table.name}")
                continue
            try:
                datum_diff = ovs_data.Datum.from_json(column.type, datum_diff_json)
            except ovs_error.Error as exc:
                ovs_idl.vlog.warn(f"error parsing column {column_name} in table "
                                  f"{table.name}: {exc}")
                continue
            # A column never set is missing from row._data, which then hands out a
            # fresh default datum on each read: store the one changed here.
            current = row._data[column_name]
            if column.type.n_max > 1 and not column.type.is_map():
                current.diff(datum_diff)  # toggles the members in place
                row._data[column_name] = current
                old_row[column_name] = _SetBefore(current, datum_diff)
                continue
            old_row[column_name] = current.copy()
            datum = current.diff(datum_diff)
            if datum != row._data[column_name]:
                row._data[column_name] = datum
        return old_row


def set_contains(row: Any, column: str, member: uuid.UUID) -> bool:
    """Whether the set-of-references `column` of `row` holds `member`, in O(1), without
    converting the whole column to Python (which costs O(n) on a 20,000-port switch)."""
    datum = row._data.get(column)
    if datum is None:
        return False
    return ovs_data.Atom(ovs_types.UuidType, member) in datum.values


def set_size(row: Any, column: str) -> int:
    datum = row._data.get(column)
    return 0 if datum is None else len(datum.values)


def set_uuids(row: Any, column: str) -> list[uuid.UUID]:
    """Member UUIDs of a reference set, without resolving them to rows."""
    datum = row._data.get(column)
    if datum is None:
        return []
    return [atom.value for atom in datum.values]


def verify(row: Any, *columns: str) -> None:
    """`row.verify(column)` for each column, on any replica row of the open transaction:
    the server then answers TRY_AGAIN if another client changed one of them since the
    replica read it, and the write function runs again on the fresh replica.

    Two python-ovs gaps are covered here: it sends the check (a "wait" operation) only
    for rows the transaction also writes, so a row that is only read is added to the
    transaction's rows (with no change, python-ovs sends no update for it); and it fails
    on a column the server never sent (one still at its default is missing from the
    row's data), so that default is stored first. Rows inserted or deleted in this
    transaction have nothing to verify."""
    data = row._data
    txn = row._idl.txn
    if data is None or row._changes is None or txn is None:
        return
    for column in columns:
        if column not in data:
            data[column] = ovs_data.Datum.default(row._table.columns[column].type)
        row.verify(column)
    if row._prereqs:
        txn._txn_rows.setdefault(row.uuid, row)
