"""`make conformance`: Tempest's network API tests against a provider on a private OVN.

Steps (docs/conformance.md):
1. Tempest from PyPI in its own venv (.venv-tempest, version pinned below).
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
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import free_port

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "conformance"
TEMPEST_VENV = REPO / ".venv-tempest"
TEMPEST_VERSION = "47.0.0"
EXPECTED = HERE / "expected-pass.txt"
ALLOWED_SKIPS = HERE / "allowed-skips.txt"
UNSTABLE = HERE / "unstable.txt"
TOKEN = "00000000000000000000000000000001"
PROJECT = "tenant"
GATEWAY_CHASSIS = "conformance-gw"


def log(text: str) -> None:
    print(f"conformance: {text}", flush=True)


# -- Tempest ---------------------------------------------------------------------------
def ensure_tempest() -> Path:
    tempest = TEMPEST_VENV / "bin" / "tempest"
    pip = TEMPEST_VENV / "bin" / "pip"
    if tempest.exists():
        shown = subprocess.run([str(pip), "show", "tempest"], capture_output=True, text=True)
        if f"Version: {TEMPEST_VERSION}" in shown.stdout:
            return tempest
    log(f"installing tempest=={TEMPEST_VERSION} into {TEMPEST_VENV}")
    subprocess.run([sys.executable, "-m", "venv", str(TEMPEST_VENV)], check=True)
    subprocess.run([str(pip), "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(pip), "install", "-q", f"tempest=={TEMPEST_VERSION}"], check=True)
    return tempest


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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the provider exited ({proc.returncode}); see "
                               f"{workdir / 'provider.log'}")
        try:
            answer = httpx.get(f"{neutron_url}/v2.0/floatingips",
                               headers={"X-Auth-Token": TOKEN}, timeout=5)
            if answer.status_code == 200:
                return proc, neutron_url, keystone_url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the provider did not answer within 60 s")


def wait_nat_available(neutron_url: str, public_id: str) -> None:
    """The provider has seen the gateway chassis once a floating IP can be made."""
    headers = {"X-Auth-Token": TOKEN}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = httpx.post(f"{neutron_url}/v2.0/floatingips", headers=headers, timeout=10,
                            json={"floatingip": {"floating_network_id": public_id}})
        if answer.status_code == 201:
            fip = answer.json()["floatingip"]["id"]
            httpx.delete(f"{neutron_url}/v2.0/floatingips/{fip}", headers=headers, timeout=10)
            return
        time.sleep(0.3)
    raise RuntimeError("the provider never saw the gateway chassis (floating IPs stay 501)")


def provision(neutron_url: str) -> tuple[str, list[str]]:
    """The external network Tempest uses, and the provider's extension aliases."""
    headers = {"X-Auth-Token": TOKEN}
    net = httpx.post(f"{neutron_url}/v2.0/networks", headers=headers, timeout=10, json={
        "network": {"name": "public", "router:external": True}})
    net.raise_for_status()
    public_id = net.json()["network"]["id"]
    httpx.post(f"{neutron_url}/v2.0/subnets", headers=headers, timeout=10, json={
        "subnet": {"network_id": public_id, "cidr": "172.24.4.0/24", "ip_version": 4,
                   "gateway_ip": "172.24.4.1", "name": "public-subnet"}}).raise_for_status()
    exts = httpx.get(f"{neutron_url}/v2.0/extensions", headers=headers, timeout=10)
    exts.raise_for_status()
    aliases = sorted(e["alias"] for e in exts.json()["extensions"])
    return public_id, aliases


def write_tempest(workspace: Path, keystone_url: str, public_id: str,
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
""", encoding="utf-8")


def tempest_env(workdir: Path) -> dict[str, str]:
    """Tempest keeps a workspace registry in ~/.tempest: give it the work directory."""
    return {**os.environ, "HOME": str(workdir)}


def run_tempest(tempest: Path, workspace: Path, concurrency: int, regex: str) -> None:
    argv = [str(tempest), "run", "--regex", regex]
    argv += ["--serial"] if concurrency <= 1 else ["--concurrency", str(concurrency)]
    log(" ".join(argv))
    with open(workspace / "tempest-run.txt", "wb") as out:
        subprocess.run(argv, cwd=workspace, stdout=out, stderr=subprocess.STDOUT, check=False,
                       env=tempest_env(workspace.parent))


def collect(workspace: Path) -> dict[str, tuple[str, str]]:
    stestr = TEMPEST_VENV / "bin" / "stestr"
    stream = subprocess.run([str(stestr), "last", "--subunit"], cwd=workspace,
                            capture_output=True, check=False,
                            env=tempest_env(workspace.parent)).stdout
    parsed = subprocess.run([str(TEMPEST_VENV / "bin" / "python"), str(HERE / "subunit_json.py")],
                            input=stream, capture_output=True, check=True).stdout
    raw: dict[str, list[str]] = json.loads(parsed)
    return {plain_id(test): (status, reason) for test, (status, reason) in raw.items()}


def plain_id(test_id: str) -> str:
    """`module.Class.test[id-...,smoke]` -> `module.Class.test`."""
    return re.sub(r"\[.*\]$", "", test_id)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make conformance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=2, help="tempest workers (1: serial)")
    parser.add_argument("--regex", default=r"^tempest\.api\.network\.")
    parser.add_argument("--update", action="store_true",
                        help="rewrite expected-pass.txt from this run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    tempest = ensure_tempest()
    workdir = Path(tempfile.mkdtemp(prefix="ovnp-conformance-"))
    central = Central(str(workdir / "ovn"))
    provider: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    try:
        central.start()
        register_gateway(central)
        provider, neutron_url, keystone_url = start_provider(workdir, central)
        public_id, aliases = provision(neutron_url)
        wait_nat_available(neutron_url, public_id)
        workspace = workdir / "tempest"
        subprocess.run([str(tempest), "init", str(workspace)], check=True,
                       stdout=subprocess.DEVNULL, env=tempest_env(workdir))
        write_tempest(workspace, keystone_url, public_id, aliases)
        log(f"provider {neutron_url} (identity {keystone_url}), OVN in {central.directory}, "
            f"{len(aliases)} extensions")
        run_tempest(tempest, workspace, args.concurrency, args.regex)
        results = collect(workspace)
        code = report(results, time.monotonic() - started, args.update)
        if code:
            log(f"details: {workspace / 'tempest-run.txt'}, {workspace / 'tempest.log'}, "
                f"{workdir / 'provider.log'}")
            args.keep = True
        return code
    finally:
        if provider is not None:
            provider.terminate()
            try:
                provider.wait(20)
            except subprocess.TimeoutExpired:
                provider.kill()
                provider.wait()
        central.stop(remove=not args.keep)
        if args.keep:
            log(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
