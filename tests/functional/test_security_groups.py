"""Security groups and rules on a real NB: every route, field and error of compat spec
3.11/3.12, the PG/ACL layout of 4.2/4.3/4.8/4.9, and the,
. Rejected requests must leave the NB unchanged; rows written by the predecessor (made
here with ovn-nbctl) must read back right."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ovn_provider.ovn.central import NB_SCHEMA, Central
from ovn_provider.ovn.daemons import free_port, ovs_env, run, stop_pidfile, wait_for
from ovn_provider.server import Provider
from tests.support.nb import as_list, nb_exists, nb_row, nb_rows
from tests.support.provider import Api, make_config, running
from tests.support.stamps import stamped, without_stamps

TENANT = "00000000000000000000000000000001"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
STORED_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
SHOWN_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PG_NAME = re.compile(r"^ovirt_[0-9a-f]{8}_[0-9a-f]{4}_4[0-9a-f]{3}_[89ab][0-9a-f]{3}_"
                     r"[0-9a-f]{12}$")
EGRESS_DESC = "automatically added allow all egress ip traffic"
PG = "Port_Group"
ACL = "ACL"
SG = "/v2.0/security-groups"
RULES = "/v2.0/security-group-rules"


# -- NB helpers (ovn-nbctl: independent of the provider's replica) ----------------------------
def pg_acls(central: Central, pg: str) -> list[dict[str, Any]]:
    """The ACL rows a PG holds, by match."""
    acls = [nb_row(central, ACL, str(a)) for a in as_list(nb_row(central, PG, pg)["acls"])]
    return sorted(acls, key=lambda a: (a["direction"], a["match"]))


def snapshot(central: Central) -> dict[str, list[str]]:
    return {table: sorted(json.dumps(r, sort_keys=True) for r in nb_rows(central, table))
            for table in (PG, ACL)}


def error(response: httpx.Response, status: int, message: str | None = None) -> str:
    """The error message (HTML-unescaped), checked against `message` if given."""
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == status and body["message"]
    text = html.unescape(body["message"])
    if message is not None:
        assert text == message
    return text


# -- API helpers ---------------------------------------------------------------------------------
def group(api: Api, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("name", "web")
    return api.create("security-groups", "security_group", **attrs)


def rule(api: Api, group_id: str, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("direction", "ingress")
    return api.create("security-group-rules", "security_group_rule",
                      security_group_id=group_id, **attrs)


def post_rule(api: Api, **attrs: Any) -> httpx.Response:
    return api.post(RULES, {"security_group_rule": attrs})


def rule_match(central: Central, rule_id: str) -> str:
    return str(nb_row(central, ACL, rule_id)["match"])


def default_id(central: Central) -> str:
    return str(nb_row(central, PG, "Default")["_uuid"])


def egress_rules(group_id: str, tenant: str = TENANT, project: str = TENANT
                 ) -> list[dict[str, Any]]:
    """The two automatic rules of a group, without their ids."""
    return [{"security_group_id": group_id, "direction": "egress", "ethertype": ether,
             "protocol": None, "port_range_min": None, "port_range_max": None,
             "remote_ip_prefix": None, "remote_group_id": None, "description": EGRESS_DESC,
             "tenant_id": tenant, "project_id": project} for ether in ("IPv4", "IPv6")]


def without_ids(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules without their ids and timestamps (the automatic ones have none)."""
    skip = ("id", "created_at", "updated_at", "revision_number")
    return sorted(({k: v for k, v in r.items() if k not in skip} for r in rules),
                  key=lambda r: (r["direction"], r["ethertype"], str(r["protocol"])))


# -- groups: create ------------------------------------------------------------------------------
def test_create_response_and_pg_layout(api: Api, central: Central) -> None:
    sg = group(api, name="web", description="web servers", tenant_id="t1",
               project_id="p1")
    assert UUID4.match(sg["id"])
    assert {k: v for k, v in sg.items() if k not in ("security_group_rules", "created_at",
                                                      "updated_at")} == {
        "id": sg["id"], "name": "web", "description": "web servers", "tenant_id": "t1",
        "project_id": "p1", "revision_number": 1, "tags": [], "stateful": True}
    assert SHOWN_TS.match(sg["created_at"]) and sg["updated_at"] == sg["created_at"]
    assert without_ids(sg["security_group_rules"]) == without_ids(
        egress_rules(sg["id"], "t1", "p1"))
    assert all(UUID4.match(r["id"]) for r in sg["security_group_rules"])

    row = nb_row(central, PG, sg["id"])
    assert PG_NAME.match(row["name"])
    ext = row["external_ids"]
    assert set(ext) == {"ovirt_sec_group_name", "ovirt_description", "ovirt_tenant_id",
                        "ovirt_project_id", "ovirt_created_at", "ovirt_updated_at",
                        "ovirt_revision_number"}
    assert ext["ovirt_sec_group_name"] == "web" and ext["ovirt_description"] == "web servers"
    assert ext["ovirt_tenant_id"] == "t1" and ext["ovirt_project_id"] == "p1"
    assert ext["ovirt_revision_number"] == "1"
    assert STORED_TS.match(ext["ovirt_created_at"])
    assert ext["ovirt_updated_at"] == ext["ovirt_created_at"]
    assert as_list(row["ports"]) == []
    acls = pg_acls(central, sg["id"])
    assert [{k: a[k] for k in ("direction", "priority", "match", "action", "log",
                               "severity", "external_ids")} for a in acls] == [
        {"direction": "from-lport", "priority": 1001, "match": f"inport == @{row['name']} && "
         f"{eth}", "action": "allow-related", "log": False, "severity": "alert",
         "external_ids": {"ovirt_port_group_id": row["name"], "ovirt_ethertype": ether,
                          "ovirt_rule_description": EGRESS_DESC}}
        for eth, ether in (("ip4", "IPv4"), ("ip6", "IPv6"))]
    assert all(UUID4.match(a["name"]) for a in acls)
    assert {a["_uuid"] for a in acls} == {r["id"] for r in sg["security_group_rules"]}


def test_create_minimal_uses_defaults(api: Api, central: Central) -> None:
    sg = group(api, name="")
    assert sg["name"] == "" and sg["description"] == ""
    assert sg["tenant_id"] == TENANT and sg["project_id"] == TENANT
    ext = nb_row(central, PG, sg["id"])["external_ids"]
    assert "ovirt_description" not in ext and "ovirt_tenant_id" not in ext
    only_tenant = group(api, name="t", tenant_id="abc")
    assert only_tenant["tenant_id"] == "abc" and only_tenant["project_id"] == "abc"


