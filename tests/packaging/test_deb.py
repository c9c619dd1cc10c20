"""`make deb`: the Debian packages' files, modes, metadata, and an install into a throwaway
root whose commands then run on Debian's python3 (docs/packaging.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from ovn_provider.buildinfo import git_commit
from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
DEB_VERSION = f"{PROJECT['version']}-1"
SITELIB = "usr/lib/python3/dist-packages"
PACKAGES = ("ovn-provider-common", "ovn-provider", "ovn-provider-driver")
ROLES = {"ovirt-provider-ovn": "ovn-provider", "ovirt-provider-ovn-driver": "ovn-provider-driver",
         "ovn-provider-common": "ovn-provider-common"}
MAIN_CONF = "etc/ovirt-provider-ovn/ovirt-provider-ovn.conf"
SYSTEM_PYTHON = "/usr/bin/python3"

sys.path.insert(0, str(REPO / "packaging/deb"))
import resolve  # noqa: E402


def sh(*cmd: str, env: dict[str, str] | None = None, timeout: float = 120,
       stdin: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, env=env,
                          timeout=timeout, stdin=stdin)


@pytest.fixture(scope="module")
def debs(dist: Path) -> dict[str, Path]:
    found = {path.name.split("_")[0]: path for path in dist.glob("*.deb")}
    assert sorted(found) == sorted(PACKAGES)
    return found


def contents(deb: Path) -> dict[str, tuple[str, str]]:
    """path (without './') -> (mode string as `ls -l`, owner/group)."""
    listing = sh("dpkg-deb", "-c", str(deb))
    assert listing.returncode == 0, listing.stderr
    entries = {}
    for line in listing.stdout.splitlines():
        fields = line.split(None, 5)
        entries[fields[5].removeprefix("./").split(" -> ")[0]] = (fields[0], fields[1])
    return entries


def field(deb: Path, name: str) -> str:
    return sh("dpkg-deb", "-f", str(deb), name).stdout.strip()


def control_file(deb: Path, name: str) -> str:
    proc = sh("dpkg-deb", "--info", str(deb), name)
    return proc.stdout if proc.returncode == 0 else ""


def manifest() -> list[tuple[str, int, str]]:
    """(package, mode, installed path without '/') of packaging/vdsm/MANIFEST, as the .deb
    places them."""
    rows = []
    for line in (REPO / "packaging/vdsm/MANIFEST").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            role, mode, _, dest = line.split()
            dest = dest.replace("@SITELIB@", "/" + SITELIB).replace(
                "@MAINCONF@", "/usr/share/ovirt-provider-ovn")
            rows.append((ROLES[role], int(mode, 8), dest.lstrip("/")))
    return rows


def ls_mode(mode: int) -> str:
    bits = "".join(c if mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    return "-" + bits


def test_file_lists_modes_and_owners(debs: dict[str, Path]) -> None:
    lists = {name: contents(path) for name, path in debs.items()}
    for package, mode, path in manifest():
        assert path in lists[package], f"{path} not in {package}"
        assert lists[package][path][0] == ls_mode(mode), path
    for name, entries in lists.items():
        assert {owner for _, owner in entries.values()} == {"root/root"}, name
        for path, (mode, _) in entries.items():
            if mode.startswith("d"):
                assert mode == "drwxr-xr-x", f"{name}: {path}"
    files = [path for entries in lists.values() for path, (mode, _) in entries.items()
             if not mode.startswith("d")]
    assert len(files) == len(set(files)), "a file is shipped by two packages"
    common, provider = lists["ovn-provider-common"], lists["ovn-provider"]
    for module in ("ovn_provider/__init__.py", "ovn_provider/server.py",
                   "ovn_provider/driver/cli.py", "ovn_provider/_build_info.json"):
        assert f"{SITELIB}/{module}" in common
    vendor = "usr/share/ovirt-provider-ovn/vendor/"
    bundled = {path[len(vendor):].split("/")[0] for path in provider if path.startswith(vendor)}
    assert {"uvicorn", "ovsdbapp", "orjson"} <= bundled
    assert "ovs" not in bundled and "bin" not in bundled  # python3-openvswitch, no scripts
    assert not any("__pycache__" in path or path.endswith(".pyc")
                   for entries in lists.values() for path in entries)
    assert MAIN_CONF not in provider  # installed by the postinst, replaced on updates


def test_control_metadata(debs: dict[str, Path]) -> None:
    for name, deb in debs.items():
        assert field(deb, "Package") == name
        assert field(deb, "Version") == DEB_VERSION
        assert deb.name.startswith(f"{name}_{DEB_VERSION}_")
    provider, driver = debs["ovn-provider"], debs["ovn-provider-driver"]
    assert field(provider, "Provides") == f"ovirt-provider-ovn (= {DEB_VERSION})"
    assert field(driver, "Provides") == f"ovirt-provider-ovn-driver (= {DEB_VERSION})"
    for deb, legacy in ((provider, "ovirt-provider-ovn"), (driver, "ovirt-provider-ovn-driver")):
        assert field(deb, "Conflicts") == legacy and field(deb, "Replaces") == legacy
    depends = [d.strip() for d in field(provider, "Depends").split(",")]
    assert f"ovn-provider-common (= {DEB_VERSION})" in depends
    assert "ovn-central" in depends and "python3-openvswitch (>= 3.1.0)" in depends
    driver_depends = field(driver, "Depends")
    for needed in ("ovn-host", "openvswitch-ipsec", "python3-openvswitch", "sudo"):
        assert needed in driver_depends
    assert field(debs["ovn-provider-common"], "Architecture") == "all"
    assert field(driver, "Architecture") == "all"
    assert control_file(provider, "conffiles").split() == [
        "/etc/logrotate.d/ovirt-provider-ovn", "/etc/ovirt-provider-ovn/conf.d/README",
        "/etc/ovirt-provider-ovn/logger.conf"]
    assert control_file(driver, "conffiles").split() == [
        "/etc/sudoers.d/50_vdsm_hook_ovirt_provider_ovn_hook"]


def test_debian_dependencies_satisfy_the_pins(debs: dict[str, Path]) -> None:
    """Every python3-* Depends is a library whose Debian 12 version meets pyproject's pin."""
    table = resolve.read_table(REPO / "packaging/deb/debian-python.txt")
    by_package = {dist.package: (name, dist) for name, dist in table.items()}
    pins = {}
    for line in PROJECT["dependencies"]:
        req = Requirement(line)
        pins[canonicalize_name(req.name)] = req.specifier
    depends = field(debs["ovn-provider"], "Depends").split(",")
    libraries = [d.split()[0] for d in depends if d.strip().startswith("python3-")]
    assert libraries, depends
    for package in libraries:
        name, dist = by_package[package]
        assert Version(dist.version) in pins.get(name, SpecifierSet()), package
    # and a pin Debian cannot meet is bundled instead
    bundled = contents(debs["ovn-provider"])
    for name, spec in pins.items():
        dist = table.get(name)
        if dist is None or Version(dist.version) not in spec:
            prefix = f"usr/share/ovirt-provider-ovn/vendor/{name.replace('-', '_')}-"
            assert any(path.startswith(prefix) for path in bundled), name


