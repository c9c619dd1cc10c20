"""packaging/rpm/ovn-provider.spec: rpmbuild (Debian's rpm) builds it from the sdist of
`make dist`; the RPMs have the MANIFEST's layout, config flags and the legacy names."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
SPEC = REPO / "packaging/rpm/ovn-provider.spec"
ROLES = {"ovirt-provider-ovn": "ovn-provider", "ovirt-provider-ovn-driver": "ovn-provider-driver",
         "ovn-provider-common": "ovn-provider-common"}


def rpm_query(rpm: Path, *args: str) -> list[str]:
    proc = subprocess.run(["rpm", "-qp", *args, str(rpm)], capture_output=True, text=True,
                          check=True)
    return proc.stdout.splitlines()


@pytest.fixture(scope="module")
def rpms(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("rpmbuild") is None:
        pytest.skip("rpmbuild missing (Debian package rpm, in the Makefile's DEB_PKGS)")
    top = tmp_path_factory.mktemp("rpmbuild")
    sdist = dist / f"ovn_provider-{VERSION}.tar.gz"
    # --nodeps: the BuildRequires are Fedora/EL package names; the venv's python has pip,
    # setuptools and wheel, and stands in for the distribution's python3
    proc = subprocess.run(["rpmbuild", "--define", f"_topdir {top}", "--define",
                           f"__python3 {sys.executable}", "--nodeps", "-tb", str(sdist)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    found = {path.name.rsplit("-", 2)[0]: path for path in (top / "RPMS").rglob("*.rpm")}
    assert sorted(found) == sorted(ROLES.values())
    return found


def test_spec_version_is_pyproject_version() -> None:
    proc = subprocess.run(["rpmspec", "-q", "--srpm", "--qf", "%{VERSION}", str(SPEC)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 and shutil.which("rpmspec") is None:
        pytest.skip("rpmspec missing (Debian package rpm)")
    assert proc.stdout.strip() == VERSION, proc.stderr


def test_rpm_layout_modes_and_config_flags(rpms: dict[str, Path]) -> None:
    files = {name: {line.split(" ", 2)[2]: tuple(line.split(" ", 2)[:2]) for line in
                    rpm_query(rpm, "--qf", "[%{FILEMODES:perms} %{FILEFLAGS:fflags}_ "
                                           "%{FILENAMES}\n]")}
             for name, rpm in rpms.items()}
    sitelib = next(path for path in files["ovn-provider-common"]
                   if path.endswith("/ovn_provider")).rsplit("/", 1)[0]
    for line in (REPO / "packaging/vdsm/MANIFEST").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        role, mode, _, dest = line.split()
        dest = dest.replace("@SITELIB@", sitelib).replace("@MAINCONF@", "/etc/ovirt-provider-ovn")
        perms, flags = files[ROLES[role]][dest]
        assert perms[1:] == "".join(c if int(mode, 8) & (1 << (8 - i)) else "-"
                                    for i, c in enumerate("rwxrwxrwx")), dest
        if dest == "/etc/ovirt-provider-ovn/ovirt-provider-ovn.conf":
            assert flags == "c_", "the main file is replaced on update (no noreplace)"
        elif dest.startswith("/etc/"):
            assert flags == "cn_", f"{dest} must be %config(noreplace)"
        else:
            assert "c" not in flags, dest
    assert f"{sitelib}/ovn_provider/_build_info.json" in files["ovn-provider-common"]


def test_rpm_names_and_dependencies(rpms: dict[str, Path]) -> None:
    for name, rpm in rpms.items():
        assert rpm_query(rpm, "--qf", "%{NAME} %{VERSION}") == [f"{name} {VERSION}"]
    release = rpm_query(rpms["ovn-provider"], "--qf", "%{RELEASE}")[0]
    full = f"{VERSION}-{release}"
    assert f"ovirt-provider-ovn = {full}" in rpm_query(rpms["ovn-provider"], "--provides")
    assert f"ovirt-provider-ovn-driver = {full}" in rpm_query(rpms["ovn-provider-driver"],
                                                               "--provides")
    assert rpm_query(rpms["ovn-provider"], "--obsoletes") == ["ovirt-provider-ovn < 2"]
    requires = rpm_query(rpms["ovn-provider"], "--requires")
    assert "ovn-central" in requires and f"ovn-provider-common = {full}" in requires
    driver = rpm_query(rpms["ovn-provider-driver"], "--requires")
    for needed in ("ovn-host", "openvswitch-ipsec", "python3-openvswitch", "vdsm"):
        assert needed in driver
