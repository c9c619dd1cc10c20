"""The engine's VM-start storm (bench/README.md, "Engine storm").

N ports already exist on one network (written straight into the NB in the provider's
layout, so that seeding 20,000 ports takes seconds). Then K threads each do "VM starts"
as oVirt's engine plugs a vNIC: the full `GET /v2.0/ports`, pick by `device_id` (none yet:
a new vNIC), `GET /v2.0/networks/{id}`, `POST /v2.0/ports`; then K threads do "VM stops":
the full list, then `DELETE /v2.0/ports/{id}`. Against one provider, and against two
behind HAProxy (tests/ha/bed.py's Haproxy, TCP or /healthcheck checks as there).

Reported per run: plugs/s, p50/p99 per plug (its three requests), unplugs/s and p50/p99,
errors and client timeouts, provider CPU-ms per plug (all providers, over the plug
phase), and each provider's RSS and peak RSS.

    .venv/bin/python -m bench.storm                       # 5,000 and 20,000 ports
    .venv/bin/python -m bench.storm --ports 5000 --plugs 64 --modes one
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.bed import cpu_seconds, machine_busy, memory_kb
from bench.stats import percentile
from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import free_port, run
from tests.ha.bed import HEADERS, Haproxy, ProviderProc, probe_healthcheck

CLIENT_TIMEOUT = 30.0  # the engine's
SEED_BATCH = 200  # ports per ovsdb-client transaction (one argv string stays < 128 KiB)


@dataclass
class Result:
    ports: int
    mode: str
    k: int
    plugs: int = 0
    plug_wall: float = 0.0
    plug_lat: list[float] = field(default_factory=list)
    unplug_wall: float = 0.0
    unplug_lat: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    timeouts: int = 0
    cpu_s: float = 0.0
    machine_s: float = 0.0
    rss_mb: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    list_mb: float = 0.0

    def summary(self) -> dict[str, Any]:
        plug = sorted(self.plug_lat) or [0.0]  # no successful plug: the errors say why
        unplug = sorted(self.unplug_lat) or [0.0]
        return {
            "ports": self.ports, "mode": self.mode, "k": self.k, "plugs": self.plugs,
            "plugs_per_s": round(len(plug) / self.plug_wall, 1) if self.plug_wall else 0,
            "plug_p50_ms": round(percentile(plug, 50) * 1000),
            "plug_p99_ms": round(percentile(plug, 99) * 1000),
            "unplugs_per_s": round(len(unplug) / self.unplug_wall, 1)
            if self.unplug_wall else 0,
            "unplug_p50_ms": round(percentile(unplug, 50) * 1000),
            "unplug_p99_ms": round(percentile(unplug, 99) * 1000),
            "cpu_ms_per_plug": round(self.cpu_s * 1000 / max(len(plug), 1), 1),
            "machine_busy_pct": round(100 * self.machine_s / max(self.plug_wall, 1e-9)
                                      / (os.cpu_count() or 1)),
            "rss_mb": [round(v) for v in self.rss_mb],
            "peak_rss_mb": [round(v) for v in self.peak_mb],
            "list_mb": round(self.list_mb, 1),
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


class Storm:
    def __init__(self, base: str, network: str, k: int) -> None:
        self.base, self.network, self.k = base, network, k
        self.lock = threading.Lock()
        self.plugged: dict[str, str] = {}  # device id -> port id

    def _threads(self, work: list[Any], fn: Any, res: Result, lat: list[float]) -> float:
        queue = list(work)
        start = time.monotonic()

        def worker() -> None:
            with httpx.Client(base_url=self.base, headers=HEADERS,
                              timeout=CLIENT_TIMEOUT) as client:
                while True:
                    with self.lock:
                        if not queue:
                            return
                        item = queue.pop()
                    begin = time.monotonic()
                    try:
                        ok = fn(client, item, res)
                    except httpx.TimeoutException:
                        with self.lock:
                            res.timeouts += 1
                        continue
                    except httpx.HTTPError as exc:
                        with self.lock:
                            res.errors.append(f"{type(exc).__name__}: {exc}")
                        continue
                    if ok:
                        with self.lock:
                            lat.append(time.monotonic() - begin)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(self.k)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - start

    def plug(self, client: httpx.Client, device: str, res: Result) -> bool:
        ports = client.get("/v2.0/ports")
        if ports.status_code != 200 or f'"device_id":"{device}"'.encode() in ports.content:
            res.errors.append(f"list: {ports.status_code}")
            return False
        res.list_mb = len(ports.content) / 1e6
        net = client.get(f"/v2.0/networks/{self.network}")
        if net.status_code != 200:
            res.errors.append(f"network: {net.status_code}")
            return False
        created = client.post("/v2.0/ports", json={"port": {
            "network_id": self.network, "name": f"vnic-{device[:8]}", "device_id": device,
            "device_owner": "oVirt", "admin_state_up": True}})
        if created.status_code != 201:
            res.errors.append(f"create: {created.status_code} {created.text[:200]}")
            return False
        with self.lock:
            self.plugged[device] = created.json()["port"]["id"]
        return True

    def unplug(self, client: httpx.Client, device: str, res: Result) -> bool:
        ports = client.get("/v2.0/ports")
        if ports.status_code != 200 or f'"device_id":"{device}"'.encode() not in ports.content:
            res.errors.append(f"list before delete: {ports.status_code}")
            return False
        deleted = client.delete(f"/v2.0/ports/{self.plugged[device]}")
        if deleted.status_code != 204:
            res.errors.append(f"delete: {deleted.status_code}")
            return False
        return True

    def run(self, res: Result, pids: list[int]) -> Result:
        devices = [str(uuid.uuid4()) for _ in range(res.plugs)]
        cpu0, busy0 = sum(cpu_seconds(p) for p in pids), machine_busy()
        res.plug_wall = self._threads(devices, self.plug, res, res.plug_lat)
        res.cpu_s = sum(cpu_seconds(p) for p in pids) - cpu0
        res.machine_s = machine_busy() - busy0
        res.unplug_wall = self._threads(list(self.plugged), self.unplug, res,
                                        res.unplug_lat)
        for pid in pids:
            mem = memory_kb(pid)
            res.rss_mb.append(mem["VmRSS"] / 1024)
            res.peak_mb.append(mem["VmHWM"] / 1024)
        return res


def one_size(ports: int, modes: list[str], k: int, plugs: int) -> list[dict[str, Any]]:
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
        for provider in used:
            _wait_listed(provider, ports)
        for mode in modes:
            if mode == "one":
                base, pids = providers[0].base, [_pid(providers[0])]
            else:
                check = "http" if probe_healthcheck(providers[0]) else "tcp"
                haproxy = Haproxy(directory, providers, check)
                haproxy.start()
                base, pids = haproxy.base, [_pid(p) for p in providers]
                mode = f"two behind HAProxy ({check} check)"
            res = Storm(base, network, k).run(Result(ports, mode, k, plugs), pids)
            summary = res.summary()
            _log(json.dumps(summary))
            out.append(summary)
    finally:
        if haproxy is not None:
            haproxy.stop()
        for provider in providers:
            provider.stop()
        central.stop()
        shutil.rmtree(directory, ignore_errors=True)
    return out


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
    lines = ["| ports | providers | K | plugs/s | plug p50 / p99 ms | unplugs/s | "
             "unplug p50 / p99 ms | provider CPU ms/plug | RSS MB (peak) | machine busy | "
             "errors / timeouts |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rss = ", ".join(f"{a} ({b})" for a, b in zip(r["rss_mb"], r["peak_rss_mb"],
                                                      strict=True))
        lines.append(
            f"| {r['ports']:,} | {r['mode']} | {r['k']} | {r['plugs_per_s']} | "
            f"{r['plug_p50_ms']} / {r['plug_p99_ms']} | {r['unplugs_per_s']} | "
            f"{r['unplug_p50_ms']} / {r['unplug_p99_ms']} | {r['cpu_ms_per_plug']} | {rss} | "
            f"{r['machine_busy_pct']}% | {r['errors']} / {r['timeouts']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups
    parser = argparse.ArgumentParser(prog="bench.storm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ports", default="5000,20000", help="existing ports, per run")
    parser.add_argument("--k", type=int, default=16, help="concurrent VM starts / stops")
    parser.add_argument("--plugs", type=int, default=160, help="vNIC plugs per run")
    parser.add_argument("--modes", default="one,haproxy", help="one, haproxy or both")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for size in (int(v) for v in args.ports.split(",")):
        rows += one_size(size, args.modes.split(","), args.k, args.plugs)
    print(table(rows))
    return 0 if all(r["errors"] == 0 and r["timeouts"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
