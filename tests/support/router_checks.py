"""Helpers shared by the functional tests (moved from test_routers.py)."""

from __future__ import annotations

import html
import ipaddress
import time
from typing import Any

import httpx

from ovn_provider.ovn.central import Central
from tests.support.nb import nb_find, nb_row, nb_rows
from tests.support.provider import Api

TENANT = "00000000000000000000000000000001"


ROUTER_TABLES = ("Logical_Router", "Logical_Router_Port", "Logical_Switch",
                 "Logical_Switch_Port", "DHCP_Options", "Logical_Router_Static_Route", "NAT",
                 "Gateway_Chassis", "Port_Group")


def lrp_named(central: Central, name: str) -> dict[str, Any] | None:
    rows = nb_find(central, "Logical_Router_Port", name=name)
    return rows[0] if rows else None


def snapshot(central: Central, tables: tuple[str, ...] = ROUTER_TABLES
             ) -> dict[str, list[Any]]:
    """Every row of `tables`, after ovn-northd has caught up, in a stable order."""
    central.nbctl("--wait=sb", "sync")
    return {t: sorted(nb_rows(central, t), key=lambda r: r["_uuid"]) for t in tables}


def check(response: httpx.Response, status: int, message: str | None = None) -> str:
    """The Neutron error envelope with `status`; `message` exact, or with a leading `~` a
    text the message must contain."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status and error["title"] and error["message"]
    text = html.unescape(error["message"])
    if message is not None:
        if message.startswith("~"):
            assert message[1:] in text, text
        else:
            assert text == message
    return text


def rejected(central: Central, response_fn: Any, status: int, message: str | None = None
             ) -> str:
    """Run a request that must fail, and assert that it changed nothing in the NB."""
    before = snapshot(central)
    text = check(response_fn(), status, message)
    assert snapshot(central) == before
    return text


def eventually(fn: Any, timeout: float = 10.0) -> Any:
    """`fn()` once it returns a truthy value: rows written with ovn-nbctl reach the
    provider's replica asynchronously."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def router(api: Api, **attrs: Any) -> dict[str, Any]:
    return api.create("routers", "router", **attrs)


def routed(api: Api, *cidrs: str, **attrs: Any) -> dict[str, Any]:
    """A router with an interface on a new network per CIDR (the router's address there
    is .100, or ::100), then its `routes` set by a PUT: a nexthop must be on one of the
    router's subnets (docs/routers.md)."""
    routes = attrs.pop("routes", None)
    r = router(api, **attrs)
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr)
        _, sub = net_with_subnet(api, cidr, gateway=str(net.network_address + 100))
        add_interface(api, r["id"], subnet_id=sub["id"])
    if routes is None:
        return api.show("routers", "router", r["id"])
    response = api.put(f"/v2.0/routers/{r['id']}", {"router": {"routes": routes}})
    assert response.status_code == 200, response.text
    return dict(response.json()["router"])


def exclude_ips(central: Central, network_id: str) -> list[str]:
    ls = nb_row(central, "Logical_Switch", network_id)
    return ls["other_config"].get("exclude_ips", "").split()


def add_interface(api: Api, router_id: str, **body: str) -> dict[str, Any]:
    response = api.put(f"/v2.0/routers/{router_id}/add_router_interface", body)
    assert response.status_code == 200, response.text
    return response.json()


def remove_interface(api: Api, router_id: str, **body: str) -> dict[str, Any]:
    response = api.put(f"/v2.0/routers/{router_id}/remove_router_interface", body)
    assert response.status_code == 200, response.text
    return response.json()


def net_with_subnet(api: Api, cidr: str, gateway: str | None = "auto", external: bool = False,
                    **attrs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A network with one subnet; `external` makes it `router:external` (gateways need
    that)."""
    if external:
        attrs["router:external"] = True
    net = api.network(name=f"n-{cidr}", **attrs)
    extra: dict[str, Any] = {}
    if gateway == "auto":
        extra["gateway_ip"] = str(next(ipaddress.ip_network(cidr).hosts()))
    elif gateway is not None:
        extra["gateway_ip"] = gateway
    if ":" in cidr:
        extra["ipv6_address_mode"] = "dhcpv6_stateful"
    return net, api.subnet(net["id"], cidr, **extra)


def gateway_info(net: dict[str, Any], subnet: dict[str, Any], ip: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    fixed: dict[str, Any] = {"subnet_id": subnet["id"]}
    if ip is not None:
        fixed["ip_address"] = ip
    return {"network_id": net["id"], "external_fixed_ips": [fixed], **extra}


def router_ports(api: Api, router_id: str) -> list[dict[str, Any]]:
    response = api.get("/v2.0/ports", params={"device_id": router_id})
    assert response.status_code == 200, response.text
    return response.json()["ports"]
