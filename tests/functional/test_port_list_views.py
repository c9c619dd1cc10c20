"""The port list keeps each rendered port (ovn/views.py) until an IDL notification drops
it. Every test first lists (so the port's view is kept), then changes one thing a port
view is built from, then checks that the very next list shows the new state, and that it
is what GET /v2.0/ports/{id} (rendered fresh, never kept) shows."""

from __future__ import annotations

import itertools
import os
import subprocess
import time
import uuid
from typing import Any

import pytest

from ovn_provider.neutron import port_view, ports
from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.functional.test_ports import wait_until
from tests.support.provider import Api

LSP = "Logical_Switch_Port"
_NET = itertools.count(1)


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


@pytest.fixture()
def net(api: Api) -> dict[str, Any]:
    """A network without port security and an IPv4 /24 (gateway .1)."""
    network = api.network(name="views", port_security_enabled=False)
    p = f"10.{40 + next(_NET)}.0"
    subnet = api.subnet(network["id"], f"{p}.0/24", gateway_ip=f"{p}.1")
    return {"id": network["id"], "subnet": subnet, "p": p}


def listed(api: Api) -> dict[str, dict[str, Any]]:
    response = api.get("/v2.0/ports")
    assert response.status_code == 200, response.text
    return {port["id"]: port for port in response.json()["ports"]}


def shown(api: Api, port_id: str) -> dict[str, Any]:
    return api.show("ports", "port", port_id)


def listed_as_shown(api: Api, port_id: str) -> dict[str, Any]:
    """The port as the list shows it, checked against a fresh rendering."""
    port = listed(api)[port_id]
    assert port == shown(api, port_id)
    return port


def synced(provider: Provider, central: Central) -> None:
    """Wait until the provider's replica holds every write committed so far (e.g. by
    ovn-nbctl): the NB sends updates in commit order, so a fresh marker is enough."""
    nonce = str(uuid.uuid4())
    central.nbctl("set", "NB_Global", ".", f"external_ids:ovnp-test-sync={nonce}")
    for _ in range(200):
        with provider.nb.read() as idl:
            if any(row.external_ids.get("ovnp-test-sync") == nonce
                   for row in idl.tables["NB_Global"].rows.values()):
                return
        time.sleep(0.05)
    raise AssertionError("the provider's NB replica did not catch up")


def settled(provider: Provider, central: Central) -> None:
    """ovn-northd has written what it writes back to new LSPs (`up`, dynamic addresses)
    and the provider has seen it: a view kept after this is only dropped by the change
    the test makes, so a test of a drop that does not happen cannot pass by chance."""
    central.nbctl("--wait=sb", "sync")
    synced(provider, central)


# -- changes of the port row itself --------------------------------------------------------
def test_update_of_name_admin_state_and_fixed_ips_is_listed(api: Api,
                                                             net: dict[str, Any]) -> None:
    port = api.port(net["id"], name="before", fixed_ips=[{"ip_address": f"{net['p']}.10"}])
    assert listed(api)[port["id"]]["name"] == "before"
    response = api.put(f"/v2.0/ports/{port['id']}", {"port": {
        "name": "after", "admin_state_up": False,
        "fixed_ips": [{"ip_address": f"{net['p']}.11"}]}})
    assert response.status_code == 200, response.text
    now = listed_as_shown(api, port["id"])
    assert now["name"] == "after"
    assert now["admin_state_up"] is False
    assert now["fixed_ips"] == [{"ip_address": f"{net['p']}.11",
                                 "subnet_id": net["subnet"]["id"]}]


def test_tag_added_is_listed(api: Api, net: dict[str, Any]) -> None:
    port = api.port(net["id"])
    assert listed(api)[port["id"]]["tags"] == []
    assert api.put(f"/v2.0/ports/{port['id']}/tags/blue").status_code == 201
    assert listed_as_shown(api, port["id"])["tags"] == ["blue"]


def test_deleted_port_leaves_the_list(api: Api, net: dict[str, Any]) -> None:
    port = api.port(net["id"])
    other = api.port(net["id"])
    assert {port["id"], other["id"]} <= listed(api).keys()
    assert api.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    now = listed(api)
    assert port["id"] not in now and other["id"] in now


