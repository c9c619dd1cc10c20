"""Build the Debian packages from the repository: `make deb` (docs/packaging.md).

    python packaging/deb/build.py --wheel dist/ovn_provider-V-py3-none-any.whl --out dist

Runs with the build venv's python: the bundled libraries are copied from its installed
distributions (the versions the tests ran with). Stages one tree per binary package and
packs it with `dpkg-deb --build --root-owner-group`: no debhelper, no network, seconds.

  ovn-provider-common  (all)  the ovn_provider Python package, /usr/bin/ovn-provider-driver
  ovn-provider         (arch) the API service: /usr/bin/ovn-provider, unit, firewalld,
                              logrotate, configuration, bundled libraries; Provides
                              ovirt-provider-ovn
  ovn-provider-driver  (all)  vdsm hooks, vdsm-tool module, sudoers, legacy scripts;
                              Provides ovirt-provider-ovn-driver
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as metadata
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from resolve import Plan, plan  # noqa: E402

TOP = Path(__file__).resolve().parents[2]
HERE = TOP / "packaging" / "deb"
SITELIB = "/usr/lib/python3/dist-packages"
VENDOR = "/usr/share/ovirt-provider-ovn/vendor"
SHARE = "/usr/share/ovirt-provider-ovn"
MAINTAINER = "ovn-provider developers <ovn-provider@localhost.localdomain>"
# MANIFEST role -> binary package
ROLES = {"ovirt-provider-ovn": "ovn-provider", "ovirt-provider-ovn-driver": "ovn-provider-driver",
         "ovn-provider-common": "ovn-provider-common"}
DESCRIPTIONS = {
    "ovn-provider-common": (
        "OpenStack Networking API for OVN - common files",
        "The ovn_provider Python package shared by the API service (ovn-provider) and the\n"
        "host driver (ovn-provider-driver), and the ovn-provider-driver command."),
    "ovn-provider": (
        "OpenStack Networking API v2.0 and Identity API on top of OVN",
        "Serves the OpenStack Networking API (port 9696) and a small Identity API\n"
        "(port 35357) on top of the OVN Northbound database. Drop-in replacement for\n"
        "oVirt's ovirt-provider-ovn: same configuration files, keys, service name and\n"
        "API shapes."),
    "ovn-provider-driver": (
        "Host driver of ovn-provider for oVirt hosts",
        "vdsm hooks that attach VM NICs to br-int, the vdsm-tool ovn-config and\n"
        "ovn-unconfigure commands, and ovn-controller settings for an oVirt host.\n"
        "Drop-in replacement for ovirt-provider-ovn-driver."),
}


def run(*cmd: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


def manifest_install(role: str, root: Path, mainconf: str) -> list[str]:
    """Install one MANIFEST role under root; the /etc files it installed (conffiles)."""
    env = {**os.environ, "SITELIB": SITELIB, "MAINCONF": mainconf}
    run(str(TOP / "packaging/vdsm/install.sh"), "--package", role, str(root), env=env)
    conffiles = []
    for line in (TOP / "packaging/vdsm/MANIFEST").read_text().splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0] == role and fields[3].startswith("/etc/"):
            conffiles.append(fields[3])
    return conffiles


def clean_dist_info(target: Path) -> None:
    for info in target.glob("*.dist-info"):
        for name in ("RECORD", "direct_url.json", "REQUESTED"):
            (info / name).unlink(missing_ok=True)
        (info / "INSTALLER").write_text("dpkg\n")


def unpack_wheel(wheel: Path, target: Path) -> None:
    """A pure-Python wheel is a zip of its purelib tree: unpack it (what pip would do)."""
    with zipfile.ZipFile(wheel) as archive:
        if any(name.split("/")[0].endswith(".data") for name in archive.namelist()):
            raise SystemExit(f"{wheel}: .data directories are not handled")
        archive.extractall(target)
    clean_dist_info(target)


def copy_installed(names: dict[str, str], target: Path) -> None:
    """Copy the named distributions, as installed in this venv, into target.

    The venv's copies are the files of the wheels pip installed (the tested versions);
    RECORD lists them. Byte-code and files outside site-packages (scripts) are left out.
    """
    for name, version in sorted(names.items()):
        dist = metadata.distribution(name)
        if dist.version != version or dist.files is None:
            raise SystemExit(f"{name}: expected {version} with a RECORD, found {dist.version}")
        if dist.read_text("direct_url.json") and "editable" in (
                dist.read_text("direct_url.json") or ""):
            raise SystemExit(f"{name} is an editable install: cannot bundle it")
        for file in dist.files:
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue
            source = Path(str(dist.locate_file(file)))
            dest = target / file
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
    clean_dist_info(target)


def copyright_text(bundled: dict[str, str]) -> str:
    text = ("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
            "Upstream-Name: ovn-provider\n\n"
            "Files: *\nCopyright: ovn-provider developers\nLicense: Apache-2.0\n"
            " On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n")
    if bundled:
        text += ("\nComment: bundled Python libraries in " + VENDOR + "; each one's licence\n"
                 " is in its *.dist-info directory there.\n "
                 + ", ".join(f"{name} {version}" for name, version in sorted(bundled.items()))
                 + "\n")
    return text


def control(name: str, version: str, arch: str, size_kb: int, fields: dict[str, str]) -> str:
    short, long = DESCRIPTIONS[name]
    lines = [f"Package: {name}", f"Version: {version}", f"Architecture: {arch}",
             f"Maintainer: {MAINTAINER}", f"Installed-Size: {size_kb}",
             "Section: net", "Priority: optional"]
    lines += [f"{key}: {value}" for key, value in fields.items() if value]
    lines.append(f"Description: {short}")
    lines += [f" {line}" if line else " ." for line in long.splitlines()]
    return "\n".join(lines) + "\n"


def finish(root: Path, name: str, version: str, arch: str, fields: dict[str, str],
           conffiles: list[str], out: Path) -> Path:
    """Write DEBIAN/ (control, md5sums, conffiles, maintainer scripts) and pack the tree."""
    doc = root / "usr/share/doc" / name
    doc.mkdir(parents=True, exist_ok=True)
    debian = root / "DEBIAN"
    debian.mkdir()
    sums, size = [], 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and debian not in p.parents):
        sums.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(root)}")
        size += path.stat().st_size
    (debian / "md5sums").write_text("\n".join(sums) + "\n")
    if conffiles:
        (debian / "conffiles").write_text("".join(f"{c}\n" for c in sorted(conffiles)))
    for script in ("preinst", "postinst", "prerm", "postrm"):
        source = HERE / f"{name}.{script}"
        if source.exists():
            shutil.copyfile(source, debian / script)
            (debian / script).chmod(0o755)
    (debian / "control").write_text(control(name, version, arch, (size + 1023) // 1024, fields))
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    target = out / f"{name}_{version}_{arch}.deb"
    run("dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(target))
    return target


def stage_common(root: Path, wheel: Path) -> None:
    unpack_wheel(wheel, root / SITELIB.lstrip("/"))
    manifest_install("ovn-provider-common", root, SHARE)


def stage_provider(root: Path, the_plan: Plan) -> list[str]:
    conffiles = manifest_install("ovirt-provider-ovn", root, SHARE)
    copy_installed(the_plan.vendor, root / VENDOR.lstrip("/"))
    doc = root / "usr/share/doc/ovn-provider"
    doc.mkdir(parents=True)
    shutil.copyfile(TOP / "README.md", doc / "README.md")
    for page in sorted((TOP / "docs").glob("*.md")):
        shutil.copyfile(page, doc / page.name)
    return conffiles


def stage_driver(root: Path) -> list[str]:
    return manifest_install("ovirt-provider-ovn-driver", root, SHARE)


def build(wheel: Path, out: Path, revision: str) -> list[Path]:
    project = tomllib.loads((TOP / "pyproject.toml").read_text())["project"]
    version = f"{project['version']}-{revision}"
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True,
                          text=True).stdout.strip()
    the_plan = plan(project["dependencies"], HERE / "debian-python.txt")
    same = f"(= {version})"
    python = "python3 (>= 3.11~)"
    built = []
    os.umask(0o022)
    with tempfile.TemporaryDirectory(prefix="ovn-provider-deb-") as tmp:
        stage = Path(tmp)
        common = stage / "ovn-provider-common"
        stage_common(common, wheel)
        (common / "usr/share/doc/ovn-provider-common").mkdir(parents=True)
        (common / "usr/share/doc/ovn-provider-common/copyright").write_text(copyright_text({}))
        built.append(finish(common, "ovn-provider-common", version, "all",
                            {"Depends": python}, [], out))

        provider = stage / "ovn-provider"
        conffiles = stage_provider(provider, the_plan)
        (provider / "usr/share/doc/ovn-provider/copyright").write_text(
            copyright_text(the_plan.vendor))
        # bundled wheels with C extensions are built for this python3 minor version only
        compiled = any(provider.joinpath(VENDOR.lstrip("/")).rglob("*.cpython-*.so"))
        pythons = [python] + (["python3 (<< 3.12)"] if compiled else [])
        built.append(finish(provider, "ovn-provider", version, arch if compiled else "all", {
            "Depends": ", ".join([f"ovn-provider-common {same}", *pythons, "ovn-central",
                                  *the_plan.debian_depends()]),
            "Provides": f"ovirt-provider-ovn {same}",
            "Conflicts": "ovirt-provider-ovn", "Replaces": "ovirt-provider-ovn",
        }, conffiles, out))

        driver = stage / "ovn-provider-driver"
        conffiles = stage_driver(driver)
        (driver / "usr/share/doc/ovn-provider-driver").mkdir(parents=True)
        (driver / "usr/share/doc/ovn-provider-driver/copyright").write_text(copyright_text({}))
        shutil.copyfile(TOP / "docs/driver.md", driver / "usr/share/doc/ovn-provider-driver"
                        / "driver.md")
        built.append(finish(driver, "ovn-provider-driver", version, "all", {
            "Depends": ", ".join([f"ovn-provider-common {same}", python, "ovn-host",
                                  "openvswitch-switch", "openvswitch-ipsec",
                                  the_plan.debian_depend("ovs") or "python3-openvswitch",
                                  "sudo"]),
            "Suggests": "vdsm", "Enhances": "vdsm",
            "Provides": f"ovirt-provider-ovn-driver {same}",
            "Conflicts": "ovirt-provider-ovn-driver", "Replaces": "ovirt-provider-ovn-driver",
        }, conffiles, out))
    return built


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help="the wheel of `make dist`")
    parser.add_argument("--out", type=Path, default=TOP / "dist")
    parser.add_argument("--revision", default=os.environ.get("DEB_REVISION", "1"),
                        help="Debian revision (default 1, or $DEB_REVISION)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in build(args.wheel.resolve(), args.out.resolve(), args.revision):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
