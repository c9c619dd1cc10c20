"""Tempest for `make conformance` (docs/conformance.md): its venv, its workspace and
configuration, the run and its results.

Robust on a fresh or busy machine: the install and `tempest init` are retried (they are
set-up, not tests), every subprocess has a time limit, and the Tempest run is its own
process group, killed whole when it overruns or when the runner is stopped. Tests are
never re-run: a test that fails, fails.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "conformance"
TEMPEST_VENV = REPO / ".venv-tempest"
TEMPEST_VERSION = "47.0.0"
PROJECT = "tenant"
#: A limit per Tempest test (Tempest's own OS_TEST_TIMEOUT); a hung call fails its test.
TEST_TIMEOUT_S = 300
#: A limit on the whole Tempest run (~1-2 min measured, docs/conformance.md).
RUN_TIMEOUT_S = 45 * 60
INSTALL_TIMEOUT_S = 20 * 60

T = TypeVar("T")


def log(text: str) -> None:
    print(f"conformance: {text}", flush=True)


def retry(what: str, step: Callable[[], T], attempts: int = 3, pause: float = 5.0) -> T:
    """A set-up step, tried again after a failure (a PyPI hiccup, a port taken meanwhile,
    a machine too busy to answer in time). Never used for tests."""
    for attempt in range(1, attempts + 1):
        try:
            return step()
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            if attempt == attempts:
                raise
            log(f"{what} failed ({exc}); attempt {attempt + 1} of {attempts} in {pause:.0f} s")
            time.sleep(pause)
    raise AssertionError("unreachable")


# -- the venv ------------------------------------------------------------------------------
def _installed(tempest: Path) -> bool:
    """Tempest of the pinned version is in the venv (its metadata, read without running
    anything: quick on a busy machine)."""
    if not tempest.exists() or not (TEMPEST_VENV / "bin" / "python").exists():
        return False
    return any(TEMPEST_VENV.glob(f"lib/python3*/site-packages/tempest-{TEMPEST_VERSION}"
                                 ".dist-info/METADATA"))


def ensure_tempest() -> Path:
    """Tempest, pinned, in .venv-tempest (created, or re-created when broken or of another
    version)."""
    tempest = TEMPEST_VENV / "bin" / "tempest"
    if _installed(tempest):
        return tempest

    def install() -> None:
        log(f"installing tempest=={TEMPEST_VERSION} into {TEMPEST_VENV}")
        # --clear: a half-made venv of an interrupted install is started afresh
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TEMPEST_VENV)],
                       check=True, timeout=300)
        pip = [str(TEMPEST_VENV / "bin" / "python"), "-m", "pip", "install", "-q",
               "--timeout", "60", "--retries", "5"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True, timeout=INSTALL_TIMEOUT_S)
        subprocess.run([*pip, f"tempest=={TEMPEST_VERSION}"], check=True,
                       timeout=INSTALL_TIMEOUT_S)
        if not _installed(tempest):
            raise RuntimeError("tempest is not usable after its install")

    retry("installing tempest", install, pause=30.0)
    return tempest


# -- the workspace -----------------------------------------------------------------------------
def tempest_env(workdir: Path) -> dict[str, str]:
    """Tempest keeps a workspace registry in ~/.tempest and its locks in
    $TMPDIR/tempest-lock: both go to the work directory, removed with it."""
    tmp = workdir / "tmp"
    tmp.mkdir(exist_ok=True)
    return {**os.environ, "HOME": str(workdir), "TMPDIR": str(tmp),
            "OS_TEST_TIMEOUT": str(TEST_TIMEOUT_S)}


def init_workspace(tempest: Path, workspace: Path) -> None:
    def init() -> None:
        if workspace.exists():  # a failed attempt's leftovers
            subprocess.run(["rm", "-rf", str(workspace)], check=True, timeout=60)
        subprocess.run([str(tempest), "init", str(workspace)], check=True,
                       stdout=subprocess.DEVNULL, timeout=300,
                       env=tempest_env(workspace.parent))
    retry("tempest init", init)


def write_config(workspace: Path, keystone_url: str, public_id: str,
                 aliases: list[str]) -> None:
    etc = workspace / "etc"
    accounts = etc / "accounts.yaml"
    # Tempest asks for credentials by type (admin) and by role (member, reader); the
    # provider has one project, so every account is in it.
    users = [(f"tempest-admin-{i}", ["admin", "member", "reader"]) for i in range(1, 5)] + \
        [(f"tempest-user-{i}", ["member", "reader"]) for i in range(1, 9)]
    accounts.write_text("".join(
        f"- username: '{name}'\n  project_name: '{PROJECT}'\n  password: 'secret'\n"
        f"  roles: {roles}\n" + ("  types: ['admin']\n" if "admin" in roles else "")
        for name, roles in users), encoding="utf-8")
    (etc / "tempest.conf").write_text(f"""[DEFAULT]
