"""Helpers shared by the functional tests (moved from test_networks.py)."""

from __future__ import annotations

import html
import os
import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import wait_for
from ovn_provider.server import Provider
from tests.support.nb import nb_rows

TENANT = "00000000000000000000000000000001"


SNAPSHOT_TABLES = ("Logical_Switch", "Logical_Switch_Port", "DHCP_Options")


RACES = int(os.environ.get("OVNP_RACES", "20"))


# -- NB helpers (shared with test_subnets) --------------------------------------------------
def snapshot(central: Central, tables: tuple[str, ...] = SNAPSHOT_TABLES
             ) -> dict[str, list[Any]]:
    """Every row of `tables`, after ovn-northd has caught up, in a stable order."""
    central.nbctl("--wait=sb", "sync")
    return {t: sorted(nb_rows(central, t), key=lambda r: r["_uuid"]) for t in tables}


def assert_error(response: httpx.Response, status: int, message: str | None = None) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status and error["title"] and error["message"]
    text = html.unescape(error["message"])
    if message is not None:
        assert text == message
    return text


def check(response: httpx.Response, status: int, message: str) -> None:
    """`message` is exact, or with a leading `~` a text the message must contain."""
    if message.startswith("~"):
        assert message[1:] in assert_error(response, status)
    else:
        assert_error(response, status, message)


def synced(provider: Provider, central: Central) -> None:
    """Wait until `provider`'s NB replica holds every write committed so far (e.g. by
    ovn-nbctl): the NB sends updates in commit order, so seeing a fresh marker is enough."""
    nonce = str(uuid.uuid4())
    central.nbctl("set", "NB_Global", ".", f"external_ids:ovnp-test-sync={nonce}")

    def seen() -> bool:
        with provider.nb.read() as idl:
            return any(row.external_ids.get("ovnp-test-sync") == nonce
                       for row in idl.tables["NB_Global"].rows.values())

    wait_for(seen, 10, "the provider's NB replica to catch up")


def at_once(*calls: Callable[[], httpx.Response]) -> list[int]:
    """Run the calls at the same moment in threads; their status codes, in order."""
    barrier = threading.Barrier(len(calls))
    results: dict[int, int] = {}

    def run(index: int, call: Callable[[], httpx.Response]) -> None:
        barrier.wait()
        results[index] = call().status_code

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return [results[i] for i in range(len(calls))]
