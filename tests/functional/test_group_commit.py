"""Port creates queued together share one NB transaction (ovn/nb_txn.py `commit_together`).

The test holds the replica's lock (as a long reader does) while it sends several port
creates at once: the connection thread takes the first, waits for the lock, and finds the
others queued behind it. It counts the NB transactions sent (`commit_wait.commit`, the
real commit wrapped) and checks that each create still changes all or nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ovn_provider.neutron import networks, ports
from ovn_provider.ovn import commit_wait
from ovn_provider.ovn.nb import Writer
from ovn_provider.server import Provider
from tests.support.provider import Api


class Sent:
    transactions = 0


@pytest.fixture()
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    counted = Sent()
    real = commit_wait.commit

    def commit(conn: Any, txn: Any) -> int:
        counted.transactions += 1
        return real(conn, txn)

    monkeypatch.setattr(commit_wait, "commit", commit)
    yield counted


def _queued_together(provider: Provider, monkeypatch: pytest.MonkeyPatch,
                     calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Runs `calls` while the replica is locked, each one once the one before has queued
    its write, so that the writes queue in this order; their answers, in order."""
    conn = provider.nb._conn
    assert conn is not None
    queued = threading.Semaphore(0)
    real = conn.queue_txn

    def queue_txn(txn: Any) -> None:
        real(txn)
        queued.release()

    monkeypatch.setattr(conn, "queue_txn", queue_txn)
    with ThreadPoolExecutor(len(calls)) as pool:
        futures: list[Future[httpx.Response]] = []
        with provider.nb.read():
            for call in calls:
                futures.append(pool.submit(call))
                assert queued.acquire(timeout=10), "a write was not queued"
        return [future.result(timeout=30) for future in futures]


def _post(provider: Provider, body: dict[str, Any]) -> Callable[[], httpx.Response]:
    def call() -> httpx.Response:
        client = Api(provider)
        try:
            return client.post("/v2.0/ports", {"port": body})
        finally:
            client.close()
    return call


def _network(api: Api, prefix: str) -> str:
    network = api.network(name=f"group-{prefix}")
    api.subnet(network["id"], cidr=f"{prefix}.0/24", gateway_ip=f"{prefix}.1")
    return str(network["id"])


def _port_names(api: Api, network: str) -> set[str]:
    ports = api.get("/v2.0/ports", params={"network_id": network}).json()["ports"]
    return {port["name"] for port in ports}


def test_creates_queued_together_share_one_transaction(
        api: Api, provider: Provider, sent: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    network = _network(api, "10.241.0")
    sent.transactions = 0
    answers = _queued_together(provider, monkeypatch, [_post(provider, {"network_id": network,
                                                           "name": f"g{n}"})
                                          for n in range(6)])
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert sent.transactions == 1
    ports = [a.json()["port"] for a in answers]
    ips = [p["fixed_ips"][0]["ip_address"] for p in ports]
    assert len(set(ips)) == 6 and len({p["mac_address"] for p in ports}) == 6
    assert _port_names(api, network) == {f"g{n}" for n in range(6)}


def test_a_refused_create_changes_nothing_and_the_others_commit(
        api: Api, provider: Provider, sent: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    network = _network(api, "10.242.0")
    api.port(network, name="holder", fixed_ips=[{"ip_address": "10.242.0.50"}])
    subnet = api.get("/v2.0/subnets", params={"network_id": network}).json()["subnets"][0]
    taken = {"network_id": network, "name": "refused",
             "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": "10.242.0.50"}]}
    twice = {"network_id": network, "fixed_ips": [{"ip_address": "10.242.0.60"}]}
    calls = [_post(provider, {"network_id": network, "name": "a"}),
             _post(provider, taken),
             _post(provider, {**twice, "name": "first"}),
             _post(provider, {**twice, "name": "second"}),
             _post(provider, {"network_id": network, "name": "b"})]
    sent.transactions = 0
    answers = _queued_together(provider, monkeypatch, calls)
    codes = [a.status_code for a in answers]
    assert codes == [201, 409, 201, 409, 201], [a.text for a in answers]
    # the group, then one catch-up barrier per 409 (docs/concurrency.md, "Across provider
    # instances"): the refused ones were left out of the group
    assert sent.transactions == 3
    assert _port_names(api, network) == {"holder", "a", "first", "b"}


def test_other_writes_are_not_grouped(api: Api, provider: Provider, sent: Sent,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    network = _network(api, "10.243.0")
    create_port = _post(provider, {"network_id": network})

    def create_network() -> httpx.Response:
        client = Api(provider)
        try:
            return client.post("/v2.0/networks", {"network": {"name": "between"}})
        finally:
            client.close()

    sent.transactions = 0
    answers = _queued_together(provider, monkeypatch, [create_port, create_port, create_network,
                                          create_port, create_port])
    assert [a.status_code for a in answers] == [201] * 5
    assert sent.transactions == 3  # two ports, the network alone, two ports


def test_a_transaction_the_nb_refuses_is_retried_one_write_at_a_time(
        api: Api, provider: Provider, sent: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    """Which write made the NB refuse a group is not known: each commits on its own, and
    only the bad one fails. The bad one here writes a second LSP under a name in use (the
    NB's unique index on Logical_Switch_Port.name refuses it)."""
    network = _network(api, "10.244.0")
    used = api.port(network, name="used")["id"]
    real = ports.prepare_create

    def prepare_create(ctx: Any, data: dict[str, Any]) -> Callable[[Writer], Any]:
        write = real(ctx, data)
        if data.get("name") != "bad":
            return write

        def bad(w: Writer) -> Any:
            result = write(w)
            ls = networks.find(w.idl, network)
            ls.addvalue("ports", w.insert("Logical_Switch_Port", name=used))
            return result
        return bad

    monkeypatch.setattr(ports, "prepare_create", prepare_create)
    sent.transactions = 0
    answers = _queued_together(provider, monkeypatch, [
        _post(provider, {"network_id": network, "name": name})
        for name in ("a", "bad", "b")])
    assert [a.status_code for a in answers] == [201, 503, 201], [a.text for a in answers]
    assert sent.transactions == 4  # the group, then each on its own
    assert _port_names(api, network) == {"used", "a", "b"}
