"""Unit tests of the after_get_caps hook (docs/driver.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ovn_provider.driver import caps_hook
from ovn_provider.driver.runner import Result, run_subprocess
from tests.driver.conftest import FakeRunner

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "packaging/vdsm/hooks/after_get_caps/ovirt_provider_ovn_hook"
CAPS = {"hostname": "hv1.example.org", "kvmEnabled": "true",
        "openstack_binding_host_ids": {"OPENSTACK_OVN": "other", "OVIRT_PROVIDER_OVN": "old"}}


@pytest.fixture()
def ovs_ctl(tmp_path: Path) -> str:
    path = tmp_path / "ovs-ctl"
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


def caps_file(tmp_path: Path, caps: object = CAPS) -> Path:
    path = tmp_path / "caps.json"
    path.write_text(json.dumps(caps))
    return path


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("-h", "--help"):
        assert caps_hook.run([flag], {}) == 0
        assert "usage:" in capsys.readouterr().out


def test_test_mode(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("-t", "--test"):
        assert caps_hook.run([flag], {}) == 0
        assert json.loads(capsys.readouterr().out) == {
            "openstack_binding_host_ids": {
                "OVIRT_PROVIDER_OVN": "6bba738b-58be-4b4b-9ee1-c822113606c9"}}


def test_normal_run_sets_binding_and_keeps_others(tmp_path: Path, ovs_ctl: str) -> None:
    path = caps_file(tmp_path)
    runner = FakeRunner([(caps_hook.SYSTEM_ID_CMD, Result(0, '"hv1.example.org"\n', ""))])
    assert caps_hook.run([], {"_hook_json": str(path)}, runner=runner, ovs_ctl=ovs_ctl) == 0
    caps = json.loads(path.read_text())
    assert caps["openstack_binding_host_ids"] == {"OPENSTACK_OVN": "other",
                                                  "OVIRT_PROVIDER_OVN": "hv1.example.org"}
    assert caps["kvmEnabled"] == "true"
    assert runner.calls == [[ovs_ctl, "status"], list(caps_hook.SYSTEM_ID_CMD)]
    assert caps_hook.SYSTEM_ID_CMD == ("sudo", "-n", "/usr/bin/ovs-vsctl", "get",
                                       "Open_vSwitch", ".", "external_ids:system-id")


def test_no_binding_object_yet(tmp_path: Path, ovs_ctl: str) -> None:
    path = caps_file(tmp_path, {"hostname": "h"})
    runner = FakeRunner([(caps_hook.SYSTEM_ID_CMD, Result(0, "hv9\n", ""))])
    caps_hook.run([], {"_hook_json": str(path)}, runner=runner, ovs_ctl=ovs_ctl)
    assert json.loads(path.read_text())["openstack_binding_host_ids"] == {
        "OVIRT_PROVIDER_OVN": "hv9"}


@pytest.mark.parametrize("ctl_exit", [None, 1], ids=["ovs-ctl missing", "ovs-ctl fails"])
def test_ovs_down_leaves_caps_unchanged(tmp_path: Path, ctl_exit: int | None,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = caps_file(tmp_path)
    before = path.read_text()
    ctl = tmp_path / "ovs-ctl"
    if ctl_exit is not None:
        ctl.write_text(f"#!/bin/sh\nexit {ctl_exit}\n")
        ctl.chmod(0o755)
    runner = FakeRunner(fallback=lambda cmd, env, timeout: (
        Result(ctl_exit or 0, "", "") if cmd[0] == str(ctl) else Result(0, "hv1", "")))
    assert caps_hook.run([], {"_hook_json": str(path)}, runner=runner, ovs_ctl=str(ctl)) == 0
    assert path.read_text() == before
    assert "not running" in capsys.readouterr().err


@pytest.mark.parametrize("result", [Result(1, "", "sudo: a password is required"),
                                    Result(0, '""\n', ""),
                                    Result(127, "", "sudo: command not found")])
def test_command_failure_leaves_caps_unchanged(tmp_path: Path, ovs_ctl: str, result: Result,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = caps_file(tmp_path)
    before = path.read_text()
    runner = FakeRunner([(caps_hook.SYSTEM_ID_CMD, result)])
    assert caps_hook.run([], {"_hook_json": str(path)}, runner=runner, ovs_ctl=ovs_ctl) == 0
    assert path.read_text() == before
    assert "left unchanged" in capsys.readouterr().err


def test_bad_json_left_alone(tmp_path: Path, ovs_ctl: str) -> None:
    path = tmp_path / "caps.json"
    path.write_text("not json")
    runner = FakeRunner([(caps_hook.SYSTEM_ID_CMD, Result(0, "hv1\n", ""))])
    assert caps_hook.run([], {"_hook_json": str(path)}, runner=runner, ovs_ctl=ovs_ctl) == 0
    assert path.read_text() == "not json"


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args],
                          env={**os.environ, "PYTHONPATH": str(REPO / "src"), **(env or {})},
                          capture_output=True, text=True, check=False)


def test_installed_executable_modes(tmp_path: Path) -> None:
    assert os.access(SCRIPT, os.X_OK)
    proc = run_script("-t")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["openstack_binding_host_ids"]["OVIRT_PROVIDER_OVN"] == \
        caps_hook.TEST_HOST_ID
    assert "usage:" in run_script("--help").stdout
    # Tests never run OVS at the default paths: `ovs-ctl status` fails or is missing, so
    # the capabilities must come back unchanged, exit 0.
    if caps_hook.ovs_running(run_subprocess):
        pytest.skip("a system Open vSwitch runs on this machine: OVS-down case not testable")
    path = caps_file(tmp_path)
    before = path.read_text()
    proc = run_script(env={"_hook_json": str(path)})
    assert proc.returncode == 0 and path.read_text() == before


def test_installed_executable_survives_a_broken_install(tmp_path: Path) -> None:
    path = caps_file(tmp_path)
    before = path.read_text()
    proc = subprocess.run([sys.executable, "-S", "-I", str(SCRIPT)],
                          env={"_hook_json": str(path), "PATH": os.environ["PATH"]},
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == before and "left unchanged" in proc.stderr
