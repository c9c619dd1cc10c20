"""`make conformance`: Tempest's network API tests against a provider on a private OVN.

Steps (docs/conformance.md):
1. Tempest from PyPI in its own venv (.venv-tempest, version pinned in
   conformance/tempest_setup.py, which also runs Tempest and reads its results).
2. A private OVN central (NB, SB, northd on free loopback ports) with one SB chassis
   marked as gateway (`ovn-cms-options=enable-chassis-as-gw`), so SNAT and floating IPs
   are available without chassis names in the provider's config.
3. The provider (`ovn-provider serve`) on free loopback ports, static-token auth.
4. An external network for Tempest's `public_network_id`.
5. `tempest run --regex '^tempest\\.api\\.network\\.'` with pre-provisioned credentials
   (there is no Keystone admin to create projects) and every service but the network
   one disabled; the extensions are the ones the provider lists.
6. Results: passed/failed/skipped; the command fails when a test listed in
   conformance/expected-pass.txt did not pass, or a test was skipped for a reason not in
   conformance/allowed-skips.txt.

`--update` rewrites expected-pass.txt with the tests that passed in this run.

Set-up steps (install, OVN, the provider, provisioning, `tempest init`) are retried
after a failure, with time limits sized for a busy machine; tests are never re-run.
Everything started is stopped, also on a failure or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from conformance import tempest_setup as T
from conformance.tempest_setup import HERE, REPO, log, retry
from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import free_port

EXPECTED = HERE / "expected-pass.txt"
ALLOWED_SKIPS = HERE / "allowed-skips.txt"
UNSTABLE = HERE / "unstable.txt"
TOKEN = "00000000000000000000000000000001"
GATEWAY_CHASSIS = "conformance-gw"
#: How long the provider may take to answer, and to see the gateway chassis, on a busy
#: machine (seconds; a few seconds measured on an idle one).
PROVIDER_START_S = 180
GATEWAY_SEEN_S = 120
HTTP_TIMEOUT_S = 60


# -- OVN and the provider ----------------------------------------------------------------
def register_gateway(central: Central) -> None:
    """An SB chassis marked as gateway, as `ovn-provider-driver configure --gateway` and
    ovn-controller would leave it (no ovn-controller is needed for the API tests)."""
    central.sbctl("chassis-add", GATEWAY_CHASSIS, "geneve", "127.0.0.2")
    central.sbctl("set", "Chassis", GATEWAY_CHASSIS,
                  'other_config:ovn-cms-options="enable-chassis-as-gw"')


def write_provider_config(path: Path, central: Central, neutron: int, keystone: int) -> None:
    path.write_text(f"""[PROVIDER]
neutron-port = {neutron}
keystone-port = {keystone}
bind-address = 127.0.0.1
provider-host = 127.0.0.1

[NETWORK]
# What engine-setup writes, and Neutron's default
port-security-enabled-default = True

[OVN REMOTE]
ovn-remote = {central.nb_remote}
ovn-sb-remote = {central.sb_remote}

