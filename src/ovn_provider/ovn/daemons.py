"""Start and stop OVS/OVN daemons in private directories (no systemd, no default paths).

Used by the embedded central of `ovn-provider serve --embedded-ovn` and by the test beds.
Daemons are stopped by the PID in their own pidfile, and only when /proc/PID/cmdline
still names the directory they were started in.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence


class DaemonError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def run(cmd: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 30,
        check: bool = True) -> str:
    proc = subprocess.run(list(cmd), env=dict(env) if env is not None else None,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise DaemonError(f"{' '.join(cmd)} failed ({proc.returncode}): "
                          f"{proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def read_pid(pidfile: str) -> int | None:
    try:
        with open(pidfile, encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop_pidfile(pidfile: str, owner_dir: str, timeout: float = 5.0) -> None:
    """SIGTERM (then SIGKILL) the daemon of `pidfile` if it still belongs to `owner_dir`."""
    pid = read_pid(pidfile)
    if pid is None or owner_dir not in _cmdline(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def wait_for(predicate: object, timeout: float, what: str, interval: float = 0.05) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise DaemonError(f"timed out after {timeout}s waiting for {what}")


def ovs_env(directory: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment that points every OVS/OVN tool at `directory`, not at /var/run."""
    env = dict(os.environ if base is None else base)
    for var in ("OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR",
                "OVN_RUNDIR", "OVN_DBDIR", "OVN_LOGDIR", "OVN_SYSCONFDIR"):
        env[var] = directory
    return env
