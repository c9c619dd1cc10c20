"""The baseline: the same NB writes made directly with ovsdbapp's OvnNbApiIdlImpl, one
transaction per port, from C threads sharing one ovsdbapp connection (as the provider
shares its one connection between its request threads).

It runs in its own process (`python -m bench.raw REMOTE`), like any other ovsdbapp
application would, so that its replica and its CPU use stay apart from the HTTP clients:
after connecting it prints "ready", then reads one JSON command per line, runs that
window and prints its result as one JSON line; "exit" ends it. Commands, by "kind":

- "ports" (the default): {"switch", "network_id", "clients", "count", "delete",
  "first_ip", "tag", "groups"}: port create, then lsp_del;
- "sg_rules": {"clients", "rules": [{"group", "direction", "match", "name",
  "external_ids"}]}: one ACL per rule on its Port_Group (pg_acl_add + the group's
  revision bump), then the same ACLs removed (pg_acl_del + bump);
- "router_interfaces": {"clients", "interfaces": [{"router", "switch", "subnet", "lsp",
  "mac", "network", "external_ids"}]}: router LSP + LRP + the subnet's gateway_router
  key, then the same removed.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
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

    def create_rule(self, rule: dict[str, Any]) -> None:
        """What the provider writes for a security group rule create, in ONE transaction:
        the ACL (priority 1001, allow-related, severity alert, a fresh `name`, the rule's
        external_ids) added to the group's PG `acls` (pg_acl_add refuses a duplicate
        direction/priority/match, as the provider does), and the group's revision bump."""
        api = self.api
        with api.transaction(check_error=True) as txn:
            txn.add(api.pg_acl_add(rule["group"], rule["direction"], RULE_PRIORITY,
                                   rule["match"], RULE_ACTION, log=False, severity="alert",
                                   name=rule["name"], **rule["external_ids"]))
            txn.add(_Bump(api, rule["group"]))

    def delete_rule(self, rule: dict[str, Any]) -> None:
        """The ACL removed from its PG and deleted (pg_acl_del), and the bump."""
        api = self.api
        with api.transaction(check_error=True) as txn:
            txn.add(api.pg_acl_del(rule["group"], rule["direction"], RULE_PRIORITY,
                                   rule["match"]))
            txn.add(_Bump(api, rule["group"]))

    def add_interface(self, iface: dict[str, Any]) -> None:
        """What the provider writes for add_router_interface by subnet, in ONE
        transaction: a router-type LSP on the subnet's switch, its LRP on the router, and
        the subnet's (DHCP_Options) `gateway_router` key."""
        api = self.api
        lrp = "lrp" + iface["lsp"]
        with api.transaction(check_error=True) as txn:
            txn.add(api.lsp_add(iface["switch"], iface["lsp"], type="router",
                                addresses=["router"], options={"router-port": lrp},
                                enabled=[True], external_ids=iface["external_ids"]))
            txn.add(api.lrp_add(iface["router"], lrp, iface["mac"], [iface["network"]]))
            txn.add(api.db_set("DHCP_Options", iface["subnet"],
                               ("external_ids", {"gateway_router": iface["router"]})))

    def remove_interface(self, iface: dict[str, Any]) -> None:
        """remove_router_interface by subnet: LRP and LSP deleted, the key removed."""
        api = self.api
        with api.transaction(check_error=True) as txn:
            txn.add(api.lrp_del("lrp" + iface["lsp"], iface["router"]))
            txn.add(api.lsp_del(iface["lsp"], iface["switch"]))
            txn.add(api.db_remove("DHCP_Options", iface["subnet"], "external_ids",
                                  "gateway_router"))

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


RULE_PRIORITY = 1001
RULE_ACTION = "allow-related"
PG_REVISION = "ovirt_revision_number"
PG_UPDATED = "ovirt_updated_at"


class _Bump(ovsdbapp_command.BaseCommand):
    """A security group's revision + 1 and a new updated_at (verified), as the provider
    does on every rule change."""

    def __init__(self, api: Any, group: str) -> None:
        super().__init__(api)
        self.group = group

    def run_idl(self, txn: Any) -> None:
        pg = self.api.lookup("Port_Group", self.group)
        pg.verify("external_ids")
        try:
            revision = int(pg.external_ids.get(PG_REVISION, "0"))
        except ValueError:
            revision = 0
        pg.setkey("external_ids", PG_REVISION, str(max(revision, 0) + 1))
        pg.setkey("external_ids", PG_UPDATED,
                  datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"))


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


def pair_window(raw: RawNb, items: list[dict[str, Any]], clients: int,
                make: Callable[[dict[str, Any]], None], undo: Callable[[dict[str, Any]], None],
                names: tuple[str, str]) -> tuple[Phase, Phase]:
    """`make` every item (one transaction each), then `undo` every item, C threads."""
    def job(fn: Callable[[dict[str, Any]], None], item: dict[str, Any]
            ) -> Callable[[], None]:
        return lambda: fn(item)

    made = RawNb.run(names[0], [job(make, item) for item in items], clients)
    undone = RawNb.run(names[1], [job(undo, item) for item in items], clients)
    return made, undone


def window(raw: RawNb, cmd: dict[str, Any]) -> tuple[Phase, Phase]:
    kind = cmd.get("kind", "ports")
    if kind == "sg_rules":
        return pair_window(raw, cmd["rules"], cmd["clients"], raw.create_rule,
                           raw.delete_rule, ("raw_rule_create", "raw_rule_delete"))
    if kind == "router_interfaces":
        return pair_window(raw, cmd["interfaces"], cmd["clients"], raw.add_interface,
                           raw.remove_interface, ("raw_interface_add",
                                                  "raw_interface_remove"))
    return raw_window(raw, cmd["switch"], cmd["network_id"], cmd["count"], cmd["clients"],
                      cmd["first_ip"], cmd["tag"], cmd["groups"], cmd["delete"])


def main(argv: list[str] | None = None) -> int:
    remote = (argv if argv is not None else sys.argv[1:])[0]
    raw = RawNb(remote)
    try:
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() == "exit":
                break
            create, delete = window(raw, json.loads(line))
            print(json.dumps({"create": create.summary(), "delete": delete.summary(),
                              "latencies_s": {
                                  "create": [round(v, 6) for v in create.latencies],
                                  "delete": [round(v, 6) for v in delete.latencies]}}),
                  flush=True)
    finally:
        raw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