def test_debian_table_versions_match_apt() -> None:
    """debian-python.txt's versions are what apt offers on this Debian 12 machine."""
    table = resolve.read_table(REPO / "packaging/deb/debian-python.txt")
    policy = sh("apt-cache", "show", "--no-all-versions", *(d.package for d in table.values()))
    offered = {}
    package = ""
    for line in policy.stdout.splitlines():
        if line.startswith("Package: "):
            package = line.split()[1]
        elif line.startswith("Version: "):
            upstream = line.split()[1].split(":")[-1].rsplit("-", 1)[0].split("+")[0]
            offered[package] = upstream.split("~")[0]
    if not offered:
        pytest.skip("apt has no package lists (run apt-get update): versions not compared")
    for name, dist in table.items():
        assert dist.package in offered, f"{dist.package} ({name}) is not in apt"
        assert Version(offered[dist.package]) >= Version(dist.version), dist.package


def seeded_root(root: Path, debs: dict[str, Path]) -> None:
    """An empty dpkg database in root that knows the Depends installed on this machine."""
    admin = root / "var/lib/dpkg"
    for sub in ("info", "updates", "triggers"):
        (admin / sub).mkdir(parents=True)
    (admin / "available").touch()
    names = set()
    for deb in debs.values():
        for dep in field(deb, "Depends").split(","):
            names.add(dep.split()[0])
    stanzas = [sh("dpkg-query", "-s", name).stdout.strip() for name in sorted(names)]
    (admin / "status").write_text("\n\n".join(s for s in stanzas if s) + "\n")


def dpkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # chrootless: the maintainer scripts see the root as $DPKG_ROOT and skip what would touch
    # this machine (systemd, byte-compiling)
    return sh("dpkg", f"--root={root}", "--force-script-chrootless", "--force-not-root",
              "--force-confold", *args, stdin=subprocess.DEVNULL, timeout=120)


