"""Networks over a real NB (docs/compatibility.md, "Networks, subnets, ports"; docs/nb-layout.md).

Each test creates its own objects and reads the rows the provider wrote with ovn-nbctl,
so the NB layout (external_ids, options, other_config) is asserted exactly.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.support.nb import as_list, nb_exists, nb_row
from tests.support.net_checks import (
    RACES,
    TENANT,
    assert_error,
    at_once,
    check,
    snapshot,
    synced,
)
from tests.support.provider import Api, make_config, running
from tests.support.stamps import stamped, without_stamps

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def overlay(net: dict[str, Any]) -> bool:
    """An overlay network: `provider:network_type` geneve and no physical network."""
    return {k: v for k, v in net.items() if k.startswith("provider:")} == {
        "provider:network_type": "geneve"}


def ls_ports(central: Central, ls_id: str) -> list[str]:
    return [str(p) for p in as_list(nb_row(central, "Logical_Switch", ls_id)["ports"])]


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def limited(central: Central) -> Iterator[Provider]:
    """A second provider: MTU limit 1500 and port security on by default."""
    cfg = make_config(central.nb_remote, **{"VALIDATION/validation-max-allowed-mtu": "1500",
                                            "NETWORK/port-security-enabled-default": "true"})
    with running(cfg) as prov:
        yield prov


@pytest.fixture()
def limited_api(limited: Provider) -> Iterator[Api]:
    client = Api(limited)
    try:
        yield client
    finally:
        client.close()


# -- create -----------------------------------------------------------------------------------
def test_create_without_attributes_uses_defaults(api: Api, central: Central) -> None:
    response = api.post("/v2.0/networks", {"network": {}})
    assert response.status_code == 201, response.text
    net = response.json()["network"]
    assert net == {
        "id": net["id"], "name": "", "tenant_id": TENANT, "project_id": TENANT,
        "status": "ACTIVE", "admin_state_up": True, "mtu": 1442,
        "port_security_enabled": False, "subnets": [], "shared": False,
        "router:external": False, "description": "", "tags": [],
        "provider:network_type": "geneve", **stamped(net)}  # an overlay: no physical network
    row = nb_row(central, "Logical_Switch", net["id"])
    assert without_stamps(row["external_ids"]) == {"ovirt_network_name": "",
                                                   "ovirt_port_security": "False"}
    assert row["other_config"] == {}
    assert as_list(row["ports"]) == []
    assert re.fullmatch(r"ovirt--[0-9a-f-]{36}", row["name"])
    assert UUID4.match(row["name"][len("ovirt--"):])


def test_create_with_every_field(api: Api, central: Central) -> None:
    name = "réseau ネット 1"
    net = api.network(name=name, mtu=1400, port_security_enabled=True,
                      admin_state_up=True, tenant_id="oVirt", project_id="x", shared=True,
                      description="a test network")
    assert net["name"] == name and net["mtu"] == 1400 and net["port_security_enabled"] is True
    assert net["tenant_id"] == TENANT and net["project_id"] == TENANT
    assert net["shared"] is False and net["description"] == "a test network"
    assert api.show("networks", "network", net["id"]) == net
    row = nb_row(central, "Logical_Switch", net["id"])
    assert without_stamps(row["external_ids"]) == {"ovirt_network_name": name, "mtu": "1400",
                                   "ovirt_port_security": "True",
                                   "ovirt_description": "a test network"}
    assert row["name"].startswith(f"ovirt-{name}-")


def test_duplicate_names_are_distinct_switches(api: Api, central: Central) -> None:
    first = api.network(name="twin")
    second = api.network(name="twin")
    assert first["id"] != second["id"]
    names = {nb_row(central, "Logical_Switch", n["id"])["name"] for n in (first, second)}
    assert len(names) == 2
    listed = [n["id"] for n in api.get("/v2.0/networks", params={"name": "twin"})
              .json()["networks"]]
    assert first["id"] in listed and second["id"] in listed


def test_port_security_default_from_config_is_stored(limited_api: Api,
                                                     central: Central) -> None:
    net = limited_api.network(name="secure-by-default")
    assert net["port_security_enabled"] is True
    ext = nb_row(central, "Logical_Switch", net["id"])["external_ids"]
    assert ext["ovirt_port_security"] == "True"
    explicit = limited_api.network(name="insecure", port_security_enabled=False)
    assert nb_row(central, "Logical_Switch", explicit["id"])["external_ids"][
        "ovirt_port_security"] == "False"


@pytest.mark.parametrize(("body", "message"), [
    ({"mtu": "abc"}, "~mtu"),
    ({"mtu": 0}, "~mtu"),
    ({"mtu": -1}, "~mtu"),
    ({"mtu": 1.5}, "~mtu"),
    ({"mtu": True}, "~mtu"),
    ({"name": 7}, "~name"),
    ({"name": ["a"]}, "~name"),
    ({"name": "x" * 256}, "~name"),
    ({"description": 3}, "~description"),
    ({"port_security_enabled": "true"}, "port_security_enabled must be of type bool"),
    ({"port_security_enabled": 1}, "port_security_enabled must be of type bool"),
    ({"provider:network_type": "geneve", "provider:physical_network": "p"},
     "provider:network_type [geneve] is not supported"),
    ({"provider:network_type": "vxlan"}, "provider:network_type [vxlan] is not supported"),
    ({"provider:network_type": "flat"},
     "provider:physical_network is mandatory for network type flat"),
    ({"provider:network_type": "vlan", "provider:segmentation_id": 3},
     "provider:physical_network is mandatory for network type vlan"),
    ({"provider:physical_network": "phys"},
     "provider:physical_network cannot be used without a specified provider:network_type"),
    ({"provider:segmentation_id": 10},
     "provider:segmentation_id cannot be used without a specified provider:network_type"),
    ({"provider:network_type": "flat", "provider:physical_network": "p",
      "provider:segmentation_id": 10},
     "provider:segmentation_id can only be used with network type vlan"),
    ({"provider:network_type": "vlan", "provider:physical_network": "p"},
     "provider:segmentation_id is mandatory for network type vlan"),
    ({"provider:network_type": "vlan", "provider:physical_network": "p",
      "provider:segmentation_id": 4095}, "~provider:segmentation_id"),
    ({"provider:network_type": "vlan", "provider:physical_network": "p",
      "provider:segmentation_id": -1}, "~provider:segmentation_id"),
    ({"provider:network_type": "vlan", "provider:physical_network": "p",
      "provider:segmentation_id": "ten"}, "~provider:segmentation_id"),
    ({"provider:network_type": "vlan", "provider:physical_network": "p",
      "provider:segmentation_id": True}, "~provider:segmentation_id"),
    ({"provider:network_type": "vlan", "provider:physical_network": 5,
      "provider:segmentation_id": 5}, "~provider:physical_network"),
])
def test_create_rejects_bad_input_and_writes_nothing(api: Api, central: Central,
                                                     body: dict[str, Any],
                                                     message: str) -> None:
    before = snapshot(central)
    check(api.post("/v2.0/networks", {"network": {"name": "bad", **body}}), 400, message)
    assert snapshot(central) == before


def test_create_needs_the_root_key(api: Api) -> None:
    assert_error(api.post("/v2.0/networks", {"name": "x"}), 400)
    assert_error(api.post("/v2.0/networks", {"network": "x"}), 400)
    response = api.http.post("/v2.0/networks", content=b"{not json")
    assert_error(response, 400)


# -- provider networks ----------------------------------------------------------------------
def _localnet(central: Central, net_id: str) -> dict[str, Any]:
    ports = ls_ports(central, net_id)
    assert len(ports) == 1
    return nb_row(central, "Logical_Switch_Port", ports[0])


def test_flat_network_gets_a_localnet_port(api: Api, central: Central) -> None:
    net = api.network(name="flat", **{"provider:network_type": "flat",
                                      "provider:physical_network": "physnet-a"})
    assert net["provider:network_type"] == "flat"
    assert net["provider:physical_network"] == "physnet-a"
    assert "provider:segmentation_id" not in net
    lsp = _localnet(central, net["id"])
    assert UUID4.match(lsp["name"])
    assert lsp["type"] == "localnet"
    assert as_list(lsp["addresses"]) == ["unknown"]
    assert lsp["options"] == {"network_name": "physnet-a"}
    assert as_list(lsp["tag"]) == [] and as_list(lsp["tag_request"]) == []
    assert lsp["external_ids"] == {"ovirt_nic_name": "localnet_port"}
    # localnet ports are not API ports
    ids = [p["id"] for p in api.get("/v2.0/ports").json()["ports"]]
    assert lsp["name"] not in ids
    assert api.get(f"/v2.0/ports/{lsp['name']}").status_code == 404


def test_vlan_network_uses_the_tag_column(api: Api, central: Central) -> None:
    net = api.network(name="vlan", **{"provider:network_type": "vlan",
                                      "provider:physical_network": "physnet-b",
                                      "provider:segmentation_id": 10})
    assert net["provider:network_type"] == "vlan"
    assert net["provider:segmentation_id"] == 10
    assert isinstance(net["provider:segmentation_id"], int)
    lsp = _localnet(central, net["id"])
    assert as_list(lsp["tag"]) == [10] and as_list(lsp["tag_request"]) == []
    assert lsp["options"] == {"network_name": "physnet-b"}
    top = api.network(name="vlan4094", **{"provider:network_type": "vlan",
                                          "provider:physical_network": "p",
                                          "provider:segmentation_id": 4094})
    assert top["provider:segmentation_id"] == 4094
    assert as_list(_localnet(central, top["id"])["tag"]) == [4094]


def test_vlan_zero_is_refused(api: Api, central: Central) -> None:
    """The spec allows 0 to 4094, but OVN's LSP `tag` column holds 1 to 4095: a VLAN id of
    0 cannot be stored, so it is a clear 400 rather than a silently untagged network."""
    before = snapshot(central)
    check(api.post("/v2.0/networks", {"network": {"provider:network_type": "vlan",
                                                  "provider:physical_network": "p",
                                                  "provider:segmentation_id": 0}}),
          400, "~provider:segmentation_id")
    assert snapshot(central) == before


def test_put_without_provider_keys_keeps_the_physical_network(api: Api,
                                                              central: Central) -> None:
    """ ( dropped)."""
    net = api.network(name="d5", **{"provider:network_type": "vlan",
                                    "provider:physical_network": "phys",
                                    "provider:segmentation_id": 7})
    # ovn-northd marks the new localnet port up: let it, or `before` may miss that change
    central.nbctl("--wait=sb", "sync")
    before = _localnet(central, net["id"])
    response = api.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "d5-renamed",
                                                                      "mtu": 1400}})
    assert response.status_code == 200, response.text
    updated = response.json()["network"]
    assert updated["provider:network_type"] == "vlan"
    assert updated["provider:physical_network"] == "phys"
    assert updated["provider:segmentation_id"] == 7
    assert _localnet(central, net["id"]) == before

    # present keys update the same localnet port in place
    updated = api.put(f"/v2.0/networks/{net['id']}", {"network": {
        "provider:network_type": "vlan", "provider:physical_network": "phys2",
        "provider:segmentation_id": 20}}).json()["network"]
    after = _localnet(central, net["id"])
    assert after["_uuid"] == before["_uuid"]
    assert after["options"] == {"network_name": "phys2"} and as_list(after["tag"]) == [20]
    assert updated["provider:segmentation_id"] == 20

    # vlan -> flat clears the tag
    updated = api.put(f"/v2.0/networks/{net['id']}", {"network": {
        "provider:network_type": "flat", "provider:physical_network": "phys2"}}
    ).json()["network"]
    assert updated["provider:network_type"] == "flat"
    assert "provider:segmentation_id" not in updated
    assert as_list(_localnet(central, net["id"])["tag"]) == []

    # an explicit null removes it: the network becomes an overlay
    response = api.put(f"/v2.0/networks/{net['id']}",
                       {"network": {"provider:physical_network": None}})
    assert response.status_code == 200, response.text
    assert overlay(response.json()["network"])
    assert ls_ports(central, net["id"]) == []
    assert not nb_exists(central, "Logical_Switch_Port", before["_uuid"])


def test_put_adds_a_physical_network_to_an_overlay(api: Api, central: Central) -> None:
    net = api.network(name="overlay")
    response = api.put(f"/v2.0/networks/{net['id']}", {"network": {
        "provider:network_type": "flat", "provider:physical_network": "late"}})
    assert response.status_code == 200, response.text
    assert response.json()["network"]["provider:physical_network"] == "late"
    assert _localnet(central, net["id"])["options"] == {"network_name": "late"}
    # a lone null segmentation id changes nothing
    response = api.put(f"/v2.0/networks/{net['id']}",
                       {"network": {"provider:segmentation_id": None}})
    assert response.status_code == 200, response.text
    assert response.json()["network"]["provider:network_type"] == "flat"


# -- update ------------------------------------------------------------------------------------
def test_update_name_port_security_and_mtu(api: Api, central: Central) -> None:
    net = api.network(name="before", port_security_enabled=False)
    ls_name = nb_row(central, "Logical_Switch", net["id"])["name"]
    old_port = api.port(net["id"])
    assert old_port["port_security_enabled"] is False
    response = api.put(f"/v2.0/networks/{net['id']}", {"network": {
        "name": "after", "port_security_enabled": True, "mtu": 1300,
        "admin_state_up": True, "tenant_id": "ignored", "id": net["id"]}})
    assert response.status_code == 200, response.text
    updated = response.json()["network"]
    assert (updated["name"], updated["port_security_enabled"], updated["mtu"]) == \
        ("after", True, 1300)
    row = nb_row(central, "Logical_Switch", net["id"])
    assert row["name"] == ls_name  # never changed on rename
    assert without_stamps(row["external_ids"], 2) == {"ovirt_network_name": "after", "mtu": "1300",
                                   "ovirt_port_security": "True",
                                   "ovirt_address_serial": "1"}  # docs/concurrency.md
    # an empty body changes nothing
    assert api.put(f"/v2.0/networks/{net['id']}", {"network": {}}).json()["network"] == updated
    # new ports follow the network's port security; existing ones keep theirs
    port = api.port(net["id"])
    assert port["port_security_enabled"] is True
    assert api.show("ports", "port", old_port["id"])["port_security_enabled"] is False
    assert as_list(nb_row(central, "Logical_Switch_Port", old_port["id"])["port_security"]) \
        == []


@pytest.mark.parametrize(("body", "message"), [
    ({"mtu": 0}, "~mtu"),
    ({"mtu": "big"}, "~mtu"),
    ({"name": 1}, "~name"),
    ({"port_security_enabled": "no"}, "port_security_enabled must be of type bool"),
    ({"provider:network_type": "gre", "provider:physical_network": "p"},
     "provider:network_type [gre] is not supported"),
    ({"provider:segmentation_id": 5},
     "provider:segmentation_id cannot be used without a specified provider:network_type"),
    ({"provider:physical_network": "p"},
     "provider:physical_network cannot be used without a specified provider:network_type"),
    ({"provider:network_type": "vlan", "provider:physical_network": None,
      "provider:segmentation_id": 4}, "provider:physical_network is mandatory for network "
                                      "type vlan"),
])
def test_update_rejects_bad_input_and_writes_nothing(api: Api, central: Central,
                                                     body: dict[str, Any],
                                                     message: str) -> None:
    net = api.network(name="upd-bad", mtu=1400, **{"provider:network_type": "flat",
                                                   "provider:physical_network": "p"})
    before = snapshot(central)
    check(api.put(f"/v2.0/networks/{net['id']}", {"network": body}), 400, message)
    assert snapshot(central) == before


def test_unknown_network_gives_404(api: Api) -> None:
    for ident in (str(uuid.uuid4()), "not-a-uuid"):
        assert_error(api.get(f"/v2.0/networks/{ident}"), 404)
        assert_error(api.put(f"/v2.0/networks/{ident}", {"network": {"name": "x"}}), 404)
        assert_error(api.delete(f"/v2.0/networks/{ident}"), 404)


def test_mtu_update_reaches_ipv4_dhcp_and_ipv6_router_advertisements(
        api: Api, central: Central, provider: Provider) -> None:
    net = api.network(name="mtu-prop")
    v4 = api.subnet(net["id"], "10.61.0.0/24", gateway_ip="10.61.0.1")
    v6 = api.subnet(net["id"], "fd00:61::/64", gateway_ip="fd00:61::1")
    assert nb_row(central, "DHCP_Options", v4["id"])["options"]["mtu"] == "1442"
    assert "mtu" not in nb_row(central, "DHCP_Options", v6["id"])["external_ids"]
    # a router port serving the IPv6 subnet, as the routers module writes it (docs/routers.md)
    lsp_name, router = str(uuid.uuid4()), f"r-{uuid.uuid4()}"
    central.nbctl("lr-add", router)
    central.nbctl("lrp-add", router, f"lrp{lsp_name}", "02:00:00:aa:61:01", "fd00:61::1/64",
                  "--", "set", "Logical_Router_Port", f"lrp{lsp_name}",
                  "ipv6_ra_configs:address_mode=dhcpv6_stateful",
                  "ipv6_ra_configs:send_periodic=true")
    other_lrp = f"lrp{uuid.uuid4()}"  # a router port elsewhere must not change
    central.nbctl("lrp-add", router, other_lrp, "02:00:00:aa:61:02", "fd00:62::1/64",
                  "--", "set", "Logical_Router_Port", other_lrp,
                  "ipv6_ra_configs:address_mode=dhcpv6_stateful")
    central.nbctl("lsp-add", net["id"], lsp_name, "--", "lsp-set-type", lsp_name, "router",
                  "--", "lsp-set-addresses", lsp_name, "router",
                  "--", "lsp-set-options", lsp_name, f"router-port=lrp{lsp_name}",
                  "--", "set", "Logical_Switch_Port", lsp_name,
                  "external_ids:ovirt_nic_name=router_port",
                  "external_ids:ovirt_device_owner=network:router_interface")
    try:
        synced(provider, central)
        response = api.put(f"/v2.0/networks/{net['id']}", {"network": {"mtu": 1300}})
        assert response.status_code == 200, response.text
        assert response.json()["network"]["mtu"] == 1300
        assert nb_row(central, "DHCP_Options", v4["id"])["options"]["mtu"] == "1300"
        row6 = nb_row(central, "DHCP_Options", v6["id"])
        assert row6["external_ids"]["mtu"] == "1300"
        assert "mtu" not in row6["options"]  # no DHCPv4 options on IPv6 rows
        lrp = nb_row(central, "Logical_Router_Port", f"lrp{lsp_name}")
        assert lrp["ipv6_ra_configs"] == {"address_mode": "dhcpv6_stateful",
                                          "send_periodic": "true", "mtu": "1300"}
        assert "mtu" not in nb_row(central, "Logical_Router_Port", other_lrp)[
            "ipv6_ra_configs"]
    finally:
        central.nbctl("lsp-del", lsp_name)
        central.nbctl("lr-del", router)


# -- delete -----------------------------------------------------------------------------------
def test_delete_with_ports_is_409_and_changes_nothing(api: Api, central: Central) -> None:
    net = api.network(name="busy", **{"provider:network_type": "flat",
                                      "provider:physical_network": "p"})
    api.subnet(net["id"], "10.62.0.0/24")
    port = api.port(net["id"])
    before = snapshot(central)
    assert_error(api.delete(f"/v2.0/networks/{net['id']}"), 409,
                 f"Unable to complete operation on network {net['id']}. There are one or more "
                 "ports still in use on the network.")
    assert snapshot(central) == before
    assert api.delete(f"/v2.0/ports/{port['id']}").status_code == 204


def test_delete_removes_switch_subnets_and_localnet(api: Api, central: Central) -> None:
    net = api.network(name="doomed", **{"provider:network_type": "vlan",
                                        "provider:physical_network": "p",
                                        "provider:segmentation_id": 3})
    v4 = api.subnet(net["id"], "10.63.0.0/24")
    v6 = api.subnet(net["id"], "fd00:63::/64")
    localnet = _localnet(central, net["id"])
    other = api.network(name="bystander")
    other_subnet = api.subnet(other["id"], "10.64.0.0/24")
    response = api.delete(f"/v2.0/networks/{net['id']}")
    assert response.status_code == 204 and response.content == b""
    assert not nb_exists(central, "Logical_Switch", net["id"])
    assert not nb_exists(central, "Logical_Switch_Port", localnet["_uuid"])
    for subnet in (v4, v6):
        assert not nb_exists(central, "DHCP_Options", subnet["id"])
        assert api.get(f"/v2.0/subnets/{subnet['id']}").status_code == 404
    assert nb_exists(central, "DHCP_Options", other_subnet["id"])
    assert api.get(f"/v2.0/networks/{net['id']}").status_code == 404


def test_delete_with_router_port_is_409(api: Api, central: Central,
                                        provider: Provider) -> None:
    net = api.network(name="routed")
    lsp_name = str(uuid.uuid4())
    central.nbctl("lsp-add", net["id"], lsp_name, "--", "lsp-set-type", lsp_name, "router",
                  "--", "set", "Logical_Switch_Port", lsp_name,
                  "external_ids:ovirt_nic_name=router_port")
    try:
        synced(provider, central)
        assert_error(api.delete(f"/v2.0/networks/{net['id']}"), 409)
    finally:
        central.nbctl("lsp-del", lsp_name)
    synced(provider, central)
    assert api.delete(f"/v2.0/networks/{net['id']}").status_code == 204


# -- reading foreign and predecessor data -------------------------------------------------
def test_foreign_switches_are_listed_with_fallbacks(api: Api, central: Central,
                                                    provider: Provider) -> None:
    """: every LS is a network; missing or bad keys fall back to the defaults."""
    plain = f"foreign-{uuid.uuid4()}"
    central.nbctl("ls-add", plain)
    odd = f"foreign-{uuid.uuid4()}"
    central.nbctl("ls-add", odd, "--", "set", "Logical_Switch", odd,
                  "external_ids:mtu=None", "external_ids:ovirt_port_security=TRUE",
                  "external_ids:ovirt_network_name=old-name")
    vlan = f"foreign-{uuid.uuid4()}"
    central.nbctl("ls-add", vlan, "--", "set", "Logical_Switch", vlan,
                  "external_ids:mtu=9000")
    central.nbctl("lsp-add", vlan, f"ln-{vlan}", "--", "lsp-set-type", f"ln-{vlan}",
                  "localnet", "--", "lsp-set-options", f"ln-{vlan}", "network_name=datacenter",
                  "--", "set", "Logical_Switch_Port", f"ln-{vlan}", "tag=42")
    try:
        synced(provider, central)
        listed = {n["id"]: n for n in api.get("/v2.0/networks").json()["networks"]}
        uuids = {name: central.nbctl("get", "Logical_Switch", name, "_uuid").strip()
                 for name in (plain, odd, vlan)}
        first = listed[uuids[plain]]
        assert first["name"] == plain and first["mtu"] == 1442
        assert first["port_security_enabled"] is False
        assert overlay(first)
        second = listed[uuids[odd]]
        assert second["name"] == "old-name" and second["mtu"] == 1442
        assert second["port_security_enabled"] is True
        third = listed[uuids[vlan]]
        assert third["mtu"] == 9000
        assert (third["provider:network_type"], third["provider:physical_network"],
                third["provider:segmentation_id"]) == ("vlan", "datacenter", 42)
        assert api.show("networks", "network", uuids[vlan]) == third
    finally:
        for name in (plain, odd, vlan):
            central.nbctl("ls-del", name)


def test_subnets_field_lists_both_families(api: Api) -> None:
    net = api.network(name="dual-list")
    v4 = api.subnet(net["id"], "10.65.0.0/24")
    v6 = api.subnet(net["id"], "fd00:65::/64")
    shown = api.show("networks", "network", net["id"])
    assert sorted(shown["subnets"]) == sorted([v4["id"], v6["id"]])
    listed = next(n for n in api.get("/v2.0/networks").json()["networks"]
                  if n["id"] == net["id"])
    assert listed == shown


# -- validation-max-allowed-mtu ---------------------------------------------------------------
def test_mtu_limit(limited_api: Api, central: Central) -> None:
    before = snapshot(central)
    assert_error(limited_api.post("/v2.0/networks", {"network": {"name": "big", "mtu": 1501}}),
                 400, "Requested MTU is too big, maximum is 1500")
    assert snapshot(central) == before
    at_limit = limited_api.network(name="at-limit", mtu=1500)
    assert at_limit["mtu"] == 1500
    without = limited_api.network(name="no-mtu")  # checked only when given
    assert without["mtu"] == 1442
    before = snapshot(central)
    assert_error(limited_api.put(f"/v2.0/networks/{without['id']}",
                                 {"network": {"mtu": 9000}}),
                 400, "Requested MTU is too big, maximum is 1500")
    assert snapshot(central) == before
    renamed = limited_api.put(f"/v2.0/networks/{at_limit['id']}",
                              {"network": {"name": "renamed"}})
    assert renamed.status_code == 200, renamed.text


def test_no_mtu_limit_by_default(api: Api) -> None:
    assert api.network(name="jumbo", mtu=9000)["mtu"] == 9000


def test_delete_racing_a_port_create_on_another_instance(api: Api, limited_api: Api,
                                                        limited: Provider,
                                                        central: Central) -> None:
    """Either the delete wins (the port POST then finds no network) or the port does (the
    delete answers 409); never both (docs/compatibility.md, "Concurrency")."""
    for attempt in range(RACES):
        net_id = api.network(name=f"race-del-{attempt}")["id"]
        synced(limited, central)  # both instances know the network
        deleted, port = at_once(
            functools.partial(api.delete, f"/v2.0/networks/{net_id}"),
            functools.partial(limited_api.post, "/v2.0/ports", {"port": {
                "network_id": net_id, "port_security_enabled": False}}))
        assert (deleted, port) in ((204, 400), (204, 404), (409, 201))
        exists = api.get(f"/v2.0/networks/{net_id}").status_code == 200
        assert exists == (deleted == 409)
