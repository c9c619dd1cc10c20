"""The host's service manager: systemd when it runs, otherwise none (say so, skip).

`detect()` picks systemd when /run/systemd/system exists (how sd_booted() decides).
Without a service manager the driver never starts or stops daemons behind the
administrator's back: it reports what it skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ovn_provider.driver.errors import DriverError
from ovn_provider.driver.host import Host
from ovn_provider.driver.runner import check

SYSTEMD_MARKER = "/run/systemd/system"
MANAGERS = ("auto", "systemd", "none")


@dataclass
class ServiceManager:
    """No service manager: every action is skipped and reported."""

    host: Host
    name: str = "none"

    @property
    def available(self) -> bool:
        return False

    def knows(self, unit: str) -> bool:
        return False

    def is_active(self, unit: str) -> bool | None:
        return None

    def _act(self, verb: str, unit: str) -> None:
        raise DriverError(f"cannot {verb} {unit}: no service manager")

    def start(self, unit: str) -> None:
        self._act("start", unit)

    def stop(self, unit: str) -> None:
        self._act("stop", unit)

    def restart(self, unit: str) -> None:
        self._act("restart", unit)

    def enable(self, unit: str) -> None:
        self._act("enable", unit)


@dataclass
class Systemd(ServiceManager):
    name: str = "systemd"

    @property
    def available(self) -> bool:
        return True

    def _systemctl(self, *args: str) -> str:
        result = self.host.runner([self.host.tool("systemctl"), *args], env=None,
                                  timeout=120)
        return check(result, f"systemctl {' '.join(args)}")

    def knows(self, unit: str) -> bool:
        result = self.host.runner([self.host.tool("systemctl"), "list-unit-files",
                                   "--no-legend", f"{unit}.service"], env=None, timeout=30)
        return result.ok and bool(result.stdout.strip())

    def is_active(self, unit: str) -> bool | None:
        result = self.host.runner([self.host.tool("systemctl"), "is-active", "--quiet",
                                   f"{unit}.service"], env=None, timeout=30)
        return result.ok

    def _act(self, verb: str, unit: str) -> None:
        self._systemctl(verb, f"{unit}.service")


def detect(host: Host, marker_exists: Callable[[str], bool] = os.path.isdir) -> ServiceManager:
    choice = host.service_manager or "auto"
    if choice not in MANAGERS:
        raise DriverError(f"unknown service manager {choice!r} "
                          f"(choose from {', '.join(MANAGERS)})")
    if choice == "systemd" or (choice == "auto" and marker_exists(SYSTEMD_MARKER)):
        return Systemd(host)
    return ServiceManager(host)


def first_known(manager: ServiceManager, *units: str) -> str | None:
    """The first of `units` the manager knows (distributions name units differently)."""
    for unit in units:
        if manager.knows(unit):
            return unit
    return None