def test_same_name_twice_gives_two_groups(api: Api, central: Central) -> None:
    first, second = group(api, name="twin"), group(api, name="twin")
    assert first["id"] != second["id"]
    assert nb_row(central, PG, first["id"])["name"] != nb_row(central, PG, second["id"])["name"]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({}, 400, "Mandatory data name is missing"),
    ({"name": None}, 400, "Mandatory data name is missing"),
    ({"name": "x", "foo": 1, "bar": 2}, 400, "Unrecognized attribute(s) 'bar, foo'"),
    ({"name": "x", "id": "abc"}, 400, "Attribute 'id' not allowed in POST"),
    ({"name": "x", "rules": []}, 400, "Unrecognized attribute(s) 'rules'"),
    ({"name": 5}, 400, None),
    ({"name": "x", "description": ["a"]}, 400, None),
    ({"name": "x", "tenant_id": 7}, 400, None),
    ({"name": "DropAll"}, 400, None),
    ({"name": "Default"}, 409, "Default security group already exists."),
    ({"name": "default"}, 409, "Default security group already exists."),
    ({"name": "DEFAULT"}, 409, "Default security group already exists."),
])
def test_create_rejections_write_nothing(api: Api, central: Central, body: dict[str, Any],
                                          status: int, message: str | None) -> None:
    before = snapshot(central)
    error(api.post(SG, {"security_group": body}), status, message)
    assert snapshot(central) == before


def test_create_body_must_have_the_root_key(api: Api, central: Central) -> None:
    before = snapshot(central)
    error(api.post(SG, {"group": {"name": "x"}}), 400)
    error(api.post(SG, {"security_group": "x"}), 400)
    assert snapshot(central) == before


# -- groups: show and list ------------------------------------------------------------------------
def test_show_by_uuid_default_and_errors(api: Api, central: Central) -> None:
    sg = group(api, name="shown")
    assert api.show("security-groups", "security_group", sg["id"]) == sg
    default = api.show("security-groups", "security_group", "Default")
    assert default["id"] == default_id(central) and default["name"] == "default"
    assert api.show("security-groups", "security_group", "default") == default
    assert api.show("security-groups", "security_group", default["id"]) == default
    missing = str(uuid.uuid4())
    error(api.get(f"{SG}/{missing}"), 404, f"Security Group {missing} does not exist")
    error(api.get(f"{SG}/not-a-uuid"), 404, "Security Group not-a-uuid does not exist")
    drop_all = str(nb_row(central, PG, "DropAll")["_uuid"])
    error(api.get(f"{SG}/{drop_all}"), 404)
    error(api.get(f"{SG}/DropAll"), 404)


def test_default_group_rules_are_shown(api: Api, central: Central) -> None:
    default = api.show("security-groups", "security_group", "Default")
    did = default["id"]
    base = {"security_group_id": did, "protocol": None, "port_range_min": None,
            "port_range_max": None, "remote_ip_prefix": None, "tenant_id": TENANT,
            "project_id": TENANT}
    assert without_ids(default["security_group_rules"]) == without_ids([
        *egress_rules(did),
        {**base, "direction": "ingress", "ethertype": "IPv4", "remote_group_id": did,
         "description": None},
        {**base, "direction": "ingress", "ethertype": "IPv6", "remote_group_id": did,
         "description": None}])


def test_list_shows_ovirt_groups_only_and_survives_foreign_pgs(api: Api,
                                                                central: Central) -> None:
    sg = group(api, name="listed")
    foreign = "foreign_" + uuid.uuid4().hex
    central.nbctl("pg-add", foreign)
    # A foreign ACL with a match the provider never writes, and no external_ids.
    central.nbctl("--type=port-group", "acl-add", foreign, "to-lport", "900",
                  "outport == @" + foreign + " && udp", "reject")
    # An oVirt group whose ACLs carry odd values (non-numeric ports, unknown group).
    odd = "ovirt_" + uuid.uuid4().hex
    central.nbctl("pg-add", odd, "--", "set", PG, odd,
                  "external_ids:ovirt_sec_group_name=odd",
                  "external_ids:ovirt_revision_number=x",
                  "external_ids:ovirt_created_at=garbage")
    central.nbctl("--", "--id=@a", "create", ACL, "direction=to-lport", "priority=1001",
                  f'match="outport == @{odd} && ip4"', "action=allow-related",
                  "external_ids:ovirt_port_group_id=gone",
                  "external_ids:ovirt_min_port=None", "external_ids:ovirt_max_port=abc",
                  "external_ids:ovirt_remote_group_id=gone",
                  "--", "add", PG, odd, "acls", "@a")
    try:
        response = api.get(SG)
        assert response.status_code == 200, response.text
        groups = response.json()["security_groups"]
        ids = [g["id"] for g in groups]
        assert ids == sorted(ids)
        names = {g["name"] for g in groups}
        assert "DropAll" not in names and foreign not in names
        assert {"listed", "default", "odd"} <= names and "Default" not in names
        assert next(g for g in groups if g["id"] == sg["id"]) == sg
        odd_row = next(g for g in groups if g["name"] == "odd")
        assert odd_row["revision_number"] == 0 and odd_row["created_at"] is None
        assert odd_row["updated_at"] is None and odd_row["description"] == ""
        odd_rule = odd_row["security_group_rules"][0]
        assert odd_rule["security_group_id"] == odd_row["id"]
        assert odd_rule["port_range_min"] is None and odd_rule["port_range_max"] is None
        assert odd_rule["remote_group_id"] == "gone"
        rules = api.get(RULES).json()["security_group_rules"]
        assert odd_rule in rules
        assert not any(r["security_group_id"] == str(nb_row(central, PG, foreign)["_uuid"])
                       for r in rules)
        foreign_id = str(nb_row(central, PG, foreign)["_uuid"])
        error(api.get(f"{SG}/{foreign_id}"), 404)
        assert api.get(SG, params={"name": "listed"}).json()["security_groups"] != []
        assert all(g["name"] == "listed" for g in
                   api.get(SG, params={"name": "listed"}).json()["security_groups"])
    finally:
        central.nbctl("--if-exists", "destroy", PG, foreign)
        central.nbctl("--if-exists", "destroy", PG, odd)


def test_list_controls(api: Api) -> None:
    group(api, name="ctl-a")
    group(api, name="ctl-b")
    response = api.get(SG, params={"fields": "name", "sort_key": "name", "sort_dir": "desc"})
    assert response.status_code == 200, response.text
    items = response.json()["security_groups"]
    assert all(set(item) == {"id", "name"} for item in items)
    names = [item["name"] for item in items]
    assert names == sorted(names, reverse=True)
    page = api.get(SG, params={"limit": "1"}).json()
    assert len(page["security_groups"]) == 1 and "security_groups_links" in page
    assert api.get(SG, params={"revision_number": "1", "name": "ctl-a"}).json()[
        "security_groups"][0]["name"] == "ctl-a"