def test_port_changed_by_another_nb_client_is_listed(api: Api, central: Central,
                                                     provider: Provider,
                                                     net: dict[str, Any]) -> None:
    port = api.port(net["id"], name="mine")
    assert listed(api)[port["id"]]["name"] == "mine"
    central.nbctl("set", LSP, port["id"], "external_ids:ovirt_nic_name=theirs",
                  "external_ids:ovirt_device_id=vm-7", "enabled=false")
    synced(provider, central)
    now = listed_as_shown(api, port["id"])
    assert (now["name"], now["device_id"], now["admin_state_up"]) == ("theirs", "vm-7", False)


# -- changes of the rows around the port -----------------------------------------------------
def test_security_group_membership_change_is_listed(api: Api) -> None:
    network = api.network(name="views-sg", port_security_enabled=True)
    port = api.port(network["id"])
    group = api.create("security-groups", "security_group", name="views-web")
    assert listed(api)[port["id"]]["security_groups"] == ["Default"]
    response = api.put(f"/v2.0/ports/{port['id']}", {"port": {
        "security_groups": [group["id"]]}})
    assert response.status_code == 200, response.text
    assert listed_as_shown(api, port["id"])["security_groups"] == [group["id"]]


def test_group_membership_changed_by_another_nb_client_is_listed(
        api: Api, central: Central, provider: Provider) -> None:
    """Only the Port_Group row changes (not the LSP): the group's `ports` diff must drop
    the member's view."""
    network = api.network(name="views-pg", port_security_enabled=True)
    port = api.port(network["id"])
    group = api.create("security-groups", "security_group", name="views-db")
    settled(provider, central)
    assert listed(api)[port["id"]]["security_groups"] == ["Default"]
    lsp = central.nbctl("--bare", "--columns=_uuid", "find", LSP,
                        f"name={port['id']}").strip()
    central.nbctl("add", "Port_Group", group["id"], "ports", lsp)
    synced(provider, central)
    now = listed_as_shown(api, port["id"])
    assert sorted(now["security_groups"]) == sorted(["Default", group["id"]])
    central.nbctl("remove", "Port_Group", group["id"], "ports", lsp)
    synced(provider, central)
    assert listed_as_shown(api, port["id"])["security_groups"] == ["Default"]


def test_port_moved_to_another_switch_by_another_nb_client_is_listed(
        api: Api, central: Central, provider: Provider) -> None:
    """Only the Logical_Switch rows change: the switches' `ports` diffs must drop the
    member's view. No subnets: ovn-northd then leaves the LSP row alone."""
    first = api.network(name="views-from", port_security_enabled=False)
    other = api.network(name="views-to", port_security_enabled=False)
    port = api.port(first["id"])
    settled(provider, central)
    assert listed(api)[port["id"]]["network_id"] == first["id"]
    lsp = central.nbctl("--bare", "--columns=_uuid", "find", LSP,
                        f"name={port['id']}").strip()
    central.nbctl("remove", "Logical_Switch", first["id"], "ports", lsp,
                  "--", "add", "Logical_Switch", other["id"], "ports", lsp)
    synced(provider, central)
    assert listed_as_shown(api, port["id"])["network_id"] == other["id"]


def test_subnet_create_and_delete_on_the_network_are_listed(api: Api) -> None:
    network = api.network(name="views-subnet", port_security_enabled=False)
    port = api.port(network["id"])
    assert listed(api)[port["id"]]["fixed_ips"] == []
    subnet = api.subnet(network["id"], "10.39.0.0/24", gateway_ip="10.39.0.1")
    fixed = listed_as_shown(api, port["id"])["fixed_ips"]
    assert [ip["subnet_id"] for ip in fixed] == [subnet["id"]]
    assert fixed[0]["ip_address"].startswith("10.39.0.")
    assert api.delete(f"/v2.0/subnets/{subnet['id']}").status_code == 204
    assert listed_as_shown(api, port["id"])["fixed_ips"] == []


def test_subnet_changed_by_another_nb_client_is_listed(api: Api, central: Central,
                                                       provider: Provider,
                                                       net: dict[str, Any]) -> None:
    """Only the DHCP_Options row changes: the subnet no longer holds the port's IP."""
    port = api.port(net["id"], fixed_ips=[{"ip_address": f"{net['p']}.20"}])
    settled(provider, central)
    before = listed(api)[port["id"]]["fixed_ips"]
    assert [ip["subnet_id"] for ip in before] == [net["subnet"]["id"]]
    central.nbctl("set", "DHCP_Options", net["subnet"]["id"], "cidr=10.250.0.0/24")
    synced(provider, central)
    assert listed_as_shown(api, port["id"])["fixed_ips"] != before


