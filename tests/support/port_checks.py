"""Helpers shared by the functional tests (moved from test_ports.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ovn_provider.ovn.central import Central

LSP = "Logical_Switch_Port"


# -- NB helpers (ovn-nbctl, independent of the provider's own replica) -----------------------
def _decode(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        kind, inner = value
        if kind == "uuid" or kind == "named-uuid":
            return inner
        if kind == "set":
            return [_decode(v) for v in inner]
        if kind == "map":
            return {_decode(k): _decode(v) for k, v in inner}
    return value


def setof(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def nb_rows(central: Central, table: str, *where: str) -> list[dict[str, Any]]:
    args = ["--format=json", "find", table, *where] if where else ["--format=json", "list",
                                                                   table]
    out = json.loads(central.nbctl(*args))
    return [{h: _decode(v) for h, v in zip(out["headings"], row, strict=True)}
            for row in out["data"]]


def lsp_row(central: Central, name: str) -> dict[str, Any]:
    found = nb_rows(central, LSP, f"name={name}")
    assert len(found) == 1, f"LSP {name}: {found}"
    return found[0]


def snapshot(central: Central) -> dict[str, Any]:
    """The NB tables a port request may touch, after northd has caught up."""
    central.nbctl("--wait=sb", "sync")
    result = {}
    for table in (LSP, "Logical_Switch", "Port_Group", "ACL", "DHCP_Options"):
        rows = nb_rows(central, table)
        result[table] = sorted(json.dumps(r, sort_keys=True) for r in rows)
    return result


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == status and body["message"]
    return str(body["message"])
