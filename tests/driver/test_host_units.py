"""Unit tests: tunnel address from vdsm caps, service manager, host settings, CLI usage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ovn_provider.driver import configure as configure_mod
from ovn_provider.driver.errors import DriverError
from ovn_provider.driver.host import Host
from ovn_provider.driver.runner import Result
from ovn_provider.driver.sbchassis import default_sb_remote
from ovn_provider.driver.services import ServiceManager, Systemd, detect
from ovn_provider.driver.tunnel import network_address, resolve_tunnel_ip, vdsm_client_caps
from tests.driver.conftest import FakeRunner, run_driver

# The shape of `vdsm-client Host getCapabilities` (trimmed to what the driver reads).
SAMPLE_CAPS: dict[str, Any] = {
    "hostname": "hv1.example.org",
    "networks": {
        "ovirtmgmt": {
            "addr": "192.0.2.21", "netmask": "255.255.255.0", "gateway": "192.0.2.1",
            "ipv4addrs": ["192.0.2.21/24"],
            "ipv6addrs": ["2001:db8:0:1::21/64"], "ipv6autoconf": False,
            "bridged": True, "iface": "ovirtmgmt", "mtu": "1500", "ports": ["eno1"],
        },
        "tunnel6": {
            "addr": "", "ipv4addrs": [], "ipv6addrs": ["2001:db8:0:2::21/64"],
            "bridged": False, "iface": "eno2.20",
        },
        "nolink": {"addr": "", "ipv4addrs": [], "ipv6addrs": [], "iface": "eno3"},
    },
    "openstack_binding_host_ids": {"OPENSTACK_OVN": "hv1.example.org"},
}


def test_network_address_ipv4_then_ipv6() -> None:
    assert network_address(SAMPLE_CAPS, "ovirtmgmt") == "192.0.2.21"
    assert network_address(SAMPLE_CAPS, "tunnel6") == "2001:db8:0:2::21"


@pytest.mark.parametrize("name, message", [("nolink", "'nolink' has no address"),
                                           ("missing", "'missing' not found")])
def test_network_address_errors_name_the_network(name: str, message: str) -> None:
    with pytest.raises(DriverError, match=message):
        network_address(SAMPLE_CAPS, name)


def test_resolve_ip_is_used_as_is_without_loading_caps() -> None:
    def fail() -> dict[str, Any]:
        raise AssertionError("caps loaded for an IP")

    assert resolve_tunnel_ip("192.0.2.9", fail) == "192.0.2.9"
    assert resolve_tunnel_ip("2001:db8::9", fail) == "2001:db8::9"
    assert resolve_tunnel_ip("ovirtmgmt", lambda: SAMPLE_CAPS) == "192.0.2.21"


def test_vdsm_client_caps_from_command_and_file(tmp_path: Path) -> None:
    runner = FakeRunner([(["vdsm-client", "Host", "getCapabilities"],
                          Result(0, json.dumps(SAMPLE_CAPS), ""))])
    assert vdsm_client_caps(Host(runner=runner, base_env={}))()["hostname"] == "hv1.example.org"
    caps_file = tmp_path / "caps.json"
    caps_file.write_text(json.dumps(SAMPLE_CAPS))
    host = Host(runner=FakeRunner(), base_env={"OVN_PROVIDER_VDSM_CAPS": str(caps_file)})
    assert network_address(vdsm_client_caps(host)(), "tunnel6") == "2001:db8:0:2::21"
    broken = FakeRunner([(["vdsm-client"], Result(1, "", "vdsm-client: connection refused"))])
    with pytest.raises(DriverError, match="connection refused"):
        vdsm_client_caps(Host(runner=broken, base_env={}))()


def test_cli_tunnel_network_through_caps_file(tmp_path: Path) -> None:
    caps_file = tmp_path / "caps.json"
    caps_file.write_text(json.dumps(SAMPLE_CAPS))
    host = Host.from_environ({"OVN_PROVIDER_VDSM_CAPS": str(caps_file)})
    from ovn_provider.driver.cli import build_parser, controller_config

    args = build_parser().parse_args(["configure", "--central-ip", "192.0.2.1",
                                      "--tunnel-network", "ovirtmgmt"])
    assert controller_config(args, host).tunnel_ip == "192.0.2.21"
    args = build_parser().parse_args(["configure", "--central-ip", "192.0.2.1",
                                      "--tunnel-network", "nolink"])
    with pytest.raises(DriverError, match="nolink"):
        controller_config(args, host)


def test_host_settings_from_environment_and_options() -> None:
    host = Host.from_environ({"OVN_PROVIDER_OVS_DB": "unix:/x/db.sock", "OVS_RUNDIR": "/r",
                              "OVN_PROVIDER_SERVICE_MANAGER": "none"}, ovs_netns="ns1")
    assert (host.ovs_db, host.ovs_rundir, host.ovs_netns, host.service_manager) == (
        "unix:/x/db.sock", "/r", "ns1", "none")
    assert host.env()["OVS_RUNDIR"] == "/r"
    assert host.ip_cmd("ns1", "link") == ["ip", "-n", "ns1", "link"]
    assert host.ip_cmd(None, "link") == ["ip", "link"]
    with pytest.raises(TypeError):
        Host.from_environ({}, bogus="x")


def test_service_manager_detection() -> None:
    host = Host(service_manager="auto")
    assert isinstance(detect(host, lambda _: True), Systemd)
    manager = detect(host, lambda _: False)
    assert type(manager) is ServiceManager and not manager.available
    assert isinstance(detect(Host(service_manager="systemd"), lambda _: False), Systemd)
    with pytest.raises(DriverError):
        detect(Host(service_manager="upstart"))


def test_systemd_commands() -> None:
    runner = FakeRunner([(["systemctl", "list-unit-files"], Result(0, "x.service enabled\n",
                                                                   "")),
                         (["systemctl", "is-active"], Result(3, "", ""))])
    systemd = Systemd(Host(runner=runner))
    assert systemd.knows("ovn-controller")
    assert systemd.is_active("ovsdb-server") is False
    systemd.restart("ovn-controller")
    assert runner.calls[-1] == ["systemctl", "restart", "ovn-controller.service"]
    failing = FakeRunner([(["systemctl", "restart"], Result(1, "", "Unit not found."))])
    with pytest.raises(DriverError, match="Unit not found"):
        Systemd(Host(runner=failing)).restart("nope")


def test_restart_intents_for_dry_run() -> None:
    none = ServiceManager(Host())
    systemd = Systemd(Host())
    assert configure_mod._restart_intents(none, "controller", True) == [
        "skip service restarts (no service manager)"]
    assert configure_mod._restart_intents(systemd, "controller", False) == []
    assert configure_mod._restart_intents(systemd, "controller", True) == [
        "restart ovn-controller"]
    assert configure_mod._restart_intents(systemd, "host", False)[1].startswith(
        "enable and restart openvswitch/openvswitch-switch, openvswitch-ipsec, ovn-controller")


def test_default_sb_remote() -> None:
    assert default_sb_remote({"OVN_SB_DB": "ssl:192.0.2.1:6642"}) == "ssl:192.0.2.1:6642"
    assert default_sb_remote({}, lambda p: p.startswith("/var/run/ovn/")) == \
        "unix:/var/run/ovn/ovnsb_db.sock"
    assert default_sb_remote({}, lambda p: "openvswitch" in p) == \
        "unix:/var/run/openvswitch/ovnsb_db.sock"
    assert default_sb_remote({}, lambda p: False) == "unix:/var/run/ovn/ovnsb_db.sock"


@pytest.mark.parametrize("argv", [
    ["configure", "--central-ip", "192.0.2.1"],  # no tunnel
    ["configure", "--central-ip", "192.0.2.1", "--tunnel-ip", "192.0.2.2",
     "--tunnel-network", "ovirtmgmt"],
    ["configure", "--central-ip", "192.0.2.1", "--tunnel-ip", "192.0.2.2", "--encap", "stt"],
    ["unplug"],
    ["unplug", "p1", "--ifname", "vm1"],
    ["remove-chassis"],
    [],
])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    assert run_driver(None, *argv).code == 2


def test_invalid_values_are_one_line_errors() -> None:
    outcome = run_driver(None, "configure", "--central-ip", "engine", "--tunnel-ip", "192.0.2.2",
                         "--dry-run")
    assert outcome.code == 1
    assert outcome.err.strip().count("\n") == 0 and "not an IP address" in outcome.err
    outcome = run_driver(None, "plug", "p1", "--ifname", "vm1", "--netns", "ns1")
    assert outcome.code == 1 and "--netns needs --internal" in outcome.err
    outcome = run_driver(None, "plug", "p1", "--ifname", "x" * 16)
    assert outcome.code == 1 and "invalid interface name" in outcome.err
