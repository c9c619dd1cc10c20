"""Allowed address pairs (docs/nb-layout.md) on a real NB: the API shape, the LSP layout
(external_ids record, port_security and addresses entries for foreign MACs), every error,
and that a failed request writes nothing."""

from __future__ import annotations

import html
import itertools
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from tests.support.port_checks import error, lsp_row, setof, snapshot
from tests.support.provider import Api, make_config, running

KEY = "ovirt_allowed_address_pairs"
VMAC = "00:00:5e:00:01:07"  # a VRRP virtual MAC
_NET = itertools.count(1)


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


@pytest.fixture()
def lan(api: Api) -> dict[str, Any]:
    """A network with port security and an IPv4 /24 (10.120+n.0.0/24)."""
    n = next(_NET)
    net = api.network(name=f"aap{n}", port_security_enabled=True)
    subnet = api.subnet(net["id"], f"10.{120 + n}.0.0/24")
    return {"net": net, "subnet": subnet, "p": f"10.{120 + n}.0"}


def put(api: Api, port_id: str, **attrs: Any) -> Any:
    return api.put(f"/v2.0/ports/{port_id}", {"port": attrs})


def pairs_of(port: dict[str, Any]) -> list[dict[str, str]]:
    return list(port["allowed_address_pairs"])


# -- shape and layout ---------------------------------------------------------------------------
def test_a_port_without_pairs_reports_an_empty_list(api: Api, central: Central,
                                                     lan: dict[str, Any]) -> None:
    port = api.port(lan["net"]["id"])
    assert port["allowed_address_pairs"] == []
    row = lsp_row(central, port["id"])
    assert KEY not in row["external_ids"]
    assert setof(row["port_security"]) == [port["mac_address"]]


def test_pairs_are_stored_shown_and_enforced_in_the_lsp(api: Api, central: Central,
                                                        lan: dict[str, Any]) -> None:
    p = lan["p"]
    given = [{"ip_address": f"{p}.100"},                              # the port's own MAC
             {"ip_address": f"{p}.101", "mac_address": VMAC.upper()},  # a foreign MAC
             {"ip_address": f"{p}.128/25", "mac_address": VMAC},
             {"ip_address": "fd00:1::/64"}]
    port = api.port(lan["net"]["id"], allowed_address_pairs=given)
    mac = port["mac_address"]
    assert pairs_of(port) == [
        {"ip_address": f"{p}.100", "mac_address": mac},
        {"ip_address": f"{p}.101", "mac_address": VMAC},
        {"ip_address": f"{p}.128/25", "mac_address": VMAC},
        {"ip_address": "fd00:1::/64", "mac_address": mac}]
    assert api.show("ports", "port", port["id"]) == port
    listed = api.get("/v2.0/ports", params={"id": port["id"]}).json()["ports"]
    assert listed == [port]
    row = lsp_row(central, port["id"])
    assert row["external_ids"][KEY] == f"{p}.100 {p}.101,{VMAC} {p}.128/25,{VMAC} fd00:1::/64"
    # Own MAC: port security stays MAC-only; the foreign MAC only with its IPs, and
    # `unknown` makes OVN flood frames for MACs no port owns to the port, whose egress
    # port security passes those for the foreign MAC.
    assert setof(row["port_security"]) == sorted([mac, f"{VMAC} {p}.101 {p}.128/25"])
    assert sorted(setof(row["addresses"])) == [f"{mac} dynamic", "unknown"]
    # the port's own address is still the first entry northd allocates for
    central.nbctl("--wait=sb", "sync")
    row = lsp_row(central, port["id"])
    assert row["dynamic_addresses"] == f"{mac} {port['fixed_ips'][0]['ip_address']}"


