"""The engine's VM-start storm (bench/README.md, "Engine storm").

N ports already exist on one network (written straight into the NB in the provider's
layout, so that seeding 20,000 ports takes seconds). Then K clients each do "VM starts"
as oVirt's engine plugs a vNIC: the full `GET /v2.0/ports`, pick by `device_id` (none yet:
a new vNIC), `GET /v2.0/networks/{id}`, `POST /v2.0/ports`; then K do "VM stops": the
full list, then `DELETE /v2.0/ports/{id}`. Each of the K clients is a process of its own
(bench/storm_client.py says what a plug's latency includes). Against one provider, and against two
behind HAProxy (tests/ha/bed.py's Haproxy, TCP or /healthcheck checks as there).

Reported per run: plugs/s, p50/p99 per plug (its three requests), unplugs/s and p50/p99,
errors and client timeouts, provider CPU-ms per plug (all providers, over the plug
phase), each provider's RSS and peak RSS, and the clients' own CPU per plug.

    .venv/bin/python -m bench.storm                       # 5,000 and 20,000 ports
    .venv/bin/python -m bench.storm --ports 5000 --plugs 64 --modes one
    .venv/bin/python -m bench.storm --ports 20000 --modes one --py-spy /tmp/prof
                          # py-spy raw stacks of the plug phase (bench/profile.py reads them)
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.bed import cpu_seconds, machine_busy, memory_kb
from bench.stats import percentile
from bench.storm_client import check_scan, run_phase
from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import free_port, read_pid, run
from tests.ha.bed import HEADERS, Haproxy, ProviderProc, probe_healthcheck

SEED_BATCH = 200  # ports per ovsdb-client transaction (one argv string stays < 128 KiB)


@dataclass
class Result:
    ports: int
    mode: str
    k: int
    finder: str = "scan"
    plugs: int = 0
    plug_wall: float = 0.0
    plug_lat: list[float] = field(default_factory=list)
    unplug_wall: float = 0.0
    unplug_lat: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    timeouts: int = 0
    cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    machine_s: float = 0.0
    rss_mb: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    list_mb: float = 0.0
    steps: dict[str, list[float]] = field(default_factory=dict)
    retries: float = 0.0  # writes run again after TRY_AGAIN, all providers, plug phase
    #: CPU seconds over the plug phase of the other processes ("nb", "sb", "northd",
    #: "haproxy"), and "other": the machine's busy time that none of the measured took
    #: (the kernel's work for them, e.g. copying each list across loopback, and the rest)
    other_cpu_s: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        plug = sorted(self.plug_lat) or [0.0]  # no successful plug: the errors say why
        unplug = sorted(self.unplug_lat) or [0.0]
        return {
            "ports": self.ports, "mode": self.mode, "k": self.k, "plugs": self.plugs,
            "client": self.finder,
            "plugs_per_s": round(len(plug) / self.plug_wall, 1) if self.plug_wall else 0,
            "plug_p50_ms": round(percentile(plug, 50) * 1000),
            "plug_p99_ms": round(percentile(plug, 99) * 1000),
            "unplugs_per_s": round(len(unplug) / self.unplug_wall, 1)
            if self.unplug_wall else 0,
            "unplug_p50_ms": round(percentile(unplug, 50) * 1000),
            "unplug_p99_ms": round(percentile(unplug, 99) * 1000),
            "cpu_ms_per_plug": round(self.cpu_s * 1000 / max(len(plug), 1), 1),
            "client_cpu_ms_per_plug": round(self.client_cpu_s * 1000 / max(len(plug), 1), 1),
            "machine_busy_pct": round(100 * self.machine_s / max(self.plug_wall, 1e-9)
                                      / (os.cpu_count() or 1)),
            "rss_mb": [round(v) for v in self.rss_mb],
            "peak_rss_mb": [round(v) for v in self.peak_mb],
            "list_mb": round(self.list_mb, 1),
            "nb_retries_per_100_plugs": round(100 * self.retries / max(len(plug), 1), 1),
            "other_cpu_ms_per_plug": {name: round(value * 1000 / max(len(plug), 1), 1)
                                      for name, value in self.other_cpu_s.items()},
            "steps_p50_p99_ms": {name: [round(percentile(sorted(v), q) * 1000)
                                        for q in (50, 99)]
                                 for name, v in self.steps.items()},
            "errors": len(self.errors), "timeouts": self.timeouts,
            "error_samples": self.errors[:3],
        }


def patient_remote(central: Central) -> str:
    """A second NB listener whose inactivity probe is 60 s, as large deployments configure
    theirs (NB Connection table): with the default 5 s, a provider that is still parsing a
    20,000-port initial sync (pure-Python JSON, busy host) is dropped before it ever
    answers the probe, and reconnects forever."""
    port = free_port()
    server = central.nb[0]
    run(["ovs-appctl", "-t", server.ctl, "ovsdb-server/add-remote",
         "db:OVN_Northbound,NB_Global,connections"], env=central.env)
    central.nbctl("--", "set-connection", f"ptcp:{port}:127.0.0.1", "--", "set",
                  "Connection", ".", "inactivity_probe=60000")
    return f"tcp:127.0.0.1:{port}"


def seed(central: Central, count: int) -> tuple[str, str]:
    """A network with a /16 subnet and `count` ports as the provider writes them (port
    security on: members of Default and DropAll). Returns (network id, subnet id)."""
    nb = central.nbctl
    net = str(uuid.uuid4())
    ls = nb("create", "Logical_Switch", f"name=ovirt-storm-{net}",
            'external_ids={ovirt_network_name=storm, ovirt_port_security="True", '
            'mtu="1442"}', 'other_config={subnet="10.0.0.0/16"}').strip()
    subnet = nb("create", "DHCP_Options", 'cidr="10.0.0.0/16"',
                'options={server_id="10.0.0.1", server_mac="02:00:00:00:00:00", '
                'lease_time="86400", router="10.0.0.1", mtu="1442"}',
                f'external_ids={{ovirt_network_id="{ls}", ip_version="4", '
                'ovirt_name="storm"}').strip()
    groups = {name: nb("--bare", "--columns=_uuid", "find", "Port_Group",
                       f"name={name}").strip() for name in ("Default", "DropAll")}
    first = int(ipaddress.ip_address("10.0.1.0"))
    for start in range(0, count, SEED_BATCH):
        ops: list[Any] = []
        names = []
        for i in range(start, min(start + SEED_BATCH, count)):
            mac = f"00:1a:4b:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
            ip = str(ipaddress.ip_address(first + i))
            name = f"p{i}"
            names.append(["named-uuid", name])
            ops.append({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": name,
                        "row": {"name": str(uuid.uuid4()),
                                "addresses": f"{mac} {ip}", "port_security": mac,
                                "dhcpv4_options": ["uuid", subnet],
                                "external_ids": ["map", [
                                    ["ovirt_nic_name", f"nic{i}"],
                                    ["ovirt_device_id", str(uuid.uuid4())],
                                    ["ovirt_device_owner", "oVirt"],
                                    ["ovirt_network_id", ls]]]}})
        for table, row in (("Logical_Switch", ls), ("Port_Group", groups["Default"]),
                           ("Port_Group", groups["DropAll"])):
            ops.append({"op": "mutate", "table": table, "where": [["_uuid", "==",
                                                                    ["uuid", row]]],
                        "mutations": [["ports", "insert", ["set", names]]]})
        run(["ovsdb-client", "--timeout=120", "transact", central.nb_remote,
             json.dumps(["OVN_Northbound", *ops])], env=central.env, timeout=150)
    return ls, subnet


def nb_retries(bases: list[str]) -> float:
    """The providers' `ovn_provider_nb_transaction_retries_total`, summed (docs/operations.md):
    writes the NB answered TRY_AGAIN, i.e. another writer changed a row they checked."""
    total = 0.0
    for base in bases:
        text = httpx.get(f"{base}/metrics", timeout=30).text
        for family in text_string_to_metric_families(text):
            if family.name == "ovn_provider_nb_transaction_retries":
                total += sum(sample.value for sample in family.samples
                             if sample.name.endswith("_total"))
    return total


def run_storm(base: str, network: str, res: Result, pids: list[int],
              profile: str = "", bases: tuple[str, ...] = (),
              others: dict[str, int] | None = None) -> Result:
    """K client processes plug `res.plugs` vNICs, then unplug them (bench/storm_client.py);
    provider CPU over the plug phase, RSS and peak RSS at the end. With `profile` (a
    directory), py-spy records each provider during the plug phase. `others`: name -> pid
    of the other processes whose CPU over the plug phase is reported."""
    others = others or {}
    devices = [(str(uuid.uuid4()), "") for _ in range(res.plugs)]
    check_scan(base, devices[0][0])
    spies = [subprocess.Popen(  # noqa: S603
        [os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--format", "raw",
         "--nonblocking", "--threads", "-r", "50", "-o",
         os.path.join(profile, f"storm-{res.ports}-{len(pids)}-{pid}.txt"), "--pid",
         str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for pid in pids] if profile else []
    cpu0, busy0 = sum(cpu_seconds(p) for p in pids), machine_busy()
    others0 = {name: cpu_seconds(pid) for name, pid in others.items()}
    retries0 = nb_retries(list(bases))
    plugged, res.plug_wall = run_phase(base, network, "plug", devices, res.k,
                                           res.finder)
    res.retries = nb_retries(list(bases)) - retries0
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    res.cpu_s = sum(cpu_seconds(p) for p in pids) - cpu0
    res.machine_s = machine_busy() - busy0
    res.client_cpu_s = plugged.client_cpu_s
    res.other_cpu_s = {name: cpu_seconds(pid) - others0[name] for name, pid in others.items()}
    res.other_cpu_s["other"] = res.machine_s - res.cpu_s - res.client_cpu_s \
        - sum(res.other_cpu_s.values())
    res.plug_lat, res.list_mb = plugged.latencies, plugged.list_bytes / 1e6
    res.steps = plugged.steps
    res.errors += plugged.errors
    res.timeouts += plugged.timeouts
    unplugged, res.unplug_wall = run_phase(base, network, "unplug",
                                           list(plugged.done.items()), res.k, res.finder)
    res.unplug_lat = unplugged.latencies
    res.errors += unplugged.errors
    res.timeouts += unplugged.timeouts
    for pid in pids:
        mem = memory_kb(pid)
        res.rss_mb.append(mem["VmRSS"] / 1024)
        res.peak_mb.append(mem["VmHWM"] / 1024)
    return res


def one_size(ports: int, modes: list[str], k: int, plugs: int, finders: list[str],
             profile: str = "") -> list[dict[str, Any]]:
    directory = tempfile.mkdtemp(prefix="ovnp-storm-")
    central = Central(os.path.join(directory, "ovn"))
    providers: list[ProviderProc] = []
    haproxy: Haproxy | None = None
    out = []
    try:
        central.start()
        remote = patient_remote(central)
        providers = [ProviderProc(f"provider{i}", directory, remote, nb_timeout=20,
                                  sb_remote=central.sb_remote) for i in (1, 2)]
        # Every provider is started before the seeding, so that it syncs the ports as
        # updates: a cold start on 20,000 ports with python-ovs' pure-Python JSON parser
        # took more than 5 minutes on the busy 2-core machine. (In the "one" run the
        # second provider is idle but keeps its replica up to date.)
        used = providers if any(mode != "one" for mode in modes) else providers[:1]
        for provider in used:
            provider.start()
        for provider in used:
            provider.wait_ready()  # the first creates Default and DropAll
        t0 = time.monotonic()
        network, _ = seed(central, ports)
        _log(f"{ports} ports seeded in {time.monotonic() - t0:.1f} s")
        # The storm measures the steady state: ovn-northd has turned the seeded ports
        # into logical flows before the first plug (its first recompute and the SB
        # transaction at 20,000 ports take tens of seconds on this machine).
        run(["ovn-nbctl", f"--db={central.nb_remote}", "--timeout=600", "--wait=sb", "sync"],
            env=central.env, timeout=620)
        _log(f"ovn-northd caught up {time.monotonic() - t0:.1f} s after the seeding began")
        for provider in used:
            _wait_listed(provider, ports)
        for mode in modes:
            if mode == "one":
                base, pids = providers[0].base, [_pid(providers[0])]
                bases: tuple[str, ...] = (providers[0].base,)
            else:
                check = "http" if probe_healthcheck(providers[0]) else "tcp"
                haproxy = Haproxy(directory, providers, check)
                haproxy.start()
                base, pids = haproxy.base, [_pid(p) for p in providers]
                bases = tuple(p.base for p in providers)
                mode = f"two behind HAProxy ({check} check)"
            others = _central_pids(central)
            if mode != "one" and haproxy is not None and haproxy.proc is not None:
                others["haproxy"] = haproxy.proc.pid
            if mode == "one" and len(used) > 1:  # keeps its replica up to date meanwhile
                others["idle_provider"] = _pid(used[1])
            for finder in finders:
                res = run_storm(base, network, Result(ports, mode, k, finder, plugs), pids,
                                profile, bases, others)
                summary = res.summary()
                _log(json.dumps(summary))
                if summary["errors"] or summary["timeouts"]:
                    for provider in providers:
                        _log_warnings(provider)
                out.append(summary)
    finally:
        if haproxy is not None:
            haproxy.stop()
        for provider in providers:
            provider.stop()
        central.stop()
        if not os.environ.get("STORM_KEEP"):
            shutil.rmtree(directory, ignore_errors=True)
        else:
            _log(f"kept {directory}")
    return out


def _log_warnings(provider: ProviderProc, last: int = 8) -> None:
    """The provider's last log lines other than the request log (e.g. why it answered
    503: the NB connection lost)."""
    try:
        with open(provider.log, encoding="utf-8", errors="replace") as handle:
            lines = [line.rstrip() for line in handle
                     if line[:1].isdigit() and " ovn_provider.request " not in line]
    except OSError:
        return
    for line in lines[-last:]:
        _log(f"{provider.name}: {line[:300]}")


def _central_pids(central: Central) -> dict[str, int]:
    """The NB and SB servers' and ovn-northd's PIDs, by name (those that have one)."""
    found = {"nb": read_pid(central.nb[0].pidfile), "northd": read_pid(central.northd_pidfile)}
    if central.sb is not None:
        found["sb"] = read_pid(central.sb.pidfile)
    return {name: pid for name, pid in found.items() if pid is not None}


def _pid(provider: ProviderProc) -> int:
    assert provider.proc is not None
    return provider.proc.pid


def _wait_listed(provider: ProviderProc, count: int) -> None:
    """Until the provider's replica holds every seeded port (one full list)."""
    deadline = time.monotonic() + 300
    with httpx.Client(base_url=provider.base, headers=HEADERS, timeout=120) as client:
        while time.monotonic() < deadline:
            response = client.get("/v2.0/ports")
            if response.status_code == 200 and len(response.json()["ports"]) >= count:
                return
            time.sleep(0.5)
    raise RuntimeError(f"{provider.name} does not list {count} ports")


