"""Per-row views of Logical_Switch_Port rows, kept until an IDL change notification says
that something they were built from may have changed.

A view is whatever a reader built from one LSP row and the replica around it (the REST
port of neutron/ports.py). Readers fill the cache from committed replica state, with the
replica locked (`Nb.read()`); the IDL drops entries from its change notifications, which
run in the connection thread with the same lock held, after the update is applied and
before any reader can see it. A view is therefore never older than the replica.

What a view may depend on (the contract with the renderer; anything else it reads must
be added to `notify` first):
- its own LSP row, any column (any change of the row drops it, except a change of `up`
  alone that leaves the port up, or not up: the view shows only whether it is);
- which Logical_Switch holds the port (LS `ports`); nothing else of the LS;
- which Port_Groups hold it (PG `ports`) and those groups' `name`;
- DHCP_Options rows (`cidr`, `external_ids`), i.e. the subnets, of any network;
- for router-port views only (flagged True by the `collect` callback): any
  Logical_Router_Port / Logical_Router row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ovs.db import data as ovs_data

from ovn_provider.ovn.rope import JsonRope

LSP = "Logical_Switch_Port"
LS = "Logical_Switch"
PG = "Port_Group"
DHCP = "DHCP_Options"
LRP = "Logical_Router_Port"
LR = "Logical_Router"

#: Columns of a holder table (LS, PG) that views depend on, besides its `ports`.
_HOLDER_COLUMNS: dict[str, frozenset[str]] = {LS: frozenset(), PG: frozenset({"name"})}
_DHCP_COLUMNS = frozenset({"cidr", "external_ids"})



def _members(row: Any) -> list[uuid.UUID]:
    datum = row._data.get("ports") if row._data is not None else None
    return [] if datum is None else [atom.value for atom in datum.values]


def changed_members(row: Any, before: ovs_data.Datum) -> list[uuid.UUID]:
    """Members added to or removed from `ports` by the update `before` came from."""
    diff = getattr(before, "_diff", None)  # index._SetBefore: the update2 diff itself
    if diff is not None:
        return [atom.value for atom in diff.values]
    after = row._data["ports"].values
    return [atom.value for atom in after.keys() ^ before.values.keys()]


def changed_columns(updates: Any) -> set[str]:
    """The columns an IDL "update" notification's `updates` row changed. Read with
    dict's own methods: a ColumnDefaultDict lists every column of the table and makes up
    a default datum for a column that did not change."""
    return set(dict.keys(updates._data))


def old_value(updates: Any, column: str) -> ovs_data.Datum | None:
    """A changed column's value before the update (None if it did not change)."""
    value: ovs_data.Datum | None = dict.get(updates._data, column)
    return value


def _is_up(datum: ovs_data.Datum | None) -> bool:
    return datum is not None and any(atom.value is True for atom in datum.values)


def _only_up_same_status(row: Any, updates: Any) -> bool:
    """The update changed only `up`, and the port is still up, or still not: its view
    (status ACTIVE when `up` is true, else DOWN) is the same. ovn-northd sets `up` to
    false once on every new port it has not seen bound, in batches after each of its
    recomputes: at 20,000 ports, hundreds of views at a time that would be made again
    unchanged."""
    if updates is None or changed_columns(updates) != {"up"}:
        return False
    now = row._data.get("up") if row._data is not None else None
    return _is_up(old_value(updates, "up")) == _is_up(now)


def _keys(rows: Mapping[uuid.UUID, Any]) -> Iterable[uuid.UUID]:
    """The keys of `rows`, from the dict inside python-ovs's IndexedRows when it has one
    (a UserDict: iterating the mapping itself runs Python code for each row)."""
    data = getattr(rows, "data", None)
    return data if isinstance(data, dict) else rows


Rendered = Iterable[tuple[Any, Any, bool]]  # (LSP row, its view or None, reads LRP/LR)