def test_update_replaces_and_clears_pairs(api: Api, central: Central,
                                          lan: dict[str, Any]) -> None:
    p = lan["p"]
    port = api.port(lan["net"]["id"], allowed_address_pairs=[
        {"ip_address": f"{p}.50", "mac_address": VMAC}])
    mac = port["mac_address"]
    answer = put(api, port["id"], allowed_address_pairs=[{"ip_address": f"{p}.51"}])
    assert answer.status_code == 200, answer.text
    assert pairs_of(answer.json()["port"]) == [{"ip_address": f"{p}.51", "mac_address": mac}]
    row = lsp_row(central, port["id"])
    assert setof(row["port_security"]) == [mac]
    assert setof(row["addresses"]) == [f"{mac} dynamic"]
    # An update that does not name the pairs keeps them.
    kept = put(api, port["id"], name="renamed").json()["port"]
    assert pairs_of(kept) == [{"ip_address": f"{p}.51", "mac_address": mac}]
    for empty in ([], None):
        put(api, port["id"], allowed_address_pairs=[{"ip_address": f"{p}.52",
                                                     "mac_address": VMAC}])
        cleared = put(api, port["id"], allowed_address_pairs=empty)
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["port"]["allowed_address_pairs"] == []
        row = lsp_row(central, port["id"])
        assert KEY not in row["external_ids"]
        assert setof(row["port_security"]) == [mac]
        assert setof(row["addresses"]) == [f"{mac} dynamic"]


def test_pairs_without_a_mac_follow_the_ports_mac(api: Api, central: Central,
                                                  lan: dict[str, Any]) -> None:
    p = lan["p"]
    port = api.port(lan["net"]["id"], allowed_address_pairs=[
        {"ip_address": f"{p}.60"}, {"ip_address": f"{p}.61", "mac_address": VMAC}])
    new_mac = "02:aa:bb:cc:dd:01"
    moved = put(api, port["id"], mac_address=new_mac).json()["port"]
    assert pairs_of(moved) == [{"ip_address": f"{p}.60", "mac_address": new_mac},
                               {"ip_address": f"{p}.61", "mac_address": VMAC}]
    row = lsp_row(central, port["id"])
    assert setof(row["port_security"]) == sorted([new_mac, f"{VMAC} {p}.61"])
    assert sorted(setof(row["addresses"])) == [f"{new_mac} dynamic", "unknown"]


def test_pairs_survive_a_subnet_change_on_the_network(api: Api, central: Central) -> None:
    """Adding a subnet re-plans the network's ports' addresses; the foreign-MAC entries
    and port security of their pairs must stay."""
    net = api.network(name="aap-late", port_security_enabled=True)
    port = api.port(net["id"], allowed_address_pairs=[
        {"ip_address": "10.119.0.9", "mac_address": VMAC}])
    mac = port["mac_address"]
    assert setof(lsp_row(central, port["id"])["addresses"]) == [mac, "unknown"]
    api.subnet(net["id"], "10.119.0.0/24")
    row = lsp_row(central, port["id"])
    assert sorted(setof(row["addresses"])) == [f"{mac} dynamic", "unknown"]
    assert setof(row["port_security"]) == sorted([mac, f"{VMAC} 10.119.0.9"])
    shown = api.show("ports", "port", port["id"])
    assert pairs_of(shown) == [{"ip_address": "10.119.0.9", "mac_address": VMAC}]
    assert shown["fixed_ips"][0]["ip_address"].startswith("10.119.0.")


def test_a_port_recorded_by_the_predecessor_has_no_pairs(api: Api, central: Central,
                                                         lan: dict[str, Any]) -> None:
    """A port whose external_ids lack the key (the predecessor's layout) shows [], and an
    update that does not name pairs leaves port_security alone."""
    port = api.port(lan["net"]["id"])
    # a foreign writer left an extra entry: a name change must not rewrite it
    central.nbctl("set", "Logical_Switch_Port", port["id"],
                  f'port_security="{port["mac_address"]} {lan["p"]}.7"')
    put(api, port["id"], name="x")
    row = lsp_row(central, port["id"])
    assert setof(row["port_security"]) == [f"{port['mac_address']} {lan['p']}.7"]


