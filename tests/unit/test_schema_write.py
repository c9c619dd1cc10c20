"""Writing plain attributes from the schema (src/ovn_provider/schema/write.py): a new plain
attribute is one schema entry, for its validation, its write and its answer."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from ovn_provider.errors import BadRequest
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import networks, ports, routers, security_groups, subnets
from ovn_provider.schema import SCHEMAS, check, codec, render, write
from ovn_provider.schema.codec import REMOVE
from ovn_provider.schema.types import At, Attr

DNS_DOMAIN = Attr(
    "dns_domain", "string", post=True, put=True, default="", max_len=255, sortable=True,
    at=(At(L.LS, "external_ids", "ovirt_dns_domain", "absent when empty",
           decode=codec.text(""), encode=codec.text_or_absent),))


def test_a_new_plain_attribute_is_only_a_schema_entry() -> None:
    """The worked example of docs/architecture.md: with the schema entry alone, a network
    `dns_domain` is checked, written on create and update, and shown."""
    extended = SCHEMAS["networks"].extend(DNS_DOMAIN)
    with pytest.raises(BadRequest, match="dns_domain"):
        check.body(extended, {"dns_domain": 5}, "POST")
    with pytest.raises(BadRequest, match="dns_domain"):
        check.body(extended, {"dns_domain": "x" * 256}, "PUT", "n")
    writes = write.plan(extended)
    body = check.body(extended, {"name": "a", "dns_domain": "example.org"}, "POST")
    columns = writes.create(body)
    assert columns["external_ids"]["ovirt_dns_domain"] == "example.org"
    assert "ovirt_dns_domain" not in writes.create({"name": "a"}).get("external_ids", {})

    shown = render.plan(extended, networks.PLAN_ORDER).row(
        SimpleNamespace(uuid=uuid.UUID(int=1), external_ids=columns["external_ids"]))
    assert shown["dns_domain"] == "example.org"

    ext = dict(columns["external_ids"])
    writes.update(None, {"dns_domain": "example.com"}, maps={"external_ids": ext})
    assert ext["ovirt_dns_domain"] == "example.com"
    writes.update(None, {"dns_domain": None, "name": "b"}, maps={"external_ids": ext})
    assert ext["ovirt_dns_domain"] == "example.com"  # null: not given
    writes.update(None, {"dns_domain": ""}, maps={"external_ids": ext})
    assert "ovirt_dns_domain" not in ext


def test_a_writable_decoded_attribute_needs_an_encoder() -> None:
    """Accepted and shown but never stored would be a silent loss: refused at import."""
    unwritten = SCHEMAS["networks"].extend(Attr(
        "dns_domain", "string", post=True, put=True, default="",
        at=(At(L.LS, "external_ids", "ovirt_dns_domain", decode=codec.text("")),)))
    with pytest.raises(ValueError, match="dns_domain"):
        write.plan(unwritten)
    assert write.plan(unwritten, by_module=("dns_domain",)).names == \
        write.plan(SCHEMAS["networks"]).names


SAMPLES: dict[str, tuple[Any, ...]] = {"string": ("", "x y"), "boolean": (True, False)}
PLANS = {"networks": networks.WRITE, "routers": routers.WRITE, "ports": ports.WRITE,
         "subnets": subnets.WRITE, "security-groups": security_groups.WRITE}


@pytest.mark.parametrize("path", sorted(PLANS))
def test_each_encoder_is_read_back_by_its_decoder(path: str) -> None:
    """What a write stores (a removed key reads as absent) renders as the value written."""
    schema = SCHEMAS[path]
    assert PLANS[path].steps
    for step in PLANS[path].steps:
        source = schema.attrs[step.name].source
        assert source is not None and source.decode is not None
        assert (source.column, source.key) == (step.column, step.key), step.name
        for value in SAMPLES[schema.attrs[step.name].type]:
            for encode in (step.encode, step.update_encode):
                stored = encode(value)
                raw = None if stored is REMOVE else stored
                assert source.decode(raw) == value, (path, step.name, value)


def test_create_fills_defaults_and_leaves_out_removed_keys() -> None:
    assert routers.WRITE.create({}) == {"name": "", "enabled": [True]}
    assert routers.WRITE.create({"admin_state_up": False, "description": "d"}) == {
        "name": "", "enabled": [False], "external_ids": {L.LR_DESCRIPTION: "d"}}
    assert ports.WRITE.create({"device_owner": ""}) == {
        "external_ids": {L.LSP_NIC_NAME: ""}, "enabled": [True]}
