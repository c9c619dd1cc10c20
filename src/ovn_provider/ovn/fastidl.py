"""python-ovs's IDL with a cheaper path for rows the NB sends whole (the initial sync, and
every inserted row), which at 20,000 ports is most of the time to readiness.

Upstream, for each new row, `Idl.__add_default` walks every column of the table, and
`Idl.__row_update` parses each column with `Datum.from_json` (which re-checks the atom's
type through generic code) and compares it with a default datum built afresh for the
comparison. Here the columns that need a default are worked out once per table, plain
string and UUID atoms are built directly (same checks: type, enum, length, UUID syntax),
and each datum is compared with one default per column built once. Anything else (maps of
integers, named UUIDs, malformed values) takes upstream's code, errors included.
ovsdbapp's per-row `cooperative_yield` (a sleep(0) for eventlet) is dropped.

tests/functional/test_fastidl.py compares the replica it builds with upstream's, row by
row, on an NB written as the predecessor left it.
"""

from __future__ import annotations

import uuid
from typing import Any

from ovs import ovsuuid
from ovs.db import data as ovs_data
from ovs.db import error as ovs_error
from ovs.db import idl as ovs_idl
from ovs.db import types as ovs_types
from ovsdbapp.backend.ovs_idl import connection as ovsdbapp_connection

STRING = ovs_types.StringType
UUID = ovs_types.UuidType


def _atom(base: ovs_types.BaseType, json: Any) -> ovs_data.Atom:
    kind = base.type
    if kind is STRING and isinstance(json, str) and base.enum is None \
            and base.min_length <= len(json) <= base.max_length:
        return ovs_data.Atom(STRING, json)
    if kind is UUID and isinstance(json, list) and len(json) == 2 and json[0] == "uuid" \
            and isinstance(json[1], str) and ovsuuid.uuidRE.match(json[1]):
        return ovs_data.Atom(UUID, uuid.UUID(json[1]))
    return ovs_data.Atom.from_json(base, json)


def datum_from_json(kind: ovs_types.Type, json: Any) -> ovs_data.Datum:
    """`Datum.from_json(kind, json)` without a symbol table, faster for the usual
    columns (strings, string maps, UUID references)."""
    if kind.is_map():
        if not (isinstance(json, list) and len(json) == 2 and json[0] == "map"
                and isinstance(json[1], list)):
            return ovs_data.Datum.from_json(kind, json)
        inner = json[1]
        if not kind.n_min <= len(inner) <= kind.n_max:
            return ovs_data.Datum.from_json(kind, json)
        values: dict[ovs_data.Atom, ovs_data.Atom | None] = {}
        for pair in inner:
            if not (isinstance(pair, list) and len(pair) == 2):
                return ovs_data.Datum.from_json(kind, json)
            values[_atom(kind.key, pair[0])] = _atom(kind.value, pair[1])
        if len(values) != len(inner):  # a duplicate key: upstream's error
            return ovs_data.Datum.from_json(kind, json)
        return ovs_data.Datum(kind, values)
    if isinstance(json, list) and len(json) == 2 and json[0] == "set":
        inner = json[1]
        if not (isinstance(inner, list) and kind.n_min <= len(inner) <= kind.n_max):
            return ovs_data.Datum.from_json(kind, json)
        members = {_atom(kind.key, element): None for element in inner}
        if len(members) != len(inner):
            return ovs_data.Datum.from_json(kind, json)
        return ovs_data.Datum(kind, members)
    return ovs_data.Datum(kind, {_atom(kind.key, json): None})


class FastIdl(ovsdbapp_connection.OvsdbIdl):
    """ovsdbapp's IDL with the cheaper whole-row path (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fill: dict[str, list[tuple[str, Any]]] = {}
        self._defaults: dict[tuple[str, str], ovs_data.Datum] = {}

    def cooperative_yield(self) -> None:
        """Called once per row read. Threads need no hand-off here (Python switches
        threads every few ms anyway); on a busy host ovsdbapp's sleep(0) gave the CPU
        to other processes 20,000 times per sync (bench/README.md)."""

    def _Idl__add_default(self, table: Any, row_update: dict[str, Any]) -> None:
        """Upstream's rule (required, non-map, writable columns the update leaves out get
        their default), with the column list computed once per table."""
        fill = self._fill.get(table.name)
        if fill is None:
            readonly = self.readonly.get(table.name, ())
            fill = [(column.name, self._Idl__column_name(column))
                    for column in table.columns.values()
                    if column.name not in readonly and column.type.n_min != 0
                    and not column.type.is_map()]
            self._fill[table.name] = fill
        for name, value in fill:
            if name not in row_update:
                row_update[name] = value

    def _Idl__row_update(self, table: Any, row: Any, row_json: dict[str, Any]) -> bool:
        changed = False
        data = row._data
        for name, json in row_json.items():
            column = table.columns.get(name)
            if not column:
                ovs_idl.vlog.warn(f"unknown column {name} updating table {table.name}")
                continue
            try:
                datum = datum_from_json(column.type, json)
            except ovs_error.Error as exc:
                ovs_idl.vlog.warn(f"error parsing column {name} in table {table.name}: "
                                  f"{exc}")
                continue
            current = data.get(name)
            if current is None:  # never set: compare with the column's default
                key = (table.name, name)
                current = self._defaults.get(key)
                if current is None:
                    current = self._defaults[key] = ovs_data.Datum.default(column.type)
            if datum != current:
                data[name] = datum
                if column.alert:
                    changed = True
        return changed
