"""Read caches (neutron/view.cached) are kept per table: a change of one table does not
throw away a map built from another, and a change of its own table always does."""

from __future__ import annotations

from typing import Any

import pytest

from ovn_provider.neutron import layout as L
from ovn_provider.neutron import view
from ovn_provider.ovn.central import Central
from ovn_provider.ovn.index import NbIdl
from ovn_provider.server import Provider
from tests.support.provider import Api


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


def test_a_map_is_rebuilt_only_when_its_table_changes(api: Api, provider: Provider,
                                                       central: Central) -> None:
    builds: list[int] = []

    def build(idl: NbIdl) -> set[str]:
        builds.append(1)
        return {str(row.uuid) for row in view.rows(idl, L.DHCP).values()}

    def subnets() -> Any:
        with provider.nb.read() as idl:
            return view.cached(idl, "test_dhcp_uuids", build, (L.DHCP,))

    net = api.network(name="caches")
    first = subnets()
    assert subnets() is first and len(builds) == 1
    # other tables change: networks, ports, groups, routers
    api.port(net["id"])
    api.create("security-groups", "security_group", name="cache-sg")
    api.create("routers", "router", name="cache-r")
    central.nbctl("--wait=sb", "sync")
    assert subnets() is first and len(builds) == 1
    # its own table changes, through the API and behind the provider's back
    sub = api.subnet(net["id"], "10.117.0.0/24")
    assert sub["id"] in subnets() and len(builds) == 2
    central.nbctl("--wait=sb", "destroy", "DHCP_Options", sub["id"])

    def gone() -> bool:
        return sub["id"] not in subnets()

    deadline = 50
    while not gone() and deadline:
        deadline -= 1
        central.nbctl("--wait=sb", "sync")
    assert gone()
