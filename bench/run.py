"""ovn-provider benchmark: `python -m bench.run [--sizes 1000,5000,20000] [--clients 1,8]
[--quick]`.

One run starts a private OVN central (NB, SB, northd) and the provider as a subprocess,
then, for each size N (ascending, on ONE network with a /16 IPv4 subnet):

1. fill: create ports through the API until the network holds N of them (C = max);
2. at that state, for each C: show, list (each list right after a write, so it cannot
   come from a cache; plus a cached variant), update (PUT name + security_groups),
   create a window of M ports and delete them again (back to N);
3. the raw baseline at the same state: the same port writes made directly with ovsdbapp
   (one transaction per port) and its lsp_del, with C threads;
4. correctness: zero HTTP errors, every created port present, no duplicate IP or MAC;
   provider RSS (VmRSS, VmHWM from /proc).

Network create/delete is measured separately at the start. Results: bench/results/*.json
and a Markdown report next to it (bench/report.py renders it and checks the targets).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from bench import report, sgrouter
from bench.bed import TOKEN, Bed, cpu_seconds, machine_busy, memory_kb
from bench.load import Clients, Op
from bench.stats import Phase
from ovn_provider.ovn.daemons import DaemonError, read_pid, run

SUBNET = "10.77.0.0/16"
RAW_FIRST_IP = (10 << 24) | (77 << 16) | (240 << 8)  # 10.77.240.0: above what the API hands out
CLIENTS = ("bench", "client")  # the load generators: this process, the raw ovsdbapp one
RAW_TIMEOUT = 900.0
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


#: The parts of a run, in the order they run: network create/delete, security group
#: rules, router interfaces (both on a nearly empty NB), then the port levels.
PARTS = ("networks", "sg", "router", "ports")


def _parts(text: str) -> set[str]:
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    unknown = chosen - set(PARTS)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown part(s) {', '.join(sorted(unknown))}; "
                                         f"choose from {', '.join(PARTS)}")
    return chosen


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_ints, default=[1000, 5000, 20000],
                        help="port counts N, comma separated (default 1000,5000,20000)")
    parser.add_argument("--clients", type=_ints, default=[1, 8],
                        help="concurrent clients C, comma separated (default 1,8)")
    parser.add_argument("--sample", type=int, default=1000,
                        help="operations per measured window: min(SAMPLE, N/2) (default 1000)")
    parser.add_argument("--networks", type=int, default=100,
                        help="networks created (and deleted) per C in the network phase")
    parser.add_argument("--only", type=_parts, default=set(PARTS), metavar="PARTS",
                        help="run only these parts, comma separated, of: "
                             f"{','.join(PARTS)} (default: all)")
    parser.add_argument("--rules", type=int, default=1000,
                        help="security group rules created (and deleted) per C (default 1000)")
    parser.add_argument("--rule-groups", type=int, default=10,
                        help="security groups the rules are spread over (default 10)")
    parser.add_argument("--routers", type=int, default=200,
                        help="routers, each given one subnet interface per C (default 200)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rule and router interface rounds per C, each the API round "
                             "then the raw one, merged (default 3; the machine may be "
                             "shared, and interleaving keeps the ratio to raw fair; "
                             "--quick: 1)")
    parser.add_argument("--quick", action="store_true",
                        help="N=200, 100 rules, 20 routers: a short smoke run (< 2 minutes)")
    parser.add_argument("--settle", type=float, default=15.0, metavar="SECONDS",
                        help="before each phase, wait at most this long for ovn-northd to "
                             "catch up (ovn-nbctl --wait=sb sync); 0: do not wait")
    parser.add_argument("--no-northd", action="store_true",
                        help="stop ovn-northd after start-up (NB-only load)")
    parser.add_argument("--no-raw", action="store_true", help="skip the ovsdbapp baseline")
    parser.add_argument("--raw-delete-sample", type=int, default=200,
                        help="raw lsp_del calls measured per window (ovsdbapp's lsp_del is "
                             "O(N): it reads the switch's whole ports column; default 200)")
    parser.add_argument("--profile", metavar="DIR",
                        help="record the provider with py-spy (raw collapsed stacks) during "
                             "the phases named by --profile-phases at the largest C; the "
                             "measurements of a profiled run are disturbed by the sampling")
    parser.add_argument("--profile-phases", type=lambda t: set(t.split(",")),
                        default={"create", "update", "delete", "show", "list"},
                        help="phases to profile (default create,update,delete,show,list)")
    parser.add_argument("--provider-src", metavar="DIR",
                        help="run the provider from this source directory (e.g. a `git "
                             "archive` snapshot's src/) instead of the installed package")
    parser.add_argument("--provider-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment variable for the provider (repeatable), "
                             "e.g. MALLOC_ARENA_MAX=2")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (NB database, provider log)")
    parser.add_argument("--out", default=RESULTS, help=f"results directory (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = [200]
        args.networks = min(args.networks, 20)
        args.rules = min(args.rules, 100)
        args.routers = min(args.routers, 20)
        args.rounds = args.rounds or 1
    args.rounds = max(1, args.rounds or 3)
    args.sizes = sorted(set(args.sizes))
    args.clients = sorted(set(args.clients))
    return args


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Bench:
    def __init__(self, bed: Bed, args: argparse.Namespace) -> None:
        self.bed = bed
        self.args = args
        self.cmax = max(args.clients)
        self.http = Clients(bed.base, TOKEN, self.cmax)
        self.rng = random.Random(1)
        self.ports: dict[str, dict[str, Any]] = {}  # id -> {"mac", "ips", "sg"}
        self.network_id = ""
        self.switch = ""
        self.sg_id = ""
        self.checks: list[dict[str, Any]] = []
        assert bed.central is not None
        self.level_n = 0
        #: The Phase of the last measured() call, and the per-operation latencies of the
        #: last raw window (both phases), for callers that merge rounds.
        self.last_phase = Phase("", 0)
        self.last_raw_latencies: dict[str, list[float]] = {}
        self.pids = {"provider": bed.pid, "bench": os.getpid()}
        assert bed.central.sb is not None
        for name, pidfile in (("nb", bed.central.nb[0].pidfile),
                              ("sb", bed.central.sb.pidfile),
                              ("northd", bed.central.northd_pidfile)):
            pid = read_pid(pidfile)
            if pid is not None and os.path.exists(f"/proc/{pid}"):
                self.pids[name] = pid

    # -- helpers -------------------------------------------------------------------------
    def _cpu(self) -> dict[str, float]:
        out = {}
        for name, pid in self.pids.items():
            try:
                out[name] = cpu_seconds(pid)
            except OSError:
                continue
        return out

    def measured(self, run: Callable[[], Phase], name: str = "", clients: int = 0
                 ) -> dict[str, Any]:
        """Run a phase; add the CPU each process used per operation, and the CPU that
        other processes of the machine used meanwhile (the machine may be shared)."""
        settled = self.settle()
        spy = self._profile_start(name, clients)
        before, busy, t0 = self._cpu(), machine_busy(), time.monotonic()
        try:
            phase = run()
        finally:
            self._profile_stop(spy)
        self.last_phase = phase
        after, busy, elapsed = self._cpu(), machine_busy() - busy, time.monotonic() - t0
        summary = phase.summary()
        summary["northd_settled"] = settled
        ours = sum(after[k] - before[k] for k in after if k in before)
        summary["cpu_ms_per_op"] = {
            k: round((after[k] - before[k]) * 1000 / max(phase.ops, 1), 2)
            for k in after if k in before and k not in CLIENTS}
        summary["client_cpu_ms_per_op"] = round(sum(
            after[k] - before[k] for k in CLIENTS if k in after and k in before)
            * 1000 / max(phase.ops, 1), 2)
        summary["other_load_pct"] = round(max(busy - ours, 0) / max(elapsed, 1e-6) * 100
                                          / (os.cpu_count() or 1), 1)
        label = f"{phase.name} C={phase.clients}"
        log(f"  {label:<22} {summary['ops']:>6} ops {summary['ops_per_s']:>8.1f}/s  p50 "
            f"{summary['p50_ms']:.1f} p95 {summary['p95_ms']:.1f} p99 {summary['p99_ms']:.1f} "
            f"ms  errors {summary['errors']}  cpu/op {summary['cpu_ms_per_op']} client "
            f"{summary['client_cpu_ms_per_op']} other load {summary['other_load_pct']}%")
        self.check(f"{label}: zero errors", phase.error_count == 0,
                   "; ".join(phase.errors))
        return summary

    def settle(self) -> bool:
        """Wait (not measured, at most --settle seconds) until ovn-northd has caught up
        with every NB change, so that a phase pays less for the northd backlog of the one
        before. At 20,000 ports northd may stay behind for minutes: then go on."""
        if self.args.no_northd or self.args.settle <= 0:
            return True
        assert self.bed.central is not None
        central = self.bed.central
        try:
            run(["ovn-nbctl", f"--db={central.nb_remote}",
                 f"--timeout={max(1, int(self.args.settle))}", "--wait=sb", "sync"],
                env=central.env, timeout=self.args.settle + 10)
            return True
        except (DaemonError, subprocess.TimeoutExpired):
            return False

    def _profile_start(self, name: str, clients: int) -> subprocess.Popen[bytes] | None:
        if not self.args.profile or name not in self.args.profile_phases or \
                clients != self.cmax:
            return None
        os.makedirs(self.args.profile, exist_ok=True)
        out = os.path.join(self.args.profile, f"N{self.level_n}-{name}-C{clients}.txt")
        exe = shutil.which("py-spy", path=os.path.dirname(sys.executable)) or "py-spy"
        spy = subprocess.Popen([exe, "record", "--pid", str(self.bed.pid), "--format",
                                "raw", "--rate", "250", "--nonblocking", "--gil",
                                "-o", out],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # let it attach
        return spy

    @staticmethod
    def _profile_stop(spy: subprocess.Popen[bytes] | None) -> None:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()

    def check(self, what: str, ok: bool, detail: str = "") -> None:
        self.checks.append({"check": what, "ok": ok, "detail": detail[:500]})
        if not ok:
            log(f"  CHECK FAILED: {what}: {detail[:500]}")

    def http_phase(self, name: str, ops: list[Op], clients: int
                   ) -> tuple[dict[str, Any], list[bytes | None]]:
        result: list[list[bytes | None]] = []

        def go() -> Phase:
            phase, bodies = self.http.run(name, ops, clients)
            result.append(bodies)
            return phase

        return self.measured(go, name, clients), result[0]

    def connections(self) -> dict[str, int]:
        """How often the provider connected to the NB, and how many clients (provider,
        northd, raw ovsdbapp) ovsdb-server dropped for not answering its 5 s inactivity
        probe in time (e.g. while parsing a full resync)."""
        assert self.bed.central is not None

        def count(path: str, text: str) -> int:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    return sum(text in line for line in handle)
            except OSError:
                return 0

        return {"provider_connects": count(os.path.join(self.bed.directory, "provider.log"),
                                           "connected to OVN NB"),
                "nb_probe_drops": count(os.path.join(self.bed.central.directory, "nb.log"),
                                        "no response to inactivity probe")}

    def memory(self) -> dict[str, int]:
        return memory_kb(self.bed.pid)

    # -- phases --------------------------------------------------------------------------
    def networks(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for c in self.args.clients:
            ops = [Op("POST", "/v2.0/networks", {"network": {"name": f"bench-net-{c}-{i}"}},
                      201) for i in range(self.args.networks)]
            created, bodies = self.http_phase("network_create", ops, c)
            ids = [orjson.loads(b)["network"]["id"] for b in bodies if b]
            deleted, _ = self.http_phase(
                "network_delete", [Op("DELETE", f"/v2.0/networks/{i}", None, 204)
                                   for i in ids], c)
            out[str(c)] = {"create": created, "delete": deleted}
        return out

    def setup_network(self) -> None:
        client = self.http.clients[0]
        net = client.post("/v2.0/networks", json={"network": {"name": "bench"}})
        assert net.status_code == 201, net.text
        self.network_id = net.json()["network"]["id"]
        self.switch = self.network_id  # the LS UUID; ovsdbapp looks LS up by UUID too
        sub = client.post("/v2.0/subnets", json={"subnet": {
            "network_id": self.network_id, "cidr": SUBNET, "ip_version": 4,
            "name": "bench"}})
        assert sub.status_code == 201, sub.text
        sg = client.post("/v2.0/security-groups",
                         json={"security_group": {"name": "bench"}})
        assert sg.status_code == 201, sg.text
        self.sg_id = sg.json()["security_group"]["id"]

    def _create_ops(self, count: int, prefix: str) -> list[Op]:
        return [Op("POST", "/v2.0/ports", {"port": {"network_id": self.network_id,
                                                     "name": f"{prefix}-{i}"}}, 201)
                for i in range(count)]

    def _learn(self, bodies: list[bytes | None]) -> list[str]:
        ids = []
        for body in bodies:
            if not body:
                continue
            port = orjson.loads(body)["port"]
            self.ports[port["id"]] = {"mac": port["mac_address"],
                                      "ips": [ip["ip_address"] for ip in port["fixed_ips"]],
                                      "sg": "Default"}
            ids.append(port["id"])
        return ids

    def verify(self, when: str) -> None:
        """Every known port listed once, with its own MAC and IPs; no duplicates."""
        response = self.http.clients[0].get("/v2.0/ports")
        if response.status_code != 200:
            self.check(f"{when}: list for verification", False, response.text)
            return
        listed = [p for p in orjson.loads(response.content)["ports"]
                  if p["network_id"] == self.network_id]
        ids = [p["id"] for p in listed]
        macs = [p["mac_address"] for p in listed]
        ips = [ip["ip_address"] for p in listed for ip in p["fixed_ips"]]
        missing = set(self.ports) - set(ids)
        extra = set(ids) - set(self.ports)
        self.check(f"{when}: {len(self.ports)} ports listed exactly", not missing and not extra
                   and len(ids) == len(set(ids)),
                   f"missing {len(missing)}, unexpected {len(extra)}, listed {len(ids)}")
        self.check(f"{when}: no duplicate MAC", len(macs) == len(set(macs)),
                   f"{len(macs) - len(set(macs))} duplicates")
        self.check(f"{when}: no duplicate IP", len(ips) == len(set(ips)),
                   f"{len(ips) - len(set(ips))} duplicates")
        self.check(f"{when}: every port has one IPv4 address",
                   all(len(p["fixed_ips"]) == 1 for p in listed), "")

    def fill(self, n: int) -> dict[str, Any] | None:
        missing = n - len(self.ports)
        if missing <= 0:
            return None
        summary, bodies = self.http_phase("fill_create", self._create_ops(missing, f"f{n}"),
                                          self.cmax)
        self._learn(bodies)
        self.verify(f"N={n} after fill")
        return summary

    def level(self, n: int) -> dict[str, Any]:
        self.level_n = n
        log(f"N={n}: fill")
        out: dict[str, Any] = {"n": n, "fill": self.fill(n)}
        m = max(1, min(self.args.sample, n // 2))
        out["window"] = m
        out["rss_after_fill_kb"] = self.memory()
        phases: dict[str, dict[str, Any]] = {}
        base = list(self.ports)
        for c in self.args.clients:
            res: dict[str, Any] = {}
            # show: M random ports
            picks = [self.rng.choice(base) for _ in range(m)]
            res["show"], _ = self.http_phase(
                "show", [Op("GET", f"/v2.0/ports/{pid}") for pid in picks], c)
            # list right after a write (PUT of a port name by the same client)
            reps = max(c, 16 if n <= 5000 else 8)
            dirty = base[:c]
            ops = [Op("GET", "/v2.0/ports", before=Op(
                "PUT", f"/v2.0/ports/{dirty[i % c]}", {"port": {"name": f"dirty-{i}"}}))
                for i in range(reps)]
            res["list"], bodies = self.http_phase("list", ops, c)
            sizes = {len(orjson.loads(b)["ports"]) for b in bodies if b}
            self.check(f"N={n} list C={c}: {n} ports or more in every answer",
                       bool(sizes) and min(sizes) >= n, f"sizes {sorted(sizes)}")
            res["list_cached"], _ = self.http_phase(
                "list_cached", [Op("GET", "/v2.0/ports") for _ in range(reps)], c)
            # update: name + security_groups, flipping each port's group
            chosen = self.rng.sample(base, m)
            ops = []
            for pid in chosen:
                target = self.sg_id if self.ports[pid]["sg"] == "Default" else "Default"
                self.ports[pid]["sg"] = target
                ops.append(Op("PUT", f"/v2.0/ports/{pid}", {"port": {
                    "name": f"u-{pid[:8]}", "security_groups": [target]}}))
            res["update"], bodies = self.http_phase("update", ops, c)
            wrong = [pid for pid, body in zip(chosen, bodies, strict=True) if body and
                     orjson.loads(body)["port"]["security_groups"] != [self.ports[pid]["sg"]]]
            self.check(f"N={n} update C={c}: security_groups applied", not wrong,
                       f"{len(wrong)} ports show other groups")
            # create a window of M ports, then delete them
            res["create"], bodies = self.http_phase(
                "create", self._create_ops(m, f"w{n}-{c}"), c)
            window = self._learn(bodies)
            self.verify(f"N={n} after create C={c}")
            res["delete"], _ = self.http_phase(
                "delete", [Op("DELETE", f"/v2.0/ports/{pid}", None, 204) for pid in window], c)
            for pid in window:
                self.ports.pop(pid, None)
            self.verify(f"N={n} after delete C={c}")
            phases[str(c)] = res
        out["phases"] = phases
        if not self.args.no_raw:
            out["raw"] = self.raw(n, m)
        out["rss_kb"] = self.memory()
        out["connections"] = self.connections()
        self.check(f"N={n}: the provider kept its NB connection",
                   out["connections"]["provider_connects"] == 1,
                   f"{out['connections']}")
        self.verify(f"N={n} end")
        return out

    def raw(self, n: int, m: int) -> dict[str, Any]:
        """The ovsdbapp baseline, in its own process (bench/raw.py)."""
        log(f"N={n}: raw ovsdbapp baseline")
        out: dict[str, Any] = {}
        deletes = min(self.args.raw_delete_sample, max(20, 1_000_000 // n))
        with self.raw_process() as raw:
            for c in self.args.clients:
                created, d = self.raw_pair(raw, {
                    "switch": self.switch, "network_id": self.network_id,
                    "clients": c, "count": m, "delete": deletes, "first_ip": RAW_FIRST_IP,
                    "tag": n % 251, "groups": ["Default", "DropAll"]},
                    ("raw_create", "raw_delete"), f"N={n} ")
                out[str(c)] = {"create": created, "delete": d}
        return out

    @contextlib.contextmanager
    def raw_process(self) -> Iterator[RawProcess]:
        """A raw ovsdbapp client process (bench/raw.py) on the bed's NB; its CPU counts
        as the client's while it lives."""
        raw = RawProcess(self.bed.nb_remote)
        try:
            self.pids["client"] = raw.pid
            yield raw
        finally:
            self.pids.pop("client", None)
            raw.close()

    def raw_pair(self, raw: RawProcess, cmd: dict[str, Any], names: tuple[str, str],
                 label: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
        """Run one raw window (a create-like phase, then its delete-like phase). The
        window is measured with the CPU of every process (so the CPU of the first phase
        includes the second's); the second phase's summary is the raw process's own.
        Returns both summaries."""
        result: dict[str, Any] = {}
        c = cmd["clients"]

        def window() -> Phase:
            result.update(raw.call(cmd))
            return Phase.from_summary(names[0], result["create"])

        first = self.measured(window, "raw", c)
        self.last_raw_latencies = result.get("latencies_s", {})
        second: dict[str, Any] = result["delete"]
        log(f"  {names[1] + ' C=' + str(c):<22} {second['ops']:>6} ops "
            f"{second['ops_per_s']:>8.1f}/s  p50 {second['p50_ms']:.1f} p95 "
            f"{second['p95_ms']:.1f} p99 {second['p99_ms']:.1f} ms  errors {second['errors']}")
        self.check(f"{label}{names[1]} C={c}: zero errors", second["errors"] == 0,
                   "; ".join(second["error_samples"]))
        return first, second

    def run(self) -> dict[str, Any]:
        only = self.args.only
        out: dict[str, Any] = {"networks": {}, "levels": []}
        if "networks" in only:
            log("network create/delete")
            out["networks"] = self.networks()
        if "sg" in only:
            out["sg_rules"] = sgrouter.sg_rules(self)
        if "router" in only:
            out["router_interfaces"] = sgrouter.router_interfaces(self)
        if "ports" in only:
            self.setup_network()
            out["levels"] = [self.level(n) for n in self.args.sizes]
        self.http.close()
        out["checks"] = self.checks
        return out


class RawProcess:
    """`python -m bench.raw REMOTE`: one JSON command in, one JSON result out."""

    def __init__(self, remote: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.raw", remote], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        assert self.proc.stdout is not None
        try:
            if _readline(self.proc.stdout, RAW_TIMEOUT).strip() != "ready":
                raise RuntimeError("the raw ovsdbapp client did not start")
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def call(self, cmd: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        result: dict[str, Any] = json.loads(_readline(self.proc.stdout, RAW_TIMEOUT))
        return result

    def close(self) -> None:
        proc = self.proc
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.write("exit\n")
                proc.stdin.flush()
            except OSError:
                pass
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _readline(stream: Any, timeout: float) -> str:
    """A line from a child's pipe, waiting in short steps (so that Ctrl-C and SIGTERM
    are seen) and at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.5)
        if ready:
            line: str = stream.readline()
            if not line:
                raise RuntimeError("the raw ovsdbapp client exited")
            return line
    raise RuntimeError(f"the raw ovsdbapp client did not answer within {timeout:.0f} s")


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                              cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
        return out.splitlines()[0] if out else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the provider and the OVN daemons are stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python -m bench.run " + " ".join(argv if argv is not None
                                                    else sys.argv[1:]),
        "git": _git("rev-parse", "--short", "HEAD") + (" (dirty)" if _git(
            "status", "--porcelain", "--", "src") else ""),
        "cpus": os.cpu_count(),
        "cpu_model": next((line.split(":", 1)[1].strip() for line in open(
            "/proc/cpuinfo", encoding="ascii", errors="replace")
            if line.startswith("model name")), platform.processor()),
        "python": platform.python_version(),
        "ovn": _version(["ovn-nbctl", "--version"]),
        "sizes": args.sizes, "clients": args.clients, "sample": args.sample,
        "northd": not args.no_northd, "networks": args.networks,
        "profiled": bool(args.profile), "provider_src": args.provider_src,
        "provider_env": args.provider_env,
        "raw_delete_sample": args.raw_delete_sample, "only": sorted(args.only),
        "rules": args.rules, "rule_groups": args.rule_groups, "routers": args.routers,
        "rounds": args.rounds,
    }
    log(f"starting OVN central and provider ({'no ' if args.no_northd else ''}northd)")
    env = dict(item.split("=", 1) for item in args.provider_env)
    bed = Bed(northd=not args.no_northd, keep=args.keep, src=args.provider_src, env=env).start()
    log(f"provider PID {bed.pid}, API {bed.base}, NB {bed.nb_remote}, dir {bed.directory}")
    try:
        results = Bench(bed, args).run()
    finally:
        bed.stop()
    meta["duration_s"] = round(time.monotonic() - started, 1)
    data = {"meta": meta, **results}
    data["targets"] = report.targets(data)
    os.makedirs(args.out, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    tag = "quick" if args.quick else "-".join(str(n) for n in args.sizes) \
        if "ports" in args.only else "no-ports"
    if args.only != set(PARTS):
        tag += "-only-" + "-".join(p for p in PARTS if p in args.only)
    path = os.path.join(args.out, f"bench-{stamp}-{tag}")
    with open(path + ".json", "wb") as handle:
        handle.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    text = report.markdown(data)
    with open(path + ".md", "w", encoding="utf-8") as handle:
        handle.write(text)
    print(text)
    log(f"results: {path}.json and .md ({meta['duration_s']} s)")
    failed = [c for c in results["checks"] if not c["ok"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