# -- groups: update -----------------------------------------------------------------------------
def test_update_name_description_and_revision(api: Api, central: Central) -> None:
    sg = group(api, name="before", description="d1")
    pg_name = nb_row(central, PG, sg["id"])["name"]
    created = nb_row(central, PG, sg["id"])["external_ids"]["ovirt_created_at"]
    response = api.put(f"{SG}/{sg['id']}", {"security_group": {"name": "after"}})
    assert response.status_code == 200, response.text
    updated = response.json()["security_group"]
    assert updated["name"] == "after" and updated["description"] == "d1"
    assert updated["revision_number"] == 2 and updated["created_at"] == sg["created_at"]
    row = nb_row(central, PG, sg["id"])
    assert row["name"] == pg_name  # the PG name never changes: ACLs refer to it
    assert row["external_ids"]["ovirt_sec_group_name"] == "after"
    assert row["external_ids"]["ovirt_created_at"] == created
    assert row["external_ids"]["ovirt_updated_at"] > created
    # no name keeps the name; every update that changes something bumps the revision, an
    # empty one changes nothing (as in Neutron; tests/functional/test_noop_put.py).
    updated = api.put(f"{SG}/{sg['id']}", {"security_group": {"description": "d2"}}
                      ).json()["security_group"]
    assert updated["name"] == "after" and updated["description"] == "d2"
    assert updated["revision_number"] == 3
    updated = api.put(f"{SG}/{sg['id']}", {"security_group": {}}).json()["security_group"]
    assert updated["name"] == "after" and updated["revision_number"] == 3
    updated = api.put(f"{SG}/{sg['id']}", {"security_group": {"description": ""}}
                      ).json()["security_group"]
    assert updated["description"] == "" and updated["revision_number"] == 4
    assert "ovirt_description" not in nb_row(central, PG, sg["id"])["external_ids"]
    assert api.show("security-groups", "security_group", sg["id"]) == updated


def test_update_rejections_write_nothing(api: Api, central: Central) -> None:
    sg = group(api, name="fixed")
    missing = str(uuid.uuid4())
    before = snapshot(central)
    cases: list[tuple[str, Any, int, str | None]] = [
        (sg["id"], {"name": "x", "tenant_id": "t"}, 400,
         "Cannot update read-only attribute tenant_id"),
        (sg["id"], {"id": "another"}, 400, "Cannot update read-only attribute id"),
        (sg["id"], {"name": 3}, 400, None),
        (sg["id"], {"name": "DropAll"}, 400, None),
        (sg["id"], {"name": "Default"}, 409, "Default security group already exists."),
        (sg["id"], {"name": "default"}, 409, "Default security group already exists."),
        ("default", {"name": "x"}, 400, "Updating default security group not allowed."),
        ("Default", {"name": "x"}, 400, "Updating default security group not allowed."),
        (default_id(central), {"description": "x"}, 400,
         "Updating default security group not allowed."),
        (missing, {"name": "x"}, 404, f"Security Group {missing} does not exist"),
    ]
    for ident, body, status, message in cases:
        error(api.put(f"{SG}/{ident}", {"security_group": body}), status, message)
    error(api.put(f"{SG}/{sg['id']}", {"name": "x"}), 400)  # no root key
    assert snapshot(central) == before


# -- groups: delete -----------------------------------------------------------------------------
def test_delete_removes_the_pg_and_its_acls(api: Api, central: Central) -> None:
    sg = group(api, name="doomed")
    extra = rule(api, sg["id"], protocol="tcp", port_range_min=22, port_range_max=22)
    acl_ids = [r["id"] for r in sg["security_group_rules"]] + [extra["id"]]
    response = api.delete(f"{SG}/{sg['id']}")
    assert response.status_code == 204 and response.content == b""
    assert not nb_exists(central, PG, sg["id"])
    assert not any(nb_exists(central, ACL, a) for a in acl_ids)
    error(api.get(f"{SG}/{sg['id']}"), 404)
    error(api.delete(f"{SG}/{sg['id']}"), 404, f"Security Group {sg['id']} does not exist")


def test_delete_in_use_and_default_are_refused(api: Api, central: Central) -> None:
    sg = group(api, name="used")
    net = api.network(name="sg-used", port_security_enabled=True)
    port = api.port(net["id"], security_groups=[sg["id"]])
    before = snapshot(central)
    error(api.delete(f"{SG}/{sg['id']}"), 409, f"Security Group {sg['id']} in use")
    error(api.delete(f"{SG}/Default"), 400, "Cannot delete the 'Default' security group")
    error(api.delete(f"{SG}/{default_id(central)}"), 400,
          "Cannot delete the 'Default' security group")
    assert snapshot(central) == before
    assert api.put(f"/v2.0/ports/{port['id']}", {"port": {"security_groups": []}}
                   ).status_code == 200
    assert api.delete(f"{SG}/{sg['id']}").status_code == 204


def test_delete_takes_rules_that_name_it_as_remote_group(api: Api, central: Central) -> None:
    target, other = group(api, name="target"), group(api, name="other")
    kept = rule(api, other["id"], protocol="tcp", port_range_min=80, port_range_max=80)
    naming = rule(api, other["id"], remote_group_id=target["id"])
    revision = api.show("security-groups", "security_group", other["id"])["revision_number"]
    assert api.delete(f"{SG}/{target['id']}").status_code == 204
    assert not nb_exists(central, ACL, naming["id"]) and nb_exists(central, ACL, kept["id"])
    after = api.show("security-groups", "security_group", other["id"])
    assert after["revision_number"] == revision + 1
    assert naming["id"] not in {r["id"] for r in after["security_group_rules"]}


# -- routes -------------------------------------------------------------------------------------
def test_routes_methods_and_extension(api: Api) -> None:
    sg = group(api, name="routes")
    r = rule(api, sg["id"], protocol="udp")
    error(api.put(SG, {"security_group": {}}), 405)
    error(api.delete(SG), 405)
    error(api.post(f"{SG}/{sg['id']}", {"security_group": {}}), 405)
    error(api.put(f"{RULES}/{r['id']}", {"security_group_rule": {"description": "x"}}), 405)
    error(api.put(RULES, {"security_group_rule": {}}), 405)
    error(api.post(f"{RULES}/{r['id']}", {"security_group_rule": {}}), 405)
    assert api.get(f"{SG}/{sg['id']}.json").json()["security_group"]["id"] == sg["id"]
    aliases = {e["alias"] for e in api.get("/v2.0/extensions").json()["extensions"]}
    assert "security-group" in aliases
    assert api.get("/v2.0/extensions/security-group").json()["extension"]["alias"] == (
        "security-group")
    index = {res["collection"] for res in api.get("/v2.0").json()["resources"]}
    assert {"security_groups", "security_group_rules"} <= index


