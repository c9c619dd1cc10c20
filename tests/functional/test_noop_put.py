"""A PUT that changes nothing leaves `revision_number` and `updated_at` as they are, as in
Neutron (docs/nb-layout.md, "Timestamps and revisions"; neutron/stamps.py): for every
resource with a PUT, both a body repeating the stored values and an empty body. A PUT
that does change something still bumps once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from tests.support.nat import nat_api
from tests.support.provider import Api

Made = tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any]]


@pytest.fixture(scope="module")
def fip_api(central: Central) -> Iterator[Api]:
    with nat_api(central) as api:
        yield api


def _network(api: Api) -> Made:
    net = api.network(name="noop-net", description="d", mtu=1400)
    same = {"name": "noop-net", "description": "d", "mtu": 1400, "admin_state_up": True,
            "port_security_enabled": net["port_security_enabled"]}
    return "networks", "network", net, same, {"description": "d2"}


def _subnet(api: Api) -> Made:
    net = api.network(name="noop-subnet-net")
    sub = api.subnet(net["id"], "10.93.0.0/24", name="s", gateway_ip="10.93.0.1",
                     dns_nameservers=["10.93.0.53"])
    same = {"name": "s", "gateway_ip": "10.93.0.1", "dns_nameservers": ["10.93.0.53"],
            "enable_dhcp": sub["enable_dhcp"], "description": sub["description"],
            "allocation_pools": sub["allocation_pools"]}
    return "subnets", "subnet", sub, same, {"name": "s2"}


def _port(api: Api) -> Made:
    net = api.network(name="noop-port-net")
    api.subnet(net["id"], "10.94.0.0/24")
    port = api.port(net["id"], name="p", device_id="vm-1", device_owner="oVirt",
                    admin_state_up=True, **{"binding:host_id": "host-1"})
    same = {key: port[key] for key in ("name", "device_id", "device_owner", "admin_state_up",
                                       "mac_address", "fixed_ips", "security_groups",
                                       "port_security_enabled", "binding:host_id",
                                       "allowed_address_pairs", "description")}
    return "ports", "port", port, same, {"name": "p2"}


def _router(api: Api) -> Made:
    ext = api.network(name="noop-ext", **{"router:external": True})
    sub = api.subnet(ext["id"], "172.27.0.0/24", gateway_ip="172.27.0.1")
    router = api.create("routers", "router", name="r", external_gateway_info={
        "network_id": ext["id"],
        "external_fixed_ips": [{"subnet_id": sub["id"], "ip_address": "172.27.0.5"}]})
    same = {key: router[key] for key in ("name", "admin_state_up", "description",
                                         "external_gateway_info", "routes")}
    return "routers", "router", router, same, {"name": "r2"}


def _security_group(api: Api) -> Made:
    group = api.create("security-groups", "security_group", name="g", description="gd")
    same = {"name": "g", "description": "gd"}
    return "security-groups", "security_group", group, same, {"name": "g2"}


def _floating_ip(api: Api) -> Made:
    ext = api.network(name="noop-fip-ext", **{"router:external": True})
    api.subnet(ext["id"], "172.28.0.0/24", gateway_ip="172.28.0.1")
    fip = api.create("floatingips", "floatingip", floating_network_id=ext["id"],
                     description="fd")
    same = {"description": "fd", "port_id": None}
    return "floatingips", "floatingip", fip, same, {"description": "fd2"}


MAKERS: dict[str, Callable[[Api], Made]] = {
    "network": _network, "subnet": _subnet, "port": _port, "router": _router,
    "security_group": _security_group, "floating_ip": _floating_ip}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_noop_put_keeps_the_revision(fip_api: Api, kind: str) -> None:
    api = fip_api
    path, root, obj, same, change = MAKERS[kind](api)
    url = f"/v2.0/{path}/{obj['id']}"
    before = api.get(url).json()[root]
    time.sleep(1.1)  # so that a bumped updated_at would show (a second is its resolution)
    for body in (same, {}):
        response = api.put(url, {root: body})
        assert response.status_code == 200, (body, response.text)
        answered = response.json()[root]
        assert answered["revision_number"] == before["revision_number"], (body, answered)
        assert answered["updated_at"] == before["updated_at"], (body, answered)
        assert api.get(url).json()[root] == before, body
    # With If-Match on the current revision, still no bump.
    response = api.http.put(url, json={root: same}, headers={
        "If-Match": f"revision_number={before['revision_number']}"})
    assert response.status_code == 200, response.text
    assert response.json()[root]["revision_number"] == before["revision_number"]
    # A real change bumps once.
    response = api.put(url, {root: change})
    assert response.status_code == 200, response.text
    assert response.json()[root]["revision_number"] == before["revision_number"] + 1
