"""A create that must search past a dense run of held addresses (neutron/scan_hint.py).

Ports are written straight into the NB, as another provider instance or an operator
would, so the provider's allocation cursor for the subnet knows nothing of them and its
first create searches from the start of the pool. The tests count the exact checks
(`Allocator.owner_on_switch`) that search makes, and check that passing over held
addresses never passes over a free one.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.neutron import addressing, ipam, networks
from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.functional.test_port_list_views import synced
from tests.support.provider import Api

RUN = 300  # held addresses in a row, from the pool's first one


def _hold(central: Central, switch: str, prefix: str, hosts: list[int]) -> None:
    """One NB transaction: an LSP per host, with the address `host` places after
    `<prefix>.0`, on `switch` (the switch's LS uuid)."""
    ops: list[Any] = []
    names = []
    for host in hosts:
        name = f"p{host}"
        names.append(["named-uuid", name])
        mac = f"0a:00:00:00:{host >> 8:02x}:{host & 255:02x}"
        ops.append({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": name,
                    "row": {"name": str(uuid.uuid4()),
                            "addresses": f"{mac} {_at(prefix, host)}"}})
    ops.append({"op": "mutate", "table": "Logical_Switch",
                "where": [["_uuid", "==", ["uuid", switch]]],
                "mutations": [["ports", "insert", ["set", names]]]})
    out = subprocess.run(["ovsdb-client", "--timeout=60", "transact", central.nb_remote,
                          json.dumps(["OVN_Northbound", *ops])], env=central.env,
                         capture_output=True, text=True, timeout=90, check=True)
    assert "error" not in out.stdout, out.stdout


def _at(prefix: str, host: int) -> str:
    """The address `host` places after `<prefix>.0`."""
    return str(ipaddress.ip_address(f"{prefix}.0") + host)


def _switch(provider: Provider, network_id: str) -> str:
    with provider.nb.read() as idl:
        ls = networks.find(idl, network_id)
        assert ls is not None, network_id
        return str(ls.uuid)


class Checks:
    calls = 0


@pytest.fixture()
def checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Checks]:
    counted = Checks()
    exact = addressing.Allocator.owner_on_switch

    def owner_on_switch(self: addressing.Allocator, ip: Any) -> bool:
        counted.calls += 1
        return exact(self, ip)

    monkeypatch.setattr(addressing.Allocator, "owner_on_switch", owner_on_switch)
    yield counted


def _network(api: Api, prefix: str) -> str:
    network = api.network(name=f"scan-{prefix}")
    api.subnet(network["id"], cidr=f"{prefix}.0/23", gateway_ip=f"{prefix}.1")
    return str(network["id"])


def _ips(port: dict[str, Any]) -> list[str]:
    return [entry["ip_address"] for entry in port["fixed_ips"]]


def test_a_dense_run_is_passed_over_without_checking_each_address(
        api: Api, provider: Provider, central: Central, checks: Checks) -> None:
    prefix = "10.231.0"
    network = _network(api, prefix)
    _hold(central, _switch(provider, network), prefix, list(range(2, 2 + RUN)))
    synced(provider, central)
    checks.calls = 0
    port = api.port(network)
    assert _ips(port) == [_at(prefix, 2 + RUN)]
    assert checks.calls <= ipam.EXACT_FIRST + 1, \
        f"{checks.calls} exact checks to pass {RUN} held addresses"
    # the next create starts after it (the cursor): one check
    checks.calls = 0
    assert _ips(api.port(network)) == [_at(prefix, 3 + RUN)]
    assert checks.calls == 1


def test_a_free_address_inside_the_run_is_still_found(
        api: Api, provider: Provider, central: Central) -> None:
    prefix = "10.232.0"
    network = _network(api, prefix)
    hole = 2 + RUN // 2  # well past the addresses checked exactly
    _hold(central, _switch(provider, network), prefix,
          [host for host in range(2, 2 + RUN) if host != hole])
    synced(provider, central)
    assert _ips(api.port(network)) == [_at(prefix, hole)]


def test_the_addresses_of_another_switch_are_not_passed_over(
        api: Api, provider: Provider, central: Central) -> None:
    """Every oVirt network may use the same subnet: what another switch holds is free."""
    prefix = "10.233.0"
    crowded = _network(api, prefix)
    _hold(central, _switch(provider, crowded), prefix, list(range(2, 2 + RUN)))
    empty = _network(api, prefix)
    synced(provider, central)
    assert _ips(api.port(empty)) == [f"{prefix}.2"]
    assert _ips(api.port(crowded)) == [_at(prefix, 2 + RUN)]
