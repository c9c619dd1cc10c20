"""The driver's packaging: where files go, their modes, the legacy scripts, sudoers."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "packaging/vdsm/MANIFEST"
SUDOERS = REPO / "packaging/sudoers/50_vdsm_hook_ovirt_provider_ovn_hook"
SCRIPTS = REPO / "packaging/vdsm/scripts"
RULE = "vdsm ALL=(ALL) NOPASSWD: /usr/bin/ovs-vsctl get Open_vSwitch . external_ids\\:system-id"

# the predecessor's paths and modes (docs/driver.md, docs/packaging.md): destination -> mode
SPEC_PATHS = {
    "/usr/libexec/vdsm/hooks/before_device_create/10_ovirt_provider_ovn_hook": "0555",
    "/usr/libexec/vdsm/hooks/before_nic_hotplug/10_ovirt_provider_ovn_hook": "0555",
    "/usr/libexec/vdsm/hooks/after_get_caps/ovirt_provider_ovn_hook": "0555",
    "/etc/sudoers.d/50_vdsm_hook_ovirt_provider_ovn_hook": "0440",
    "@SITELIB@/vdsm/tool/ovn_config.py": "0644",
    "/usr/libexec/ovirt-provider-ovn/setup_ovn_controller.sh": "0755",
    "/usr/libexec/ovirt-provider-ovn/unconfigure_ovn_controller.sh": "0755",
    "/usr/share/ovirt-provider-ovn/scripts/remove_chassis.sh": "0544",
    "/usr/bin/ovn-provider": "0755",
    "/usr/bin/ovn-provider-driver": "0755",
    "/usr/lib/systemd/system/ovirt-provider-ovn.service": "0644",
    "/usr/lib/firewalld/services/ovirt-provider-ovn.xml": "0644",
    "/etc/logrotate.d/ovirt-provider-ovn": "0644",
    "/etc/ovirt-provider-ovn/logger.conf": "0644",
    "/etc/ovirt-provider-ovn/conf.d/README": "0644",
    "@MAINCONF@/ovirt-provider-ovn.conf": "0644",
}
DRIVER_ROLE = {"/usr/libexec/vdsm/", "/etc/sudoers.d/", "@SITELIB@/", "/usr/libexec/ovirt-"}


def manifest() -> list[tuple[str, str, str, str]]:
    entries = []
    for line in MANIFEST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            package, mode, src, dest = line.split()
            entries.append((package, mode, src, dest))
    return entries


def test_manifest_matches_spec_paths_and_modes() -> None:
    entries = manifest()
    assert {dest: mode for _, mode, _, dest in entries} == SPEC_PATHS
    for package, _, src, dest in entries:
        assert (REPO / src).is_file(), src
        if dest == "/usr/bin/ovn-provider-driver":
            expected = "ovn-provider-common"  # remove_chassis.sh of the provider runs it too
        elif any(dest.startswith(prefix) for prefix in DRIVER_ROLE):
            expected = "ovirt-provider-ovn-driver"
        else:
            expected = "ovirt-provider-ovn"
        assert package == expected, dest


def test_install_script(tmp_path: Path) -> None:
    env = {**os.environ, "SITELIB": "/usr/lib/python3/dist-packages"}
    env.pop("MAINCONF", None)
    for package in ("ovirt-provider-ovn-driver", "ovirt-provider-ovn", "ovn-provider-common"):
        subprocess.run([str(REPO / "packaging/vdsm/install.sh"), "--package", package,
                        str(tmp_path)], env=env, check=True, capture_output=True)
    for dest, mode in SPEC_PATHS.items():
        dest = dest.replace("@SITELIB@", "/usr/lib/python3/dist-packages")
        path = tmp_path / dest.replace("@MAINCONF@", "/etc/ovirt-provider-ovn").lstrip("/")
        assert path.is_file(), dest
        assert oct(stat.S_IMODE(path.stat().st_mode)) == oct(int(mode, 8)), dest


def test_both_vnic_hooks_are_the_same_program() -> None:
    hooks = REPO / "packaging/vdsm/hooks"
    create = (hooks / "before_device_create/10_ovirt_provider_ovn_hook").read_bytes()
    assert create == (hooks / "before_nic_hotplug/10_ovirt_provider_ovn_hook").read_bytes()


def test_sudoers_holds_exactly_the_one_rule() -> None:
    rules = [line for line in SUDOERS.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert rules == [RULE]


def test_sudoers_syntax() -> None:
    visudo = shutil.which("visudo")
    if visudo is None:
        pytest.skip("visudo not installed (Debian package sudo): sudoers syntax check skipped")
    proc = subprocess.run([visudo, "-c", "-f", str(SUDOERS)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OVN_PROVIDER_DRIVER": "echo"}  # print what would run
    return subprocess.run(["sh", str(SCRIPTS / name), *args], env=env, capture_output=True,
                          text=True, check=False)


def test_scripts_parse() -> None:
    for script in SCRIPTS.glob("*.sh"):
        subprocess.run(["sh", "-n", str(script)], check=True)
    subprocess.run(["sh", "-n", str(REPO / "packaging/vdsm/install.sh")], check=True)


def test_setup_script_delegates_with_legacy_defaults() -> None:
    proc = run_script("setup_ovn_controller.sh", "--central-ip", "192.0.2.1", "--tunnel-ip",
                      "192.0.2.2", "--host-fqdn", "hv1.example.org")
    assert proc.returncode == 0
    assert proc.stdout.split() == [
        "configure", "--protocol", "ssl", "--restart", "host",
        "--system-id-file", "/etc/openvswitch/system-id.conf",
        "--sysconfig-file", "/etc/sysconfig/ovn-controller",
        "--central-ip", "192.0.2.1", "--tunnel-ip", "192.0.2.2",
        "--host-fqdn", "hv1.example.org"]


def test_unconfigure_script() -> None:
    assert run_script("unconfigure_ovn_controller.sh").stdout.split() == [
        "unconfigure", "--legacy"]
    assert run_script("unconfigure_ovn_controller.sh", "x").returncode == 1


def test_remove_chassis_script_argument_count() -> None:
    assert run_script("remove_chassis.sh", "hv1").stdout.split() == ["remove-chassis", "hv1"]
    for args in ((), ("a", "b")):
        proc = run_script("remove_chassis.sh", *args)
        assert proc.returncode == 1 and "usage:" in proc.stderr and not proc.stdout