def test_router_interface_is_listed_with_its_owner(api: Api, central: Central,
                                                   provider: Provider,
                                                   net: dict[str, Any]) -> None:
    router = api.create("routers", "router", name="views-r")
    assert not [p for p in listed(api).values() if p["device_id"] == router["id"]]
    response = api.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                       {"subnet_id": net["subnet"]["id"]})
    assert response.status_code == 200, response.text
    port_id = response.json()["port_id"]
    port = listed(api)[port_id]
    assert (port["device_id"], port["device_owner"]) == (router["id"],
                                                         "network:router_interface")
    assert port["fixed_ips"] == [{"ip_address": f"{net['p']}.1",
                                  "subnet_id": net["subnet"]["id"]}]
    # ovn-northd marks the router port up a little later: compare once it has
    settled(provider, central)
    assert listed_as_shown(api, port_id)["status"] == "ACTIVE"
    response = api.put(f"/v2.0/routers/{router['id']}/remove_router_interface",
                       {"subnet_id": net["subnet"]["id"]})
    assert response.status_code == 200, response.text
    assert port_id not in listed(api)


def test_router_rows_changed_by_another_nb_client_are_listed(
        api: Api, central: Central, provider: Provider, net: dict[str, Any]) -> None:
    """A router port laid out as the predecessor does, without a recorded owner: its MAC
    is the LRP's and its owner comes from the LR; only those rows change here."""
    router = f"views-{uuid.uuid4().hex[:8]}"
    central.nbctl("lr-add", router)
    lsp = str(uuid.uuid4())
    central.nbctl("lrp-add", router, f"lrp{lsp}", "0a:00:00:00:77:01", f"{net['p']}.77/24")
    central.nbctl("lsp-add", net["id"], lsp, "--", "lsp-set-type", lsp, "router",
                  "--", "lsp-set-addresses", lsp, "router",
                  "--", "lsp-set-options", lsp, f"router-port=lrp{lsp}",
                  "--", "set", LSP, lsp, "external_ids:ovirt_nic_name=router_port")
    try:
        settled(provider, central)
        before = listed(api)[lsp]
        assert before["mac_address"] == "0a:00:00:00:77:01"
        assert before["device_owner"] == "network:router_interface"
        central.nbctl("set", "Logical_Router_Port", f"lrp{lsp}", "mac=\"0a:00:00:00:77:02\"")
        synced(provider, central)
        assert listed_as_shown(api, lsp)["mac_address"] == "0a:00:00:00:77:02"
        central.nbctl("set", "Logical_Router", router, f"external_ids:ovirt_gateway_port={lsp}")
        synced(provider, central)
        assert listed_as_shown(api, lsp)["device_owner"] == "network:router_gateway"
    finally:
        central.nbctl("lsp-del", lsp)
        central.nbctl("lr-del", router)


# -- the kept views are shared: no caller may change them ---------------------------------
def test_field_selection_and_sorting_leave_the_kept_views_whole(api: Api,
                                                                  net: dict[str, Any]) -> None:
    port = api.port(net["id"], name="whole")
    full = listed(api)[port["id"]]
    response = api.get("/v2.0/ports", params=[("fields", "id"), ("fields", "name"),
                                              ("sort_key", "name"), ("sort_dir", "desc")])
    assert response.status_code == 200, response.text
    picked = next(p for p in response.json()["ports"] if p["id"] == port["id"])
    assert picked == {"id": port["id"], "name": "whole"}
    assert listed(api)[port["id"]] == full


