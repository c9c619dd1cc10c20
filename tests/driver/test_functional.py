"""The driver against a real private OVN: a Central and chassis from tests/bed/chassis.py.

The chassis starts with no ovn-controller settings at all; every test proves that the
driver's own commands make it a working chassis (or undo that).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from ovn_provider.driver import vdsm_tool
from ovn_provider.driver.host import Host
from ovn_provider.driver.runner import Result, run_subprocess
from ovn_provider.ovn.central import Central
from tests.bed.chassis import Chassis
from tests.driver.conftest import FakeRunner, run_driver, unique, wait_until

REPO = Path(__file__).resolve().parents[2]


def sb_port(central: Central) -> str:
    return central.sb_remote.rsplit(":", 1)[1]


def configure_args(central: Central, tunnel_ip: str, *extra: str) -> list[str]:
    return ["configure", "--central-ip", "127.0.0.1", "--sb-port", sb_port(central),
            "--protocol", "tcp", "--tunnel-ip", tunnel_ip, "--datapath-type", "netdev",
            *extra]


def sb_chassis(central: Central) -> dict[str, dict[str, str]]:
    """name -> {hostname, encap type, encap ip} of every SB chassis."""
    chassis = json.loads(central.sbctl("--format=json", "--columns=name,hostname,encaps",
                                       "list", "Chassis"))
    encaps = json.loads(central.sbctl("--format=json", "--columns=_uuid,type,ip",
                                      "list", "Encap"))
    by_uuid = {row[0][1]: (row[1], row[2]) for row in encaps["data"]}
    result = {}
    for name, hostname, encap_refs in chassis["data"]:
        refs = encap_refs[1] if encap_refs[0] == "set" else [encap_refs]
        types = sorted(by_uuid[ref[1]] for ref in refs if ref[1] in by_uuid)
        result[name] = {"hostname": hostname,
                        "encap_type": ",".join(t for t, _ in types),
                        "encap_ip": ",".join(ip for _, ip in types)}
    return result


def ovs_snapshot(bed: Chassis) -> tuple[dict[str, str], dict[str, str], str]:
    return bed.ovs_map("external_ids"), bed.ovs_map("other_config"), bed.vsctl("list-br")


def chassis_named(central: Central, name: str) -> Callable[[], bool]:
    return lambda: name in central.sbctl("--columns=name", "list", "Chassis")


def test_configure_makes_a_chassis_and_is_idempotent(driver_central: Central,
                                                     chassis: Chassis) -> None:
    fqdn = f"{chassis.name}.example.org"
    first = run_driver(chassis, *configure_args(driver_central, "192.0.2.11",
                                                "--host-fqdn", fqdn))
    assert first.code == 0, first.err
    assert "set external_ids:ovn-remote=" in first.out
    assert "ovn-controller not restarted" in first.out  # no service manager here: said so
    wait_until(chassis_named(driver_central, fqdn), what="chassis in the SB")
    wait_until(lambda: sb_chassis(driver_central)[fqdn]["encap_ip"] == "192.0.2.11",
               what="encap row")
    assert sb_chassis(driver_central)[fqdn]["encap_type"] == "geneve"
    ids = chassis.ovs_map("external_ids")
    assert ids["ovn-remote"] == f"tcp:127.0.0.1:{sb_port(driver_central)}"
    assert (ids["ovn-remote-probe-interval"], ids["ovn-openflow-probe-interval"]) == (
        "60000", "60")
    assert (ids["system-id"], ids["ovn-encap-type"], ids["ovn-encap-ip"]) == (
        fqdn, "geneve", "192.0.2.11")
    before = ovs_snapshot(chassis)
    second = run_driver(chassis, *configure_args(driver_central, "192.0.2.11",
                                                 "--host-fqdn", fqdn))
    assert second.code == 0 and second.out.strip() == "nothing to change"
    assert ovs_snapshot(chassis) == before


def test_dry_run_changes_nothing(driver_central: Central, chassis: Chassis) -> None:
    before = ovs_snapshot(chassis)
    outcome = run_driver(chassis, *configure_args(
        driver_central, "192.0.2.12", "--host-fqdn", "dry.example.org",
        "--bridge-mappings", "phys:br-phy", "--dry-run"))
    assert outcome.code == 0, outcome.err
    assert "would set external_ids:ovn-bridge-mappings=\"phys:br-phy\"" in outcome.out
    assert "would create bridge br-phy (datapath_type=netdev)" in outcome.out
    assert ovs_snapshot(chassis) == before
    # unconfigure --dry-run after a real configure changes nothing either
    assert run_driver(chassis, *configure_args(driver_central, "192.0.2.12")).code == 0
    configured = ovs_snapshot(chassis)
    outcome = run_driver(chassis, "unconfigure", "--dry-run")
    assert outcome.code == 0 and "would remove external_ids:ovn-remote" in outcome.out
    assert ovs_snapshot(chassis) == configured and chassis.controller_alive()


def test_vxlan_bridge_mappings_and_reconfigure(driver_central: Central,
                                               chassis: Chassis) -> None:
    name = f"{chassis.name}.example.org"
    outcome = run_driver(chassis, *configure_args(
        driver_central, "192.0.2.13", "--host-fqdn", name, "--encap", "vxlan",
        "--bridge-mappings", "phys:br-phy"))
    assert outcome.code == 0, outcome.err
    wait_until(lambda: sb_chassis(driver_central).get(name, {}).get("encap_type") == "vxlan",
               what="vxlan encap")
    assert chassis.vsctl("get", "Bridge", "br-phy", "datapath_type").strip() == "netdev"
    assert chassis.ovs_map("external_ids")["ovn-bridge-mappings"] == "phys:br-phy"
    # ovn-controller sees the new encap without a restart (none here to do it)
    assert run_driver(chassis, *configure_args(
        driver_central, "192.0.2.14", "--host-fqdn", name, "--encap", "geneve")).code == 0
    wait_until(lambda: sb_chassis(driver_central)[name] ==
               {"hostname": sb_chassis(driver_central)[name]["hostname"],
                "encap_type": "geneve", "encap_ip": "192.0.2.14"}, what="new encap")
    # mappings were not asked for this time: left alone
    assert chassis.ovs_map("external_ids")["ovn-bridge-mappings"] == "phys:br-phy"


def test_unconfigure_removes_exactly_its_keys(driver_central: Central,
                                              chassis: Chassis) -> None:
    chassis.vsctl("--no-wait", "set", "Open_vSwitch", ".",
                  "external_ids:ovn-cms-options=enable-chassis-as-gw",
                  "external_ids:ovn-encap-csum=false", "other_config:admin-note=keep")
    chassis.vsctl("--no-wait", "add-br", "br-admin", "--", "set", "Bridge", "br-admin",
                  "datapath_type=netdev")
    name = f"{chassis.name}.example.org"
    assert run_driver(chassis, *configure_args(
        driver_central, "192.0.2.15", "--host-fqdn", name,
        "--bridge-mappings", "phys:br-phy,adm:br-admin")).code == 0
    wait_until(chassis_named(driver_central, name), what="chassis in the SB")
    outcome = run_driver(chassis, "unconfigure")
    assert outcome.code == 0, outcome.err
    assert "ovn-controller exited" in outcome.out
    assert chassis.ovs_map("external_ids") == {"ovn-cms-options": "enable-chassis-as-gw",
                                               "ovn-encap-csum": "false"}
    assert chassis.ovs_map("other_config")["admin-note"] == "keep"
    bridges = chassis.vsctl("list-br").split()
    assert "br-phy" not in bridges  # created by configure: deleted
    assert "br-admin" in bridges  # existed before: kept
    assert name not in driver_central.sbctl("--columns=name", "list", "Chassis")
    assert name not in driver_central.sbctl("--columns=name", "list", "Chassis_Private")
    assert not chassis.controller_alive()
    again = run_driver(chassis, "unconfigure")
    assert again.code == 0 and "nothing to remove" in again.out


def test_plug_internal_port_goes_up_and_status(driver_central: Central, chassis: Chassis,
                                               netns_factory: Callable[[], str]) -> None:
    name = f"{chassis.name}.example.org"
    assert run_driver(chassis, *configure_args(driver_central, "192.0.2.16",
                                               "--host-fqdn", name)).code == 0
    wait_until(lambda: "br-int" in chassis.vsctl("list-br").split(), what="br-int")
    switch, lsp, mac = unique("ls"), unique("lsp"), "0a:00:00:00:10:16"
    driver_central.nbctl("ls-add", switch)
    try:
        driver_central.nbctl("lsp-add", switch, lsp)
        driver_central.nbctl("lsp-set-addresses", lsp, f"{mac} 10.16.0.5")
        vm = netns_factory()
        outcome = run_driver(chassis, "plug", lsp, "--ifname", "vm16", "--internal",
                             "--netns", vm, "--mac", mac)
        assert outcome.code == 0, outcome.err
        wait_until(lambda: driver_central.nbctl("get", "Logical_Switch_Port", lsp,
                                                "up").strip() == "true", what="LSP up")
        link = subprocess.run(["ip", "-n", vm, "-j", "link", "show", "vm16"],
                              capture_output=True, text=True, check=True)
        assert json.loads(link.stdout)[0]["address"] == mac
        wait_until(lambda: json.loads(run_driver(chassis, "status", "--json").out)[
            "bound_ports"][0]["ovn_installed"], what="ovn-installed")
        status = json.loads(run_driver(chassis, "status", "--json").out)
        assert status["chassis"] == name
        assert status["sb_connection"] == "connected"
        assert status["encap"] == {"type": "geneve", "ip": "192.0.2.16"}
        assert status["bound_ports"] == [{
            "interface": "vm16", "iface_id": lsp, "bridge": "br-int", "attached_mac": mac,
            "ofport": status["bound_ports"][0]["ofport"], "ovn_installed": True}]
        text = run_driver(chassis, "status").out
        assert f"chassis:        {name}" in text and "iface-id=" + lsp in text
        # plug again: idempotent
        assert run_driver(chassis, "plug", lsp, "--ifname", "vm16", "--internal",
                          "--netns", vm, "--mac", mac).code == 0
        outcome = run_driver(chassis, "unplug", lsp)
        assert outcome.code == 0 and "unplugged vm16" in outcome.out
        wait_until(lambda: driver_central.nbctl("get", "Logical_Switch_Port", lsp,
                                                "up").strip() == "false", what="LSP down")
        assert subprocess.run(["ip", "-n", vm, "link", "show", "vm16"],
                              capture_output=True, check=False).returncode != 0
        assert run_driver(chassis, "unplug", "--ifname", "vm16").code == 2
    finally:
        driver_central.nbctl("--if-exists", "ls-del", switch)


def test_plug_errors(chassis: Chassis) -> None:
    outcome = run_driver(chassis, "plug", "p1", "--ifname", "vm1", "--bridge", "br-none")
    assert outcome.code == 1 and "br-none does not exist" in outcome.err
    wait_until(lambda: "br-int" in chassis.vsctl("list-br").split(), what="br-int")
    outcome = run_driver(chassis, "plug", "p1", "--ifname", "vm1", "--internal",
                         "--netns", unique("absent"))
    assert outcome.code == 1 and "does not exist" in outcome.err
    # a device that does not exist: ovs-vswitchd's error, and no port left behind
    chassis.vsctl("set", "Bridge", "br-int", "datapath_type=netdev")  # what configure does
    outcome = run_driver(chassis, "plug", "p2", "--ifname", "nosuchdev0")
    assert outcome.code == 1 and "cannot plug nosuchdev0" in outcome.err, outcome
    assert "nosuchdev0" not in chassis.vsctl("list-ports", "br-int").split()


def test_status_shows_tunnels(driver_central: Central,
                              chassis_factory: Callable[..., Chassis]) -> None:
    hv1, hv2 = chassis_factory(), chassis_factory()
    n1, n2 = f"{hv1.name}.example.org", f"{hv2.name}.example.org"
    assert run_driver(hv1, *configure_args(driver_central, "192.0.2.21",
                                           "--host-fqdn", n1)).code == 0
    assert run_driver(hv2, *configure_args(driver_central, "192.0.2.22",
                                           "--host-fqdn", n2)).code == 0

    def tunnel_to_hv2() -> list[dict[str, str]]:
        status = json.loads(run_driver(hv1, "status", "--json").out)
        return [t for t in status["tunnels"] if t["chassis"] == n2]

    wait_until(tunnel_to_hv2, what="tunnel hv1 -> hv2")
    assert tunnel_to_hv2()[0]["type"] == "geneve"
    assert tunnel_to_hv2()[0]["remote_ip"] == "192.0.2.22"


def test_status_when_controller_unreachable(chassis: Chassis) -> None:
    status = json.loads(run_driver(chassis, "status", "--json").out)
    assert status["sb_connection"] == "not connected"  # running, never configured
    assert status["chassis"] is None and status["tunnels"] == []
    other = Chassis(name="x", netns="unused", directory=chassis.directory)
    outcome = run_driver(None, "--ovs-db", other.ovs_db, "--ovn-rundir",
                         str(Path(chassis.directory) / "nowhere"), "status", "--json")
    assert json.loads(outcome.out)["sb_connection"] == "unknown"


def test_remove_chassis(driver_central: Central) -> None:
    name, hostname = unique("stale"), unique("host")
    driver_central.sbctl("chassis-add", name, "geneve", "192.0.2.99")
    driver_central.sbctl("set", "Chassis", name, f"hostname={hostname}")
    uuid = driver_central.sbctl("--bare", "--columns=_uuid", "find", "Chassis",
                                f"name={name}").strip()
    driver_central.sbctl("create", "Chassis_Private", f"name={name}", f"chassis={uuid}")
    remote = ["--sb-db", driver_central.sb_remote]
    outcome = run_driver(None, "remove-chassis", hostname, *remote)
    assert outcome.code == 0, outcome.err
    assert f"removed chassis {name}" in outcome.out
    assert name not in driver_central.sbctl("--columns=name", "list", "Chassis")
    assert name not in driver_central.sbctl("--columns=name", "list", "Chassis_Private")
    assert "192.0.2.99" not in driver_central.sbctl("--columns=ip", "list", "Encap")
    missing = run_driver(None, "remove-chassis", hostname, *remote)
    assert missing.code == 2
    assert missing.err.count("\n") == 1 and "no chassis named" in missing.err
    assert "Traceback" not in missing.err
    # by system-id (chassis name), and through the legacy script with $OVN_SB_DB
    driver_central.sbctl("chassis-add", name, "vxlan", "192.0.2.98")
    script = REPO / "packaging/vdsm/scripts/remove_chassis.sh"
    env = {**os.environ, "OVN_SB_DB": driver_central.sb_remote,
           "OVN_PROVIDER_DRIVER": cli_command()}
    proc = subprocess.run(["sh", str(script), name], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(["sh", str(script), name], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    unreachable = run_driver(None, "--timeout", "1", "remove-chassis", name,
                             "--sb-db", "unix:/nonexistent/sb.sock")
    assert unreachable.code == 1 and "ovn-sbctl" in unreachable.err


def cli_command() -> str:
    """The installed console script when present, else a wrapper around the module."""
    script = Path(sys.executable).parent / "ovn-provider-driver"
    if script.exists():
        return str(script)
    found = shutil.which("ovn-provider-driver")
    if found:
        return found
    pytest.skip("ovn-provider-driver console script not installed (pip install -e .)")
    return ""


def test_console_script(chassis: Chassis) -> None:
    proc = subprocess.run([cli_command(), *chassis.driver_args(), "status", "--json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["chassis"] is None
    # environment variables instead of options
    proc = subprocess.run([cli_command(), "status", "--json"], env=chassis.driver_env(),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_vdsm_tool_ovn_config_and_unconfigure(chassis: Chassis, tmp_path: Path) -> None:
    """The docs/driver.md sequence, with systemctl recorded (no systemd here) and real OVS."""
    sysid, sysconfig = tmp_path / "system-id.conf", tmp_path / "ovn-controller"
    sysid_at_ovsdb_restart: list[bool] = []

    def systemctl_or_real(cmd: Sequence[str], env: Mapping[str, str] | None,
                          timeout: float) -> Result:
        if cmd[0] != "systemctl":
            return run_subprocess(cmd, env, timeout)
        if list(cmd[1:]) == ["restart", "ovsdb-server.service"]:
            sysid_at_ovsdb_restart.append(sysid.exists())
        return Result(0, "", "")

    runner = FakeRunner(answers=[
        (["systemctl", "list-unit-files"], Result(0, "unit.service enabled\n", "")),
        (["systemctl", "is-active"], Result(0, "", "")),
    ], fallback=systemctl_or_real)
    host = Host.from_environ(chassis.driver_env(), runner=runner, service_manager="systemd")
    lines: list[str] = []
    code = vdsm_tool.run_ovn_config(["2001:db8::1", "192.0.2.31", "hv31.example.org"],
                                    host=host, system_id_file=str(sysid),
                                    sysconfig_file=str(sysconfig), out=lines.append)
    assert code == 0, lines
    assert sysid.read_text() == "hv31.example.org\n"
    assert sysconfig.read_text().startswith(
        'OVN_CONTROLLER_OPTS="--ovn-controller-ssl-key=/etc/pki/vdsm/ovn/ovn-key.pem ')
    ids = chassis.ovs_map("external_ids")
    assert {k: ids[k] for k in ("ovn-remote", "ovn-encap-type", "ovn-encap-ip",
                                "ovn-remote-probe-interval", "ovn-openflow-probe-interval",
                                "system-id")} == {
        "ovn-remote": "ssl:[2001:db8::1]:6642", "ovn-encap-type": "geneve",
        "ovn-encap-ip": "192.0.2.31", "ovn-remote-probe-interval": "60000",
        "ovn-openflow-probe-interval": "60", "system-id": "hv31.example.org"}
    other = chassis.ovs_map("other_config")
    assert {k: other[k] for k in ("private_key", "certificate", "ca_cert")} == {
        "private_key": "/etc/pki/vdsm/ovn/ovn-key.pem",
        "certificate": "/etc/pki/vdsm/ovn/ovn-cert.pem",
        "ca_cert": "/etc/pki/vdsm/ovn/ca-cert.pem"}
    assert "ovn-bridge-mappings" not in ids
    actions = [c[1:] for c in runner.calls if c[0] == "systemctl"
               and c[1] in ("restart", "enable", "stop", "start")]
    writes = [i for i, c in enumerate(runner.calls) if "ovs-vsctl" in c[0] and "set" in c]
    restarts = [i for i, c in enumerate(runner.calls)
                if c[:3] == ["systemctl", "restart", "ovsdb-server.service"]]
    assert restarts and writes and restarts[0] < writes[0]  # step 2 before step 3
    assert sysid_at_ovsdb_restart == [True]  # step 1 before step 2
    assert actions == [["restart", "ovsdb-server.service"],
                       ["enable", "openvswitch.service"], ["restart", "openvswitch.service"],
                       ["enable", "openvswitch-ipsec.service"],
                       ["restart", "openvswitch-ipsec.service"],
                       ["enable", "ovn-controller.service"],
                       ["restart", "ovn-controller.service"]]
    # a failure ends the command with the spec's message
    failing = FakeRunner(answers=[(["systemctl", "list-unit-files"], Result(0, "u\n", "")),
                                  (["systemctl", "restart"], Result(1, "", "boom"))],
                         fallback=run_subprocess)
    bad_host = Host.from_environ(chassis.driver_env(), runner=failing,
                                 service_manager="systemd")
    assert vdsm_tool.run_ovn_config(["192.0.2.1", "192.0.2.31"], host=bad_host,
                                    system_id_file=str(sysid),
                                    sysconfig_file=str(sysconfig), out=lines.append) == 1

    runner.calls.clear()
    chassis.vsctl("--no-wait", "set", "Open_vSwitch", ".", "external_ids:ovn-cms-options=x")
    assert vdsm_tool.run_ovn_unconfigure([], host=host, out=lines.append) == 0
    ids = chassis.ovs_map("external_ids")
    assert not [k for k in ids if k.startswith(("ovn-remote", "ovn-encap", "ovn-openflow"))]
    assert ids["ovn-cms-options"] == "x"
    assert not {"private_key", "certificate", "ca_cert"} & set(chassis.ovs_map("other_config"))
    assert [c[1:] for c in runner.calls if c[0] == "systemctl" and c[1] == "stop"] == [
        ["stop", "ovn-controller.service"]]


def sb_cms_options(central: Central, name: str) -> tuple[str, str]:
    """(other_config, external_ids) ovn-cms-options of SB chassis `name` ("" when unset)."""
    doc = json.loads(central.sbctl("--format=json", "--columns=name,other_config,external_ids",
                                   "list", "Chassis"))
    for row_name, other, ext in doc["data"]:
        if row_name == name:
            return (dict(other[1]).get("ovn-cms-options", ""),
                    dict(ext[1]).get("ovn-cms-options", ""))
    return ("", "")


def test_configure_gateway_marks_the_sb_chassis(driver_central: Central,
                                                chassis: Chassis) -> None:
    from ovn_provider.ovn.sb import is_gateway

    def gateway() -> bool:
        other, ext = sb_cms_options(driver_central, chassis.name)
        return is_gateway({"ovn-cms-options": ext}, {"ovn-cms-options": other})

    chassis.vsctl("set", "Open_vSwitch", ".", "external_ids:system-id=" + chassis.name,
                  'external_ids:ovn-cms-options="enable-chassis-as-extport-host"')
    outcome = run_driver(chassis, *configure_args(driver_central, "192.0.2.31", "--gateway"))
    assert outcome.code == 0, outcome.err
    assert chassis.ovs_map("external_ids")["ovn-cms-options"] == \
        "enable-chassis-as-extport-host,enable-chassis-as-gw"
    wait_until(gateway, what="gateway mark in the SB")
    outcome = run_driver(chassis, *configure_args(driver_central, "192.0.2.31", "--no-gateway"))
    assert outcome.code == 0, outcome.err
    wait_until(lambda: not gateway(), what="gateway mark gone from the SB")
    assert run_driver(chassis, *configure_args(driver_central, "192.0.2.31",
                                               "--gateway")).code == 0
    wait_until(gateway, what="gateway mark in the SB again")
    assert run_driver(chassis, "unconfigure", "--keep-controller").code == 0
    assert chassis.ovs_map("external_ids")["ovn-cms-options"] == \
        "enable-chassis-as-extport-host"
