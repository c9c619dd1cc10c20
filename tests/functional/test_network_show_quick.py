"""The plain show of a network answered on the event loop (api/network.py
`Networking.quick`, neutron/network_view.py): the engine reads the network before each
vNIC plug, and port creates and deletes on it must not send that read to a request
thread. The tests count the request-thread handler's network shows to see which path
answered, and check that every change that alters the answer is seen at once, whoever
wrote it, and that no answer goes out without a valid token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.api.http import Request
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import network_view
from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.functional.test_port_list_views import settled
from tests.support.provider import Api
from tests.support.thread_path import Counted, counting


def _is_show(request: Request) -> bool:
    seg = request.segments
    return request.method in ("GET", "HEAD") and len(seg) == 3 and seg[1] == "networks"


@pytest.fixture()
def threads(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    with counting(provider, monkeypatch, _is_show) as counted:
        yield counted


def _show(api: Api, network_id: str) -> dict[str, Any]:
    response = api.get(f"/v2.0/networks/{network_id}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()["network"]
    return body


def _kept(api: Api, threads: Counted, network_id: str) -> dict[str, Any]:
    """The show, answered by a request thread once and then on the event loop."""
    first = _show(api, network_id)
    before = threads.calls
    assert _show(api, network_id) == first
    assert threads.calls == before, "an unchanged network went to a request thread"
    return first


def test_port_writes_keep_the_answer(api: Api, threads: Counted) -> None:
    network = api.network(name="quick-net")
    api.subnet(network["id"], "10.61.0.0/24")
    shown = _kept(api, threads, network["id"])
    assert shown["name"] == "quick-net" and len(shown["subnets"]) == 1
    before = threads.calls
    port = api.port(network["id"], name="p1")
    api.port(network["id"], name="p2", fixed_ips=[{"ip_address": "10.61.0.50"}])
    api.delete(f"/v2.0/ports/{port['id']}")
    assert _show(api, network["id"]) == shown
    assert threads.calls == before, "a port write dropped the network's kept answer"
    filtered = api.get(f"/v2.0/networks/{network['id']}", params={"fields": "id"})
    assert filtered.status_code == 200 and filtered.json() == {"network": {"id":
                                                                           network["id"]}}
    assert threads.calls == before + 1, "a query must take the thread path"


def test_api_writes_are_seen_at_once(api: Api, threads: Counted) -> None:
    network = api.network(name="before")
    _kept(api, threads, network["id"])
    updated = api.put(f"/v2.0/networks/{network['id']}", {"network": {
        "name": "after", "mtu": 1400}})
    assert updated.status_code == 200, updated.text
    shown = _kept(api, threads, network["id"])
    assert (shown["name"], shown["mtu"]) == ("after", 1400)
    subnet = api.subnet(network["id"], "10.62.0.0/24")
    assert _kept(api, threads, network["id"])["subnets"] == [subnet["id"]]
    assert api.delete(f"/v2.0/subnets/{subnet['id']}").status_code == 204
    assert _kept(api, threads, network["id"])["subnets"] == []
    assert api.delete(f"/v2.0/networks/{network['id']}").status_code == 204
    gone = api.get(f"/v2.0/networks/{network['id']}")
    assert gone.status_code == 404, gone.text


def test_other_writers_are_seen(api: Api, threads: Counted, provider: Provider,
                                central: Central) -> None:
    network = api.network(name="by-others")
    net_id = network["id"]
    assert _kept(api, threads, net_id)["provider:network_type"] == "geneve"
    central.nbctl("set", "Logical_Switch", net_id, f"external_ids:{L.LS_NAME}=renamed")
    settled(provider, central)
    assert _kept(api, threads, net_id)["name"] == "renamed"
    # a localnet port added to the switch by hand makes it a flat provider network
    central.nbctl("lsp-add", net_id, "ln-by-hand", "--", "lsp-set-type", "ln-by-hand",
                  "localnet", "--", "lsp-set-options", "ln-by-hand",
                  f"{L.LSP_NETWORK_NAME}=physnet-a")
    settled(provider, central)
    shown = _kept(api, threads, net_id)
    assert (shown["provider:network_type"], shown["provider:physical_network"]) == \
        ("flat", "physnet-a")
    central.nbctl("set", "Logical_Switch_Port", "ln-by-hand", "tag=42")
    settled(provider, central)
    shown = _kept(api, threads, net_id)
    assert (shown["provider:network_type"], shown["provider:segmentation_id"]) == \
        ("vlan", 42)
    central.nbctl("lsp-set-type", "ln-by-hand", "")  # no longer a localnet port
    settled(provider, central)
    assert _kept(api, threads, net_id)["provider:network_type"] == "geneve"
    central.nbctl("lsp-set-type", "ln-by-hand", "localnet")
    settled(provider, central)
    assert _kept(api, threads, net_id)["provider:network_type"] == "vlan"
    # moved to another switch (ports of the switches changed; the port row did not)
    other = api.network(name="other")
    central.nbctl("lsp-del", "ln-by-hand")
    central.nbctl("lsp-add", other["id"], "ln-by-hand", "--", "lsp-set-type",
                  "ln-by-hand", "localnet")
    settled(provider, central)
    assert _kept(api, threads, net_id)["provider:network_type"] == "geneve"
    central.nbctl("destroy", "Logical_Switch", net_id)
    settled(provider, central)
    assert api.get(f"/v2.0/networks/{net_id}").status_code == 404


@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": "not-a-token"}],
                         ids=["no token", "bad token"])
def test_no_answer_without_a_valid_token(api: Api, provider: Provider,
                                         threads: Counted, headers: dict[str, str]) -> None:
    network = api.network(name="guarded")
    _kept(api, threads, network["id"])
    stranger = Api(provider, token=None)
    try:
        response = stranger.get(f"/v2.0/networks/{network['id']}", headers=headers)
    finally:
        stranger.close()
    assert response.status_code == 401, response.text
    assert set(response.json()) == {"error"}


def test_an_integer_beyond_64_bits_is_still_shown(api: Api, provider: Provider,
                                                  central: Central) -> None:
    """orjson refuses integers beyond 64 bits, which another NB writer may store (a
    revision, an MTU); the thread path answers them (json_encode.py), and the
    kept answer must not turn that show into a 500."""
    network = api.network(name="big-numbers")
    huge = 2 ** 70
    central.nbctl("set", "Logical_Switch", network["id"],
                  f"external_ids:{L.STAMP_REVISION}={huge}", f"external_ids:{L.LS_MTU}={huge}")
    settled(provider, central)
    response = api.get(f"/v2.0/networks/{network['id']}")
    assert response.status_code == 200, response.text
    shown = response.json()["network"]
    assert (shown["revision_number"], shown["mtu"]) == (huge, huge)
    again = api.get(f"/v2.0/networks/{network['id']}")
    assert again.status_code == 200 and again.json()["network"] == shown


def test_other_spellings_of_an_id_are_not_kept(api: Api, threads: Counted,
                                                provider: Provider) -> None:
    """uuid.UUID takes any case, braces, no hyphens and any number of "urn:" prefixes:
    keeping an answer per spelling would let a client grow the kept answers without
    bound. Only the canonical id is kept; other spellings get the same answer from a
    request thread."""
    network = api.network(name="spelled")
    net_id = network["id"]
    shown = _kept(api, threads, net_id)
    spellings = [net_id.upper(), "{" + net_id + "}", net_id.replace("-", ""),
                 "urn:uuid:" + net_id, "urn:" * 5 + net_id]
    before = threads.calls
    for spelling in spellings:
        assert _show(api, spelling) == shown
        assert _show(api, spelling) == shown
    assert threads.calls == before + 2 * len(spellings), \
        "an id spelled another way was answered from a kept body"
    with provider.nb.read() as idl:
        assert set(network_view.kept(idl).bodies) == {net_id}


def test_head_is_answered_as_get(api: Api, threads: Counted) -> None:
    """HEAD of a kept network: the status and Content-Length GET would send, no body,
    no request thread."""
    network = api.network(name="headed")
    _kept(api, threads, network["id"])
    got = api.get(f"/v2.0/networks/{network['id']}")
    before = threads.calls
    head = api.http.head(f"/v2.0/networks/{network['id']}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == got.headers["content-type"]
    assert threads.calls == before
