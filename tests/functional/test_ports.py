"""Ports on a real NB: every field, default and error of docs/compatibility.md, "Networks, subnets,
ports", the LSP layout
of 4.6, the engine's vNIC calls of 1.2, and the defects of section 8 that concern ports
."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.schema import SCHEMAS
from ovn_provider.server import Provider
from tests.support.port_checks import LSP, _decode, error, lsp_row, nb_rows, setof, snapshot
from tests.support.provider import Api, make_config, running

_NET = itertools.count(1)


def nb_row(central: Central, table: str, record: str) -> dict[str, Any]:
    """One row by UUID or name (`ovn-nbctl list TABLE RECORD`)."""
    found = nb_rows_of(central, table, record)
    assert len(found) == 1, f"{table} {record}: {found}"
    return found[0]


def nb_rows_of(central: Central, table: str, record: str) -> list[dict[str, Any]]:
    out = json.loads(central.nbctl("--format=json", "list", table, record))
    return [{h: _decode(v) for h, v in zip(out["headings"], row, strict=True)}
            for row in out["data"]]


def pg_of_port(central: Central, port_name: str) -> set[str]:
    """Names of the Port_Groups an LSP belongs to."""
    row = lsp_row(central, port_name)
    return {pg["name"] for pg in nb_rows(central, "Port_Group")
            if row["_uuid"] in setof(pg["ports"])}


def pg_uuid(central: Central, name: str) -> str:
    found = nb_rows(central, "Port_Group", f"name={name}")
    assert len(found) == 1
    return str(found[0]["_uuid"])


def wait_until(predicate: Any, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


# -- fixtures ---------------------------------------------------------------------------------
def cidr4() -> str:
    return f"10.{100 + next(_NET)}.0.0/24"


def prefix(cidr: str) -> str:
    return cidr.rsplit(".", 2)[0]  # "10.101.0.0/24" -> "10.101"


@pytest.fixture()
def net4(api: Api) -> dict[str, Any]:
    """A network without port security, with an IPv4 /24 whose gateway is .1."""
    net = api.network(name="pnet", port_security_enabled=False)
    cidr = cidr4()
    subnet = api.subnet(net["id"], cidr, gateway_ip=f"{prefix(cidr)}.0.1")
    return {"net": net, "subnet": subnet, "p": prefix(cidr)}


@pytest.fixture()
def secure_net(api: Api) -> dict[str, Any]:
    net = api.network(name="secure", port_security_enabled=True)
    return net


@pytest.fixture()
def user_group(central: Central) -> Iterator[str]:
    """A user security group made the way the predecessor stores them; yields its UUID."""
    name = "ovirt_" + str(uuid.uuid4()).replace("-", "_")
    central.nbctl("pg-add", name)
    central.nbctl("set", "Port_Group", name, "external_ids:ovirt_sec_group_name=web")
    yield pg_uuid(central, name)
    central.nbctl("pg-del", name)


# -- create: defaults and layout ----------------------------------------------------------------
def test_create_defaults_and_lsp_layout(api: Api, central: Central,
                                        net4: dict[str, Any]) -> None:
    port = api.port(net4["net"]["id"])
    assert str(uuid.UUID(port["id"], version=4)) == port["id"]
    assert port["name"] == ""
    assert port["network_id"] == net4["net"]["id"]
    assert port["tenant_id"] == port["project_id"] == "00000000000000000000000000000001"
    assert re.fullmatch(r"02(:[0-9a-f]{2}){5}", port["mac_address"])
    assert port["security_groups"] == []
    assert port["port_security_enabled"] is False
    assert port["admin_state_up"] is True
    assert port["status"] == "DOWN"
    assert port["device_id"] == "" and port["device_owner"] == ""
    assert (port["binding:host_id"], port["binding:vif_type"]) == ("", "unbound")
    # the create answer already carries the address
    assert len(port["fixed_ips"]) == 1
    fixed = port["fixed_ips"][0]
    assert fixed["subnet_id"] == net4["subnet"]["id"]
    assert fixed["ip_address"].startswith(net4["p"] + ".0.")
    assert fixed["ip_address"] not in (f"{net4['p']}.0.0", f"{net4['p']}.0.1",
                                       f"{net4['p']}.0.255")
    row = lsp_row(central, port["id"])
    mac = port["mac_address"]
    assert setof(row["addresses"]) == [f"{mac} dynamic"]
    assert row["dhcpv4_options"] == net4["subnet"]["id"]
    assert setof(row["dhcpv6_options"]) == []
    assert setof(row["port_security"]) == []
    assert row["enabled"] is True
    assert row["external_ids"]["ovirt_nic_name"] == ""
    assert "ovirt_device_id" not in row["external_ids"]
    assert "ovirt_binding_host_id" not in row["external_ids"]
    assert "requested-chassis" not in row["options"]
    assert row["type"] == ""
    # ovn-northd keeps the address the provider picked
    central.nbctl("--wait=sb", "sync")
    row = lsp_row(central, port["id"])
    assert row["dynamic_addresses"] == f"{mac} {fixed['ip_address']}"
    assert api.show("ports", "port", port["id"]) == port
    ls = nb_row(central, "Logical_Switch", net4['net']['id'])
    assert row["_uuid"] in setof(ls["ports"])


def test_create_stores_given_fields(api: Api, central: Central, net4: dict[str, Any]) -> None:
    device = str(uuid.uuid4())
    port = api.port(net4["net"]["id"], name="nic1", device_id=device, device_owner="oVirt",
                    mac_address="00:1A:4A:16:01:51", admin_state_up=True,
                    tenant_id="whatever", project_id="x", description="d",
                    **{"binding:vnic_type": "direct"})
    assert port["name"] == "nic1"
    assert port["device_id"] == device and port["device_owner"] == "oVirt"
    assert port["mac_address"] == "00:1a:4a:16:01:51"
    row = lsp_row(central, port["id"])
    assert row["external_ids"]["ovirt_nic_name"] == "nic1"
    assert row["external_ids"]["ovirt_device_id"] == device
    assert row["external_ids"]["ovirt_device_owner"] == "oVirt"
    assert setof(row["addresses"]) == ["00:1a:4a:16:01:51 dynamic"]


def test_network_id_is_required_and_must_exist(api: Api, central: Central) -> None:
    before = snapshot(central)
    response = api.post("/v2.0/ports", {"port": {"name": "x"}})
    assert error(response, 400) == "Network_id is a required parameter"
    missing = str(uuid.uuid4())
    response = api.post("/v2.0/ports", {"port": {"network_id": missing}})
    assert error(response, 404) == f"Network {missing} could not be found."  # as Neutron
    # not a UUID: 400, as Neutron (its network_id is a UUID attribute)
    response = api.post("/v2.0/ports", {"port": {"network_id": "not-a-uuid"}})
    assert error(response, 400) == ("Invalid input for network_id. Reason: 'not-a-uuid' is "
                                    "not a valid UUID.")
    response = api.post("/v2.0/ports", {"port": {"network_id": 5}})
    error(response, 400)
    assert snapshot(central) == before


# -- MAC addresses ---------------------------------------------------------------------------
@pytest.mark.parametrize("given", ["00:1A:4A:16:01:52", "00-1a-4a-16-01-52", "001A4A160152",
                                   "001a.4a16.0152"])
def test_mac_forms_are_normalised(api: Api, central: Central, given: str) -> None:
    net = api.network(name="macs")
    port = api.port(net["id"], mac_address=given)
    assert port["mac_address"] == "00:1a:4a:16:01:52"
    assert setof(lsp_row(central, port["id"])["addresses"]) == ["00:1a:4a:16:01:52"]


@pytest.mark.parametrize("bad", ["zz:1a:4a:16:01:51", "00:1a:4a:16:01", "00:1a:4a:16:01:51:00",
                                 "00:1a-4a:16:01:51", "", "hello"])
def test_invalid_mac_is_400_with_the_documented_message(api: Api, central: Central,
                                                        bad: str) -> None:
    net = api.network(name="badmac")
    before = snapshot(central)
    response = api.post("/v2.0/ports", {"port": {"network_id": net["id"], "mac_address": bad}})
    assert error(response, 400) == (f"Invalid input for mac_address. Reason: '{bad}' "
                                    "is not a valid MAC address.")  # plain text, as Neutron
    assert snapshot(central) == before


def test_non_string_mac_is_400(api: Api) -> None:
    net = api.network(name="badmac2")
    for bad in (123, ["00:1a:4a:16:01:51"], {"a": 1}, True):
        response = api.post("/v2.0/ports", {"port": {"network_id": net["id"],
                                                     "mac_address": bad}})
        assert "is not a valid MAC address" in error(response, 400)


def test_duplicate_mac_on_a_network_is_409_and_writes_nothing(api: Api,
                                                              central: Central) -> None:
    net = api.network(name="dupmac")
    api.port(net["id"], mac_address="00:1a:4a:00:00:01")
    before = snapshot(central)
    response = api.post("/v2.0/ports", {"port": {"network_id": net["id"],
                                                 "mac_address": "00:1A:4A:00:00:01"}})
    assert "00:1a:4a:00:00:01" in error(response, 409)
    assert snapshot(central) == before
    other = api.port(net["id"])
    response = api.put(f"/v2.0/ports/{other['id']}", {"port": {
        "mac_address": "00:1a:4a:00:00:01"}})
    error(response, 409)
    assert api.show("ports", "port", other["id"])["mac_address"] == other["mac_address"]


def test_generated_macs_are_unique_locally_administered_unicast(api: Api,
                                                                central: Central) -> None:
    net = api.network(name="genmac")
    macs = [api.port(net["id"])["mac_address"] for _ in range(20)]
    assert len(set(macs)) == 20
    for mac in macs:
        first = int(mac.split(":")[0], 16)
        assert first & 0x02 and not first & 0x01
    used = set()
    for row in nb_rows(central, LSP):
        for entry in setof(row["addresses"]):
            used.add(entry.split()[0])
    assert set(macs) <= used


# -- admin_state_up and status  --------------------------------------------------------
def test_admin_state_down_is_stored_on_create_and_update(api: Api, central: Central) -> None:
    net = api.network(name="admin")
    port = api.port(net["id"], admin_state_up=False)
    assert port["admin_state_up"] is False
    assert lsp_row(central, port["id"])["enabled"] is False
    up = api.put(f"/v2.0/ports/{port['id']}", {"port": {"admin_state_up": True}})
    assert up.status_code == 200 and up.json()["port"]["admin_state_up"] is True
    assert lsp_row(central, port["id"])["enabled"] is True
    down = api.put(f"/v2.0/ports/{port['id']}", {"port": {"admin_state_up": False}})
    assert down.json()["port"]["admin_state_up"] is False
    assert lsp_row(central, port["id"])["enabled"] is False
    # a PUT without the key keeps the state
    renamed = api.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "n"}})
    assert renamed.json()["port"]["admin_state_up"] is False


@pytest.mark.parametrize("bad", ["true", 1, "False", [True]])
def test_admin_state_up_must_be_boolean(api: Api, bad: Any) -> None:
    net = api.network(name="adminbad")
    response = api.post("/v2.0/ports", {"port": {"network_id": net["id"],
                                                 "admin_state_up": bad}})
    assert error(response, 400) == "admin_state_up must be of type bool"
    port = api.port(net["id"])
    response = api.put(f"/v2.0/ports/{port['id']}", {"port": {"admin_state_up": bad}})
    assert error(response, 400) == "admin_state_up must be of type bool"


def test_status_follows_binding_and_admin_state_follows_enabled(api: Api,
                                                                central: Central) -> None:
    net = api.network(name="status")
    port = api.port(net["id"], admin_state_up=False)
    chassis = f"ch-{uuid.uuid4().hex[:8]}"
    encap_ip = f"192.0.2.{next(_NET) % 250 + 1}"
    central.sbctl("chassis-add", chassis, "geneve", encap_ip)
    try:
        central.sbctl("lsp-bind", port["id"], chassis)
        central.sbctl("set", "Port_Binding", port["id"], "up=true")

        def bound() -> bool:
            return api.show("ports", "port", port["id"])["status"] == "ACTIVE"

        wait_until(bound, what="ovn-northd to report the port up")
        shown = api.show("ports", "port", port["id"])
        assert shown["admin_state_up"] is False  # enabled, not `up`
        listed = api.get("/v2.0/ports", params={"id": port["id"]}).json()["ports"]
        assert listed[0]["status"] == "ACTIVE" and listed[0]["admin_state_up"] is False
    finally:
        central.sbctl("--if-exists", "lsp-unbind", port["id"])
        central.sbctl("--if-exists", "chassis-del", chassis)
    wait_until(lambda: api.show("ports", "port", port["id"])["status"] == "DOWN",
               what="the port to go down")


# -- port security and groups  -------------------------------------
def test_port_security_defaults_from_the_network(api: Api, central: Central,
                                                 secure_net: dict[str, Any]) -> None:
    port = api.port(secure_net["id"])
    assert port["port_security_enabled"] is True
    assert port["security_groups"] == ["Default"]
    row = lsp_row(central, port["id"])
    assert setof(row["port_security"]) == [port["mac_address"]]  # MAC only
    assert pg_of_port(central, port["id"]) == {"DropAll", "Default"}
    assert row["external_ids"]["ovirt_security_groups"] == "Default"
    plain = api.network(name="plain", port_security_enabled=False)
    port = api.port(plain["id"])
    assert port["port_security_enabled"] is False and port["security_groups"] == []
    assert pg_of_port(central, port["id"]) == set()
    # explicit value beats the network's
    port = api.port(plain["id"], port_security_enabled=True)
    assert port["port_security_enabled"] is True and port["security_groups"] == ["Default"]
    assert pg_of_port(central, port["id"]) == {"DropAll", "Default"}
    port = api.port(secure_net["id"], port_security_enabled=False)
    assert port["port_security_enabled"] is False and port["security_groups"] == []
    assert setof(lsp_row(central, port["id"])["port_security"]) == []


def test_network_without_the_key_uses_the_configured_default(api: Api,
                                                             central: Central) -> None:
    name = f"foreign-{uuid.uuid4().hex[:8]}"
    central.nbctl("ls-add", name)
    ls_id = nb_rows(central, "Logical_Switch", f"name={name}")[0]["_uuid"]
    try:
        port = api.port(ls_id)
        assert port["port_security_enabled"] is False  # [NETWORK] default is false
        api.delete(f"/v2.0/ports/{port['id']}")
    finally:
        central.nbctl("--if-exists", "ls-del", name)


def test_port_security_enabled_must_be_boolean(api: Api) -> None:
    net = api.network(name="psbad")
    response = api.post("/v2.0/ports", {"port": {"network_id": net["id"],
                                                 "port_security_enabled": "yes"}})
    assert error(response, 400) == "port_security_enabled must be of type bool"


def test_security_groups_explicit_empty_and_default(api: Api, central: Central,
                                                    secure_net: dict[str, Any],
                                                    user_group: str) -> None:
    port = api.port(secure_net["id"], security_groups=[])
    assert port["security_groups"] == []
    assert pg_of_port(central, port["id"]) == {"DropAll"}
    assert "ovirt_security_groups" not in lsp_row(central, port["id"])["external_ids"]
    port = api.port(secure_net["id"], security_groups=["Default"])
    assert port["security_groups"] == ["Default"]
    default_id = pg_uuid(central, "Default")
    port = api.port(secure_net["id"], security_groups=[default_id])
    assert port["security_groups"] == [default_id]  # echoed as supplied
    assert pg_of_port(central, port["id"]) == {"DropAll", "Default"}
    group_name = nb_row(central, "Port_Group", user_group)["name"]
    port = api.port(secure_net["id"], security_groups=[user_group, "Default"])
    assert sorted(port["security_groups"]) == sorted([user_group, "Default"])
    assert pg_of_port(central, port["id"]) == {"DropAll", "Default", group_name}
    # duplicates collapse, also two names of one group
    port = api.port(secure_net["id"], security_groups=["Default", "Default"])
    assert port["security_groups"] == ["Default"]
    port = api.port(secure_net["id"], security_groups=["Default", default_id])
    assert port["security_groups"] == ["Default"]
    assert lsp_row(central, port["id"])["external_ids"]["ovirt_security_groups"] == "Default"


def test_groups_on_a_port_without_port_security(api: Api, central: Central,
                                                user_group: str) -> None:
    net = api.network(name="nosec", port_security_enabled=False)
    port = api.port(net["id"], security_groups=["Default", user_group])
    assert port["port_security_enabled"] is False
    assert sorted(port["security_groups"]) == sorted(["Default", user_group])
    names = pg_of_port(central, port["id"])
    assert "DropAll" not in names and "Default" in names and len(names) == 2


@pytest.mark.parametrize("groups", [["nope"], [str(uuid.uuid4())], ["Default", "DropAll"]])
def test_unknown_security_group_is_404_and_writes_nothing(api: Api, central: Central,
                                                          secure_net: dict[str, Any],
                                                          groups: list[str]) -> None:
    """A UUID or a Port_Group name that is no security group is 404; a malformed id (no
    UUID, no group's name) is 400 (docs/compatibility.md, "Request bodies")."""
    before = snapshot(central)
    response = api.post("/v2.0/ports", {"port": {"network_id": secure_net["id"],
                                                 "security_groups": groups}})
    missing = groups[-1]
    if missing == "nope":
        assert "is not a valid UUID" in error(response, 400)
        assert snapshot(central) == before
        return
    assert error(response, 404) == f"Security group {missing} does not exist"
    assert snapshot(central) == before
    port = api.port(secure_net["id"])
    before = snapshot(central)
    response = api.put(f"/v2.0/ports/{port['id']}", {"port": {"security_groups": groups}})
    assert error(response, 404) == f"Security group {missing} does not exist"
    assert snapshot(central) == before


def test_foreign_port_group_is_not_a_security_group(api: Api, central: Central,
                                                    secure_net: dict[str, Any]) -> None:
    name = f"foreign_{uuid.uuid4().hex[:8]}"
    central.nbctl("pg-add", name)
    try:
        ident = pg_uuid(central, name)
        response = api.post("/v2.0/ports", {"port": {"network_id": secure_net["id"],
                                                     "security_groups": [ident]}})
        error(response, 404)
    finally:
        central.nbctl("pg-del", name)


@pytest.mark.parametrize("bad", ["Default", 5, [5], [None], {"a": 1}])
def test_security_groups_must_be_a_list_of_strings(api: Api, secure_net: dict[str, Any],
                                                   bad: Any) -> None:
    response = api.post("/v2.0/ports", {"port": {"network_id": secure_net["id"],
                                                 "security_groups": bad}})
    error(response, 400)


def test_membership_equals_reported_groups_through_updates(api: Api, central: Central,
                                                           secure_net: dict[str, Any],
                                                           user_group: str) -> None:
    group_name = nb_row(central, "Port_Group", user_group)["name"]
    port = api.port(secure_net["id"], security_groups=["Default", user_group])
    path = f"/v2.0/ports/{port['id']}"

    def check(groups: list[str], security: bool) -> None:
        shown = api.show("ports", "port", port["id"])
        assert sorted(shown["security_groups"]) == sorted(groups)
        assert shown["port_security_enabled"] is security
        names = {("Default" if g == "Default" else group_name) for g in groups}
        assert pg_of_port(central, port["id"]) == names | ({"DropAll"} if security else set())
        row = lsp_row(central, port["id"])
        assert setof(row["port_security"]) == ([shown["mac_address"]] if security else [])
        recorded = row["external_ids"].get("ovirt_security_groups", "").split()
        assert sorted(recorded) == sorted(groups)

    check(["Default", user_group], True)
    assert api.put(path, {"port": {"port_security_enabled": False}}).status_code == 200
    check(["Default", user_group], False)  # groups stay
    assert api.put(path, {"port": {"port_security_enabled": True}}).status_code == 200
    check(["Default", user_group], True)
    assert api.put(path, {"port": {"security_groups": [user_group]}}).status_code == 200
    check([user_group], True)
    assert api.put(path, {"port": {"security_groups": None}}).status_code == 200
    check(["Default"], True)  # null restores the default set
    assert api.put(path, {"port": {"security_groups": []}}).status_code == 200
    check([], True)
    both = {"port_security_enabled": False, "security_groups": [user_group]}
    assert api.put(path, {"port": both}).status_code == 200
    check([user_group], False)
    assert api.put(path, {"port": {"security_groups": None}}).status_code == 200
    check([], False)  # default set without port security is empty
    assert api.put(path, {"port": {"port_security_enabled": True,
                                   "security_groups": ["Default"]}}).status_code == 200
    check(["Default"], True)


def test_deleting_a_port_leaves_no_membership(api: Api, central: Central,
                                              secure_net: dict[str, Any]) -> None:
    port = api.port(secure_net["id"])
    row = lsp_row(central, port["id"])
    assert api.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    assert nb_rows(central, LSP, f"name={port['id']}") == []
    for pg in nb_rows(central, "Port_Group"):
        assert row["_uuid"] not in setof(pg["ports"])
    ls = nb_row(central, "Logical_Switch", secure_net['id'])
    assert row["_uuid"] not in setof(ls["ports"])
    assert api.get(f"/v2.0/ports/{port['id']}").status_code == 404
    assert api.delete(f"/v2.0/ports/{port['id']}").status_code == 404


# -- binding:host_id  ----------------------------------------------------------------------
def test_binding_host_id_is_stored_and_reported(api: Api, central: Central) -> None:
    net = api.network(name="binding")
    port = api.port(net["id"], **{"binding:host_id": "host-a.example"})
    assert port["binding:host_id"] == "host-a.example" and port["binding:vif_type"] == "ovs"
    assert port["binding:vif_details"] == {"port_filter": False}
    row = lsp_row(central, port["id"])
    assert row["external_ids"]["ovirt_binding_host_id"] == "host-a.example"
    assert "requested-chassis" not in row["options"]
    listed = api.get("/v2.0/ports", params={"id": port["id"]}).json()["ports"][0]
    assert listed["binding:host_id"] == "host-a.example"
    moved = api.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": "host-b"}})
    assert moved.json()["port"]["binding:host_id"] == "host-b"
    row = lsp_row(central, port["id"])
    assert row["external_ids"]["ovirt_binding_host_id"] == "host-b"
    assert "requested-chassis" not in row["options"]
    unbound = api.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": None}})
    assert unbound.json()["port"]["binding:host_id"] == ""
    assert "ovirt_binding_host_id" not in lsp_row(central, port["id"])["external_ids"]
    plain = api.port(net["id"], **{"binding:host_id": None})
    assert plain["binding:host_id"] == "" and plain["binding:vif_type"] == "unbound"
    assert plain["binding:vif_details"] == {}


def test_requested_chassis_only_with_ovs_29(central: Central) -> None:
    cfg = make_config(central.nb_remote, **{"PROVIDER/ovs-version-2.9": "true"})
    with running(cfg) as prov:
        api = Api(prov)
        try:
            net = api.network(name="ovs29")
            port = api.port(net["id"], **{"binding:host_id": "host-a"})
            assert port["binding:host_id"] == "host-a"
            assert lsp_row(central, port["id"])["options"]["requested-chassis"] == "host-a"
            api.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": "host-b"}})
            row = lsp_row(central, port["id"])
            assert row["options"]["requested-chassis"] == "host-b"
            assert row["external_ids"]["ovirt_binding_host_id"] == "host-b"
            plain = api.port(net["id"])
            assert "requested-chassis" not in lsp_row(central, plain["id"])["options"]
            api.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": None}})
            row = lsp_row(central, port["id"])
            assert "requested-chassis" not in row["options"]
            assert "ovirt_binding_host_id" not in row["external_ids"]
        finally:
            api.close()


# -- fixed_ips (docs/compatibility.md, "Networks, subnets, ports") ---------------------------------
def test_fixed_ip_by_address_and_by_subnet(api: Api, central: Central,
                                           net4: dict[str, Any]) -> None:
    p, subnet_id = net4["p"], net4["subnet"]["id"]
    port = api.port(net4["net"]["id"], fixed_ips=[{"ip_address": f"{p}.0.50"}])
    assert port["fixed_ips"] == [{"ip_address": f"{p}.0.50", "subnet_id": subnet_id}]
    row = lsp_row(central, port["id"])
    assert setof(row["addresses"]) == [f"{port['mac_address']} {p}.0.50"]
    assert row["dhcpv4_options"] == subnet_id
    port = api.port(net4["net"]["id"], fixed_ips=[{"subnet_id": subnet_id,
                                                   "ip_address": f"{p}.0.51"}])
    assert port["fixed_ips"] == [{"ip_address": f"{p}.0.51", "subnet_id": subnet_id}]
    port = api.port(net4["net"]["id"], fixed_ips=[{"subnet_id": subnet_id}])
    assert len(port["fixed_ips"]) == 1 and port["fixed_ips"][0]["subnet_id"] == subnet_id
    assert setof(lsp_row(central, port["id"])["addresses"]) == [
        f"{port['mac_address']} dynamic"]
    port = api.port(net4["net"]["id"], fixed_ips=[])
    assert port["fixed_ips"] == []
    row = lsp_row(central, port["id"])
    assert setof(row["addresses"]) == [port["mac_address"]]
    assert setof(row["dhcpv4_options"]) == []


def test_several_fixed_ips(api: Api, central: Central, net4: dict[str, Any]) -> None:
    p, subnet_id = net4["p"], net4["subnet"]["id"]
    port = api.port(net4["net"]["id"], fixed_ips=[{"ip_address": f"{p}.0.60"},
                                                  {"ip_address": f"{p}.0.61"}])
    assert port["fixed_ips"] == [{"ip_address": f"{p}.0.60", "subnet_id": subnet_id},
                                 {"ip_address": f"{p}.0.61", "subnet_id": subnet_id}]
    assert setof(lsp_row(central, port["id"])["addresses"]) == [
        f"{port['mac_address']} {p}.0.60 {p}.0.61"]
    response = api.post("/v2.0/ports", {"port": {"network_id": net4["net"]["id"], "fixed_ips": [
        {"ip_address": f"{p}.0.62"}, {"ip_address": f"{p}.0.62"}]}})
    error(response, 400)


def test_dual_stack_fixed_ips(api: Api, central: Central) -> None:
    net = api.network(name="dual")
    cidr = cidr4()
    v4 = api.subnet(net["id"], cidr)
    v6_cidr = f"fd00:{next(_NET):x}::/64"
    v6 = api.subnet(net["id"], v6_cidr, ipv6_address_mode="dhcpv6-stateful")
    port = api.port(net["id"])
    assert sorted(f["subnet_id"] for f in port["fixed_ips"]) == sorted([v4["id"], v6["id"]])
    row = lsp_row(central, port["id"])
    assert row["dhcpv4_options"] == v4["id"] and row["dhcpv6_options"] == v6["id"]
    six = v6_cidr.split("/")[0] + "99"
    port = api.port(net["id"], fixed_ips=[{"ip_address": f"{prefix(cidr)}.0.70"},
                                          {"ip_address": six}])
    assert {f["ip_address"]: f["subnet_id"] for f in port["fixed_ips"]} == {
        f"{prefix(cidr)}.0.70": v4["id"], six: v6["id"]}


def test_ipv6_fixed_address_on_stateless_subnet_is_400(api: Api, central: Central) -> None:
    net = api.network(name="stateless")
    v6 = api.subnet(net["id"], "fd00:5151::/64", ipv6_address_mode="dhcpv6-stateless")
    before = snapshot(central)
    response = api.post("/v2.0/ports", {"port": {"network_id": net["id"], "fixed_ips": [
        {"ip_address": "fd00:5151::10"}]}})
    error(response, 400)
    response = api.post("/v2.0/ports", {"port": {"network_id": net["id"], "fixed_ips": [
        {"ip_address": "fd00:5151::10", "subnet_id": v6["id"]}]}})
    error(response, 400)
    assert snapshot(central) == before
    port = api.port(net["id"], mac_address="00:1a:4a:16:01:51")
    assert port["fixed_ips"] == [{"ip_address": "fd00:5151::21a:4aff:fe16:151",
                                  "subnet_id": v6["id"]}]


def test_ip_in_use_is_409_with_the_documented_message(api: Api, central: Central,
                                                      net4: dict[str, Any]) -> None:
    p, net_id = net4["p"], net4["net"]["id"]
    static = api.port(net_id, fixed_ips=[{"ip_address": f"{p}.0.80"}])
    dynamic = api.port(net_id)
    # (the subnet's gateway address is free while no router holds it:
    # test_gateway_address_ports.py)
    taken = [f"{p}.0.80", dynamic["fixed_ips"][0]["ip_address"]]
    before = snapshot(central)
    for ip in taken:
        response = api.post("/v2.0/ports", {"port": {"network_id": net_id,
                                                     "fixed_ips": [{"ip_address": ip}]}})
        assert error(response, 409) == (f"The ip {ip} specified is already in use on network "
                                        f"{net_id}")
        response = api.put(f"/v2.0/ports/{static['id']}", {"port": {
            "fixed_ips": [{"ip_address": ip}]}}) if ip != f"{p}.0.80" else None
        if response is not None:
            error(response, 409)
    assert snapshot(central) == before
    # the same IP is free on another network
    other = api.network(name="other")
    api.subnet(other["id"], f"{p}.0.0/24")
    assert api.port(other["id"], fixed_ips=[{"ip_address": f"{p}.0.80"}])["fixed_ips"]


def test_ip_outside_the_subnet_is_400(api: Api, central: Central,
                                      net4: dict[str, Any]) -> None:
    p, net_id, subnet_id = net4["p"], net4["net"]["id"], net4["subnet"]["id"]
    before = snapshot(central)
    for entry in ({"ip_address": "192.168.99.5"},
                  {"ip_address": "192.168.99.5", "subnet_id": subnet_id},
                  {"ip_address": f"{p}.0.0"},  # the network address
                  {"ip_address": f"{p}.0.255"},  # broadcast
                  {"ip_address": "fd00::5"}):
        response = api.post("/v2.0/ports", {"port": {"network_id": net_id,
                                                     "fixed_ips": [entry]}})
        error(response, 400)
    assert snapshot(central) == before


def test_invalid_fixed_ips_are_400(api: Api, net4: dict[str, Any]) -> None:
    net_id = net4["net"]["id"]
    response = api.post("/v2.0/ports", {"port": {"network_id": net_id, "fixed_ips": "x"}})
    assert error(response, 400) == "fixed_ips must be of type: list"
    response = api.post("/v2.0/ports", {"port": {"network_id": net_id,
                                                 "fixed_ips": {"ip_address": "1.2.3.4"}}})
    assert error(response, 400) == "fixed_ips must be of type: list"
    for entry in ("10.0.0.1", {}, {"ip_address": "not-an-ip"}, {"ip_address": 5},
                  {"subnet_id": 7}):
        response = api.post("/v2.0/ports", {"port": {"network_id": net_id,
                                                     "fixed_ips": [entry]}})
        error(response, 400)
    # a subnet that does not exist: 404 as in Neutron (test_gateway_address_ports.py)
    response = api.post("/v2.0/ports", {"port": {"network_id": net_id, "fixed_ips": [
        {"subnet_id": str(uuid.uuid4())}]}})
    error(response, 404)
    empty = api.network(name="nosubnet")
    response = api.post("/v2.0/ports", {"port": {"network_id": empty["id"],
                                                 "fixed_ips": [{"ip_address": "10.0.0.5"}]}})
    error(response, 400)
    # a subnet of another network
    other = api.network(name="othernet")
    foreign = api.subnet(other["id"], cidr4())
    response = api.post("/v2.0/ports", {"port": {"network_id": net_id,
                                                 "fixed_ips": [{"subnet_id": foreign["id"]}]}})
    error(response, 400)


def test_exclude_ips_singles_and_ranges_are_taken(api: Api, central: Central,
                                                  net4: dict[str, Any]) -> None:
    p, net_id = net4["p"], net4["net"]["id"]
    # Posted right away: the provider's replica may not have the change yet, but its
    # check verifies other_config, so the server answers TRY_AGAIN and the provider checks
    # again on the new value (docs/concurrency.md; test_stale_replica.py forces the lag).
    central.nbctl("set", "Logical_Switch", net_id,
                  f'other_config:exclude_ips="{p}.0.90 {p}.0.100..{p}.0.110"')
    for ip in (f"{p}.0.90", f"{p}.0.100", f"{p}.0.105", f"{p}.0.110"):
        response = api.post("/v2.0/ports", {"port": {"network_id": net_id,
                                                     "fixed_ips": [{"ip_address": ip}]}})
        assert error(response, 409) == (f"The ip {ip} specified is already in use on "
                                        f"network {net_id}")
    assert api.port(net_id, fixed_ips=[{"ip_address": f"{p}.0.111"}])["fixed_ips"]
    assert api.port(net_id, fixed_ips=[{"ip_address": f"{p}.0.99"}])["fixed_ips"]


def test_router_ip_is_taken_and_router_ports_are_listed(api: Api, central: Central,
                                                        net4: dict[str, Any]) -> None:
    p, net_id = net4["p"], net4["net"]["id"]
    router, lsp_name = _router_port(central, net_id, f"{p}.0.99/24")
    response = api.post("/v2.0/ports", {"port": {"network_id": net_id,
                                                 "fixed_ips": [{"ip_address": f"{p}.0.99"}]}})
    error(response, 409)
    listed = api.get("/v2.0/ports", params={"device_id": router}).json()["ports"]
    assert [q["id"] for q in listed] == [lsp_name]
    shown = listed[0]
    assert shown["mac_address"] == "0a:00:00:00:99:01"  # the LRP MAC
    assert shown["device_owner"] == "network:router_interface"
    assert shown["fixed_ips"] == [{"ip_address": f"{p}.0.99",
                                   "subnet_id": net4["subnet"]["id"]}]
    assert shown["network_id"] == net_id
    assert shown["status"] == "ACTIVE"
    assert api.show("ports", "port", lsp_name) == shown


def _router_port(central: Central, ls_id: str, network: str) -> tuple[str, str]:
    """A router interface laid out as the predecessor does (docs/routers.md)."""
    router = f"r-{uuid.uuid4().hex[:8]}"
    central.nbctl("lr-add", router)
    router_id = nb_rows(central, "Logical_Router", f"name={router}")[0]["_uuid"]
    lsp_name = str(uuid.uuid4())
    central.nbctl("lrp-add", router, f"lrp{lsp_name}", "0a:00:00:00:99:01", network)
    central.nbctl("lsp-add", ls_id, lsp_name, "--", "lsp-set-type", lsp_name, "router",
                  "--", "lsp-set-addresses", lsp_name, "router",
                  "--", "lsp-set-options", lsp_name, f"router-port=lrp{lsp_name}",
                  "--", "set", LSP, lsp_name, "external_ids:ovirt_nic_name=router_port",
                  "external_ids:ovirt_device_owner=network:router_interface",
                  f"external_ids:ovirt_device_id={router_id}")
    central.nbctl("--wait=sb", "sync")  # ovn-northd marks router ports up
    return str(router_id), lsp_name


def test_router_owned_port_delete_is_409_naming_the_rest_id(api: Api, central: Central,
                                                            net4: dict[str, Any]) -> None:
    router, lsp_name = _router_port(central, net4["net"]["id"], f"{net4['p']}.0.98/24")
    before = snapshot(central)
    response = api.delete(f"/v2.0/ports/{lsp_name}")
    assert error(response, 409) == (f"Port {lsp_name} cannot be deleted directly via the port "
                                    "API: has device owner network:router_interface")
    assert snapshot(central) == before
    # PUT: name applies, address and ownership changes are 409, never 500
    renamed = api.put(f"/v2.0/ports/{lsp_name}", {"port": {"name": "rname"}})
    assert renamed.status_code == 200 and renamed.json()["port"]["name"] == "rname"
    for change in ({"mac_address": "00:11:22:33:44:55"}, {"device_owner": "oVirt"},
                   {"device_id": "x"}, {"fixed_ips": [{"ip_address": f"{net4['p']}.0.97"}]}):
        error(api.put(f"/v2.0/ports/{lsp_name}", {"port": change}), 409)
    same = api.put(f"/v2.0/ports/{lsp_name}", {"port": {
        "device_owner": "network:router_interface", "device_id": router}})
    assert same.status_code == 200


# -- updates ------------------------------------------------------------------------------------
def test_update_fields(api: Api, central: Central, net4: dict[str, Any]) -> None:
    port = api.port(net4["net"]["id"], name="a", device_id="d1", device_owner="oVirt")
    path = f"/v2.0/ports/{port['id']}"
    updated = api.put(path, {"port": {"name": "b", "device_id": "d2",
                                      "device_owner": "compute:nova"}}).json()["port"]
    assert (updated["name"], updated["device_id"], updated["device_owner"]) == (
        "b", "d2", "compute:nova")
    ext = lsp_row(central, port["id"])["external_ids"]
    assert ext["ovirt_nic_name"] == "b" and ext["ovirt_device_id"] == "d2"
    assert updated["fixed_ips"] == port["fixed_ips"]
    p = net4["p"]
    moved = api.put(path, {"port": {"fixed_ips": [{"ip_address": f"{p}.0.120"}]}}).json()
    assert moved["port"]["fixed_ips"] == [{"ip_address": f"{p}.0.120",
                                           "subnet_id": net4["subnet"]["id"]}]
    assert setof(lsp_row(central, port["id"])["addresses"]) == [
        f"{port['mac_address']} {p}.0.120"]
    # the old address is free again
    assert api.port(net4["net"]["id"], fixed_ips=port["fixed_ips"])
    cleared = api.put(path, {"port": {"fixed_ips": []}}).json()["port"]
    assert cleared["fixed_ips"] == []
    assert setof(lsp_row(central, port["id"])["addresses"]) == [port["mac_address"]]


def test_update_unknown_port_is_404(api: Api) -> None:
    response = api.put(f"/v2.0/ports/{uuid.uuid4()}", {"port": {"name": "x"}})
    error(response, 404)


def test_network_change_is_400(api: Api, central: Central, net4: dict[str, Any]) -> None:
    port = api.port(net4["net"]["id"])
    other = api.network(name="elsewhere")
    before = snapshot(central)
    response = api.put(f"/v2.0/ports/{port['id']}", {"port": {"network_id": other["id"],
                                                              "name": "x"}})
    assert error(response, 400) == "Unable to change network of existing port"
    assert snapshot(central) == before
    same = api.put(f"/v2.0/ports/{port['id']}", {"port": {"network_id": net4["net"]["id"]}})
    assert same.status_code == 200


def test_engine_vnic_update_bodies(api: Api, central: Central,
                                   secure_net: dict[str, Any], user_group: str) -> None:
    """The PUTs of docs/compatibility.md, "What the oVirt engine sends", as the engine sends
    them."""
    api.subnet(secure_net["id"], cidr4())
    vnic = str(uuid.uuid4())
    created = api.post("/v2.0/ports", {"port": {
        "admin_state_up": True, "name": "nic1", "mac_address": "00:1a:4a:16:01:61",
        "network_id": secure_net["id"], "device_owner": "oVirt", "device_id": vnic,
        "binding:host_id": "host-a", "tenant_id": "00000000000000000000000000000001"}})
    assert created.status_code == 201
    port = created.json()["port"]
    assert port["security_groups"] == ["Default"]
    pid = port["id"]
    path = f"/v2.0/ports/{pid}"
    # groups changed
    body = api.put(path, {"port": {"id": pid, "security_groups": [user_group]}})
    assert body.status_code == 200 and body.json()["port"]["security_groups"] == [user_group]
    body = api.put(path, {"port": {"id": pid, "security_groups": None}})
    assert body.json()["port"]["security_groups"] == ["Default"]
    # host changed, same MAC
    body = api.put(path, {"port": {"id": pid, "binding:host_id": "host-b",
                                   "mac_address": "00:1a:4a:16:01:61"}}).json()["port"]
    assert body["binding:host_id"] == "host-b"
    assert body["fixed_ips"] == port["fixed_ips"]
    assert body["mac_address"] == "00:1a:4a:16:01:61"
    # a different MAC is applied, keeps the IP, and port security follows
    body = api.put(path, {"port": {"id": pid, "binding:host_id": "host-c",
                                   "mac_address": "00:1A:4A:16:01:62"}}).json()["port"]
    assert body["mac_address"] == "00:1a:4a:16:01:62"
    assert body["fixed_ips"] == port["fixed_ips"]
    row = lsp_row(central, pid)
    assert setof(row["addresses"]) == ["00:1a:4a:16:01:62 dynamic"]
    assert setof(row["port_security"]) == ["00:1a:4a:16:01:62"]
    central.nbctl("--wait=sb", "sync")
    assert lsp_row(central, pid)["dynamic_addresses"] == (
        f"00:1a:4a:16:01:62 {port['fixed_ips'][0]['ip_address']}")
    # every field it reads, as it sent them
    found = [p for p in api.get("/v2.0/ports").json()["ports"] if p["device_id"] == vnic]
    assert len(found) == 1 and found[0]["device_owner"] == "oVirt"
    # the body id must match the path
    response = api.put(path, {"port": {"id": str(uuid.uuid4()), "name": "x"}})
    error(response, 400)
    assert api.show("ports", "port", pid)["name"] == "nic1"


def test_updates_that_fail_change_nothing(api: Api, central: Central,
                                          secure_net: dict[str, Any]) -> None:
    api.subnet(secure_net["id"], cidr4())
    port = api.port(secure_net["id"], name="keep")
    path = f"/v2.0/ports/{port['id']}"
    before = snapshot(central)
    for body in ({"name": "changed", "mac_address": "nope"},
                 {"name": "changed", "security_groups": ["nope"]},
                 {"name": "changed", "fixed_ips": [{"ip_address": "1.1.1.1"}]},
                 {"name": "changed", "admin_state_up": "no"},
                 {"name": "changed", "port_security_enabled": 1},
                 {"name": 5}):
        response = api.put(path, {"port": body})
        assert 400 <= response.status_code < 500, response.text
    assert snapshot(central) == before


# -- visibility  ------------------------------------------------------------------------
def test_non_ovirt_lsp_is_invisible(api: Api, central: Central) -> None:
    net = api.network(name="foreignport")
    name = f"foreign-{uuid.uuid4()}"
    central.nbctl("lsp-add", net["id"], name)
    try:
        assert api.get(f"/v2.0/ports/{name}").status_code == 404
        assert api.put(f"/v2.0/ports/{name}", {"port": {"name": "x"}}).status_code == 404
        assert api.delete(f"/v2.0/ports/{name}").status_code == 404
        ids = {p["id"] for p in api.get("/v2.0/ports").json()["ports"]}
        assert name not in ids
        assert nb_rows(central, LSP, f"name={name}")
    finally:
        central.nbctl("--if-exists", "lsp-del", name)


def test_localnet_lsps_are_hidden(api: Api, central: Central) -> None:
    net = api.network(name="flat", **{"provider:network_type": "flat",
                                      "provider:physical_network": "phys1"})
    localnet = [r for r in nb_rows(central, LSP, "type=localnet")
                if r["options"].get("network_name") == "phys1"]
    assert localnet
    names = {r["name"] for r in localnet}
    listed = api.get("/v2.0/ports", params={"network_id": net["id"]}).json()["ports"]
    assert listed == []
    everything = {p["id"] for p in api.get("/v2.0/ports").json()["ports"]}
    assert not names & everything
    for name in names:
        assert api.get(f"/v2.0/ports/{name}").status_code == 404
        assert api.delete(f"/v2.0/ports/{name}").status_code == 404


def test_list_shows_every_api_port_with_full_views(api: Api, net4: dict[str, Any]) -> None:
    made = [api.port(net4["net"]["id"], name=f"l{i}") for i in range(3)]
    listed = api.get("/v2.0/ports", params={"network_id": net4["net"]["id"]}).json()["ports"]
    by_id = {p["id"]: p for p in listed}
    for port in made:
        assert by_id[port["id"]] == port


# -- concurrency (docs/concurrency.md) -------------------------------------------------------------
def test_concurrent_creates_never_share_an_ip_or_mac(provider: Provider, api: Api,
                                                     central: Central) -> None:
    net = api.network(name="race")
    cidr = cidr4()
    subnet = api.subnet(net["id"], cidr, gateway_ip=f"{prefix(cidr)}.0.1")
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def worker() -> None:
        client = Api(provider)
        try:
            for _ in range(50):
                response = client.post("/v2.0/ports", {"port": {"network_id": net["id"]}})
                with lock:
                    results.append(response)
        finally:
            client.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 400
    statuses = sorted({r.status_code for r in results})
    assert set(statuses) <= {201, 409}, [r.text for r in results if r.status_code >= 500][:3]
    created = [r.json()["port"] for r in results if r.status_code == 201]
    assert len(created) == 253  # .2 - .254
    for r in results:
        if r.status_code == 409:
            assert r.json()["error"]["message"]
    ips = [p["fixed_ips"][0]["ip_address"] for p in created]
    macs = [p["mac_address"] for p in created]
    assert len(set(ips)) == len(ips) and len(set(macs)) == len(macs)
    assert all(p["fixed_ips"][0]["subnet_id"] == subnet["id"] for p in created)
    # ovn-northd agrees with what the API answered
    central.nbctl("--wait=sb", "sync")
    listed = api.get("/v2.0/ports", params={"network_id": net["id"]}).json()["ports"]
    assert sorted(p["fixed_ips"][0]["ip_address"] for p in listed) == sorted(ips)
    dynamic = {r["name"]: r["dynamic_addresses"] for r in nb_rows(
        central, LSP, f"external_ids:ovirt_network_id={net['id']}")}
    for port in created:
        assert dynamic[port["id"]] == (
            f"{port['mac_address']} {port['fixed_ips'][0]['ip_address']}")


def test_two_providers_never_hand_out_one_address_twice(provider: Provider, api: Api,
                                                        central: Central) -> None:
    """Spec 9.8 across instances: two providers on one NB create ports on one /27 at the
    same time. Each transaction verifies and bumps the switch's address serial, so a
    concurrent claim through the other NB connection retries on the fresh replica: every
    address of the pool is handed out exactly once, the rest are clean 409s."""
    net = api.network(name="race2")
    cidr = f"10.{100 + next(_NET)}.0.0/27"
    api.subnet(net["id"], cidr, gateway_ip=f"{prefix(cidr)}.0.1")
    results: list[httpx.Response] = []
    lock = threading.Lock()
    with running(make_config(central.nb_remote)) as second:

        def worker(target: Provider) -> None:
            client = Api(target)
            try:
                for _ in range(12):
                    response = client.post("/v2.0/ports", {"port": {"network_id": net["id"]}})
                    with lock:
                        results.append(response)
            finally:
                client.close()

        threads = [threading.Thread(target=worker, args=(target,))
                   for target in (provider, second) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert len(results) == 72
    assert {r.status_code for r in results} <= {201, 409}, [
        r.text for r in results if r.status_code not in (201, 409)][:3]
    created = [r.json()["port"] for r in results if r.status_code == 201]
    ips = [p["fixed_ips"][0]["ip_address"] for p in created]
    assert len(set(ips)) == len(ips), sorted(ips)
    assert len(created) == 29  # .2 - .30
    central.nbctl("--wait=sb", "sync")
    rows = nb_rows(central, LSP, f"external_ids:ovirt_network_id={net['id']}")
    northd = [r["dynamic_addresses"].split()[1] for r in rows if r["dynamic_addresses"]]
    assert sorted(northd) == sorted(ips)


# -- floating IPs go with their port; router ports echo; predecessor bindings ------------------
@pytest.fixture(scope="module")
def nat_api(central: Central) -> Iterator[Api]:
    """A provider with a gateway chassis configured, so floating IPs exist."""
    cfg = make_config(central.nb_remote, **{"NETWORK/gateway-chassis": "gw-ports-1"})
    with running(cfg) as prov:
        client = Api(prov)
        try:
            yield client
        finally:
            client.close()


def test_deleting_a_port_releases_its_floating_ip(nat_api: Api, central: Central) -> None:
    ext = nat_api.network(name="fip-ext", **{"router:external": True})
    esub = nat_api.subnet(ext["id"], "172.29.1.0/24", gateway_ip="172.29.1.1")
    net = nat_api.network(name="fip-int")
    cidr = cidr4()
    sub = nat_api.subnet(net["id"], cidr, gateway_ip=f"{prefix(cidr)}.0.1")
    router = nat_api.create("routers", "router", name="fip-r", external_gateway_info={
        "network_id": ext["id"], "enable_snat": False,
        "external_fixed_ips": [{"subnet_id": esub["id"]}]})
    added = nat_api.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                        {"subnet_id": sub["id"]})
    assert added.status_code == 200, added.text
    vm = nat_api.port(net["id"], name="vm")
    fip = nat_api.create("floatingips", "floatingip", floating_network_id=ext["id"],
                         port_id=vm["id"])
    assert fip["status"] == "ACTIVE" and fip["port_id"] == vm["id"]
    [nat] = nb_rows(central, "NAT", f"external_ids:ovirt_fip_id={fip['id']}")
    assert nat["type"] == "dnat_and_snat"
    assert nat["logical_ip"] == vm["fixed_ips"][0]["ip_address"]
    assert nat_api.delete(f"/v2.0/ports/{vm['id']}").status_code == 204
    # one transaction: the port, its NAT row and the router's reference all went
    assert nb_rows(central, LSP, f"name={vm['id']}") == []
    assert nb_rows(central, "NAT", f"external_ids:ovirt_fip_id={fip['id']}") == []
    assert nb_rows(central, "NAT", "type=dnat_and_snat",
                   f"external_ip={fip['floating_ip_address']}") == []
    assert setof(nb_row(central, "Logical_Router", router["id"])["nat"]) == []
    shown = nat_api.show("floatingips", "floatingip", fip["id"])
    assert shown["port_id"] is None and shown["fixed_ip_address"] is None
    assert shown["router_id"] is None and shown["status"] == "DOWN"
    assert shown["floating_ip_address"] == fip["floating_ip_address"]  # still allocated
    assert nat_api.delete(f"/v2.0/floatingips/{fip['id']}").status_code == 204
    removed = nat_api.put(f"/v2.0/routers/{router['id']}/remove_router_interface",
                          {"subnet_id": sub["id"]})
    assert removed.status_code == 200, removed.text
    assert nat_api.delete(f"/v2.0/routers/{router['id']}").status_code == 204


def test_router_port_put_echoing_the_shown_port_is_accepted(api: Api,
                                                            central: Central) -> None:
    """device_id of a gateway port is derived from its router (not stored): a client that
    PUTs back what it read must not get 409; real changes still do."""
    ext = api.network(name="echo-ext", **{"router:external": True})
    cidr = cidr4()
    esub = api.subnet(ext["id"], cidr, gateway_ip=f"{prefix(cidr)}.0.1")
    inner = api.network(name="echo-int")
    cidr = cidr4()
    isub = api.subnet(inner["id"], cidr, gateway_ip=f"{prefix(cidr)}.0.1")
    router = api.create("routers", "router", name="echo", external_gateway_info={
        "network_id": ext["id"], "external_fixed_ips": [{"subnet_id": esub["id"]}]})
    assert api.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                   {"subnet_id": isub["id"]}).status_code == 200
    central.nbctl("--wait=sb", "sync")  # ovn-northd marks router ports up
    ports = api.get("/v2.0/ports", params={"device_id": router["id"]}).json()["ports"]
    assert sorted(p["device_owner"] for p in ports) == ["network:router_gateway",
                                                        "network:router_interface"]
    for shown in ports:
        path = f"/v2.0/ports/{shown['id']}"
        stored = lsp_row(central, shown["id"])["external_ids"]
        # what a PUT may carry (read-only attributes such as `status` are 400)
        writable = {k: v for k, v in shown.items() if SCHEMAS["ports"].attrs[k].put}
        echoed = api.put(path, {"port": writable})
        assert echoed.status_code == 200, echoed.text
        # `status` is ovn-northd's to change, meanwhile
        assert {**echoed.json()["port"], "status": None} == {**shown, "status": None}
        assert lsp_row(central, shown["id"])["external_ids"] == stored  # nothing written
        ip = shown["fixed_ips"][0]["ip_address"]
        alike = api.put(path, {"port": {"mac_address": shown["mac_address"].upper(),
                                        "fixed_ips": [{"ip_address": ip}],
                                        "device_id": router["id"], "name": "renamed"}})
        assert alike.status_code == 200, alike.text
        assert alike.json()["port"]["name"] == "renamed"
        before = snapshot(central)
        for change in ({"device_id": str(uuid.uuid4())}, {"device_owner": "oVirt"},
                       {"mac_address": "02:00:00:00:00:01"}, {"fixed_ips": []},
                       {"fixed_ips": [{"ip_address": ip}, {"ip_address": ip}]},
                       {"fixed_ips": [{"ip_address": ip, "subnet_id": str(uuid.uuid4())}]},
                       {"fixed_ips": [{"subnet_id": shown["fixed_ips"][0]["subnet_id"],
                                       "ip_address": f"{ip}0"}]},
                       {"name": "x", "fixed_ips": "nope"}):
            message = error(api.put(path, {"port": change}), 409 if "name" not in change
                            else 400)
            assert message
        assert snapshot(central) == before
    assert api.put(f"/v2.0/routers/{router['id']}/remove_router_interface",
                   {"subnet_id": isub["id"]}).status_code == 200
    assert api.put(f"/v2.0/routers/{router['id']}",
                   {"router": {"external_gateway_info": None}}).status_code == 200
    assert api.delete(f"/v2.0/routers/{router['id']}").status_code == 204


