"""NB snapshots and error checks shared by the functional tests."""

from __future__ import annotations

import html
import json

import httpx

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import run

#: Tables ovn-northd or the provider's own bookkeeping rewrite on their own.
VOLATILE = ("NB_Global", "Connection", "SSL", "NB_Global_Config")


def nb_snapshot(central: Central) -> dict[str, list[str]]:
    """Every row of every NB table but the bookkeeping ones, in a stable order: two
    snapshots are equal when no request changed the NB between them."""
    central.nbctl("--wait=sb", "sync")  # ovn-northd's own NB writes are done
    out = run(["ovsdb-client", "--timeout=20", "dump", "--format=json", central.nb_remote,
               "OVN_Northbound"], env=central.env)
    result: dict[str, list[str]] = {}
    # ovsdb-client prints one JSON document per table, one per line
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        doc = json.loads(line)
        table = str(doc.get("caption", "")).split(" ")[0]
        if table in VOLATILE:
            continue
        rows = [dict(zip(doc["headings"], row, strict=True)) for row in doc["data"]]
        result[table] = sorted(json.dumps(r, sort_keys=True) for r in rows)
    return result


def assert_error(response: httpx.Response, status: int, message: str | None = None) -> str:
    """The response is a Neutron error with `status` (and exactly `message` if given);
    the message, unescaped."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status and error["title"] and error["message"]
    text = html.unescape(error["message"])
    if message is not None:
        assert text == message
    return text