# -- rules: create ------------------------------------------------------------------------------
def test_rule_create_response_acl_layout_and_revision(api: Api, central: Central) -> None:
    sg = group(api, name="rules", tenant_id="t9")
    pg_name = nb_row(central, PG, sg["id"])["name"]
    stored_before = nb_row(central, PG, sg["id"])["external_ids"]["ovirt_updated_at"]
    r = rule(api, sg["id"], protocol="tcp", port_range_min=80, port_range_max=80,
             remote_ip_prefix="10.1.2.3/8", description="web", tenant_id="ignored")
    assert UUID4.match(r["id"])
    assert r == {"id": r["id"], "security_group_id": sg["id"], "direction": "ingress",
                 "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 80,
                 "port_range_max": 80, "remote_ip_prefix": "10.0.0.0/8",
                 "remote_group_id": None, "description": "web", "tenant_id": "t9",
                 "project_id": "t9", **stamped(r, 0)}
    acl = nb_row(central, ACL, r["id"])
    acl["external_ids"] = without_stamps(acl["external_ids"], 0)
    assert {k: acl[k] for k in ("direction", "priority", "match", "action", "log", "severity",
                                "external_ids")} == {
        "direction": "to-lport", "priority": 1001, "action": "allow-related", "log": False,
        "severity": "alert",
        "match": f"outport == @{pg_name} && ip4 && ip4.src == 10.0.0.0/8 && tcp && "
                 "tcp.dst == 80",
        "external_ids": {"ovirt_port_group_id": pg_name, "ovirt_ethertype": "IPv4",
                         "ovirt_protocol": "tcp", "ovirt_min_port": "80",
                         "ovirt_max_port": "80", "ovirt_ip_prefix": "10.0.0.0/8",
                         "ovirt_rule_description": "web"}}
    assert UUID4.match(acl["name"])
    assert r["id"] in [str(a) for a in as_list(nb_row(central, PG, sg["id"])["acls"])]
    after = nb_row(central, PG, sg["id"])["external_ids"]
    assert after["ovirt_revision_number"] == "2" and after["ovirt_updated_at"] > stored_before
    shown = api.show("security-groups", "security_group", sg["id"])
    assert shown["revision_number"] == 2 and r in shown["security_group_rules"]


def _m(direction: str, ether: str, *terms: str) -> str:
    port = "outport" if direction == "ingress" else "inport"
    return " && ".join([f"{port} == @PG", ether, *terms])


MATCH_CASES: list[tuple[dict[str, Any], str, dict[str, Any]]] = [
    ({}, _m("ingress", "ip4"), {"protocol": None, "ethertype": "IPv4"}),
    ({"direction": "egress", "ethertype": "IPv6", "protocol": "udp"},
     _m("egress", "ip6", "udp"), {"direction": "egress", "ethertype": "IPv6"}),
    ({"protocol": "tcp"}, _m("ingress", "ip4", "tcp"), {"port_range_min": None}),
    ({"protocol": "udp", "port_range_min": 1000, "port_range_max": 2000},
     _m("ingress", "ip4", "udp", "udp.dst >= 1000", "udp.dst <= 2000"),
     {"port_range_min": 1000, "port_range_max": 2000}),
    ({"protocol": "tcp", "port_range_min": "22", "port_range_max": "22"},
     _m("ingress", "ip4", "tcp", "tcp.dst == 22"),
     {"port_range_min": 22, "port_range_max": 22}),  # numeric strings, ints back
    ({"protocol": "sctp", "port_range_min": 5000},
     _m("ingress", "ip4", "sctp", "sctp.dst >= 5000"), {"port_range_max": None}),
    ({"protocol": "tcp", "port_range_min": -1, "port_range_max": -1},
     _m("ingress", "ip4", "tcp"), {"port_range_min": None, "port_range_max": None}),
    ({"protocol": 6, "port_range_min": 443, "port_range_max": 443},
     _m("ingress", "ip4", "tcp", "tcp.dst == 443"), {"protocol": "6"}),
    ({"protocol": "17"}, _m("ingress", "ip4", "udp"), {"protocol": "17"}),
    ({"protocol": "icmp"}, _m("ingress", "ip4", "icmp4"), {}),
    ({"protocol": "icmp", "port_range_min": -1, "port_range_max": None},
     _m("ingress", "ip4", "icmp4"), {"port_range_min": None}),  # -1 is any
    ({"protocol": "icmp", "port_range_min": 8}, _m("ingress", "ip4", "icmp4",
                                                  "icmp4.type == 8"),
     {"port_range_min": 8, "port_range_max": None}),
    ({"protocol": "icmp", "port_range_min": 0, "port_range_max": 0},
     _m("ingress", "ip4", "icmp4", "icmp4.type == 0", "icmp4.code == 0"),
     {"port_range_min": 0, "port_range_max": 0}),  # type/code 0
    ({"protocol": 1, "port_range_min": 3, "port_range_max": 4},
     _m("ingress", "ip4", "icmp4", "icmp4.type == 3", "icmp4.code == 4"), {"protocol": "1"}),
    ({"protocol": "ipv6-icmp", "ethertype": "IPv6", "port_range_min": 128},
     _m("ingress", "ip6", "icmp6", "icmp6.type == 128"), {"ethertype": "IPv6"}),
    ({"protocol": "icmpv6", "ethertype": "IPv6"}, _m("ingress", "ip6", "icmp6"), {}),
    ({"protocol": "58", "ethertype": "IPv6"}, _m("ingress", "ip6", "icmp6"), {}),
    ({"protocol": "icmp", "ethertype": "IPv6"}, _m("ingress", "ip6", "icmp6"), {}),
    ({"protocol": "gre"}, _m("ingress", "ip4", "ip.proto == 47"), {"protocol": "gre"}),
    ({"protocol": "vrrp", "direction": "egress"}, _m("egress", "ip4", "ip.proto == 112"), {}),
    ({"protocol": 0}, _m("ingress", "ip4", "ip.proto == 0"), {"protocol": "0"}),
    ({"protocol": "255"}, _m("ingress", "ip4", "ip.proto == 255"), {}),
    ({"protocol": "TCP", "port_range_min": 8080, "port_range_max": 8080},
     _m("ingress", "ip4", "tcp", "tcp.dst == 8080"), {"protocol": "TCP"}),
    ({"remote_ip_prefix": "192.168.7.9/24"},
     _m("ingress", "ip4", "ip4.src == 192.168.7.0/24"),
     {"remote_ip_prefix": "192.168.7.0/24", "ethertype": "IPv4"}),
    ({"remote_ip_prefix": "192.168.7.0/24", "direction": "egress", "protocol": "udp",
      "port_range_min": 53, "port_range_max": 53},
     _m("egress", "ip4", "ip4.dst == 192.168.7.0/24", "udp", "udp.dst == 53"), {}),
    ({"remote_ip_prefix": "2001:DB8:0:0::1/64", "ethertype": "IPv6"},
     _m("ingress", "ip6", "ip6.src == 2001:db8::/64"), {"remote_ip_prefix": "2001:db8::/64"}),
    ({"ethertype": "ipv6"}, _m("ingress", "ip6"), {"ethertype": "IPv6"}),
    ({"protocol": None, "port_range_min": None, "remote_ip_prefix": None,
      "remote_group_id": None, "description": None, "project_id": "p"},
     _m("ingress", "ip4"), {"description": None}),
]


