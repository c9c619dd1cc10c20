"""Neutron's exception name in the error envelope (docs/compatibility.md, "Errors"): the
envelope keeps `message`, `code` and `title`, and adds `type`, which clients such as
Tempest match (`IpAddressAlreadyAllocated|IpAddressInUse`). Each refusal leaves the NB
unchanged."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from ovn_provider.ovn.central import Central
from tests.support.port_checks import snapshot
from tests.support.provider import Api


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


def typed(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "code", "title", "type"}
    assert error["code"] == status and error["message"] and error["type"] == kind, error
    return dict(error)


def test_refusals_name_neutrons_exception(api: Api, central: Central) -> None:
    net = api.network(name="err-types")
    sub = api.subnet(net["id"], "10.93.0.0/24")
    first = api.port(net["id"], fixed_ips=[{"ip_address": "10.93.0.20"}])
    before = snapshot(central)
    # the same address again: Neutron's IpAddressInUse
    typed(api.post("/v2.0/ports", {"port": {"network_id": net["id"], "fixed_ips": [
        {"subnet_id": sub["id"], "ip_address": "10.93.0.20"}]}}), 409, "IpAddressInUse")
    typed(api.post("/v2.0/ports", {"port": {"network_id": net["id"],
                                            "mac_address": first["mac_address"]}}),
          409, "MacAddressInUse")
    typed(api.delete(f"/v2.0/networks/{net['id']}"), 409, "NetworkInUse")
    missing = str(uuid.uuid4())
    typed(api.post("/v2.0/ports", {"port": {"network_id": missing}}), 404, "NetworkNotFound")
    for collection, kind in (("networks", "NetworkNotFound"), ("ports", "PortNotFound"),
                             ("subnets", "SubnetNotFound"), ("routers", "RouterNotFound")):
        typed(api.get(f"/v2.0/{collection}/{missing}"), 404, kind)
    typed(api.get(f"/v2.0/floatingips/{missing}"), 404, "FloatingIPNotFound")
    # errors Neutron's HTTP layer raises: its HTTP exception names
    typed(api.post("/v2.0/networks", {"network": {"bogus": 1}}), 400, "HTTPBadRequest")
    typed(api.get("/v2.0/no-such-collection"), 404, "HTTPNotFound")
    assert snapshot(central) == before