@pytest.fixture(scope="module")
def root(debs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("root")
    seeded_root(target, debs)
    ordered = [str(debs[name]) for name in PACKAGES]
    proc = dpkg(target, "--install", *ordered)
    problems = [line for line in proc.stderr.splitlines() if "however:" in line]
    if proc.returncode != 0:
        # the only Depends this test machine lacks on purpose: openvswitch-ipsec (it would
        # start an IPsec daemon); install the driver with that one forced
        missing = sh("dpkg-query", "-W", "openvswitch-ipsec").returncode != 0
        assert missing and problems == [
            " ovn-provider-driver depends on openvswitch-ipsec; however:"], proc.stderr
        proc = dpkg(target, "--force-depends", "--configure", "ovn-provider-driver")
        assert proc.returncode == 0, proc.stderr
    status = sh("dpkg-query", f"--admindir={target}/var/lib/dpkg", "-W",
                "-f=${Package} ${db:Status-Abbrev}\n", *PACKAGES).stdout.split("\n")
    assert sorted(line.split()[:2] for line in status if line) == sorted(
        [name, "ii"] for name in PACKAGES)
    return target


def installed(root: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / SITELIB), "PYTHONDONTWRITEBYTECODE": "1"}
    return sh(SYSTEM_PYTHON, str(root / "usr/bin" / command), *args, env=env, timeout=60)


def test_installed_commands_run_on_debian_python(root: Path) -> None:
    version = installed(root, "ovn-provider", "--version")
    assert version.returncode == 0, version.stderr
    commit = git_commit(str(REPO)) or "unknown"
    assert version.stdout.startswith(f"ovn-provider {PROJECT['version']} (built ")
    assert f"git {commit})" in version.stdout
    driver = installed(root, "ovn-provider-driver", "--help")
    assert driver.returncode == 0 and "remove-chassis" in driver.stdout, driver.stderr
    checked = installed(root, "ovn-provider", "check-config", "--config", str(root / MAIN_CONF))
    assert checked.returncode == 0 and "configuration OK" in checked.stdout, checked.stderr
    for path, mode in ((MAIN_CONF, 0o644), ("etc/sudoers.d/50_vdsm_hook_ovirt_provider_ovn_hook",
                       0o440), ("usr/share/ovirt-provider-ovn/scripts/remove_chassis.sh", 0o544),
                       ("usr/libexec/vdsm/hooks/after_get_caps/ovirt_provider_ovn_hook", 0o555)):
        assert (root / path).stat().st_mode & 0o7777 == mode, path
    assert (root / MAIN_CONF).read_bytes() == (REPO / "packaging/ovirt-provider-ovn.conf"
                                               ).read_bytes()