@pytest.mark.parametrize(("attrs", "match", "shown"), MATCH_CASES)
def test_rule_match_grammar(api: Api, central: Central, attrs: dict[str, Any], match: str,
                            shown: dict[str, Any]) -> None:
    sg = group(api, name="grammar")
    pg_name = nb_row(central, PG, sg["id"])["name"]
    r = rule(api, sg["id"], **attrs)
    assert rule_match(central, r["id"]) == match.replace("@PG", f"@{pg_name}")
    for key, value in shown.items():
        assert r[key] == value, key
    assert isinstance(r["port_range_min"], int | None)
    assert isinstance(r["port_range_max"], int | None)
    assert api.show("security-group-rules", "security_group_rule", r["id"]) == r


def test_remote_group_by_uuid_name_and_default(api: Api, central: Central) -> None:
    sg, remote = group(api, name="local"), group(api, name="remote")
    pg_name = nb_row(central, PG, sg["id"])["name"]
    remote_name = nb_row(central, PG, remote["id"])["name"]
    r = rule(api, sg["id"], remote_group_id=remote["id"], protocol="tcp")
    assert r["remote_group_id"] == remote["id"]
    assert rule_match(central, r["id"]) == (
        f"outport == @{pg_name} && ip4 && ip4.src == ${remote_name}_ip4 && tcp")
    assert nb_row(central, ACL, r["id"])["external_ids"]["ovirt_remote_group_id"] == (
        remote_name)
    r6 = rule(api, sg["id"], remote_group_id="Default", ethertype="IPv6", direction="egress")
    assert r6["remote_group_id"] == default_id(central)
    assert rule_match(central, r6["id"]) == (
        f"inport == @{pg_name} && ip6 && ip6.dst == $Default_ip6")
    # Default as the group itself; a PG name (old port data) is accepted too.
    d = rule(api, "Default", protocol="tcp", port_range_min=9999, port_range_max=9999)
    assert d["security_group_id"] == default_id(central)
    assert rule_match(central, d["id"]) == (
        "outport == @Default && ip4 && tcp && tcp.dst == 9999")
    by_name = rule(api, pg_name, protocol="udp", port_range_min=7, port_range_max=7)
    assert by_name["security_group_id"] == sg["id"]
    assert api.delete(f"{RULES}/{d['id']}").status_code == 204


REJECTED: list[tuple[dict[str, Any], str]] = [
    ({"direction": "ingress"}, "Mandatory data security_group_id is missing"),
    ({"security_group_id": "SG"}, "Mandatory data direction is missing"),
    ({"security_group_id": "SG", "direction": None}, "Mandatory data direction is missing"),
    ({"security_group_id": "SG", "direction": "ingress", "foo": 1},
     "Unrecognized attribute(s) 'foo'"),
    ({"security_group_id": "SG", "direction": "ingress", "id": "x", "name": "y"},
     "Unrecognized attribute(s) 'name'"),
    ({"security_group_id": "SG", "direction": "ingress", "id": "x"},
     "Attribute 'id' not allowed in POST"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "tcp",
      "port_range_max": 1023},
     "~For TCP/UDP/SCTP protocols, port_range_min must be <= port_range_max"),
    ({"security_group_id": "SG", "direction": "inbound"}, "~direction"),
    ({"security_group_id": "SG", "direction": 1}, "~direction"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "foo"},
     '~The protocol "foo" is not supported'),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": 256},
     '~The protocol "256" is not supported'),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "-1"},
     '~The protocol "-1" is not supported'),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": True},
     "~is not supported"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": ["tcp"]},
     "~is not supported"),
    ({"security_group_id": "SG", "direction": "ingress", "ethertype": "IPv5"}, "~ethertype"),
    ({"security_group_id": "SG", "direction": "ingress", "remote_ip_prefix": "2001:db8::/32"},
     "Conflicting value ethertype IPv4 for CIDR 2001:db8::/32"),
    ({"security_group_id": "SG", "direction": "ingress", "ethertype": "IPv6",
      "remote_ip_prefix": "10.0.0.0/8"}, "Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8"),
    ({"security_group_id": "SG", "direction": "ingress", "remote_ip_prefix": "10.0.0.300/8"},
     "~remote_ip_prefix"),
    ({"security_group_id": "SG", "direction": "ingress", "remote_ip_prefix": 10},
     "~remote_ip_prefix"),
    ({"security_group_id": "SG", "direction": "ingress", "remote_ip_prefix": "10.0.0.0/8",
      "remote_group_id": "Default"}, "Only remote_ip_prefix or remote_group_id may be provided."),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "tcp",
      "port_range_min": "eighty"}, "~port_range_min"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "tcp",
      "port_range_min": 1.5}, "~port_range_min"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "tcp",
      "port_range_max": True}, "~port_range_max"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "tcp",
      "port_range_min": 65536}, "Invalid value for port 65536"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "tcp",
      "port_range_min": -5}, "Invalid value for port -5"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "tcp",
      "port_range_min": 90, "port_range_max": 80}, "~port_range_min must be <="),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "icmp",
      "port_range_max": 0},
     "ICMP code (port-range-max) 0 is provided but ICMP type (port-range-min) is missing."),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "icmp",
      "port_range_min": -1, "port_range_max": 25}, "~Invalid value for ICMP type"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "icmp",
      "port_range_min": 70000}, "Invalid value for port 70000"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "icmp",
      "port_range_min": 256}, "~between 0 and 255"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "icmp",
      "port_range_min": 8, "port_range_max": 300}, "~between 0 and 255"),
    ({"security_group_id": "SG", "direction": "ingress", "port_range_min": 80},
     "Must also specify protocol if port range is given."),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "gre",
      "port_range_min": 80}, "~port range"),
    ({"security_group_id": "SG", "direction": "ingress", "description": 5}, "~description"),
    ({"security_group_id": "SG", "direction": "ingress", "remote_group_id": 5},
     "~remote_group_id"),
    ({"security_group_id": 5, "direction": "ingress"}, "~security_group_id"),
    # TCP/UDP/SCTP port 0 is no port, as in Neutron (ICMP type and code 0 stay valid)
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "tcp",
      "port_range_min": 0, "port_range_max": 0}, "Invalid value for port 0"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "udp",
      "port_range_min": 0, "port_range_max": 80}, "Invalid value for port 0"),
    ({"security_group_id": "SG", "direction": "ingress", "protocol": "sctp",
      "port_range_max": 0}, "Invalid value for port 0"),
]

# A referenced group that does not exist is 404, as in Neutron
MISSING_GROUPS: list[tuple[dict[str, Any], str]] = [
    ({"security_group_id": "MISSING", "direction": "ingress"},
     "Security group MISSING does not exist"),
    ({"security_group_id": "DropAll", "direction": "ingress"},
     "Security group DropAll does not exist"),
    ({"security_group_id": "SG", "direction": "ingress", "remote_group_id": "MISSING"},
     "Security group MISSING does not exist"),
    ({"security_group_id": "SG", "direction": "ingress", "remote_group_id": "DropAll"},
     "Security group DropAll does not exist"),
]


