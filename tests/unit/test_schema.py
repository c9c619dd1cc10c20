"""The resource schemas and the validation drawn from them (src/ovn_provider/schema)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ovn_provider.errors import BadRequest
from ovn_provider.schema import SCHEMAS, check, doc

DOCS = Path(__file__).resolve().parents[2] / "docs" / "attributes.md"


def test_attribute_table_in_docs_is_current() -> None:
    assert DOCS.read_text() == doc.render(), (
        "docs/attributes.md is stale: python -m ovn_provider.schema.doc > docs/attributes.md")


def test_every_stored_attribute_says_where_it_lives() -> None:
    for schema in SCHEMAS.values():
        for attr in schema.attrs.values():
            if (attr.post or attr.put) and not attr.ignored and attr.name != "subnet_id":
                assert attr.at or attr.enum, (schema.path, attr.name)


@pytest.mark.parametrize(("path", "method", "body", "text"), [
    ("networks", "POST", {"name": "a", "qos": 1, "foo": 2}, "Unrecognized attribute(s) 'foo, qos'"),
    ("networks", "POST", {"status": "UP"}, "Attribute 'status' not allowed in POST"),
    ("subnets", "PUT", {"cidr": "10.0.0.0/24"}, "Cannot update read-only attribute cidr"),
    ("networks", "POST", {"name": None}, "cannot be null"),
    ("networks", "POST", {"mtu": 67}, "out of range"),
    ("networks", "POST", {"mtu": 2 ** 63}, "out of range"),
    ("networks", "POST", {"mtu": "1500x"}, "not an integer"),
    ("networks", "POST", {"shared": 1}, "shared must be of type bool"),
    ("networks", "POST", {"name": "x" * 256}, "maximum length of 255"),
    ("subnets", "POST", {"cidr": "10.0.0.0/255.0.0.0"}, "not a valid CIDR"),
    ("subnets", "POST", {"cidr": "10.0.0.0/8 "}, "not a valid CIDR"),
    ("subnets", "POST", {"gateway_ip": "10.0.0.1/24"}, "not a valid IP"),
    ("subnets", "POST", {"gateway_ip": "fe80::1%eth0"}, "not a valid IP"),
    ("subnets", "POST", {"dns_nameservers": ["10.0.0.1"] * 6},
     "Unable to complete operation for the-id. The number of DNS nameservers exceeds the "
     "limit 5."),
    ("subnets", "POST", {"host_routes": [{"destination": "10.0.0.0/8", "nexthop": "10.0.0.1",
                                          "x": 1}]}, "unexpected keys: x"),
    ("ports", "POST", {"binding:vnic_type": 3}, "not a valid string"),
    ("ports", "PUT", {"id": "other"}, "read-only attribute id"),
    ("ports", "POST", {"mac_address": " fa:16:3e:00:00:01"}, "not a valid MAC"),
    ("ports", "POST", {"binding:profile": []}, "not a dictionary"),
    ("ports", "POST", {"security_groups": [None]}, "not allowed in the list"),
    ("routers", "PUT", {"routes": [{"destination": "10.0.0.0/8", "nexthop": "10.0.0.1"}] * 31},
     "The number of routes exceeds the maximum 30."),
    ("security-group-rules", "POST", {"remote_ip_prefix": "fe80::/64%1"}, "not a valid CIDR"),
    ("security-groups", "POST", {"stateful": 1}, "stateful must be of type bool"),
])
def test_refused(path: str, method: str, body: dict[str, Any], text: str) -> None:
    with pytest.raises(BadRequest) as info:
        check.body(SCHEMAS[path], body, method, "the-id")
    assert text in info.value.message


def test_engine_bodies_pass() -> None:
    port = {"id": "the-id", "security_groups": None, "binding:host_id": "h",
            "mac_address": "00:1a:4a:16:01:51", "tenant_id": "oVirt", "admin_state_up": True}
    assert check.body(SCHEMAS["ports"], port, "PUT", "the-id") == {
        k: v for k, v in port.items() if k != "id"}
    network = {"admin_state_up": True, "name": "n", "mtu": "1400", "tenant_id": "oVirt",
               "provider:physical_network": "ovirtmgmt", "provider:network_type": "vlan",
               "provider:segmentation_id": 10, "port_security_enabled": True}
    assert check.body(SCHEMAS["networks"], network, "POST") == network


def test_sortable_keys_come_from_the_schema() -> None:
    assert "mtu" in SCHEMAS["networks"].sortable
    assert "fixed_ips" not in SCHEMAS["ports"].sortable
