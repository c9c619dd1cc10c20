"""Values the NB cannot take never reach it (docs/architecture.md, "Malformed
transactions"): a NUL byte in any stored string is a 400 that leaves the NB as it was and
costs no one the NB connection; the NB layer refuses such a write before sending it, never
retries a transaction the server refused, and gives up on one that keeps dropping the
connection instead of retrying it into an outage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.ovn import nb_txn
from ovn_provider.ovn.central import Central
from ovn_provider.ovn.nb import Nb, NbCommitError, NbMalformed, NbUnavailable, Writer
from tests.support.nb import connected_nb
from tests.support.provider import Api
from tests.support.snapshot import assert_error, nb_snapshot

NUL = "a\x00b"


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


@pytest.fixture(scope="module")
def objects(module_api: Api) -> Iterator[dict[str, str]]:
    api = module_api
    net = api.network(name="nul-net")
    sub = api.subnet(net["id"], cidr="10.77.0.0/24")
    port = api.port(net["id"], name="nul-port")
    router = api.create("routers", "router", name="nul-router")
    group = api.create("security-groups", "security_group", name="nul-sg")
    rule = api.create("security-group-rules", "security_group_rule",
                      security_group_id=group["id"], direction="ingress", ethertype="IPv4",
                      protocol="tcp", port_range_min=22, port_range_max=22)
    yield {"net": net["id"], "sub": sub["id"], "port": port["id"], "router": router["id"],
           "sg": group["id"], "rule": rule["id"]}
    api.delete(f"/v2.0/ports/{port['id']}")
    api.delete(f"/v2.0/routers/{router['id']}")
    api.delete(f"/v2.0/security-groups/{group['id']}")
    api.delete(f"/v2.0/networks/{net['id']}")


# (method, path, body) with {net}, {port}, ... filled from `objects`
CASES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v2.0/networks", {"network": {"name": NUL}}),
    ("POST", "/v2.0/networks", {"network": {"name": "n", "description": NUL}}),
    ("POST", "/v2.0/networks", {"network": {"name": "n", "tags": ["ok", NUL]}}),
    ("PUT", "/v2.0/networks/{net}", {"network": {"name": NUL}}),
    ("POST", "/v2.0/subnets", {"subnet": {"network_id": "{net}", "cidr": "10.78.0.0/24",
                                          "ip_version": 4, "name": NUL}}),
    ("PUT", "/v2.0/subnets/{sub}", {"subnet": {"description": NUL}}),
    ("POST", "/v2.0/ports", {"port": {"network_id": "{net}", "name": NUL}}),
    ("POST", "/v2.0/ports", {"port": {"network_id": "{net}", "device_id": NUL}}),
    ("POST", "/v2.0/ports", {"port": {"network_id": "{net}", "device_owner": NUL}}),
    ("POST", "/v2.0/ports", {"port": {"network_id": "{net}", "binding:host_id": NUL}}),
    ("PUT", "/v2.0/ports/{port}", {"port": {"name": NUL}}),
    ("PUT", "/v2.0/ports/{port}", {"port": {"description": NUL}}),
    ("PUT", "/v2.0/ports/{port}", {"port": {"binding:host_id": NUL}}),
    ("POST", "/v2.0/routers", {"router": {"name": NUL}}),
    ("PUT", "/v2.0/routers/{router}", {"router": {"description": NUL}}),
    ("POST", "/v2.0/security-groups", {"security_group": {"name": NUL}}),
    ("PUT", "/v2.0/security-groups/{sg}", {"security_group": {"description": NUL}}),
    ("POST", "/v2.0/security-group-rules", {"security_group_rule": {
        "security_group_id": "{sg}", "direction": "ingress", "description": NUL}}),
    ("POST", "/v2.0/floatingips", {"floatingip": {"floating_network_id": "{net}",
                                                  "description": NUL}}),
    ("PUT", "/v2.0/networks/{net}/tags", {"tags": [NUL]}),
    ("PUT", "/v2.0/ports/{port}/tags/a%00b", None),
    ("PUT", "/v2.0/routers/{router}/tags/a%00b", None),
    ("POST", "/v2.0/networks", {"network": {"na\x00me": "n"}}),
]


def fill(value: Any, objects: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**objects) if "{" in value else value
    if isinstance(value, dict):
        return {k: fill(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, objects) for v in value]
    return value


def test_nul_in_any_stored_string_is_400_and_changes_nothing(
        api: Api, central: Central, objects: dict[str, str]) -> None:
    before = nb_snapshot(central)
    for method, path, body in CASES:
        url = path.format(**objects)
        response = api.http.request(method, url, json=fill(body, objects))
        text = assert_error(response, 400)
        assert "NUL" in text, (method, url, text)
        # the next request is served at once: the NB connection was not lost
        assert api.get(f"/v2.0/networks/{objects['net']}").status_code == 200, (method, url)
    assert nb_snapshot(central) == before


@pytest.fixture()
def private_nb(central: Central) -> Iterator[Nb]:
    with connected_nb(central) as nb:
        yield nb


def test_nb_layer_refuses_nul_before_sending(private_nb: Nb, central: Central) -> None:
    calls: list[int] = []

    def write(w: Writer) -> None:
        calls.append(1)
        w.insert("Logical_Switch", name="malformed", external_ids={"k": NUL})

    before = nb_snapshot(central)
    with pytest.raises(NbMalformed, match="Logical_Switch.external_ids"):
        private_nb.transact(write)
    assert calls == [1]  # not retried
    assert private_nb.connected  # never sent, so the connection stays
    assert nb_snapshot(central) == before


def test_nb_layer_server_error_is_not_retried(private_nb: Nb) -> None:
    calls: list[int] = []

    def write(w: Writer) -> None:
        calls.append(1)
        # two port groups of one name: the NB refuses the duplicate index value
        w.insert("Port_Group", name="twice_malformed")
        w.insert("Port_Group", name="twice_malformed")

    with pytest.raises(NbCommitError):
        private_nb.transact(write)
    assert calls == [1]
    assert private_nb.connected


def test_nb_layer_gives_up_when_the_server_keeps_dropping(
        private_nb: Nb, central: Central, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the check above, the NUL reaches ovsdb-server, which closes the connection:
    the write is not run again (after a lost connection it may have been applied, as after
    a failover: 503), and the connection comes back by itself."""
    monkeypatch.setattr(nb_txn, "malformed_column", lambda txn: None)
    calls: list[int] = []

    def write(w: Writer) -> None:
        calls.append(1)
        w.insert("Logical_Switch", name=NUL)

    before = nb_snapshot(central)
    with pytest.raises(NbUnavailable, match="may or may not be applied"):
        private_nb.transact(write)
    assert calls == [1]
    monkeypatch.undo()
    assert private_nb.wait_connected(30)
    with private_nb.read() as idl:
        assert "Logical_Switch" in idl.tables
    assert nb_snapshot(central) == before
