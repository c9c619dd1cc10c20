"""`make dist`: the wheel and the sdist (docs/packaging.md)."""

from __future__ import annotations

import json
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from ovn_provider import buildinfo

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_wheel_has_the_package_scripts_and_build_stamp(dist: Path) -> None:
    with zipfile.ZipFile(dist / f"ovn_provider-{VERSION}-py3-none-any.whl") as wheel:
        names = set(wheel.namelist())
        stamp = json.loads(wheel.read("ovn_provider/_build_info.json"))
        scripts = wheel.read(f"ovn_provider-{VERSION}.dist-info/entry_points.txt").decode()
    assert {"ovn_provider/server.py", "ovn_provider/driver/cli.py"} <= names
    assert "ovn-provider = ovn_provider.cli:main" in scripts
    assert "ovn-provider-driver = ovn_provider.driver.cli:main" in scripts
    assert stamp["version"] == VERSION
    assert stamp["git"] == (buildinfo.git_commit(str(REPO)))


def test_sdist_is_a_full_source_release(dist: Path) -> None:
    top = f"ovn_provider-{VERSION}"
    with tarfile.open(dist / f"{top}.tar.gz") as sdist:
        names = set(sdist.getnames())
        member = sdist.extractfile(f"{top}/src/ovn_provider/_build_info.json")
        assert member is not None
        stamp = json.loads(member.read())
    for path in ("setup.py", "pyproject.toml", "README.md", "packaging/vdsm/MANIFEST",
                 "packaging/rpm/ovn-provider.spec", "packaging/deb/build.py",
                 "packaging/systemd/ovirt-provider-ovn.service", "docs/packaging.md"):
        assert f"{top}/{path}" in names, path
    assert stamp["git"] == buildinfo.git_commit(str(REPO))
    assert not any("__pycache__" in name for name in names)


def test_version_line_uses_the_stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stamp = tmp_path / "_build_info.json"
    stamp.write_text(json.dumps({"version": VERSION, "git": "0123456789ab",
                                 "built": "2026-01-02"}))
    monkeypatch.setattr(buildinfo, "INFO_FILE", str(stamp))
    assert buildinfo.version_line("ovn-provider") == (
        f"ovn-provider {VERSION} (built 2026-01-02, git 0123456789ab)")
    stamp.write_text(json.dumps({"version": VERSION, "git": "", "built": "2026-01-02"}))
    assert buildinfo.describe() == "built 2026-01-02, git unknown"