def test_the_plain_list_equals_the_generic_one_after_changes(api: Api,
                                                             central: Central) -> None:
    """`GET /v2.0/ports` without a query is sent from per-port JSON kept with the views;
    it must equal the generic path (any query: here the default sort spelt out) after
    every kind of change."""
    def same() -> None:
        plain = api.get("/v2.0/ports")
        generic = api.get("/v2.0/ports", params={"sort_key": "id", "sort_dir": "asc"})
        assert plain.status_code == generic.status_code == 200
        assert plain.json() == generic.json()
        assert [p["id"] for p in plain.json()["ports"]] == sorted(
            p["id"] for p in plain.json()["ports"])
        head = api.http.head("/v2.0/ports")
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(plain.content)

    net = api.network(name="plain-list")
    sub = api.subnet(net["id"], "10.116.0.0/24")
    same()
    port = api.port(net["id"], name="one", port_security_enabled=True)
    same()
    group = api.create("security-groups", "security_group", name="plain-list")
    assert api.put(f"/v2.0/ports/{port['id']}", {"port": {
        "security_groups": [group["id"]]}}).status_code == 200
    same()
    assert api.put(f"/v2.0/security-groups/{group['id']}", {"security_group": {
        "name": "plain-list-2"}}).status_code == 200
    same()
    assert api.put(f"/v2.0/subnets/{sub['id']}", {"subnet": {
        "name": "renamed"}}).status_code == 200
    same()
    assert api.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "two"}}).status_code == 200
    same()
    assert [p["name"] for p in api.get("/v2.0/ports").json()["ports"]
            if p["id"] == port["id"]] == ["two"]
    central.nbctl("set", "Logical_Switch_Port", port["id"],
                  "external_ids:ovirt_nic_name=three")
    central.nbctl("--wait=sb", "sync")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            p["name"] == "three" for p in api.get("/v2.0/ports").json()["ports"]):
        time.sleep(0.05)
    same()
    assert api.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    same()
    assert port["id"] not in {p["id"] for p in api.get("/v2.0/ports").json()["ports"]}


def _up_in_replica(provider: Provider, port_id: str) -> list[bool]:
    with provider.nb.read() as idl:
        return list(ports.find(idl, port_id).up)


def test_up_that_keeps_the_status_keeps_the_view(api: Api, central: Central,
                                                  provider: Provider,
                                                  net: dict[str, Any]) -> None:
    """ovn-northd sets `up` to false on every new port once (in batches after each of its
    recomputes): the status stays DOWN, and the kept view is not made again
    (ovn/views.py). A port going up, or down again, is listed at once."""
    port = api.port(net["id"], name="up-and-down")
    central.nbctl("set", LSP, port["id"], "up=false")  # as ovn-northd does, if not yet
    settled(provider, central)
    assert listed_as_shown(api, port["id"])["status"] == "DOWN"
    with provider.nb.read() as idl:
        key = ports.find(idl, port["id"]).uuid.int  # views are kept by LSP row
        before = port_view.kept_views(idl)._views[key]
    # ovn-northd paused: it would set `up` back to false at once, and ovsdb-server may
    # merge both changes into none before sending them, so the test would pass by chance.
    northd = ["ovn-appctl", "-t", os.path.join(central.directory, "northd.ctl")]
    subprocess.run([*northd, "pause"], check=True, capture_output=True)
    try:
        central.nbctl("clear", LSP, port["id"], "up")  # [false] -> unset: DOWN either way
        wait_until(lambda: _up_in_replica(provider, port["id"]) == [],
                   what="the provider's replica has `up` cleared")
        assert listed(api)[port["id"]]["status"] == "DOWN"
        with provider.nb.read() as idl:
            assert port_view.kept_views(idl)._views.get(key) is before, \
                "the view was made again"
    finally:
        subprocess.run([*northd, "resume"], check=True, capture_output=True)
    settled(provider, central)  # ovn-northd sets it to false again: still kept
    with provider.nb.read() as idl:
        assert port_view.kept_views(idl)._views.get(key) is before, "the view was made again"
    chassis = f"ch-{uuid.uuid4().hex[:8]}"
    central.sbctl("chassis-add", chassis, "geneve", "192.0.2.77")
    try:
        central.sbctl("lsp-bind", port["id"], chassis)
        central.sbctl("set", "Port_Binding", port["id"], "up=true")
        wait_until(lambda: listed(api)[port["id"]]["status"] == "ACTIVE",
                   what="the port listed ACTIVE once ovn-northd sets it up")
        assert listed_as_shown(api, port["id"])["status"] == "ACTIVE"
    finally:
        central.sbctl("--if-exists", "lsp-unbind", port["id"])
        central.sbctl("--if-exists", "chassis-del", chassis)
    wait_until(lambda: listed(api)[port["id"]]["status"] == "DOWN",
               what="the port listed DOWN once it is unbound")
