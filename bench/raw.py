"""The baseline: the same NB writes made directly with ovsdbapp's OvnNbApiIdlImpl, one
transaction per port, from C threads sharing one ovsdbapp connection (as the provider
shares its one connection between its request threads).

It runs in its own process (`python -m bench.raw REMOTE SWITCH NETWORK_ID`), like any
other ovsdbapp application would, so that its replica and its CPU use stay apart from
the HTTP clients: after connecting it prints "ready", then reads one JSON command per
line ({"clients", "count", "delete", "first_ip", "tag", "groups"}), runs that window and
prints its result as one JSON line; "exit" ends it.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from ovsdbapp.backend.ovs_idl import command as ovsdbapp_command
from ovsdbapp.backend.ovs_idl import connection
from ovsdbapp.schema.ovn_northbound import impl_idl

from bench.load import join_all
from bench.stats import Phase


class RawNb:
    def __init__(self, remote: str) -> None:
        idl = connection.OvsdbIdl.from_server(remote, "OVN_Northbound")
        self.conn = connection.Connection(idl, timeout=300)
        self.api = impl_idl.OvnNbApiIdlImpl(self.conn)

    def close(self) -> None:
        self.conn.stop(timeout=10)

    def create_port(self, switch: str, name: str, mac: str, ip: str, groups: list[str],
                    network_id: str) -> None:
        """What the provider writes for a port create, as ovsdbapp commands in ONE
        transaction: lsp_add (with external_ids) + lsp_set_addresses +
        lsp_set_port_security + pg_add_ports for each group."""
        api = self.api
        with api.transaction(check_error=True) as txn:
            add = txn.add(api.lsp_add(switch, name, external_ids={
                "ovirt_network_id": network_id, "bench_raw": "1"}))
            txn.add(api.lsp_set_addresses(name, [f"{mac} {ip}"]))
            txn.add(api.lsp_set_port_security(name, [mac]))
            for group in groups:
                txn.add(api.pg_add_ports(group, add))

    def delete_port(self, switch: str, name: str) -> None:
        self.api.lsp_del(name, switch=switch).execute(check_error=True)

    @staticmethod
    def run(name: str, jobs: list[Callable[[], Any]], clients: int) -> Phase:
        phase = Phase(name, clients)
        latencies = [0.0] * len(jobs)
        counter = itertools.count()
        barrier = threading.Barrier(clients + 1)
        spans: list[tuple[float, float]] = []
        failed: list[str] = []

        def worker() -> None:
            barrier.wait()
            begin = time.perf_counter()
            while True:
                index = next(counter)
                if index >= len(jobs):
                    break
                started = time.perf_counter()
                try:
                    jobs[index]()
                except Exception as exc:  # a failed transaction is a counted error
                    failed.append(repr(exc))
                latencies[index] = time.perf_counter() - started
            spans.append((begin, time.perf_counter()))

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        barrier.wait()
        join_all(threads)
        phase.wall = max(end for _, end in spans) - min(begin for begin, _ in spans)
        phase.latencies = latencies
        for text in failed:
            phase.error(text)
        return phase


class _BulkDelete(ovsdbapp_command.BaseCommand):
    """Cleanup (not measured): delete many LSPs of one switch in one transaction."""

    def __init__(self, api: Any, switch: str, names: list[str]) -> None:
        super().__init__(api)
        self.switch = switch
        self.names = names

    def run_idl(self, txn: Any) -> None:
        ls = self.api.lookup("Logical_Switch", self.switch)
        for name in self.names:
            row = self.api.lookup("Logical_Switch_Port", name)
            ls.delvalue("ports", row)
            row.delete()


def raw_window(raw: RawNb, switch: str, network_id: str, count: int, clients: int,
               first_ip: int, tag: int, groups: list[str], delete_count: int
               ) -> tuple[Phase, Phase]:
    """Create `count` ports (static addresses from the integer IPv4 `first_ip`), then
    delete `delete_count` of them with lsp_del (ovsdbapp's lsp_del converts the switch's
    whole `ports` column to rows, O(N) per call, so it is sampled); the rest is removed
    in one unmeasured transaction. Both phases use `clients` threads."""
    names = [str(uuid.uuid4()) for _ in range(count)]

    def creator(i: int) -> Callable[[], None]:
        value = first_ip + i
        ip = ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))
        mac = f"0a:{tag & 255:02x}:00:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}"
        return lambda: raw.create_port(switch, names[i], mac, ip, groups, network_id)

    def deleter(i: int) -> Callable[[], None]:
        return lambda: raw.delete_port(switch, names[i])

    create = RawNb.run("raw_create", [creator(i) for i in range(count)], clients)
    delete_count = min(delete_count, count)
    delete = RawNb.run("raw_delete", [deleter(i) for i in range(delete_count)], clients)
    rest = names[delete_count:]
    if rest:
        with raw.api.transaction(check_error=True) as txn:
            txn.add(_BulkDelete(raw.api, switch, rest))
    return create, delete


def main(argv: list[str] | None = None) -> int:
    remote, switch, network_id = (argv if argv is not None else sys.argv[1:])[:3]
    raw = RawNb(remote)
    try:
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() == "exit":
                break
            cmd = json.loads(line)
            create, delete = raw_window(raw, switch, network_id, cmd["count"], cmd["clients"],
                                        cmd["first_ip"], cmd["tag"], cmd["groups"],
                                        cmd["delete"])
            print(json.dumps({"create": create.summary(), "delete": delete.summary()}),
                  flush=True)
    finally:
        raw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
