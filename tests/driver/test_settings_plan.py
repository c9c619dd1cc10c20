"""Unit tests: the settings configure computes and the plans it makes from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovn_provider.driver.errors import DriverError
from ovn_provider.driver.ovs import OvsState, decode, rows
from ovn_provider.driver.plan import RECORD, Change, plan_configure, plan_unconfigure
from ovn_provider.driver.settings import (
    LEGACY_KEYS,
    ControllerConfig,
    Key,
    Pki,
    controller_opts,
    desired_settings,
    format_remote,
    parse_bridge_mappings,
)


def test_remote_brackets_ipv6_only() -> None:
    assert format_remote("ssl", "192.0.2.10", 6642) == "ssl:192.0.2.10:6642"
    assert format_remote("ssl", "2001:db8::10", 6642) == "ssl:[2001:db8::10]:6642"
    assert format_remote("tcp", "::1", 16642) == "tcp:[::1]:16642"


def test_spec_keys_with_ssl_defaults() -> None:
    config = ControllerConfig(central_ips=("2001:db8::1",), tunnel_ip="192.0.2.5")
    assert {str(k): v for k, v in desired_settings(config).items()} == {
        "external_ids:ovn-remote": "ssl:[2001:db8::1]:6642",
        "external_ids:ovn-encap-type": "geneve",
        "external_ids:ovn-encap-ip": "192.0.2.5",
        "external_ids:ovn-remote-probe-interval": "60000",
        "external_ids:ovn-openflow-probe-interval": "60",
        "other_config:private_key": "/etc/pki/vdsm/ovn/ovn-key.pem",
        "other_config:certificate": "/etc/pki/vdsm/ovn/ovn-cert.pem",
        "other_config:ca_cert": "/etc/pki/vdsm/ovn/ca-cert.pem",
    }
    assert set(desired_settings(config)) == set(LEGACY_KEYS)


def test_tcp_without_pki_fqdn_mappings_datapath_cluster() -> None:
    config = ControllerConfig(
        central_ips=("192.0.2.1", "192.0.2.2"), tunnel_ip="2001:db8::7", protocol="tcp",
        sb_port=16642, encap="vxlan", host_fqdn="hv1.example.org",
        bridge_mappings=parse_bridge_mappings("phys:br-phy, ext:br-ex"),
        datapath_type="netdev")
    settings = {str(k): v for k, v in desired_settings(config).items()}
    assert settings["external_ids:ovn-remote"] == "tcp:192.0.2.1:16642,tcp:192.0.2.2:16642"
    assert settings["external_ids:ovn-encap-type"] == "vxlan"
    assert settings["external_ids:ovn-encap-ip"] == "2001:db8::7"
    assert settings["external_ids:system-id"] == "hv1.example.org"
    assert settings["external_ids:ovn-bridge-mappings"] == "phys:br-phy,ext:br-ex"
    assert settings["external_ids:ovn-bridge-datapath-type"] == "netdev"
    assert not [k for k in settings if k.startswith("other_config:")]


def test_explicit_pki_is_written_even_with_tcp() -> None:
    config = ControllerConfig(central_ips=("192.0.2.1",), tunnel_ip="192.0.2.2",
                              protocol="tcp", pki=Pki(key="/k.pem"))
    settings = {str(k): v for k, v in desired_settings(config).items()}
    assert settings["other_config:private_key"] == "/k.pem"
    assert settings["other_config:ca_cert"] == "/etc/pki/vdsm/ovn/ca-cert.pem"


def test_sysconfig_content() -> None:
    assert controller_opts(Pki()) == (
        'OVN_CONTROLLER_OPTS="--ovn-controller-ssl-key=/etc/pki/vdsm/ovn/ovn-key.pem '
        '--ovn-controller-ssl-cert=/etc/pki/vdsm/ovn/ovn-cert.pem '
        '--ovn-controller-ssl-ca-cert=/etc/pki/vdsm/ovn/ca-cert.pem"\n')


@pytest.mark.parametrize("kwargs, message", [
    ({"central_ips": ("engine.example.org",)}, "central IP"),
    ({"tunnel_ip": "ovirtmgmt"}, "tunnel IP"),
    ({"protocol": "stt"}, "protocol"),
    ({"encap": "stt"}, "encap"),
    ({"sb_port": 0}, "port"),
    ({"host_fqdn": "bad name"}, "FQDN"),
    ({"central_ips": ()}, "central"),
])
def test_invalid_config(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"central_ips": ("192.0.2.1",), "tunnel_ip": "192.0.2.2"}
    with pytest.raises(DriverError, match=message):
        ControllerConfig(**{**base, **kwargs})


@pytest.mark.parametrize("text", ["phys", "phys:", ":br", "a:b,a:c", "p:br:x",
                                  "p:a-very-long-bridge-name"])
def test_bad_bridge_mappings(text: str) -> None:
    with pytest.raises(DriverError):
        parse_bridge_mappings(text)


def test_decode_ovsdb_json() -> None:
    doc = ('{"data":[[["map",[["a","1"]]],["set",[]],["uuid","u1"],7,["set",["x","y"]]]],'
           '"headings":["m","empty","ref","n","s"]}')
    assert rows(doc) == [{"m": {"a": "1"}, "empty": [], "ref": "u1", "n": 7, "s": ["x", "y"]}]
    assert decode("plain") == "plain"


def state(external_ids: dict[str, str] | None = None,
          other_config: dict[str, str] | None = None,
          bridges: tuple[str, ...] = ()) -> OvsState:
    return OvsState(external_ids=dict(external_ids or {}), other_config=dict(other_config or {}),
                    bridges={b: {"datapath_type": "", "fail_mode": None} for b in bridges},
                    interfaces=[])


def apply_to(current: OvsState, changes: list[Change]) -> OvsState:
    """What the database holds after the plan (a model of ovs-vsctl)."""
    new = state(current.external_ids, current.other_config, tuple(current.bridges))
    for change in changes:
        if change.action in ("set", "remove"):
            key = Key.parse(change.target)
            column = new.column(key.column)
            if change.action == "set":
                column[key.key] = change.value or ""
            else:
                column.pop(key.key, None)
        elif change.action == "add-bridge":
            new.bridges[change.target] = {"datapath_type": change.value or "", "fail_mode": None}
        elif change.action == "del-bridge":
            new.bridges.pop(change.target, None)
    return new


CONFIG = ControllerConfig(central_ips=("192.0.2.1",), tunnel_ip="192.0.2.2", protocol="tcp",
                          bridge_mappings=(("phys", "br-phy"),), datapath_type="netdev")


def test_plan_from_scratch_then_idempotent() -> None:
    first = plan_configure(state(), desired_settings(CONFIG), ["br-phy"], "netdev")
    assert [c.action for c in first.changes].count("add-bridge") == 1
    after = apply_to(state(), first.changes)
    record = after.external_ids[RECORD.key].split(",")
    assert "bridge:br-phy" in record and "external_ids:ovn-remote" in record
    again = plan_configure(after, desired_settings(CONFIG), ["br-phy"], "netdev")
    assert not again and again.lines() == []


def test_plan_keeps_foreign_keys_and_records_union() -> None:
    foreign = state({"ovn-cms-options": "enable-chassis-as-gw", "ovn-encap-csum": "false"},
                    {"foo": "bar"}, bridges=("br-phy",))
    first = plan_configure(foreign, desired_settings(CONFIG), ["br-phy"], "netdev")
    assert not [c for c in first.changes if c.action == "add-bridge"]  # existed before
    assert first.notes and "br-phy" in first.notes[0]
    after = apply_to(foreign, first.changes)
    # A later configure without mappings leaves them alone and keeps them recorded.
    plain = ControllerConfig(central_ips=("192.0.2.1",), tunnel_ip="192.0.2.3", protocol="tcp")
    second = plan_configure(after, desired_settings(plain))
    assert [c.target for c in second.changes] == ["external_ids:ovn-encap-ip"]
    after = apply_to(after, second.changes)
    undo = plan_unconfigure(after)
    final = apply_to(after, undo.changes)
    assert final.external_ids == {"ovn-cms-options": "enable-chassis-as-gw",
                                  "ovn-encap-csum": "false"}
    assert final.other_config == {"foo": "bar"}
    assert "br-phy" in final.bridges  # not created by configure: not deleted


def test_system_id_recorded_only_when_changed() -> None:
    fqdn = ControllerConfig(central_ips=("192.0.2.1",), tunnel_ip="192.0.2.2",
                            protocol="tcp", host_fqdn="hv1.example.org")
    same = plan_configure(state({"system-id": "hv1.example.org"}), desired_settings(fqdn))
    assert "external_ids:system-id" not in apply_to(
        state({"system-id": "hv1.example.org"}), same.changes).external_ids[RECORD.key]
    changed = plan_configure(state({"system-id": "random-uuid"}), desired_settings(fqdn))
    assert "external_ids:system-id" in apply_to(
        state({"system-id": "random-uuid"}), changed.changes).external_ids[RECORD.key]


def test_unconfigure_legacy_keys_without_record() -> None:
    legacy = state({"ovn-remote": "ssl:192.0.2.1:6642", "ovn-encap-type": "geneve",
                    "ovn-encap-ip": "192.0.2.2", "ovn-remote-probe-interval": "60000",
                    "ovn-openflow-probe-interval": "60", "system-id": "hv1",
                    "ovn-bridge-mappings": "phys:br-phy"},
                   {"private_key": "k", "certificate": "c", "ca_cert": "ca"})
    assert not plan_unconfigure(legacy)  # nothing recorded: nothing removed
    final = apply_to(legacy, plan_unconfigure(legacy, LEGACY_KEYS).changes)
    assert final.external_ids == {"system-id": "hv1", "ovn-bridge-mappings": "phys:br-phy"}
    assert final.other_config == {}


def test_change_operations_quote_values() -> None:
    change = Change("set", "external_ids:ovn-remote", "ssl:[2001:db8::1]:6642")
    assert change.operations() == [
        ["set", "Open_vSwitch", ".", 'external_ids:"ovn-remote"="ssl:[2001:db8::1]:6642"']]
    assert Change("remove", "other_config:ca_cert").operations() == [
        ["remove", "Open_vSwitch", ".", "other_config", '"ca_cert"']]
    assert Change("add-bridge", "br-phy", "netdev").operations() == [
        ["--may-exist", "add-br", "br-phy"], ["set", "Bridge", "br-phy", "datapath_type=netdev"]]


def test_file_changes(tmp_path: Path) -> None:
    path = str(tmp_path / "system-id.conf")
    plan = plan_configure(state(), {}, files={path: "hv1\n"})
    assert [c.action for c in plan.changes] == ["write-file"]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("hv1\n")
    assert not plan_configure(state(), {}, files={path: "hv1\n"})


PLAIN = ControllerConfig(central_ips=("192.0.2.1",), tunnel_ip="192.0.2.2", protocol="tcp")
GW = {"enable-chassis-as-gw": True}


def test_gateway_option_merges_and_unconfigure_takes_back_only_it() -> None:
    start = state({"ovn-cms-options": "enable-chassis-as-extport-host"})
    plan = plan_configure(start, desired_settings(PLAIN), cms=GW)
    after = apply_to(start, plan.changes)
    assert after.external_ids["ovn-cms-options"] == \
        "enable-chassis-as-extport-host,enable-chassis-as-gw"
    assert "cms:enable-chassis-as-gw" in after.external_ids[RECORD.key].split(",")
    assert not plan_configure(after, desired_settings(PLAIN), cms=GW)  # idempotent
    # a later configure without --gateway keeps the mark
    assert not plan_configure(after, desired_settings(PLAIN))
    final = apply_to(after, plan_unconfigure(after).changes)
    assert final.external_ids == {"ovn-cms-options": "enable-chassis-as-extport-host"}


def test_gateway_option_alone_is_removed_with_its_key() -> None:
    after = apply_to(state(), plan_configure(state(), desired_settings(PLAIN), cms=GW).changes)
    assert after.external_ids["ovn-cms-options"] == "enable-chassis-as-gw"
    assert apply_to(after, plan_unconfigure(after).changes).external_ids == {}


def test_gateway_set_by_the_administrator_stays() -> None:
    start = state({"ovn-cms-options": "enable-chassis-as-gw"})
    after = apply_to(start, plan_configure(start, desired_settings(PLAIN), cms=GW).changes)
    assert "cms:" not in after.external_ids[RECORD.key]
    final = apply_to(after, plan_unconfigure(after).changes)
    assert final.external_ids == {"ovn-cms-options": "enable-chassis-as-gw"}


def test_no_gateway_removes_the_option_and_its_record() -> None:
    marked = apply_to(state(), plan_configure(state(), desired_settings(PLAIN), cms=GW).changes)
    plan = plan_configure(marked, desired_settings(PLAIN), cms={"enable-chassis-as-gw": False})
    assert (plan.changes[0].action, plan.changes[0].target) == \
        ("remove", "external_ids:ovn-cms-options")
    after = apply_to(marked, plan.changes)
    assert "ovn-cms-options" not in after.external_ids
    assert "cms:" not in after.external_ids[RECORD.key]
