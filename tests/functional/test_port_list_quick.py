"""The plain port list answered on the event loop (api/network.py `Networking.quick`):
while the body made for the replica as it is now is kept and the token is valid by the
cache alone, no request thread runs. The tests count the request-thread handler's calls
to see which path answered, and check that the quick path never changes an answer: the
same body as the thread path, every write seen at once, and no answer without a valid
token."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from ovn_provider.api.http import Request
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import port_view
from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.functional.test_port_list_views import synced
from tests.functional.test_ports import wait_until
from tests.support.provider import Api
from tests.support.thread_path import Counted, counting


def _is_list(request: Request) -> bool:
    return request.method == "GET" and request.segments == ["v2.0", "ports"]


@pytest.fixture()
def threads(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    with counting(provider, monkeypatch, _is_list) as counted:
        yield counted


def _list(api: Api) -> bytes:
    response = api.get("/v2.0/ports")
    assert response.status_code == 200, response.text
    return response.content


def test_unchanged_replica_is_answered_without_a_thread(api: Api, threads: Counted) -> None:
    first = _list(api)
    before = threads.calls
    assert _list(api) == first and _list(api) == first
    assert threads.calls == before, "an unchanged list went to a request thread"
    filtered = api.get("/v2.0/ports", params={"fields": "id"})
    assert filtered.status_code == 200
    assert threads.calls == before + 1, "a query must take the thread path"


def test_writes_are_seen_at_once(api: Api, threads: Counted, provider: Provider,
                                 central: Central) -> None:
    network = api.network(name="quick-list")
    _list(api)
    port = api.port(network["id"], name="quick-1")
    after_create = _list(api)
    assert port["id"].encode() in after_create  # the create's own client sees it
    assert _list(api) == after_create
    central.nbctl("set", "Logical_Switch_Port", port["id"],
                  "external_ids:ovirt_device_id=moved-by-another-writer")
    synced(provider, central)
    ports = {p["id"]: p for p in api.get("/v2.0/ports").json()["ports"]}
    assert ports[port["id"]]["device_id"] == "moved-by-another-writer"
    api.delete(f"/v2.0/ports/{port['id']}")
    assert port["id"].encode() not in _list(api)


@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": "not-a-token"}],
                         ids=["no token", "bad token"])
def test_no_answer_without_a_valid_token(api: Api, provider: Provider,
                                         headers: dict[str, str]) -> None:
    _list(api)
    _list(api)  # the body is kept: the next list could be answered on the event loop
    stranger = Api(provider, token=None)
    try:
        response = stranger.get("/v2.0/ports", headers=headers)
    finally:
        stranger.close()
    assert response.status_code == 401, response.text
    assert set(response.json()) == {"error"}
    assert b'"ports"' not in response.content


def test_lists_after_writes_need_no_thread(api: Api, threads: Counted, provider: Provider,
                                           central: Central) -> None:
    """While lists are read, the connection thread makes the body again after each change
    (neutron/port_view.py `Refresh`), before it answers the write: the list that follows
    a create, a delete, or another writer's change needs no request thread."""
    network = api.network(name="refreshed")
    _list(api)
    before = threads.calls
    port = api.port(network["id"], name="refreshed-1")
    assert port["id"].encode() in _list(api)
    central.nbctl("set", "Logical_Switch_Port", port["id"],
                  "external_ids:ovirt_device_id=set-by-another-writer")
    synced(provider, central)
    assert b"set-by-another-writer" in _list(api)
    api.delete(f"/v2.0/ports/{port['id']}")
    assert port["id"].encode() not in _list(api)
    assert threads.calls == before, "a list after a write went to a request thread"


def test_a_failing_refresh_fails_no_write(api: Api, threads: Counted,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: port_view.Refresh) -> None:
        raise RuntimeError("injected refresh failure")

    monkeypatch.setattr(port_view.Refresh, "settled", broken)
    network = api.network(name="refresh-fails")
    _list(api)
    port = api.port(network["id"], name="still-written")
    before = threads.calls
    assert port["id"].encode() in _list(api)  # made by the request thread instead
    assert threads.calls == before + 1


def test_the_connection_thread_renders_only_the_changed_ports(
        api: Api, threads: Counted, provider: Provider,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The refresh runs in the connection thread, which meanwhile neither serves the NB
    session (ovn/keepalive.py: a render of every port takes seconds at 20,000 ports on
    a busy host, past the server's inactivity probe) nor answers the write in flight. So
    it renders only the ports whose view a change dropped; a change that drops every
    view (a subnet write, a resync) leaves the whole render to the next list, in a request
    thread, while the connection thread serves the session."""
    conn = provider.nb._conn
    assert conn is not None and conn.thread is not None
    connection_thread = conn.thread.ident
    rendered: list[set[str]] = []  # LSP names (port ids) of each render in the connection thread
    real = port_view._render_rows

    def recording(ctx: Any, idl: Any, lsps: list[Any]) -> Any:
        if threading.get_ident() == connection_thread:
            rendered.append({lsp.name for lsp in lsps})
        return real(ctx, idl, lsps)

    def every_lsp() -> int:
        with provider.nb.read() as idl:
            return len(idl.tables["Logical_Switch_Port"].rows)

    monkeypatch.setattr(port_view, "_render_rows", recording)
    network = api.network(name="render-few")
    for index in range(3):
        api.port(network["id"], name=f"render-few-{index}")
    _list(api)
    rendered.clear()
    port = api.port(network["id"], name="render-few-new")
    # (an earlier port may be rendered again too: ovn-northd updates ports it sees)
    assert any(port["id"] in lsps for lsps in rendered), "the new port was not rendered"
    assert all(len(lsps) < every_lsp() for lsps in rendered)
    before = threads.calls
    assert port["id"].encode() in _list(api)
    assert threads.calls == before
    rendered.clear()
    api.subnet(network["id"], "10.63.0.0/24")  # every port view depends on the subnets
    assert all(len(lsps) < every_lsp() for lsps in rendered), \
        "the connection thread rendered every port"
    assert port["id"].encode() in _list(api)
    assert threads.calls == before + 1, "the whole render went to a request thread"


def test_an_integer_beyond_64_bits_is_still_listed(api: Api, provider: Provider,
                                                   central: Central,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """orjson refuses integers beyond 64 bits, which another NB writer may store (a
    revision): the plain list must still answer, as a filtered list does
    (json_encode.py), also after the connection thread's refresh."""
    network = api.network(name="big-revision")
    port = api.port(network["id"], name="big-revision")
    _list(api)
    huge = 2 ** 70
    central.nbctl("set", "Logical_Switch_Port", port["id"],
                  f"external_ids:{L.STAMP_REVISION}={huge}")
    synced(provider, central)
    for _ in range(2):  # made by a request thread or the refresh, then kept
        listed = {item["id"]: item for item in orjson.loads(_list(api))["ports"]}
        assert listed[port["id"]]["revision_number"] == huge
    def logged() -> bool:
        return any("Response: 200" in r.getMessage() and "big-revision" in r.getMessage()
                   for r in caplog.records)

    with caplog.at_level(logging.DEBUG, logger="ovn_provider.api"):
        filtered = api.get("/v2.0/ports", params={"name": "big-revision"})
        # the DEBUG log of the answer encodes it as the answer does (it raised, unlogged);
        # the server logs it after the answer is sent, so the client may be first
        wait_until(logged, timeout=5, what="the answer logged at DEBUG")
    assert filtered.status_code == 200
    assert filtered.json()["ports"][0]["revision_number"] == huge