def test_rule_rejections_are_4xx_and_write_nothing(api: Api, central: Central) -> None:
    sg = group(api, name="strict")
    missing = str(uuid.uuid4())
    before = snapshot(central)
    cases = [(attrs, message, 400) for attrs, message in REJECTED] + \
        [(attrs, message, 404) for attrs, message in MISSING_GROUPS]
    for attrs, message, status in cases:
        body = {k: (sg["id"] if v == "SG" else missing if v == "MISSING" else v)
                for k, v in attrs.items()}
        response = post_rule(api, **body)
        text = error(response, status)
        expected = message.replace("MISSING", missing)
        if expected.startswith("~"):
            assert expected[1:] in text, (attrs, text)
        else:
            assert text == expected, (attrs, text)
    error(api.post(RULES, {"rule": {}}), 400)
    assert snapshot(central) == before


def test_duplicates_are_409_and_write_nothing(api: Api, central: Central) -> None:
    sg = group(api, name="dups")
    first = rule(api, sg["id"], protocol="tcp", port_range_min=22, port_range_max="22")
    before = snapshot(central)
    same = post_rule(api, security_group_id=sg["id"], direction="ingress", protocol="6",
                     port_range_min="22", port_range_max=22, description="other text")
    assert f"Rule id is {first['id']}" in error(same, 409)
    # The automatic egress rule is a rule like any other.
    auto = post_rule(api, security_group_id=sg["id"], direction="egress", ethertype="IPv6")
    error(auto, 409)
    assert snapshot(central) == before
    # Same match in another direction is a different rule.
    rule(api, sg["id"], direction="egress", protocol="tcp", port_range_min=22,
         port_range_max=22)


# -- rules: list, show, delete ------------------------------------------------------------------
def test_rule_list_show_and_delete(api: Api, central: Central) -> None:
    sg = group(api, name="lsd")
    r = rule(api, sg["id"], protocol="icmp", port_range_min=8, description="ping")
    listed = api.get(RULES).json()["security_group_rules"]
    assert r in listed
    drop_acls = {str(a["_uuid"]) for a in pg_acls(central, "DropAll")}
    assert len(drop_acls) == 2 and not drop_acls & {x["id"] for x in listed}  # not rules
    mine = api.get(RULES, params={"security_group_id": sg["id"]}).json()[
        "security_group_rules"]
    assert sorted(x["id"] for x in mine) == sorted(
        [r["id"], *(x["id"] for x in sg["security_group_rules"])])
    assert api.get(RULES, params={"port_range_min": "8"}).json()["security_group_rules"]
    assert api.show("security-group-rules", "security_group_rule", r["id"]) == r
    revision = api.show("security-groups", "security_group", sg["id"])["revision_number"]
    updated_before = nb_row(central, PG, sg["id"])["external_ids"]["ovirt_updated_at"]
    response = api.delete(f"{RULES}/{r['id']}")
    assert response.status_code == 204 and response.content == b""
    assert not nb_exists(central, ACL, r["id"])
    ext = nb_row(central, PG, sg["id"])["external_ids"]
    assert int(ext["ovirt_revision_number"]) == revision + 1
    assert ext["ovirt_updated_at"] > updated_before
    error(api.get(f"{RULES}/{r['id']}"), 404, f"Security Group Rule {r['id']} does not exist")
    error(api.delete(f"{RULES}/{r['id']}"), 404)
    error(api.get(f"{RULES}/nonsense"), 404, "Security Group Rule nonsense does not exist")
    before = snapshot(central)
    drop_acl = str(pg_acls(central, "DropAll")[0]["_uuid"])
    error(api.get(f"{RULES}/{drop_acl}"), 404)
    error(api.delete(f"{RULES}/{drop_acl}"), 404)
    assert snapshot(central) == before
    # The automatic egress rules can be deleted like any other.
    auto = sg["security_group_rules"][0]["id"]
    assert api.delete(f"{RULES}/{auto}").status_code == 204
    assert auto not in {x["id"] for x in api.show("security-groups", "security_group",
                                                  sg["id"])["security_group_rules"]}


def test_rule_in_a_foreign_pg_is_not_a_rule(api: Api, central: Central) -> None:
    foreign = "foreign_" + uuid.uuid4().hex
    central.nbctl("pg-add", foreign)
    try:
        central.nbctl("--type=port-group", "acl-add", foreign, "to-lport", "1001",
                      f"outport == @{foreign} && ip4", "allow-related")
        acl_id = str(pg_acls(central, foreign)[0]["_uuid"])
        error(api.get(f"{RULES}/{acl_id}"), 404)
        error(api.delete(f"{RULES}/{acl_id}"), 404)
        assert nb_exists(central, ACL, acl_id)
        foreign_id = str(nb_row(central, PG, foreign)["_uuid"])
        # no security group for the API, so 404 as for any missing group
        error(post_rule(api, security_group_id=foreign_id, direction="ingress"), 404)
        error(post_rule(api, security_group_id=foreign, direction="ingress"), 404)
    finally:
        central.nbctl("--if-exists", "destroy", PG, foreign)