# -- errors ---------------------------------------------------------------------------------------
BAD_PAIRS: list[tuple[Any, str]] = [
    ("10.0.0.1", "must be of type: list"),
    ({"ip_address": "10.0.0.1"}, "must be of type: list"),
    (["10.0.0.1"], "each pair must be an object"),
    ([{}], "must contain ip_address"),
    ([{"mac_address": VMAC}], "must contain ip_address"),
    ([{"ip_address": None}], "must contain ip_address"),
    ([{"ip_address": "10.0.0.300"}], "not a valid IP address or CIDR"),
    ([{"ip_address": ""}], "not a valid IP address or CIDR"),
    ([{"ip_address": 10}], "not a valid IP address or CIDR"),
    ([{"ip_address": "fe80::1%eth0"}], "not a valid IP address or CIDR"),
    ([{"ip_address": "10.0.0.5/24"}], "'10.0.0.0/24' is recommended"),
    ([{"ip_address": "10.0.0.1", "mac_address": "zz:00:00:00:00:01"}], "not a valid MAC"),
    ([{"ip_address": "10.0.0.1", "mac_address": "ff:ff:ff:ff:ff:ff"}], "not a valid MAC"),
    ([{"ip_address": "10.0.0.1", "foo": 1}], "unrecognized attribute(s) foo"),
    ([{"ip_address": "10.0.0.1"}, {"ip_address": "10.0.0.1"}], "duplicate address pair"),
    ([{"ip_address": "10.0.0.1", "mac_address": VMAC},
      {"ip_address": "10.0.0.1", "mac_address": VMAC.replace(":", "-")}],
     "duplicate address pair"),
    ([{"ip_address": f"10.0.0.{i}"} for i in range(1, 12)],
     "Exceeded maximum amount of allowed address pairs 10"),
]


@pytest.mark.parametrize(("pairs", "message"), BAD_PAIRS)
def test_bad_pairs_are_400_and_write_nothing(api: Api, central: Central, lan: dict[str, Any],
                                             pairs: Any, message: str) -> None:
    port = api.port(lan["net"]["id"])
    before = snapshot(central)
    created = api.post("/v2.0/ports", {"port": {"network_id": lan["net"]["id"],
                                                "allowed_address_pairs": pairs}})
    # messages are HTML-escaped
    assert message in html.unescape(error(created, 400))
    assert message in html.unescape(error(put(api, port["id"], allowed_address_pairs=pairs),
                                          400))
    assert snapshot(central) == before


def test_ten_pairs_are_accepted(api: Api, lan: dict[str, Any]) -> None:
    pairs = [{"ip_address": f"{lan['p']}.{i}"} for i in range(200, 210)]
    assert len(pairs_of(api.port(lan["net"]["id"], allowed_address_pairs=pairs))) == 10


def test_pairs_need_port_security(api: Api, central: Central, lan: dict[str, Any]) -> None:
    before = snapshot(central)
    pair = [{"ip_address": f"{lan['p']}.70"}]
    created = api.post("/v2.0/ports", {"port": {
        "network_id": lan["net"]["id"], "port_security_enabled": False,
        "allowed_address_pairs": pair}})
    assert "Port Security must be enabled" in error(created, 409)
    assert snapshot(central) == before
    # an empty list is fine without port security
    plain = api.port(lan["net"]["id"], port_security_enabled=False, allowed_address_pairs=[])
    assert "Port Security must be enabled" in error(
        put(api, plain["id"], allowed_address_pairs=pair), 409)
    # switching port security off while pairs remain is refused ...
    port = api.port(lan["net"]["id"], allowed_address_pairs=pair)
    before = snapshot(central)
    assert "Port Security must be enabled" in error(
        put(api, port["id"], port_security_enabled=False), 409)
    assert snapshot(central) == before
    # ... unless the same request drops them
    off = put(api, port["id"], port_security_enabled=False, allowed_address_pairs=[])
    assert off.status_code == 200, off.text
    row = lsp_row(central, port["id"])
    assert setof(row["port_security"]) == [] and KEY not in row["external_ids"]


