"""Per-row views of Logical_Switch_Port rows, kept until an IDL change notification says
that something they were built from may have changed.

A view is whatever a reader built from one LSP row and the replica around it (the REST
port of neutron/ports.py). Readers fill the cache from committed replica state, with the
replica locked (`Nb.read()`); the IDL drops entries from its change notifications, which
run in the connection thread with the same lock held, after the update is applied and
before any reader can see it. A view is therefore never older than the replica.

What a view may depend on (the contract with the renderer; anything else it reads must
be added to `notify` first):
- its own LSP row, any column (any change of the row drops it);
- which Logical_Switch holds the port (LS `ports`); nothing else of the LS;
- which Port_Groups hold it (PG `ports`) and those groups' `name`;
- DHCP_Options rows (`cidr`, `external_ids`), i.e. the subnets, of any network;
- for views stored with `router=True` only: any Logical_Router_Port / Logical_Router row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from ovs.db import data as ovs_data

LSP = "Logical_Switch_Port"
LS = "Logical_Switch"
PG = "Port_Group"
DHCP = "DHCP_Options"
LRP = "Logical_Router_Port"
LR = "Logical_Router"

#: Columns of a holder table (LS, PG) that views depend on, besides its `ports`.
_HOLDER_COLUMNS: dict[str, frozenset[str]] = {LS: frozenset(), PG: frozenset({"name"})}
_DHCP_COLUMNS = frozenset({"cidr", "external_ids"})



def _members(row: Any) -> list[int]:
    datum = row._data.get("ports") if row._data is not None else None
    return [] if datum is None else [atom.value.int for atom in datum.values]


def _changed_members(row: Any, before: ovs_data.Datum) -> list[int]:
    """Members added to or removed from `ports` by the update `before` came from."""
    diff = getattr(before, "_diff", None)  # index._SetBefore: the update2 diff itself
    if diff is not None:
        return [atom.value.int for atom in diff.values]
    after = row._data["ports"].values
    return [atom.value.int for atom in after.keys() ^ before.values.keys()]


def _keys(rows: Mapping[uuid.UUID, Any]) -> Iterable[uuid.UUID]:
    """The keys of `rows`, from the dict inside python-ovs's IndexedRows when it has one
    (a UserDict: iterating the mapping itself runs Python code for each row)."""
    data = getattr(rows, "data", None)
    return data if isinstance(data, dict) else rows


class LspViews:
    """LSP -> its view (None for an LSP that has nothing to show). Keyed by the integer
    of the row's UUID: uuid.UUID hashes and compares in Python, which made the lookups
    of a 5,000-port list cost ~10 ms."""

    def __init__(self) -> None:
        self._views: dict[int, Any] = {}
        self._router: set[int] = set()  # views that read LRP / LR rows

    def __len__(self) -> int:
        return len(self._views)

    def missing(self, rows: Mapping[uuid.UUID, Any]) -> list[Any]:
        """The rows of `rows` (a table's rows) that have no view."""
        views = self._views
        return [rows[key] for key in _keys(rows) if key.int not in views]

    def shown(self, rows: Mapping[uuid.UUID, Any]) -> list[Any]:
        """The views of `rows` that are not None, in table order (rows without a view
        are left out: `put` them first)."""
        get = self._views.get
        return [shown for key in _keys(rows) if (shown := get(key.int)) is not None]

    def put(self, row: Any, value: Any, router: bool = False) -> None:
        """Keep `value` as `row`'s view; built from committed state only, never inside a
        transaction (the caller checks `NbIdl.can_keep_views`). `router`: the view
        also reads Logical_Router_Port / Logical_Router rows."""
        key = row.uuid.int
        self._views[key] = value
        if router:
            self._router.add(key)

    def clear(self) -> None:
        self._views.clear()
        self._router.clear()

    def _drop(self, key: int) -> None:
        self._views.pop(key, None)
        self._router.discard(key)

    def notify(self, event: str, row: Any, updates: Any, table: str) -> None:
        """Drop the views `row`'s change may affect (an IDL notification)."""
        if not self._views:
            return
        if table == LSP:
            self._drop(row.uuid.int)
        elif table in _HOLDER_COLUMNS:
            self._holder_changed(event, row, updates, _HOLDER_COLUMNS[table])
        elif table == DHCP:
            if event != "update" or updates is None or \
                    not _DHCP_COLUMNS.isdisjoint(dict.keys(updates._data)):
                self.clear()
        elif table in (LRP, LR):
            for key in self._router:
                self._views.pop(key, None)
            self._router.clear()

    def _holder_changed(self, event: str, row: Any, updates: Any,
                        watched: frozenset[str]) -> None:
        if event != "update" or updates is None:
            changed = _members(row)  # created or deleted with its ports
        else:
            # dict's own methods: a ColumnDefaultDict lists every column of the table
            # and makes up a default datum for a column that did not change
            columns = updates._data
            before = dict.get(columns, "ports")
            changed = [] if before is None else _changed_members(row, before)
            if not watched.isdisjoint(dict.keys(columns)):
                changed += _members(row)
        for key in changed:
            self._drop(key)