# -- the predecessor's layout -------------------------------------------------------------------
def test_predecessor_groups_and_rules_read_back(api: Api, central: Central) -> None:
    """Rows as ovirt-provider-ovn wrote them: a PG named `ovirt_<name>_<uuid>`, timestamps
    with a `Z` or without microseconds, ACLs naming their group by name or by UUID, port
    values as strings (`-1` and `None` included) and the description under `description`."""
    name = "ovirt_web_" + str(uuid.uuid4()).replace("-", "_")
    central.nbctl("pg-add", name, "--", "set", PG, name,
                  "external_ids:ovirt_sec_group_name=web",
                  "external_ids:ovirt_description=old",
                  "external_ids:ovirt_revision_number=3",
                  'external_ids:ovirt_created_at="2019-03-01T10:11:12.123456Z"',
                  'external_ids:ovirt_updated_at="2019-03-02T10:11:12"')
    pg_id = str(nb_row(central, PG, name)["_uuid"])

    def add_acl(direction: str, match: str, **ext: str) -> str:
        keys = [f'external_ids:{k}="{v}"' for k, v in ext.items()]
        return central.nbctl("--", "--id=@a", "create", ACL, f"direction={direction}",
                             "priority=1001", f'match="{match}"', "action=allow-related",
                             "severity=alert", *keys, "--", "add", PG, name, "acls",
                             "@a").strip()

    ssh = add_acl("to-lport", f"outport == @{name} && ip4 && tcp && tcp.dst == 22",
                  ovirt_port_group_id=name, ovirt_ethertype="IPv4", ovirt_protocol="tcp",
                  ovirt_min_port="22", ovirt_max_port="22", description="ssh")
    ping = add_acl("to-lport", f"outport == @{name} && ip4 && ip4.src == $Default_ip4 && icmp4",
                   ovirt_port_group_id=pg_id, ovirt_ethertype="IPv4", ovirt_protocol="icmp",
                   ovirt_min_port="-1", ovirt_max_port="None",
                   ovirt_remote_group_id="Default")
    web6 = add_acl("to-lport", f"outport == @{name} && ip6 && tcp && tcp.dst >= 80",
                   ovirt_port_group_id=name, ovirt_protocol="6", ovirt_min_port="80",
                   ovirt_ip_prefix="::/0")
    try:
        # the rows were written by another client: wait until the provider's replica has them
        wait_for(lambda: len(api.show("security-groups", "security_group", pg_id)
                             ["security_group_rules"]) >= 3, 10, "the provider sees the rows")
        sg = api.show("security-groups", "security_group", pg_id)
        assert sg["name"] == "web" and sg["description"] == "old"
        assert sg["revision_number"] == 3
        assert sg["created_at"] == "2019-03-01T10:11:12Z"
        assert sg["updated_at"] == "2019-03-02T10:11:12Z"
        rules = {r["id"]: r for r in sg["security_group_rules"]}
        assert set(rules) == {ssh, ping, web6}
        assert rules[ssh] == {
            "id": ssh, "security_group_id": pg_id, "direction": "ingress",
            "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22,
            "port_range_max": 22, "remote_ip_prefix": None, "remote_group_id": None,
            "description": "ssh", "tenant_id": TENANT, "project_id": TENANT,
            "created_at": None, "updated_at": None, "revision_number": 0}  # not recorded
        assert rules[ping]["security_group_id"] == pg_id
        assert rules[ping]["remote_group_id"] == default_id(central)
        assert rules[ping]["port_range_min"] is None
        assert rules[ping]["port_range_max"] is None
        assert rules[web6]["ethertype"] == "IPv6"  # from the match when the key is missing
        assert rules[web6]["protocol"] == "6" and rules[web6]["port_range_min"] == 80
        assert rules[web6]["port_range_max"] is None
        assert api.show("security-group-rules", "security_group_rule", ping) == rules[ping]
        listed = {g["id"]: g for g in api.get(SG).json()["security_groups"]}
        assert listed[pg_id] == sg
        # A duplicate of an old rule is detected by its exact match string.
        error(post_rule(api, security_group_id=pg_id, direction="ingress", protocol="tcp",
                        port_range_min=22, port_range_max=22), 409)
        # Old rules can be deleted; the revision goes on from the stored one.
        assert api.delete(f"{RULES}/{ssh}").status_code == 204
        ext = nb_row(central, PG, pg_id)["external_ids"]
        assert ext["ovirt_revision_number"] == "4" and STORED_TS.match(ext["ovirt_updated_at"])
        # Ports that recorded the group by PG name keep working.
        net = api.network(name="old-sg", port_security_enabled=True)
        port = api.port(net["id"], security_groups=[name])
        assert port["security_groups"] == [name]
        error(api.delete(f"{SG}/{pg_id}"), 409)
        assert api.delete(f"/v2.0/ports/{port['id']}").status_code == 204
        assert api.delete(f"{SG}/{pg_id}").status_code == 204
        assert not nb_exists(central, ACL, ping)
    finally:
        central.nbctl("--if-exists", "destroy", PG, name)


# -- a fresh NB: Default/DropAll creation and `Default` through the API ----------------------------
def test_fresh_nb_groups_and_default_recreated_by_post(fresh_central: Central) -> None:
    with running(make_config(fresh_central.nb_remote)) as prov:
        client = Api(prov)
        try:
            drop = pg_acls(fresh_central, "DropAll")
            assert [{k: a[k] for k in ("direction", "priority", "match", "action", "log",
                                       "severity", "external_ids")} for a in drop] == [
                {"direction": "from-lport", "priority": 1000,
                 "match": "inport == @DropAll && ip", "action": "drop", "log": False,
                 "severity": "alert",
                 "external_ids": {"description": "drop all egress ip traffic"}},
                {"direction": "to-lport", "priority": 1000,
                 "match": "outport == @DropAll && ip", "action": "drop", "log": False,
                 "severity": "alert",
                 "external_ids": {"description": "drop all ingress ip traffic"}}]
            assert all(UUID4.match(a["name"]) for a in drop)
            _check_default_layout(fresh_central)
            listed = client.get(SG).json()["security_groups"]
            assert [g["name"] for g in listed] == ["default"]
            assert listed[0]["revision_number"] == 1
            assert SHOWN_TS.match(listed[0]["created_at"])

            fresh_central.nbctl("pg-del", "Default")
            drop_before = nb_row(fresh_central, PG, "DropAll")
            response = client.post(SG, {"security_group": {"name": "Default",
                                                           "description": "again"}})
            assert response.status_code == 201, response.text
            default = response.json()["security_group"]
            assert default["name"] == "default" and default["description"] == "again"
            assert default["id"] == default_id(fresh_central)
            assert len(default["security_group_rules"]) == 4
            _check_default_layout(fresh_central)
            assert nb_row(fresh_central, PG, "DropAll") == drop_before  # not rewritten
            error(client.post(SG, {"security_group": {"name": "Default"}}), 409)
            # Calls naming a missing Default: show creates it, update/delete are 400.
            fresh_central.nbctl("pg-del", "Default")
            error(client.put(f"{SG}/Default", {"security_group": {"name": "x"}}), 400)
            error(client.delete(f"{SG}/Default"), 400)
            assert not nb_exists(fresh_central, PG, "Default")
            shown = client.get(f"{SG}/Default")
            assert shown.status_code == 200, shown.text
            assert shown.json()["security_group"]["id"] == default_id(fresh_central)
            _check_default_layout(fresh_central)
            # A rule naming Default creates it when it is missing (docs/security-groups.md).
            fresh_central.nbctl("pg-del", "Default")
            r = rule(client, "Default", protocol="tcp")
            assert r["security_group_id"] == default_id(fresh_central)
            assert len(pg_acls(fresh_central, "Default")) == 5
        finally:
            client.close()


def _check_default_layout(central: Central) -> None:
    acls = pg_acls(central, "Default")
    assert [{k: a[k] for k in ("direction", "priority", "match", "action", "log", "severity",
                               "external_ids")} for a in acls] == [
        {"direction": "from-lport", "priority": 1001, "match": f"inport == @Default && {eth}",
         "action": "allow-related", "log": False, "severity": "alert",
         "external_ids": {"ovirt_port_group_id": "Default", "ovirt_ethertype": ether,
                          "ovirt_rule_description": EGRESS_DESC}}
        for eth, ether in (("ip4", "IPv4"), ("ip6", "IPv6"))] + [
        {"direction": "to-lport", "priority": 1001,
         "match": f"outport == @Default && {eth} && {eth}.src == $Default_{eth}",
         "action": "allow-related", "log": False, "severity": "alert",
         "external_ids": {"ovirt_port_group_id": "Default", "ovirt_remote_group_id": "Default",
                          "ovirt_ethertype": ether}}
        for eth, ether in (("ip4", "IPv4"), ("ip6", "IPv6"))]
    assert all(UUID4.match(a["name"]) for a in acls)