def test_a_foreign_mac_may_be_another_ports_own(api: Api, central: Central,
                                                lan: dict[str, Any]) -> None:
    """As in Neutron, a pair's MAC may be another port's own MAC on the network (a port
    ready to take over another's address), and a port may take as its own a MAC that
    pairs list; ports may share a foreign MAC (VRRP's virtual MAC). The layout stays the
    one of any foreign MAC (tests/functional/test_address_pairs_trace.py traces it)."""
    net = lan["net"]["id"]
    p = lan["p"]
    other = api.port(net)
    own_ip = other["fixed_ips"][0]["ip_address"]
    taking = [{"ip_address": own_ip, "mac_address": other["mac_address"]}]
    backup = api.port(net, allowed_address_pairs=taking)
    assert pairs_of(backup) == taking
    row = lsp_row(central, backup["id"])
    assert setof(row["port_security"]) == sorted(
        [backup["mac_address"], f"{other['mac_address']} {own_ip}"])
    assert "unknown" in setof(row["addresses"])
    assert "unknown" not in setof(lsp_row(central, other["id"])["addresses"])
    vrrp = [{"ip_address": f"{p}.81", "mac_address": VMAC}]
    first = api.port(net, allowed_address_pairs=vrrp)
    second = api.port(net, allowed_address_pairs=vrrp)
    for port in (first, second):
        assert setof(lsp_row(central, port["id"])["port_security"]) == sorted(
            [port["mac_address"], f"{VMAC} {p}.81"])
    # a MAC that pairs list may become a port's own, by create or update
    taken = api.port(net, mac_address=VMAC)
    assert taken["mac_address"] == VMAC
    api.delete(f"/v2.0/ports/{taken['id']}")
    moved = put(api, other["id"], mac_address=VMAC)
    assert moved.status_code == 200, moved.text
    # a port's own MAC stays unique on the network, whatever pairs list
    before = snapshot(central)
    clash = api.post("/v2.0/ports", {"port": {"network_id": net, "mac_address": VMAC}})
    assert "is in use" in error(clash, 409)
    assert snapshot(central) == before


def test_the_same_vip_with_the_ports_own_macs_on_two_ports(api: Api, central: Central,
                                                           lan: dict[str, Any]) -> None:
    """keepalived without a virtual MAC: both ports list the VIP with their own MAC."""
    vip = [{"ip_address": f"{lan['p']}.90"}]
    a = api.port(lan["net"]["id"], allowed_address_pairs=vip)
    b = api.port(lan["net"]["id"], allowed_address_pairs=vip)
    for port in (a, b):
        assert pairs_of(port) == [{"ip_address": f"{lan['p']}.90",
                                   "mac_address": port["mac_address"]}]
    # the VIP stays free for a port of its own (Neutron reserves it this way)
    vip_port = api.port(lan["net"]["id"], fixed_ips=[{"ip_address": f"{lan['p']}.90"}])
    assert vip_port["fixed_ips"][0]["ip_address"] == f"{lan['p']}.90"


def test_router_ports_take_no_pairs(api: Api, central: Central, lan: dict[str, Any]) -> None:
    p = lan["p"]
    router = api.create("routers", "router", name="aap-r")
    port = api.port(lan["net"]["id"], fixed_ips=[{"ip_address": f"{p}.1"}],
                    allowed_address_pairs=[{"ip_address": f"{p}.95", "mac_address": VMAC}])
    added = api.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                    {"port_id": port["id"]})
    assert added.status_code == 200, added.text
    row = lsp_row(central, port["id"])
    assert KEY not in row["external_ids"]
    assert setof(row["addresses"]) == ["router"] and setof(row["port_security"]) == []
    assert api.show("ports", "port", port["id"])["allowed_address_pairs"] == []
    before = snapshot(central)
    refused = put(api, port["id"], allowed_address_pairs=[{"ip_address": f"{p}.96"}])
    assert "allowed_address_pairs" in error(refused, 409)
    assert snapshot(central) == before
    # a foreign MAC freed by the conversion can be used again
    api.port(lan["net"]["id"], allowed_address_pairs=[{"ip_address": f"{p}.95",
                                                       "mac_address": VMAC}])


def test_the_limit_is_configurable(central: Central) -> None:
    cfg = make_config(central.nb_remote, **{"NETWORK/max-allowed-address-pairs": "2"})
    with running(cfg) as prov:
        api = Api(prov)
        try:
            net = api.network(name="aap-limit", port_security_enabled=True)
            two = [{"ip_address": "10.118.0.1"}, {"ip_address": "10.118.0.2"}]
            assert len(pairs_of(api.port(net["id"], allowed_address_pairs=two))) == 2
            three = [*two, {"ip_address": "10.118.0.3"}]
            refused = api.post("/v2.0/ports", {"port": {"network_id": net["id"],
                                                        "allowed_address_pairs": three}})
            assert "Exceeded maximum amount of allowed address pairs 2" in error(refused, 400)
        finally:
            api.close()