log_file = {workspace / 'tempest.log'}

[auth]
use_dynamic_credentials = False
test_accounts_file = {accounts}
default_credentials_domain_name = Default
create_isolated_networks = False

[identity]
uri_v3 = {keystone_url}/v3
auth_version = v3
region = RegionOne
v3_endpoint_type = public

[identity-feature-enabled]
api_v2 = False

[service_available]
neutron = True
nova = False
glance = False
cinder = False
swift = False
horizon = False

[service-clients]
# a busy machine answers slowly; the default is 60 s
http_timeout = 120

[network]
public_network_id = {public_id}
floating_network_name = public
project_network_cidr = 10.100.0.0/16
project_network_mask_bits = 28
project_network_v6_cidr = 2001:db8::/48
project_network_v6_mask_bits = 64
endpoint_type = public
region = RegionOne

[network-feature-enabled]
ipv6 = True
ipv6_subnet_attributes = True
api_extensions = {','.join(aliases)}

[validation]
run_validation = False

[oslo_concurrency]
# Tempest's locks and pre-provisioned account claims; its default is /tmp/tempest-lock,
# which would outlive the run
lock_path = {workspace / 'lock'}
""", encoding="utf-8")


# -- the run -----------------------------------------------------------------------------------
def run(tempest: Path, workspace: Path, concurrency: int, regex: str) -> bool:
    """`tempest run`, in its own process group; False when it overran RUN_TIMEOUT_S (the
    group is killed; the results so far are still read)."""
    argv = [str(tempest), "run", "--regex", regex]
    argv += ["--serial"] if concurrency <= 1 else ["--concurrency", str(concurrency)]
    log(" ".join(argv))
    with open(workspace / "tempest-run.txt", "wb") as out:
        proc = subprocess.Popen(argv, cwd=workspace, stdout=out, stderr=subprocess.STDOUT,
                                env=tempest_env(workspace.parent), start_new_session=True)
        try:
            proc.wait(RUN_TIMEOUT_S)
            return True
        except subprocess.TimeoutExpired:
            log(f"tempest run overran {RUN_TIMEOUT_S // 60} min: stopped")
            return False
        finally:
            stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End the Tempest run and its workers (its own process group), if still there."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    else:  # the leader is gone; workers it left behind share its group id
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def collect(workspace: Path) -> dict[str, tuple[str, str]]:
    """test id -> (status, first message); empty when Tempest recorded nothing."""
    stestr = TEMPEST_VENV / "bin" / "stestr"
    stream = subprocess.run([str(stestr), "last", "--subunit"], cwd=workspace,
                            capture_output=True, check=False, timeout=300,
                            env=tempest_env(workspace.parent)).stdout
    if not stream:
        return {}
    parsed = subprocess.run([str(TEMPEST_VENV / "bin" / "python"), str(HERE / "subunit_json.py")],
                            input=stream, capture_output=True, check=True, timeout=300).stdout
    raw: dict[str, list[str]] = json.loads(parsed)
    return {plain_id(test): (status, reason) for test, (status, reason) in raw.items()}


def plain_id(test_id: str) -> str:
    """`module.Class.test[id-...,smoke]` -> `module.Class.test`."""
    return re.sub(r"\[.*\]$", "", test_id)
