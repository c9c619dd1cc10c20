"""The running ovn-controller, reached through `ovn-appctl -t ovn-controller`.

ovn-appctl finds the daemon through `$OVN_RUNDIR/ovn-controller.pid` (the host's
`--ovn-rundir`), so a private chassis is reached the same way as the real one.
"""

from __future__ import annotations

import os
import time

from ovn_provider.driver.host import Host
from ovn_provider.driver.runner import Result

TARGET = "ovn-controller"
DEFAULT_RUNDIR = "/var/run/ovn"


def appctl(host: Host, *args: str, timeout: int = 5) -> Result:
    cmd = [host.tool("ovn_appctl"), f"--timeout={timeout}", "-t", TARGET, *args]
    return host.runner(cmd, env=host.env(), timeout=timeout + 2)


def connection_status(host: Host) -> str:
    """`connected` / `not connected` as ovn-controller reports it; `unknown` if unreachable."""
    result = appctl(host, "connection-status")
    text = result.stdout.strip()
    return text if result.ok and text else "unknown"


def pidfile(host: Host) -> str:
    return os.path.join(host.ovn_rundir or DEFAULT_RUNDIR, f"{TARGET}.pid")


def running_pid(host: Host) -> int | None:
    try:
        with open(pidfile(host), encoding="ascii") as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None
    return None if state == "Z" else pid


def exit_gracefully(host: Host, wait: float = 10.0) -> bool:
    """Ask ovn-controller to exit and delete its own chassis (no `--restart`).

    True once the daemon named by its pidfile is gone; False if it was not reachable.
    """
    pid = running_pid(host)
    if not appctl(host, "exit").ok:
        return False
    deadline = time.monotonic() + wait
    while pid is not None and time.monotonic() < deadline:
        if running_pid(host) != pid:
            return True
        time.sleep(0.05)
    return pid is None or running_pid(host) != pid
