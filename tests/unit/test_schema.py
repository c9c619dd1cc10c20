"""The resource schemas and the validation drawn from them (src/ovn_provider/schema)."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ovn_provider.errors import BadRequest
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import networks
from ovn_provider.schema import SCHEMAS, check, codec, doc, render
from ovn_provider.schema.types import At, Attr

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


# -- rendering plain attributes from the schema (schema/render.py) ------------------------------
def test_every_returned_attribute_is_plain_fixed_or_computed() -> None:
    for schema in SCHEMAS.values():
        built = render.plan(schema)  # raises for an attribute that is none of them
        for attr in schema.attrs.values():
            if attr.returned and not attr.computed:
                assert attr.name in built.template, (schema.path, attr.name)


def test_a_plain_attribute_is_one_schema_entry() -> None:
    """The worked example of docs/architecture.md: a network `dns_domain` in the LS's
    external_ids is rendered by the plan, after the keys networks have always shown."""
    extended = SCHEMAS["networks"].extend(Attr(
        "dns_domain", "string", post=True, put=True, default="", max_len=255, sortable=True,
        at=(At(L.LS, "external_ids", "ovirt_dns_domain", decode=codec.text("")),)))
    plan = render.plan(extended, networks.PLAN_ORDER)
    row = SimpleNamespace(uuid=uuid.UUID(int=1), external_ids={
        "ovirt_dns_domain": "example.org", "ovirt_tags": "a,b",
        "ovirt_revision_number": "x", "ovirt_created_at": "2026-12-06T07:00:00.123456"})
    shown = plan.row(row)
    assert list(shown)[-1] == "dns_domain" and shown["dns_domain"] == "example.org"
    assert list(shown)[:len(networks.PLAN_ORDER)] == list(networks.PLAN_ORDER)
    assert shown["id"] == str(uuid.UUID(int=1)) and shown["tags"] == ["a", "b"]
    assert shown["revision_number"] == 0 and shown["created_at"] == "2026-12-06T07:00:00Z"
    assert shown["shared"] is False and shown["status"] == "ACTIVE"
    assert plan.row(SimpleNamespace(uuid=uuid.UUID(int=2), external_ids={}))["dns_domain"] == ""


def test_a_returned_attribute_without_a_source_is_refused() -> None:
    bare = SCHEMAS["networks"].extend(Attr("qos_policy_id", "string"))
    with pytest.raises(ValueError, match="qos_policy_id"):
        render.plan(bare)
    with pytest.raises(ValueError, match="nope"):
        render.plan(SCHEMAS["networks"], ("id", "nope"))
