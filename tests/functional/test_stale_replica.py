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

import functools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
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


def _settle(prov: Provider, ready: Callable[[Any], bool], what: str) -> None:
    """Wait until the provider's replica satisfies `ready` (a round starts from there)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with prov.nb.read() as idl:
            if ready(idl):
                return
        time.sleep(0.01)
    raise AssertionError(f"the provider's replica never got {what}")


def _no_exclude(prov: Provider, central: Central, ls_id: str) -> None:
    central.nbctl("remove", "Logical_Switch", ls_id, "other_config", "exclude_ips")
    _settle(prov, lambda idl: "exclude_ips" not in idl.tables["Logical_Switch"].rows[
        uuid.UUID(ls_id)].other_config, "the exclude_ips removal")


def _post_on_stale_replica(held: tuple[HoldingProxy, Api, Provider], central: Central,
                           change: list[str], port: dict[str, Any]) -> httpx.Response:
    """Hold the NB's messages to the provider, make `change` with ovn-nbctl, post `port`
    and let the messages through once the provider's transaction reached the NB."""
    proxy, api, _ = held
    answer: list[httpx.Response] = []
    with proxy.holding():
        central.nbctl(*change)
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
            _no_exclude(held[2], central, net["id"])
            response = _post_on_stale_replica(held, central, _exclude(net["id"], exclude), {
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
            _no_exclude(held[2], central, net["id"])
            response = _post_on_stale_replica(held, central, _exclude(net["id"], exclude),
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


def _exclude(ls_id: str, value: str) -> list[str]:
    return ["set", "Logical_Switch", ls_id, f'other_config:exclude_ips="{value}"']


def _has_gateway(subnet_id: str, gateway: str, idl: Any) -> bool:
    return bool(idl.tables["DHCP_Options"].rows[uuid.UUID(subnet_id)].options.get(
        "router") == gateway)


def test_gateway_changed_by_another_writer_is_rechecked(
        held: tuple[HoldingProxy, Api, Provider], central: Central) -> None:
    """The subnet's DHCP_Options row is verified too: an automatic address is never the
    gateway address another writer has just set. (An explicit `fixed_ips` entry may take
    the gateway address, as in Neutron: docs/routers.md.)"""
    api = held[1]
    failed: list[str] = []
    for i in range(4):
        net = api.network(name=f"stale-gateway-{i}", port_security_enabled=False)
        subnet = api.subnet(net["id"], f"10.252.{i}.0/29", gateway_ip=f"10.252.{i}.1")
        for _ in range(4):  # .2 to .5: only .6 stays free
            api.port(net["id"])
        _settle(held[2], functools.partial(_has_gateway, subnet["id"], f"10.252.{i}.1"),
                "gateway .1")
        gateway = f"10.252.{i}.6"
        response = _post_on_stale_replica(
            held, central, ["set", "DHCP_Options", subnet["id"], f"options:router={gateway}"],
            {"network_id": net["id"]})
        if response.status_code != 409:
            failed.append(f"round {i}: gateway {gateway}: {response.status_code} "
                          f"{response.text[:200]}")
    assert not failed, f"{len(failed)} of 4 rounds answered from the stale replica:\n" + \
        "\n".join(failed)