def _log(text: str) -> None:
    print(f"[storm {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def table(rows: list[dict[str, Any]]) -> str:
    """The storm table of issue 11: per run, plugs/s, p50/p99 per plug, provider CPU ms
    per plug, RSS (peak), errors / timeouts; then the VM stops, the client's own CPU
    per plug (reading and searching each list) and how busy the machine was."""
    lines = ["| ports | providers | client | K | plugs/s | plug p50 / p99 ms | "
             "provider CPU ms/plug | RSS MB (peak) | errors / timeouts | unplugs/s | "
             "unplug p50 / p99 ms | client CPU ms/plug | machine busy |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rss = ", ".join(f"{a} ({b})" for a, b in zip(r["rss_mb"], r["peak_rss_mb"],
                                                      strict=True))
        lines.append(
            f"| {r['ports']:,} | {r['mode']} | {r['client']} | {r['k']} | {r['plugs_per_s']} | "
            f"{r['plug_p50_ms']} / {r['plug_p99_ms']} | {r['cpu_ms_per_plug']} | {rss} | "
            f"{r['errors']} / {r['timeouts']} | {r['unplugs_per_s']} | "
            f"{r['unplug_p50_ms']} / {r['unplug_p99_ms']} | {r['client_cpu_ms_per_plug']} | "
            f"{r['machine_busy_pct']}% |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups
    parser = argparse.ArgumentParser(prog="bench.storm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ports", default="5000,20000", help="existing ports, per run")
    parser.add_argument("--k", type=int, default=16, help="concurrent VM starts / stops")
    parser.add_argument("--plugs", type=int, default=160, help="vNIC plugs per run")
    parser.add_argument("--modes", default="one,haproxy", help="one, haproxy or both")
    parser.add_argument("--client", default="scan",
                        help="how clients find the vNIC's port in the list: scan, parse or "
                             "both (bench/storm_client.py)")
    parser.add_argument("--py-spy", default="", metavar="DIR",
                        help="record the providers with py-spy during each plug phase")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for size in (int(v) for v in args.ports.split(",")):
        rows += one_size(size, args.modes.split(","), args.k, args.plugs,
                         ["scan", "parse"] if args.client == "both" else [args.client],
                         args.py_spy)
    print(table(rows))
    return 0 if all(r["errors"] == 0 and r["timeouts"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
