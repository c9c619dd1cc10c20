"""The service part of setup: the systemd unit, the firewalld service and the logrotate
file from `packaging/`, installed where the host has the directory for them, enabled
where a service manager runs. Whatever cannot be done here is said, not guessed.

A file a package already installed (under /usr/lib) or that an operator put in place is
never replaced.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ovn_provider.setup.actions import Plan, SetupError, write_file
from ovn_provider.setup.layout import under

UNIT = "ovirt-provider-ovn.service"
FIREWALLD_SERVICE = "ovirt-provider-ovn"
OVN_FIREWALLD_SERVICE = "ovn-central-firewall-service"
SYSTEMD_MARKER = "/run/systemd/system"


def packaging_dir() -> str | None:
    """Where the shipped unit, firewalld and logrotate files are: $OVN_PROVIDER_PACKAGING,
    the source tree's packaging/, or the installed data directory."""
    candidates = [os.environ.get("OVN_PROVIDER_PACKAGING", ""),
                  str(Path(__file__).resolve().parents[3] / "packaging"),
                  os.path.join(sys.prefix, "share", "ovn-provider", "packaging"),
                  "/usr/share/ovirt-provider-ovn/packaging"]
    for path in candidates:
        if path and os.path.isfile(os.path.join(path, "systemd", UNIT)):
            return path
    return None


@dataclass(frozen=True)
class Shipped:
    what: str
    source: str  # relative to packaging/
    installed: tuple[str, ...]  # absolute paths where a package or operator puts it
    target: str  # where setup installs it
    needs_dir: str  # the host has this component when this directory exists


SHIPPED = (
    Shipped("systemd unit", f"systemd/{UNIT}",
            (f"/usr/lib/systemd/system/{UNIT}", f"/lib/systemd/system/{UNIT}"),
            f"/etc/systemd/system/{UNIT}", "/etc/systemd/system"),
    Shipped("firewalld service", f"firewalld/{FIREWALLD_SERVICE}.xml",
            (f"/usr/lib/firewalld/services/{FIREWALLD_SERVICE}.xml",),
            f"/etc/firewalld/services/{FIREWALLD_SERVICE}.xml", "/etc/firewalld"),
    Shipped("logrotate file", "logrotate/ovirt-provider-ovn", (),
            "/etc/logrotate.d/ovirt-provider-ovn", "/etc/logrotate.d"),
)


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SetupError(f"{' '.join(cmd)}: {exc}") from exc


def _command(*cmd: str) -> Callable[[], None]:
    def run() -> None:
        proc = _run(*cmd)
        if proc.returncode != 0:
            raise SetupError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return run


def plan_files(plan: Plan, prefix: str) -> list[str]:
    """Install the shipped files; returns the names of the components present."""
    source_dir = packaging_dir()
    present = []
    for item in SHIPPED:
        installed = [under(prefix, path) for path in (*item.installed, item.target)]
        found = next((path for path in installed if os.path.isfile(path)), None)
        if found:
            plan.note(f"{item.what}: {found} is in place (kept)")
            present.append(item.what)
            continue
        if not os.path.isdir(under(prefix, item.needs_dir)):
            plan.note(f"skipped {item.what}: this host has no {under(prefix, item.needs_dir)}")
            continue
        if source_dir is None:
            plan.note(f"skipped {item.what}: the shipped packaging/ files were not found "
                      "(set OVN_PROVIDER_PACKAGING)")
            continue
        with open(os.path.join(source_dir, item.source), "rb") as handle:
            data = handle.read()
        target = under(prefix, item.target)
        plan.add(f"install the {item.what} {target} (0644)", _install(target, data))
        present.append(item.what)
    return present


def _install(target: str, data: bytes) -> Callable[[], None]:
    def run() -> None:
        write_file(target, data, 0o644)
    return run


def plan_services(plan: Plan, prefix: str, present: list[str], restart: bool,
                  reload: bool) -> None:
    """Enable the unit and the firewalld services, then restart (configuration changed)
    or reload (certificates renewed) a running provider."""
    if os.path.realpath(prefix) != "/":
        plan.note(f"services not enabled or restarted: --prefix {prefix} is not the running "
                  "system")
        return
    if not os.path.isdir(SYSTEMD_MARKER) or not shutil.which("systemctl"):
        plan.note(f"skipped systemd: not running here (no {SYSTEMD_MARKER}), so "
                  f"{UNIT} is not enabled or started; run `ovn-provider serve` yourself, "
                  "and after --renew send it SIGHUP (`kill -HUP PID`)")
    elif "systemd unit" not in present:
        plan.note(f"skipped systemd: no {UNIT} installed and no packaging/ file to install")
    else:
        _plan_systemd(plan, restart, reload)
    if shutil.which("firewall-cmd") and _run("firewall-cmd", "--state").returncode == 0:
        for service in (FIREWALLD_SERVICE, OVN_FIREWALLD_SERVICE):
            query = _run("firewall-cmd", "--permanent", f"--query-service={service}")
            if query.returncode == 0:
                plan.note(f"firewalld: service {service} already enabled")
                continue
            plan.add(f"firewalld: enable service {service} (permanent, then reload)",
                     _firewalld_enable(service))
    else:
        plan.note("skipped firewalld: firewall-cmd is missing or firewalld is not running; "
                  "open tcp/9696, tcp/35357 and the NB/SB ports yourself")


def _firewalld_enable(service: str) -> Callable[[], None]:
    def run() -> None:
        _command("firewall-cmd", "--permanent", f"--add-service={service}")()
        _command("firewall-cmd", "--reload")()
    return run


def _plan_systemd(plan: Plan, restart: bool, reload: bool) -> None:
    enabled = _run("systemctl", "is-enabled", "--quiet", UNIT).returncode == 0
    if not enabled:
        plan.add(f"systemctl daemon-reload and enable {UNIT}",
                 _sequence(_command("systemctl", "daemon-reload"),
                           _command("systemctl", "enable", UNIT)))
    active = _run("systemctl", "is-active", "--quiet", UNIT).returncode == 0
    if not active:
        plan.add(f"systemctl start {UNIT}", _command("systemctl", "start", UNIT))
    elif restart:
        plan.add(f"systemctl restart {UNIT} (its configuration changed)",
                 _command("systemctl", "restart", UNIT))
    elif reload:
        plan.add(f"systemctl reload {UNIT} (SIGHUP: new connections use the renewed "
                 "certificate)", _command("systemctl", "reload", UNIT))
    else:
        plan.note(f"{UNIT} is enabled and running")


def _sequence(*steps: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        for step in steps:
            step()
    return run