[AUTH]
auth-plugin = auth.plugins.static_token:MagicTokenPlugin
""", encoding="utf-8")


def start_provider(workdir: Path, central: Central) -> tuple[subprocess.Popen[bytes], str, str]:
    neutron, keystone = free_port(), free_port()
    conf = workdir / "provider.conf"
    write_provider_config(conf, central, neutron, keystone)
    exe = Path(sys.executable).parent / "ovn-provider"
    argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "ovn_provider.cli"]
    proc = subprocess.Popen([*argv, "serve", "--config", str(conf), "--log-file",
                             str(workdir / "provider.log")], stdin=subprocess.DEVNULL)
    neutron_url, keystone_url = f"http://127.0.0.1:{neutron}", f"http://127.0.0.1:{keystone}"
    deadline = time.monotonic() + PROVIDER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:  # e.g. a port taken meanwhile: the caller tries again
            raise RuntimeError(f"the provider exited ({proc.returncode}); see "
                               f"{workdir / 'provider.log'}")
        try:
            answer = httpx.get(f"{neutron_url}/v2.0/floatingips",
                               headers={"X-Auth-Token": TOKEN}, timeout=10)
            if answer.status_code == 200:
                return proc, neutron_url, keystone_url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_provider(proc)
    raise RuntimeError(f"the provider did not answer within {PROVIDER_START_S} s")


def stop_provider(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def _call(method: str, url: str, **kw: Any) -> httpx.Response:
    """One set-up request; a transport error or a 5xx raises RuntimeError (retried)."""
    try:
        answer = httpx.request(method, url, headers={"X-Auth-Token": TOKEN},
                               timeout=HTTP_TIMEOUT_S, **kw)
    except httpx.HTTPError as exc:
        raise RuntimeError(f"{method} {url}: {exc}") from exc
    if answer.status_code >= 500 and answer.status_code != 501:
        raise RuntimeError(f"{method} {url}: {answer.status_code} {answer.text[:200]}")
    if answer.status_code != 501:  # 501: no gateway chassis seen yet (wait_nat_available)
        answer.raise_for_status()
    return answer


def wait_nat_available(neutron_url: str, public_id: str) -> None:
    """The provider has seen the gateway chassis once a floating IP can be made."""
    deadline = time.monotonic() + GATEWAY_SEEN_S
    while time.monotonic() < deadline:
        answer = _call("POST", f"{neutron_url}/v2.0/floatingips",
                       json={"floatingip": {"floating_network_id": public_id}})
        if answer.status_code == 201:
            fip = answer.json()["floatingip"]["id"]
            _call("DELETE", f"{neutron_url}/v2.0/floatingips/{fip}")
            return
        time.sleep(0.5)
    raise RuntimeError("the provider never saw the gateway chassis (floating IPs stay 501)")


def provision(neutron_url: str) -> tuple[str, list[str]]:
    """The external network Tempest uses, and the provider's extension aliases. Safe to
    run again after a partial failure: what exists already is kept."""
    nets = _call("GET", f"{neutron_url}/v2.0/networks", params={"name": "public"})
    found = nets.json()["networks"]
    if found:
        public_id = found[0]["id"]
    else:
        net = _call("POST", f"{neutron_url}/v2.0/networks",
                    json={"network": {"name": "public", "router:external": True}})
        public_id = net.json()["network"]["id"]
    subnets = _call("GET", f"{neutron_url}/v2.0/subnets", params={"network_id": public_id})
    if not subnets.json()["subnets"]:
        _call("POST", f"{neutron_url}/v2.0/subnets", json={
            "subnet": {"network_id": public_id, "cidr": "172.24.4.0/24", "ip_version": 4,
                       "gateway_ip": "172.24.4.1", "name": "public-subnet"}})
    exts = _call("GET", f"{neutron_url}/v2.0/extensions")
    aliases = sorted(e["alias"] for e in exts.json()["extensions"])
    return public_id, aliases


# -- verdict ------------------------------------------------------------------------------
def read_list(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def allowed_skips() -> list[tuple[re.Pattern[str], str]]:
    """Lines `<regex on the skip reason> | <why a Neutron-only cloud cannot run it>`."""
    rules = []
    for line in read_list(ALLOWED_SKIPS):
        pattern, _, why = line.partition(" | ")
        rules.append((re.compile(pattern.strip()), why.strip()))
    return rules


def report(results: dict[str, tuple[str, str]], elapsed: float, update: bool) -> int:
    counts = Counter(status for status, _ in results.values())
    passed = sorted(t for t, (s, _) in results.items() if s == "success")
    failed = sorted(t for t, (s, _) in results.items() if s in ("fail", "uxsuccess"))
    skipped = sorted(t for t, (s, _) in results.items() if s == "skip")
    rules = allowed_skips()
    unexplained = [(t, results[t][1]) for t in skipped
                   if not any(p.search(results[t][1]) for p, _ in rules)]
    log(f"results after {elapsed / 60:.1f} min: {len(passed)} passed, {len(failed)} failed, "
        f"{len(skipped)} skipped ({dict(counts)})")
    for test in failed:
        log(f"FAILED {test}: {results[test][1][:200]}")
    reasons = Counter(results[t][1] for t in skipped)
    for reason, count in reasons.most_common():
        log(f"skipped x{count}: {reason[:160]}")
    unstable = set(read_list(UNSTABLE))
    if update:
        passed = [t for t in passed if t not in unstable]
        EXPECTED.write_text("# Tempest network API tests expected to pass (make conformance "
                            "--update writes it)\n" + "".join(f"{t}\n" for t in passed),
                            encoding="utf-8")
        log(f"wrote {len(passed)} tests to {EXPECTED.relative_to(REPO)}")
    status = 0
    missing = [t for t in read_list(EXPECTED)
               if t not in unstable and results.get(t, ("absent", ""))[0] != "success"]
    for test in missing:
        log(f"REGRESSION {test}: expected to pass, got {results.get(test, ('absent', ''))[0]}")
    if missing:
        status = 1
    for test, reason in unexplained:
        log(f"UNEXPLAINED SKIP {test}: {reason[:200]}")
    if unexplained:
        status = 1
    total = len(passed) + len(failed)
    if total:
        log(f"pass rate of the tests that ran: {100 * len(passed) / total:.1f}%")
    return status


def _stop_on_sigterm() -> None:
    """A CI job cancelled with SIGTERM still cleans up (the `finally` below)."""
    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)


def start_central(workdir: Path, attempt: list[int]) -> Central:
    """A private OVN central with the gateway chassis; a failed start (a port taken
    meanwhile, daemons too slow) is stopped and removed before the next attempt."""
    attempt[0] += 1
    central = Central(str(workdir / f"ovn-{attempt[0]}"))
    try:
        central.start()
        register_gateway(central)
    except BaseException:
        central.stop(remove=True)
        raise
    return central


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make conformance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=2, help="tempest workers (1: serial)")
    parser.add_argument("--regex", default=r"^tempest\.api\.network\.")
    parser.add_argument("--update", action="store_true",
                        help="rewrite expected-pass.txt from this run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    _stop_on_sigterm()
    tempest = T.ensure_tempest()
    workdir = Path(tempfile.mkdtemp(prefix="ovnp-conformance-"))
    central: Central | None = None
    provider: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    try:
        attempts = [0]
        central = retry("starting OVN", lambda: start_central(workdir, attempts))
        ovn = central
        provider, neutron_url, keystone_url = retry(
            "starting the provider", lambda: start_provider(workdir, ovn))
        public_id, aliases = retry("provisioning", lambda: provision(neutron_url))
        retry("waiting for the gateway chassis",
              lambda: wait_nat_available(neutron_url, public_id))
        workspace = workdir / "tempest"
        T.init_workspace(tempest, workspace)
        T.write_config(workspace, keystone_url, public_id, aliases)
        log(f"provider {neutron_url} (identity {keystone_url}), OVN in {central.directory}, "
            f"{len(aliases)} extensions")
        finished = T.run(tempest, workspace, args.concurrency, args.regex)
        results = T.collect(workspace)
        if not results:
            log("tempest recorded no results; the end of its output:")
            text = (workspace / "tempest-run.txt").read_text(errors="replace")
            print("\n".join(text.splitlines()[-40:]), flush=True)
        code = report(results, time.monotonic() - started, args.update)
        if code or not finished:
            log(f"details: {workspace / 'tempest-run.txt'}, {workspace / 'tempest.log'}, "
                f"{workdir / 'provider.log'}")
            args.keep = True
            code = code or 1
        return code
    finally:
        if provider is not None:
            stop_provider(provider)
        if central is not None:
            central.stop(remove=not args.keep)
        if args.keep:
            log(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
