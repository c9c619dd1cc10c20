"""Fixtures of the host driver tests: a private OVN central, private chassis, namespaces.

Everything a test starts is stopped in `finally` by the PIDs of its own pidfiles; every
namespace is named with this run's prefix and only the ones created here are deleted.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from ovn_provider.driver import cli
from ovn_provider.driver.runner import Result
from ovn_provider.ovn.central import Central
from tests.bed.chassis import Chassis, add_netns, del_netns

# Unique per test run (pid + time), short enough for namespace and interface names.
RUN_PREFIX = f"drv{os.getpid() % 10000:04d}{int(time.time()) % 1000:03d}"
_counter = itertools.count(1)


def unique(stem: str) -> str:
    return f"{RUN_PREFIX}-{stem}{next(_counter)}"


def require_root_bed() -> None:
    if os.geteuid() != 0:
        pytest.skip("the driver's functional tests need root (network namespaces, "
                    "ovs-vswitchd); CI runs them as root")
    missing = [tool for tool in ("ovsdb-server", "ovs-vswitchd", "ovn-controller",
                                 "ovn-northd", "ip") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `make deps` (ovn-central, ovn-host, "
                    "openvswitch-switch, iproute2)")


@pytest.fixture(scope="session")
def driver_central() -> Iterator[Central]:
    """One private central (NB, SB, northd on loopback ports) for the driver tests."""
    require_root_bed()
    bed = Central(tempfile.mkdtemp(prefix="ovnp-drv-central-"))
    try:
        bed.start()
        yield bed
    finally:
        bed.stop(remove=True)


@pytest.fixture()
def chassis_factory() -> Iterator[Callable[..., Chassis]]:
    """Start chassis on demand; all of them are stopped when the test ends."""
    require_root_bed()
    started: list[Chassis] = []

    def make(system_id: str | None = None) -> Chassis:
        bed = Chassis(name=unique("hv"), netns=unique("ns"), system_id=system_id)
        started.append(bed)
        return bed.start()

    try:
        yield make
    finally:
        for bed in reversed(started):
            bed.stop()


@pytest.fixture()
def chassis(chassis_factory: Callable[..., Chassis]) -> Chassis:
    return chassis_factory()


@pytest.fixture()
def netns_factory() -> Iterator[Callable[[], str]]:
    """Create namespaces ("VMs") on demand; only those are deleted at the end."""
    require_root_bed()
    created: list[str] = []

    def make() -> str:
        name = unique("vm")
        add_netns(name)
        created.append(name)
        return name

    try:
        yield make
    finally:
        for name in created:
            del_netns(name)


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_driver(bed: Chassis | None, *args: str) -> Outcome:
    """`ovn-provider-driver [bed's global options] ARGS`, in process (fast)."""
    out, err = io.StringIO(), io.StringIO()
    argv = [*(bed.driver_args() if bed else []), *args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return Outcome(code, out.getvalue(), err.getvalue())


def wait_until(predicate: Callable[[], object], timeout: float = 10.0,
               what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class FakeRunner:
    """Records every command; answers from `answers` (first matching prefix), else from
    `fallback` (e.g. the real runner), else succeeds with no output."""

    answers: list[tuple[Sequence[str], Result]] = field(default_factory=list)
    calls: list[list[str]] = field(default_factory=list)
    fallback: Callable[[Sequence[str], Mapping[str, str] | None, float], Result] | None = None

    def __call__(self, cmd: Sequence[str], env: Mapping[str, str] | None = None,
                 timeout: float = 30) -> Result:
        cmd = list(cmd)
        self.calls.append(cmd)
        for prefix, result in self.answers:
            if cmd[:len(prefix)] == list(prefix):
                return result
        if self.fallback is not None:
            return self.fallback(cmd, env, timeout)
        return Result(0, "", "")