# -- an NB schema without Port_Group  ------------------------------------------------------
@pytest.fixture()
def no_pg_nb() -> Iterator[str]:
    """A bare NB ovsdb-server whose schema lacks Port_Group (as before OVN 2.10)."""
    directory = tempfile.mkdtemp(prefix="ovnp-nopg-")
    env = ovs_env(directory)
    with open(NB_SCHEMA, encoding="utf-8") as handle:
        schema = json.load(handle)
    del schema["tables"]["Port_Group"]
    schema_path = os.path.join(directory, "nb.ovsschema")
    with open(schema_path, "w", encoding="utf-8") as handle:
        json.dump(schema, handle)
    db = os.path.join(directory, "nb.db")
    pidfile = os.path.join(directory, "nb.pid")
    port = free_port()
    try:
        run(["ovsdb-tool", "create", db, schema_path], env=env)
        run(["ovsdb-server", db, f"--remote=ptcp:{port}:127.0.0.1", "--detach",
             "--no-chdir", f"--pidfile={pidfile}",
             f"--unixctl={os.path.join(directory, 'nb.ctl')}",
             f"--log-file={os.path.join(directory, 'nb.log')}"], env=env)
        remote = f"tcp:127.0.0.1:{port}"
        wait_for(lambda: run(["ovn-nbctl", f"--db={remote}", "--timeout=5", "--no-wait",
                              "init"], env=env, check=False) is not None, 10, "NB")
        yield remote
    finally:
        stop_pidfile(pidfile, directory)
        shutil.rmtree(directory, ignore_errors=True)


def test_schema_without_port_group(no_pg_nb: str) -> None:
    with running(make_config(no_pg_nb), wait_nb=False) as prov:
        assert prov.nb.wait_connected(20)
        client = Api(prov)
        try:
            assert client.get(SG).json() == {"security_groups": []}
            assert client.get(RULES).json() == {"security_group_rules": []}
            message = "Security groups are not supported by this OVN Northbound schema"
            some = str(uuid.uuid4())
            error(client.get(f"{SG}/Default"), 501, message)
            error(client.get(f"{SG}/{some}"), 501, message)
            error(client.post(SG, {"security_group": {"name": "x"}}), 501, message)
            error(client.post(SG, {"security_group": {"name": "Default"}}), 501, message)
            error(client.put(f"{SG}/{some}", {"security_group": {"name": "x"}}), 501, message)
            error(client.delete(f"{SG}/{some}"), 501, message)
            error(post_rule(client, security_group_id="Default", direction="ingress"), 501,
                  message)
            error(client.get(f"{RULES}/{some}"), 501, message)
            error(client.delete(f"{RULES}/{some}"), 501, message)
            # Bad input is still a 400 first.
            error(post_rule(client, security_group_id="x", direction="up"), 400)
            # Ports skip group handling.
            net = client.network(name="nopg", port_security_enabled=True)
            port = client.port(net["id"])
            assert port["security_groups"] == [] and port["port_security_enabled"] is True
        finally:
            client.close()


# -- two providers writing at once ------------------------------------------------------------
def test_two_providers_never_lose_a_bump_or_duplicate_a_rule(api: Api, central: Central,
                                                             provider: Provider) -> None:
    """Revision bumps verify the PG row and rule creation its `acls`, so concurrent writers
    through different NB connections retry instead of overwriting each other."""
    sg = group(api, name="race")
    with running(make_config(central.nb_remote)) as second:
        clients = [Api(provider), Api(second)]
        try:
            statuses: list[int] = []

            def create(client: Api, first_port: int) -> None:
                for port in range(first_port, first_port + 6):
                    statuses.append(post_rule(client, security_group_id=sg["id"],
                                              direction="ingress", protocol="tcp",
                                              port_range_min=port,
                                              port_range_max=port).status_code)
                for _ in range(3):  # the same rule from both sides: one of them wins
                    statuses.append(post_rule(client, security_group_id=sg["id"],
                                              direction="egress", protocol="udp",
                                              port_range_min=53,
                                              port_range_max=53).status_code)

            threads = [threading.Thread(target=create, args=(client, 1000 + 100 * i))
                       for i, client in enumerate(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert sorted(statuses) == [201] * 13 + [409] * 5
            shown = clients[1].show("security-groups", "security_group", sg["id"])
            assert shown["revision_number"] == 1 + 13
            assert len(shown["security_group_rules"]) == 2 + 13
            assert len(pg_acls(central, sg["id"])) == 2 + 13
        finally:
            for client in clients:
                client.close()


# -- the default group for Neutron clients (docs/security-groups.md, "The default group") --------
def test_default_group_is_listed_as_default_and_the_engine_view_is_unchanged(
        api: Api, central: Central) -> None:
    did = default_id(central)
    response = api.get(SG, params={"name": "default"})
    assert response.status_code == 200, response.text
    assert [g["id"] for g in response.json()["security_groups"]] == [did]
    assert api.get(SG, params={"name": "Default"}).json()["security_groups"] == []
    # The NB keeps the predecessor's layout: PG `Default`, ovirt_sec_group_name=Default.
    row = nb_row(central, PG, "Default")
    assert row["external_ids"]["ovirt_sec_group_name"] == "Default"
    # `Default` and `default` name the same group wherever an id is taken; a port keeps
    # `Default` as sent (the engine compares it with what it sent); `default` reads back as
    # the stored `Default`.
    net = api.network(name="sg-default")
    for ident, shown in (("Default", "Default"), ("default", "Default"), (did, did)):
        port = api.port(net["id"], security_groups=[ident], port_security_enabled=True)
        assert port["security_groups"] == [shown]
        members = as_list(nb_row(central, PG, "Default")["ports"])
        assert str(nb_row(central, "Logical_Switch_Port", port["id"])["_uuid"]) in members
    by_lower = api.show("security-groups", "security_group", "default")
    assert by_lower["id"] == did and by_lower["name"] == "default"
    rule = api.post("/v2.0/security-group-rules", {"security_group_rule": {
        "security_group_id": "default", "direction": "ingress", "protocol": "tcp",
        "port_range_min": 7777, "port_range_max": 7777, "ethertype": "IPv4"}})
    assert rule.status_code == 201, rule.text
    assert rule.json()["security_group_rule"]["security_group_id"] == did
    error(api.delete(f"{SG}/default"), 400)
    assert api.delete(f"/v2.0/security-group-rules/{rule.json()['security_group_rule']['id']}"
                      ).status_code == 204
