"""Running external commands (ovs-vsctl, ovn-appctl, ip, systemctl...).

Every module takes a `Runner` so that unit tests can record commands and feed outputs
without touching the host.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ovn_provider.driver.errors import DriverError


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def message(self) -> str:
        """The last line of stderr (or stdout): where OVS tools put the error."""
        lines = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return lines[-1] if lines else ""


class Runner(Protocol):
    def __call__(self, cmd: Sequence[str], env: Mapping[str, str] | None = None,
                 timeout: float = 30) -> Result: ...


def run_subprocess(cmd: Sequence[str], env: Mapping[str, str] | None = None,
                   timeout: float = 30) -> Result:
    """The real runner: no shell, captured output, a missing binary is a Result too."""
    try:
        proc = subprocess.run(list(cmd), env=dict(env) if env is not None else None,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        return Result(127, "", f"{cmd[0]}: command not found")
    except subprocess.TimeoutExpired:
        return Result(124, "", f"{cmd[0]}: timed out after {timeout:g}s")
    return Result(proc.returncode, proc.stdout, proc.stderr)


def check(result: Result, what: str) -> str:
    """stdout of a successful result, else a DriverError naming `what`."""
    if not result.ok:
        raise DriverError(f"{what} failed: {result.message() or f'exit {result.returncode}'}")
    return result.stdout