class LspViews:
    """LSP -> its view (None for an LSP that has nothing to show).

    A list after one write must not touch every row: with 5,000 rows spread over the
    heap, one pass over the LSP table (UUID objects, their integers, hashing) costs
    several ms. So the IDL notifications also record which rows lost their view
    (`_dirty`), and once every row has had a view (`_complete`), a list renders only
    those. Keys are the UUIDs' integers (uuid.UUID hashes and compares in Python)."""

    def __init__(self) -> None:
        self._views: dict[int, Any] = {}
        self._router: dict[int, uuid.UUID] = {}  # views that read LRP / LR rows
        self._dirty: dict[int, uuid.UUID] = {}  # rows whose view was dropped
        self._complete = False  # every row of the table had a view after a list
        # The JSON of each view, made once (by `encoded`) and dropped with the view, kept
        # in REST id order: a plain list after a write encodes only the ports that
        # changed and joins again only the block of the list they are in (ovn/rope.py).
        self._json: dict[int, str] = {}  # key -> the REST id its JSON is kept under
        self._ordered = JsonRope()  # REST id -> JSON bytes
        self._unencoded: set[int] = set()  # views made since the last `encoded`

    def __len__(self) -> int:
        return len(self._views)

    @property
    def incremental(self) -> bool:
        """Whether the next `refresh` renders only the rows whose view was dropped (every
        row had a view after the last one), not every row of the table."""
        return self._complete

    def collect(self, rows: Mapping[uuid.UUID, Any],
                render: Callable[[list[Any]], Rendered]) -> list[Any]:
        """The views of all `rows` (the LSP table) that are not None, in no particular
        order; `render(missing rows)` builds the missing ones, from committed state only
        (never inside a transaction: the caller checks `NbIdl.can_keep_views`)."""
        self.refresh(rows, render)
        return [view for view in self._views.values() if view is not None]

    def refresh(self, rows: Mapping[uuid.UUID, Any],
                render: Callable[[list[Any]], Rendered]) -> None:
        """`collect` without the list of views (the plain list needs only `encoded`)."""
        missing = self._missing(rows)
        for row, value, router in render(missing):
            key = row.uuid.int
            self._views[key] = value
            self._unjson(key)
            self._unencoded.add(key)
            self._dirty.pop(key, None)
            if router:
                self._router[key] = row.uuid
        self._complete = True

    def encoded(self, encode: Callable[[Any], bytes]) -> tuple[bytes, ...]:
        """The JSON of every non-None view in REST id order, separated by commas, in a
        few pieces (JsonRope.pieces), after `collect` or `refresh`; `encode(view)` runs
        once per view."""
        for key in self._unencoded:
            value = self._views.get(key)
            if value is not None:
                self._unjson(key)
                self._json[key] = value["id"]
                self._ordered.set(value["id"], encode(value))
        self._unencoded.clear()
        return self._ordered.pieces()

    def _unjson(self, key: int) -> None:
        ident = self._json.pop(key, None)
        if ident is not None:
            self._ordered.discard(ident)

    def _missing(self, rows: Mapping[uuid.UUID, Any]) -> list[Any]:
        if self._complete:
            found = []
            for key, ident in list(self._dirty.items()):
                row = rows.get(ident)
                if row is None:  # deleted since
                    del self._dirty[key]
                else:
                    found.append(row)
            # Every kept view is of a live row (deletes drop theirs), so this count
            # proves that no row lacks a view; else fall back to the full check.
            if len(self._views) + len(found) == len(rows):
                return found
        views = self._views
        live = {key.int: key for key in _keys(rows)}
        for key in [key for key in views if key not in live]:
            self._forget(key)
        self._dirty.clear()
        return [rows[ident] for key, ident in live.items() if key not in views]

    def clear(self) -> None:
        self._views.clear()
        self._json.clear()
        self._ordered.clear()
        self._unencoded.clear()
        self._router.clear()
        self._dirty.clear()
        self._complete = False

    def _forget(self, key: int) -> None:
        self._views.pop(key, None)
        self._unjson(key)
        self._unencoded.discard(key)
        self._router.pop(key, None)
        self._dirty.pop(key, None)

    def _drop(self, ident: uuid.UUID) -> None:
        key = ident.int
        self._views.pop(key, None)
        self._unjson(key)
        self._unencoded.discard(key)
        self._router.pop(key, None)
        self._dirty[key] = ident

    def notify(self, event: str, row: Any, updates: Any, table: str) -> None:
        """Drop the views `row`'s change may affect (an IDL notification)."""
        if not self._views and not self._complete:
            return
        if table == LSP:
            if event == "delete":
                self._forget(row.uuid.int)
            elif not (event == "update" and _only_up_same_status(row, updates)):
                self._drop(row.uuid)  # also a new row: it has no view yet
        elif table in _HOLDER_COLUMNS:
            self._holder_changed(event, row, updates, _HOLDER_COLUMNS[table])
        elif table == DHCP:
            if event != "update" or updates is None or \
                    not _DHCP_COLUMNS.isdisjoint(changed_columns(updates)):
                self.clear()
        elif table in (LRP, LR):
            for ident in list(self._router.values()):
                self._drop(ident)

    def _holder_changed(self, event: str, row: Any, updates: Any,
                        watched: frozenset[str]) -> None:
        if event != "update" or updates is None:
            changed = _members(row)  # created or deleted with its ports
        else:
            before = old_value(updates, "ports")
            changed = [] if before is None else changed_members(row, before)
            if not watched.isdisjoint(changed_columns(updates)):
                changed += _members(row)
        for ident in changed:
            self._drop(ident)
