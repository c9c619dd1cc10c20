"""Initial sync at N ports: `python -m bench.sync [--ports 20000] [--rounds 2]`.

A private central (NB, SB; ovn-northd stopped once the network exists, so it does not
compete for the CPU) gets one network with a /16 subnet through the API, then N ports
written straight into the NB with ovsdbapp in batches (the layout the provider writes: static
"MAC IP" addresses, port security, the subnet's DHCP options, the Default and DropAll
groups). Then, per round and per JSON parser of python-ovs (`python`: the pure-Python
parser, as pip installs python-ovs; `c`: the C extension `ovs._json`), it starts the
provider as a process (`ovn-provider serve --config FILE`, the parser chosen before it
connects) and measures:

- live: from starting the process until `GET /` answers (imports, bind);
- ready: from starting the process until `GET /v2.0/networks` answers 200 (only once the
  NB is connected and the replica synced, as /healthcheck requires; older code has no
  /healthcheck): the initial sync;
- probe drops: how often ovsdb-server dropped the provider meanwhile because it did not
  answer the inactivity probe (5 s) while busy reading;
- the provider's CPU seconds until ready, its RSS then, and the CPU the rest of the
  machine used meanwhile ("other load": wall times depend on it);
- replica sync CPU: before starting the provider, the same replica (ovn/index.NbIdl) built
  once in a process of its own, and the CPU seconds its reading thread used: the sync's
  own cost, whatever else the machine runs;
- list: `GET /v2.0/ports` (all N + 0 others), first and second time, with the count checked.

Results are printed as a Markdown table and written to bench/results/sync-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import httpx
from ovsdbapp.backend.ovs_idl import command as ovsdbapp_command
from ovsdbapp.backend.ovs_idl import connection, transaction

from bench.bed import CONF, TOKEN, cpu_seconds, machine_busy, memory_kb
from bench.run import _interrupt
from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import free_port, stop_pidfile

#: Runs the provider CLI with python-ovs's JSON parser forced to argv[1] ("c"/"python").
LAUNCH = ("import sys, ovs.json as j\n"
          "j.PARSER = j.PARSER_C if sys.argv[1] == 'c' else j.PARSER_PY\n"
          "from ovn_provider.cli import main\n"
          "sys.exit(main(sys.argv[2:]))\n")
#: Builds the provider's NB replica (ovn/index.NbIdl) once in this process and prints the
#: CPU seconds the reading thread used: the sync's own cost, whatever else the machine runs.
REPLICA = ("import json, sys, time, ovs.json as j, ovs.poller\n"
           "j.PARSER = j.PARSER_C if sys.argv[1] == 'c' else j.PARSER_PY\n"
           "from ovsdbapp.backend.ovs_idl import idlutils\n"
           "from ovn_provider.ovn.index import NbIdl\n"
           "from ovn_provider.ovn.nb import Nb\n"
           "helper = idlutils.get_schema_helper(sys.argv[2], 'OVN_Northbound')\n"
           "helper.register_all()\n"
           "idl = NbIdl(sys.argv[2], helper, leader_only=False)\n"
           "Nb._create_indexes(idl)\n"
           "t0, c0 = time.monotonic(), time.thread_time()\n"
           "while idl.state != idl.IDL_S_MONITORING:\n"
           "    idl.run(); p = ovs.poller.Poller(); idl.wait(p); p.timer_wait(100); p.block()\n"
           "print(json.dumps({'cpu': time.thread_time() - c0, 'wall': time.monotonic() - t0,\n"
           "                  'ports': len(idl.tables['Logical_Switch_Port'].rows)}))\n")
BATCH = 2000


class _Ports(ovsdbapp_command.BaseCommand):
    """Insert ports [first, first + count) on the switch, as the provider lays them out."""

    def __init__(self, api: Any, switch: str, subnet: str, first: int, count: int) -> None:
        super().__init__(api)
        self.switch, self.subnet, self.first, self.count = switch, subnet, first, count

    def run_idl(self, txn: Any) -> None:
        tables = self.api.idl.tables
        ls = tables["Logical_Switch"].rows[uuid.UUID(self.switch)]
        dhcp = tables["DHCP_Options"].rows[uuid.UUID(self.subnet)]
        groups = [pg for pg in tables["Port_Group"].rows.values()
                  if pg.name in ("Default", "DropAll")]
        for i in range(self.first, self.first + self.count):
            mac = f"0a:00:00:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}"
            ip = f"10.0.{((i + 10) >> 8) & 255}.{(i + 10) & 255}"
            row = txn.insert(tables["Logical_Switch_Port"])
            row.name = str(uuid.uuid4())
            row.addresses = [f"{mac} {ip}"]
            row.port_security = [mac]
            row.enabled = [True]
            row.dhcpv4_options = [dhcp]
            row.external_ids = {"ovirt_network_id": self.switch, "ovirt_nic_name": f"p{i}",
                                "ovirt_security_groups": "Default"}
            ls.addvalue("ports", row)
            for pg in groups:
                pg.addvalue("ports", row)


class Provider:
    """The provider as a process, with python-ovs's parser forced."""

    def __init__(self, directory: str, remote: str, parser: str, src: str | None = None
                 ) -> None:
        self.port, keystone = free_port(), free_port()
        conf = os.path.join(directory, "provider.conf")
        with open(conf, "w", encoding="ascii") as handle:
            handle.write(CONF.format(neutron=self.port, keystone=keystone, remote=remote))
        env = dict(os.environ)
        if src:  # the provider's code from this directory (e.g. a `git archive` of main)
            env["PYTHONPATH"] = os.path.abspath(src)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, parser, "serve", "--config", conf, "--log-file",
             os.path.join(directory, f"provider-{parser}.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}",
                                 headers={"X-Auth-Token": TOKEN}, timeout=300)

    def wait(self, path: str, timeout: float = 300) -> float:
        """Seconds from the process start until `path` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the provider exited ({self.proc.returncode})")
            try:
                if self.http.get(path).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.01)
        raise TimeoutError(f"{path} did not answer 200 in {timeout} s")

    def stop(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def prepare(central: Central, directory: str, ports: int) -> dict[str, Any]:
    """The network and subnet through the API, then `ports` ports straight into the NB."""
    provider = Provider(directory, central.nb_remote, "c")
    try:
        provider.wait("/healthcheck")
        net = provider.http.post("/v2.0/networks", json={"network": {"name": "sync"}})
        assert net.status_code == 201, net.text
        network = net.json()["network"]["id"]
        sub = provider.http.post("/v2.0/subnets", json={"subnet": {
            "network_id": network, "cidr": "10.0.0.0/16", "ip_version": 4}})
        assert sub.status_code == 201, sub.text
        subnet = sub.json()["subnet"]["id"]
    finally:
        provider.stop()
    stop_pidfile(central.northd_pidfile, central.directory)
    started = time.monotonic()
    idl = connection.OvsdbIdl.from_server(central.nb_remote, "OVN_Northbound")
    conn = connection.Connection(idl, timeout=300)
    conn.start()
    try:
        api = _Api(idl)
        for first in range(0, ports, BATCH):
            cmd = _Ports(api, network, subnet, first, min(BATCH, ports - first))
            txn = transaction.Transaction(api, conn, timeout=300, check_error=True)
            txn.add(cmd)
            txn.commit()
    finally:
        conn.stop(timeout=10)
    return {"network": network, "subnet": subnet, "seed_s": time.monotonic() - started}


class _Api:
    def __init__(self, idl: Any) -> None:
        self.idl = idl


def probe_drops(central: Central) -> int:
    """Clients ovsdb-server dropped so far because they did not answer its probe."""
    with open(os.path.join(central.directory, "nb.log"), encoding="utf-8") as log:
        return log.read().count("no response to inactivity probe")


def measure(central: Central, directory: str, parser: str, ports: int,
            src: str | None = None, ready_timeout: float = 300) -> dict[str, Any]:
    """Process up = `GET /` answers; ready = `GET /v2.0/networks` answers 200 (only once
    the replica is synced: what /healthcheck checks, and older code has no /healthcheck)."""
    env = {**os.environ, **({"PYTHONPATH": os.path.abspath(src)} if src else {})}
    replica = json.loads(subprocess.run(
        [sys.executable, "-c", REPLICA, parser, central.nb_remote], env=env, check=True,
        capture_output=True, text=True, timeout=900).stdout)
    assert replica["ports"] == ports, replica
    drops_before = probe_drops(central)
    busy_before = machine_busy()
    provider = Provider(directory, central.nb_remote, parser, src)
    try:
        live = provider.wait("/")
        try:
            ready = provider.wait("/v2.0/networks", ready_timeout)
        except TimeoutError:  # e.g. dropped by the NB's inactivity probe again and again
            return {"parser": parser, "replica_cpu_s": round(replica["cpu"], 2),
                    "live_s": round(live, 3), "ready_s": f"not in {ready_timeout:.0f}",
                    "sync_s": "-", "cpu_to_ready_s": round(cpu_seconds(provider.proc.pid), 2),
                    "rss_mb": round(memory_kb(provider.proc.pid)["VmRSS"] / 1024),
                    "list_s": "-", "list_503": 0, "other_load": "-",
                    "probe_drops": probe_drops(central) - drops_before}
        cpu = cpu_seconds(provider.proc.pid)
        # CPU the rest of the machine used meanwhile, as a share of its 2 (N) cores
        other = (machine_busy() - busy_before - cpu) / (ready * (os.cpu_count() or 1))
        rss = memory_kb(provider.proc.pid)["VmRSS"]
        lists: list[float | str] = []
        failed = 0
        while len(lists) < 2:
            t0 = time.monotonic()
            response = provider.http.get("/v2.0/ports")
            if response.status_code == 503:  # dropped by the NB meanwhile
                failed += 1
                if failed > 2:
                    lists.append("503")
                    continue
                try:
                    provider.wait("/v2.0/networks", ready_timeout)
                except TimeoutError:
                    lists.append("503")
                continue
            lists.append(round(time.monotonic() - t0, 3))
            assert response.status_code == 200, response.text[:300]
            count = len(response.json()["ports"])
            assert count == ports, f"listed {count} ports, expected {ports}"
        with open(os.path.join(directory, f"provider-{parser}.log"), encoding="utf-8") as log:
            text = log.read()
        # the provider warns at start when python-ovs parses with pure Python
        assert ("no C JSON parser" in text) == (parser == "python"), "not the parser asked for"
    except BaseException:
        with open(os.path.join(directory, f"provider-{parser}.log"), encoding="utf-8") as log:
            print(log.read()[-3000:], file=sys.stderr)
        with open(os.path.join(central.directory, "nb.log"), encoding="utf-8") as log:
            print(log.read()[-2000:], file=sys.stderr)
        raise
    finally:
        provider.stop()
    return {"parser": parser, "live_s": round(live, 3), "ready_s": round(ready, 3),
            "sync_s": round(ready - live, 3), "cpu_to_ready_s": round(cpu, 2),
            "rss_mb": round(rss / 1024), "list_s": lists,
            "replica_cpu_s": round(replica["cpu"], 2), "list_503": failed,
            "other_load": f"{max(other, 0):.0%}",
            "probe_drops": probe_drops(central) - drops_before}


COLUMNS = (("code", "code"), ("parser", "parser"), ("round", "round"),
           ("replica sync CPU s", "replica_cpu_s"), ("process up s", "live_s"),
           ("ready s", "ready_s"), ("ready - up s", "sync_s"),
           ("provider CPU to ready s", "cpu_to_ready_s"), ("RSS MB", "rss_mb"),
           ("port list 1st, 2nd s", "list_s"), ("probe drops", "probe_drops"),
           ("other load", "other_load"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ports", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ready-timeout", type=float, default=300,
                        help="seconds to wait for readiness before recording 'not ready'")
    parser.add_argument("--db", help="an NB database file: seeded into (and kept) when it "
                        "does not exist, started from when it does (saves the seeding)")
    parser.add_argument("--parsers", default="python,c",
                        help="runs per round: PARSER or PARSER@SRC_DIR (the provider's code "
                             "from SRC_DIR, e.g. a `git archive` of an older commit)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # clean up (daemons, files) on SIGTERM too
    directory = tempfile.mkdtemp(prefix="ovnp-sync-")
    central = Central(os.path.join(directory, "ovn"))
    results: list[dict[str, Any]] = []
    try:
        central.start()
        nb = central.nb[0]
        if args.db and os.path.exists(args.db):
            stop_pidfile(central.northd_pidfile, central.directory)
            central.stop_db(nb)
            shutil.copy(args.db, nb.db_file)
            central.start_db(nb)
            print(f"NB from {args.db}", flush=True)
        else:
            seed = prepare(central, directory, args.ports)
            print(f"seeded {args.ports} ports in {seed['seed_s']:.1f} s", flush=True)
            if args.db:
                central.stop_db(nb)
                shutil.copy(nb.db_file, args.db)
                central.start_db(nb)
        for round_no in range(1, args.rounds + 1):
            for run in args.parsers.split(","):
                name, _, src = run.partition("@")
                result = {"round": round_no, "code": src or "this tree",
                          **measure(central, directory, name, args.ports, src or None,
                                    args.ready_timeout)}
                results.append(result)
                print(json.dumps(result), flush=True)
    finally:
        central.stop()
        shutil.rmtree(directory, ignore_errors=True)
    print(f"\n| {' | '.join(title for title, _ in COLUMNS)} |")
    print("|" + "---|" * len(COLUMNS))
    for r in results:
        print(f"| {' | '.join(str(r[key]) for _, key in COLUMNS)} |")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"sync-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"ports": args.ports, "results": results}, handle, indent=1)
    print(f"\nwritten {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
