"""Values ovsdb-server refuses by closing the client's connection (a string with a NUL
byte): found in a pending transaction before it is sent (docs/architecture.md,
"Malformed transactions")."""

from __future__ import annotations

from typing import Any

from ovs.db import data as ovs_data
from ovs.db import idl as ovs_idl


def _holds_nul(value: Any) -> bool:
    """Whether a value as python-ovs keeps it in a pending row (a Datum, an Atom, plain
    strings, sets and maps of them) holds a string with a NUL byte."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, ovs_data.Datum):
        return any(_holds_nul(k.value) or (v is not None and _holds_nul(v.value))
                   for k, v in value.values.items())
    if isinstance(value, ovs_data.Atom):
        return _holds_nul(value.value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, (set, frozenset, list, tuple)):
        return any(_holds_nul(v) for v in value)
    return False


def malformed_column(txn: ovs_idl.Transaction) -> str | None:
    """`table.column` of the first value in `txn` the NB would refuse, or None."""
    for row in getattr(txn, "_txn_rows", {}).values():
        changes = row.__dict__.get("_changes") or {}
        mutations = row.__dict__.get("_mutations") or {}
        columns = [*changes.items(), *(mutations.get("_inserts") or {}).items()]
        for column, value in columns:
            if _holds_nul(value):
                return f"{row._table.name}.{column}"
    return None
