"""Read NB rows in tests through `ovn-nbctl --format=json`, independent of the provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.nb import Nb


def ovsdb_value(raw: Any) -> Any:
    """An OVSDB JSON datum as plain Python: maps -> dict, sets -> list, uuids -> str."""
    if isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], str):
        kind, body = raw
        if kind in ("uuid", "named-uuid"):
            return body
        if kind == "set":
            return [ovsdb_value(v) for v in body]
        if kind == "map":
            return {ovsdb_value(k): ovsdb_value(v) for k, v in body}
    return raw


def as_list(value: Any) -> list[Any]:
    """A set column: OVSDB JSON writes a one-element set as the bare element."""
    return value if isinstance(value, list) else [value]


def _rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{h: ovsdb_value(v) for h, v in zip(doc["headings"], row, strict=True)}
            for row in doc["data"]]


def nb_rows(central: Central, table: str, *records: str) -> list[dict[str, Any]]:
    return _rows(json.loads(central.nbctl("--format=json", "list", table, *records)))


def nb_row(central: Central, table: str, record: str) -> dict[str, Any]:
    rows = nb_rows(central, table, record)
    assert len(rows) == 1, f"{table} {record}: {rows}"
    return rows[0]


def nb_find(central: Central, table: str, **conditions: str) -> list[dict[str, Any]]:
    args = [f"{column}={value}" for column, value in conditions.items()]
    return _rows(json.loads(central.nbctl("--format=json", "find", table, *args)))


def nb_exists(central: Central, table: str, record: str) -> bool:
    return bool(json.loads(central.nbctl("--format=json", "--if-exists", "list", table,
                                         record))["data"]) if record else False


@contextmanager
def connected_nb(central: Central) -> Iterator[Nb]:
    """The provider's NB layer on its own, connected and synced to `central`."""
    nb = Nb(central.nb_remote, timeout=20)
    nb.start()
    try:
        assert nb.wait_connected(30)
        yield nb
    finally:
        nb.stop()