def test_predecessor_requested_chassis_is_the_binding_host(api: Api, central: Central) -> None:
    """The predecessor (with ovs-version-2.9) recorded the host only in
    options:requested-chassis; such ports report it as binding:host_id."""
    net = api.network(name="legacy-binding")
    names = {kind: str(uuid.uuid4()) for kind in ("chassis", "both", "none")}
    for n, (kind, name) in enumerate(names.items()):
        args = ["lsp-add", net["id"], name, "--", "lsp-set-addresses", name,
                f"00:1a:4a:16:02:{n:02x}", "--", "set", LSP, name,
                "external_ids:ovirt_nic_name=legacy"]
        if kind != "none":
            args += ["options:requested-chassis=host-x"]
        if kind == "both":
            args += ["external_ids:ovirt_binding_host_id=host-y"]
        central.nbctl(*args)
    wait_until(lambda: all(api.get(f"/v2.0/ports/{name}").status_code == 200
                           for name in names.values()), what="the provider's replica")
    shown = {kind: api.show("ports", "port", name) for kind, name in names.items()}
    assert shown["chassis"]["binding:host_id"] == "host-x"
    assert shown["both"]["binding:host_id"] == "host-y"  # the recorded key wins
    assert shown["none"]["binding:host_id"] == ""
    listed = {p["id"]: p for p in api.get("/v2.0/ports", params={"network_id": net["id"]})
              .json()["ports"]}
    assert listed[names["chassis"]]["binding:host_id"] == "host-x"
    assert api.get("/v2.0/ports", params={"binding:host_id": "host-x",
                                          "network_id": net["id"]}).json()["ports"] == [
        listed[names["chassis"]]]
    # an update records the host as the provider does, and drops the stale option
    moved = api.put(f"/v2.0/ports/{names['chassis']}", {"port": {"binding:host_id": "host-z"}})
    assert moved.json()["port"]["binding:host_id"] == "host-z"
    row = lsp_row(central, names["chassis"])
    assert row["external_ids"]["ovirt_binding_host_id"] == "host-z"
    assert "requested-chassis" not in row["options"]
    for name in names.values():
        assert api.delete(f"/v2.0/ports/{name}").status_code == 204