def test_bundled_libraries_shadow_older_debian_copies(root: Path) -> None:
    """The wrapper's sys.path puts the bundle before dist-packages, where this machine has
    Debian's older python3-ovsdbapp and python3-uvicorn (Makefile DEB_PKGS)."""
    wrapper = root / "usr/bin/ovn-provider"
    code = ("import sys; __file__ = sys.argv[1]; "
            "exec(open(__file__).read().split('from ovn_provider.cli')[0]); "
            "import ovs, ovsdbapp, uvicorn; "
            "print(ovsdbapp.__file__, uvicorn.__file__, ovs.__file__)")
    env = {**os.environ, "PYTHONPATH": str(root / SITELIB), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = sh(SYSTEM_PYTHON, "-c", code, str(wrapper), env=env)
    assert proc.returncode == 0, proc.stderr
    ovsdbapp, uvicorn, ovs = proc.stdout.split()
    vendor = str(root / "usr/share/ovirt-provider-ovn/vendor")
    assert ovsdbapp.startswith(vendor) and uvicorn.startswith(vendor)
    assert ovs.startswith("/usr/lib/python3/dist-packages/ovs/")  # Debian's, with its C parser


@pytest.fixture()
def installed_provider(root: Path, central: Central, tmp_path: Path
                       ) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port, kport = free_port(), free_port()
    conf = tmp_path / "p.conf"
    conf.write_text(f"[PROVIDER]\nneutron-port={port}\nkeystone-port={kport}\n"
                    f"bind-address=127.0.0.1\n[OVN REMOTE]\novn-remote={central.nb_remote}\n"
                    "[AUTH]\nauth-plugin=auth.plugins.static_token:NoAuthPlugin\n")
    env = {**os.environ, "PYTHONPATH": str(root / SITELIB), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen([SYSTEM_PYTHON, str(root / "usr/bin/ovn-provider"), "serve",
                             "--config", str(root / MAIN_CONF), "--config", str(conf),
                             "--log-file", "-"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_installed_provider_serves_with_debian_and_bundled_libraries(
        installed_provider: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = installed_provider
    url = f"http://127.0.0.1:{port}/v2.0/networks"

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"the installed provider exited: {proc.stdout.read()}")  # type: ignore[union-attr]
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, 60, "the installed provider answers")
    created = httpx.post(url, json={"network": {"name": "from-the-deb"}}, timeout=30)
    assert created.status_code == 201, created.text
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    log = proc.stdout.read()  # type: ignore[union-attr]
    assert "Starting server" in log and f"git {git_commit(str(REPO)) or 'unknown'}" in log


def test_update_replaces_main_conf_keeps_conffiles_purge_keeps_conf_d(
        root: Path, debs: dict[str, Path]) -> None:
    main, logger = root / MAIN_CONF, root / "etc/ovirt-provider-ovn/logger.conf"
    engine = root / "etc/ovirt-provider-ovn/conf.d/10-setup-ovirt-provider-ovn.conf"
    main.write_text(main.read_text() + "\n# local edit\n")
    logger.write_text(logger.read_text() + "\n# local edit\n")
    engine.write_text("[PROVIDER]\nprovider-host = engine.example.org\n")
    proc = dpkg(root, "--force-depends", "--install", str(debs["ovn-provider"]))
    assert proc.returncode == 0, proc.stderr
    shipped = (REPO / "packaging/ovirt-provider-ovn.conf").read_text()
    assert main.read_text() == shipped
    assert (root / (MAIN_CONF + ".dpkg-old")).read_text().endswith("# local edit\n")
    assert "had local changes" in proc.stderr
    assert logger.read_text().endswith("# local edit\n")  # conffile: the operator's copy stays
    # an unchanged main file is replaced silently, without a .dpkg-old
    (root / (MAIN_CONF + ".dpkg-old")).unlink()
    proc = dpkg(root, "--force-depends", "--install", str(debs["ovn-provider"]))
    assert proc.returncode == 0 and "had local changes" not in proc.stderr, proc.stderr
    assert not (root / (MAIN_CONF + ".dpkg-old")).exists()
    proc = dpkg(root, "--force-depends", "--purge", "ovn-provider")
    assert proc.returncode == 0, proc.stderr
    assert not main.exists() and not logger.exists()
    assert not (root / "usr/bin/ovn-provider").exists()
    assert engine.read_text().startswith("[PROVIDER]")  # engine-setup's file is never removed
    assert (root / "usr/bin/ovn-provider-driver").exists()  # other packages stay


def test_apt_resolves_the_depends_and_the_legacy_names(debs: dict[str, Path],
                                                       tmp_path: Path) -> None:
    """apt (simulating) installs the packages from Debian 12's archive, and a package that
    needs ovirt-provider-ovn and ovirt-provider-ovn-driver (as engine-setup and host deploy
    ask for them) is satisfied by them."""
    if not sh("apt-cache", "policy", "ovn-central").stdout.count("Candidate: 2"):
        pytest.skip("apt has no package lists (run apt-get update): resolution not checked")
    consumer = tmp_path / "consumer"
    (consumer / "DEBIAN").mkdir(parents=True)
    (consumer / "DEBIAN/control").write_text(
        "Package: needs-ovirt-names\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\n"
        "Depends: ovirt-provider-ovn, ovirt-provider-ovn-driver\nDescription: test\n")
    built = sh("dpkg-deb", "--root-owner-group", "--build", str(consumer),
               str(tmp_path / "needs-ovirt-names.deb"))
    assert built.returncode == 0, built.stderr
    proc = sh("apt-get", "-s", "-q", "install", str(tmp_path / "needs-ovirt-names.deb"),
              *(str(debs[name]) for name in PACKAGES), timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    configured = {line.split()[1] for line in proc.stdout.splitlines()
                  if line.startswith("Conf ")}
    assert {"needs-ovirt-names", *PACKAGES} <= configured


def test_makefile_installs_every_debian_library_the_deb_may_depend_on() -> None:
    """So that the installed provider runs here whichever of them the pins select."""
    makefile = (REPO / "Makefile").read_text().splitlines()
    listed = {word for line in makefile if line.startswith("DEB_PKGS")
              for word in line.split("#")[0].split()[2:]}
    table = resolve.read_table(REPO / "packaging/deb/debian-python.txt")
    assert {dist.package for dist in table.values()} <= listed
