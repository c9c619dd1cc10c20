"""Address checks against a change another NB writer committed that the provider's
replica has not received yet (docs/concurrency.md).

The provider under test reaches the NB through a HoldingProxy. Each round holds what the
server sends to the provider, changes the switch's `other_config:exclude_ips` with
ovn-nbctl (straight to the NB), posts a port in a thread, waits until the provider's
transaction has reached the server and only then lets the server's messages through. So
the provider always checks the old `exclude_ips` (none) while the server commits on the new one;
the answer must still be the one for the new value: the verified column makes the server
answer TRY_AGAIN and the provider checks again once its replica has the change.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.support.provider import Api, make_config, running
from tests.support.proxy import HoldingProxy

ROUNDS = 12


@pytest.fixture(scope="module")
def held(central: Central) -> Iterator[tuple[HoldingProxy, Api, Provider]]:
    proxy = HoldingProxy(central.nb_remote)
    try:
        with running(make_config(proxy.remote)) as prov:
            client = Api(prov)
            try:
                yield proxy, client, prov
            finally:
                client.close()
    finally:
        proxy.close()


def _reset(prov: Provider, central: Central, ls_id: str) -> None:
    """No exclude_ips, and wait until the provider's replica has that too."""
    central.nbctl("remove", "Logical_Switch", ls_id, "other_config", "exclude_ips")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with prov.nb.read() as idl:
            if "exclude_ips" not in idl.tables["Logical_Switch"].rows[
                    uuid.UUID(ls_id)].other_config:
                return
        time.sleep(0.01)
    raise AssertionError("the provider's replica never got the exclude_ips removal")


def _post_on_stale_replica(held: tuple[HoldingProxy, Api, Provider], central: Central,
                           ls_id: str, exclude: str, port: dict[str, Any]) -> httpx.Response:
    proxy, api, prov = held
    _reset(prov, central, ls_id)
    answer: list[httpx.Response] = []
    with proxy.holding():
        central.nbctl("set", "Logical_Switch", ls_id, f'other_config:exclude_ips="{exclude}"')
        sent = proxy.transacts
        poster = threading.Thread(target=lambda: answer.append(
            api.post("/v2.0/ports", {"port": port})))
        poster.start()
        reached = proxy.wait_transacts(sent + 1)
    poster.join(60)
    assert reached, "the provider's transaction never reached the NB"
    assert answer, "the port create did not answer"
    return answer[0]


def test_exclude_ips_changed_by_another_writer_is_rechecked(
        held: tuple[HoldingProxy, Api, Provider], central: Central) -> None:
    api = held[1]
    net = api.network(name="stale-replica", port_security_enabled=False)
    api.subnet(net["id"], "10.251.0.0/24", gateway_ip="10.251.0.1")
    failed: list[str] = []
    for i in range(ROUNDS):
        if i % 2 == 0:
            # an explicit address the other writer has just excluded (alone or in a range)
            ip = f"10.251.0.{20 + i}"
            exclude = ip if i % 4 == 0 else f"10.251.0.{19 + i}..10.251.0.{21 + i}"
            response = _post_on_stale_replica(held, central, net["id"], exclude, {
                "network_id": net["id"], "fixed_ips": [{"ip_address": ip}]})
            if response.status_code != 409:
                failed.append(f"round {i}: {ip} excluded as {exclude!r}: "
                              f"{response.status_code} {response.text[:200]}")
            elif response.json()["error"]["message"] != (
                    f"The ip {ip} specified is already in use on network {net['id']}"):
                failed.append(f"round {i}: {response.text[:200]}")
        else:
            # an automatic address: the other writer has just excluded all but one
            only = f"10.251.0.{100 + i}"
            exclude = f"10.251.0.2..10.251.0.{99 + i} 10.251.0.{101 + i}..10.251.0.254"
            response = _post_on_stale_replica(held, central, net["id"], exclude,
                                              {"network_id": net["id"]})
            got = [entry["ip_address"] for entry in response.json()["port"]["fixed_ips"]
                   ] if response.status_code == 201 else None
            if got != [only]:
                failed.append(f"round {i}: only {only} allowed: "
                              f"{response.status_code} {response.text[:200]}")
            if response.status_code == 201:
                # ovn-northd would move it off an address the next round excludes
                api.delete(f"/v2.0/ports/{response.json()['port']['id']}")
    assert not failed, f"{len(failed)} of {ROUNDS} rounds answered from the stale replica:\n" + \
        "\n".join(failed)
