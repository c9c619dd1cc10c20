"""End-to-end smoke: token, network, subnet, port over a real NB."""

from __future__ import annotations

from tests.support.provider import Api


def test_port_gets_address_at_create_and_early_port_gets_one_with_subnet(api: Api) -> None:
    net = api.network(name="smoke")
    early = api.port(net["id"], name="early")
    assert early["fixed_ips"] == []
    subnet = api.subnet(net["id"], "10.20.0.0/24", gateway_ip="10.20.0.1")
    port = api.port(net["id"], name="p1", device_owner="oVirt")
    assert [ip["subnet_id"] for ip in port["fixed_ips"]] == [subnet["id"]]
    assert port["fixed_ips"][0]["ip_address"].startswith("10.20.0.")
    assert port["fixed_ips"][0]["ip_address"] != "10.20.0.1"
    again = api.show("ports", "port", early["id"])
    assert len(again["fixed_ips"]) == 1  # the early port got an address
    assert again["fixed_ips"][0]["ip_address"] != port["fixed_ips"][0]["ip_address"]
