"""Security group rules and router interfaces (issue 3): each through the API and, in the
same run and from the same state, the same NB writes straight through ovsdbapp.

- rules: G security groups (not measured); a round creates R rules (R/G per group,
  each a distinct tcp port and /24 prefix, consecutive requests on different groups),
  so that the groups grow from their two automatic rules to R + 2G rules; checks the
  rules listed by the API; deletes them all; checks again. Then the raw round: the same
  ACL rows (same match, external_ids, bump) created and deleted by bench/raw.py.
- router interfaces: K networks with one /24 subnet each and K routers (not measured);
  a round: add_router_interface {"subnet_id"} router i <- subnet i, check the router
  ports listed by the API, remove_router_interface, check again; then the raw round
  (router LSP + LRP + the subnet's gateway_router key, one transaction per interface).

For each C, --rounds API rounds alternate with raw rounds (the machine may be shared:
alternating lets both see about the same outside load); each op is reported over all
its rounds (rate = ops / summed wall time), with each round's own rate kept.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from bench.load import Op
from bench.stats import Phase
from ovn_provider.neutron import acl_match
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import security_group_rules as SGR

if TYPE_CHECKING:
    from bench.run import Bench, RawProcess

RULES_PATH = "/v2.0/security-group-rules"
#: How long the provider's replica may take to show what the raw client wrote.
CATCH_UP_S = 60.0
ROUTER_NET_BASE = ipaddress.IPv4Network("10.100.0.0/16")  # K /24s from here (K <= 256)


def _log(text: str) -> None:
    from bench.run import log

    log(text)


def _setup(b: Bench, ops: list[Op], what: str) -> list[dict[str, Any]]:
    """Unmeasured requests at C = max; every answer must be the expected one."""
    phase, bodies = b.http.run(f"setup {what}", ops)
    if phase.error_count:
        raise RuntimeError(f"setting up {what} failed: {'; '.join(phase.errors)}")
    return [orjson.loads(body) for body in bodies if body]


def _rule_bodies(groups: list[str], count: int) -> list[dict[str, Any]]:
    """`count` distinct rules spread round-robin over `groups`: rule k is on group
    k % G, its index i = k // G in that group gives its direction (alternating), tcp port
    1000 + i and remote prefix 10.<i / 256>.<i % 256>.0/24."""
    bodies = []
    for k in range(count):
        group, i = groups[k % len(groups)], k // len(groups)
        bodies.append({"security_group_id": group,
                       "direction": acl_match.INGRESS if i % 2 == 0 else acl_match.EGRESS,
                       "ethertype": "IPv4", "protocol": "tcp",
                       "port_range_min": 1000 + i, "port_range_max": 1000 + i,
                       "remote_ip_prefix": f"10.{(i >> 8) & 255}.{i & 255}.0/24"})
    return bodies


def _raw_rule(body: dict[str, Any], pg_name: str) -> dict[str, Any]:
    """The ACL the provider writes for `body` (acl_match + security_group_rules)."""
    rule = acl_match.parse_rule(body)
    return {"group": pg_name, "direction": acl_match.ACL_DIRECTION[rule.direction],
            "match": rule.match(pg_name), "name": L.new_id(),
            "external_ids": SGR.external_ids(rule, pg_name, None)}


def _listed_rules(b: Bench, groups: set[str]) -> dict[str, dict[str, Any]] | None:
    response = b.http.clients[0].get(RULES_PATH)
    if response.status_code != 200:
        b.check("security group rules listed", False, response.text)
        return None
    return {r["id"]: r for r in orjson.loads(response.content)["security_group_rules"]
            if r["security_group_id"] in groups}


def _eventually(test: Callable[[], tuple[bool, str]]) -> tuple[bool, str]:
    """`test()` until it passes, at most CATCH_UP_S: the provider answers from its
    replica, which receives what another NB client (the raw baseline) wrote only some
    time after that client's commit. The detail tells how long it took."""
    started = time.monotonic()
    while True:
        ok, detail = test()
        waited = time.monotonic() - started
        if ok or waited > CATCH_UP_S:
            return ok, f"{detail} (after {waited:.1f} s)"
        time.sleep(0.2)


_FIELDS = ("security_group_id", "direction", "ethertype", "protocol", "port_range_min",
           "port_range_max", "remote_ip_prefix")


def _merge(name: str, clients: int, parts: list[tuple[dict[str, Any], list[float]]]
           ) -> dict[str, Any]:
    """One summary for several rounds of a phase: all latencies, the summed wall time
    (rate = all ops / all time), CPU per op weighted by ops; `round_rates` keeps each
    round's own rate."""
    phase = Phase(name, clients)
    phase.latencies = [value for _, latencies in parts for value in latencies]
    phase.wall = sum(summary["wall_s"] for summary, _ in parts)
    for summary, _ in parts:
        phase.error_count += summary["errors"]
        phase.errors.extend(summary["error_samples"][:5 - len(phase.errors)])
    out = phase.summary()
    out["round_rates"] = [summary["ops_per_s"] for summary, _ in parts]
    ops = sum(summary["ops"] for summary, _ in parts) or 1
    if all("cpu_ms_per_op" in summary for summary, _ in parts):
        keys = set().union(*(summary["cpu_ms_per_op"] for summary, _ in parts))
        out["cpu_ms_per_op"] = {k: round(sum(summary["cpu_ms_per_op"].get(k, 0) *
                                             summary["ops"] for summary, _ in parts) / ops, 2)
                                for k in sorted(keys)}
        out["client_cpu_ms_per_op"] = round(sum(summary["client_cpu_ms_per_op"] *
                                                summary["ops"] for summary, _ in parts) / ops, 2)
        out["other_load_pct"] = round(sum(summary["other_load_pct"] for summary, _ in parts)
                                      / len(parts), 1)
        out["northd_settled"] = all(summary["northd_settled"] for summary, _ in parts)
    return out


Round = dict[str, tuple[dict[str, Any], list[float]]]


def _rounds(b: Bench, ops: tuple[str, str], api: Callable[[int, str], Round],
            raw: Callable[[RawProcess, int, str], Round]) -> dict[str, Any]:
    """For each C, --rounds times: the API round, then the raw round (so that both see
    about the same load from outside the run); each op merged over the rounds."""
    out: dict[str, Any] = {"api": {}, "raw": {}, "rounds": b.args.rounds}
    with contextlib.ExitStack() as stack:
        proc = None if b.args.no_raw else stack.enter_context(b.raw_process())
        for c in b.args.clients:
            got: dict[str, dict[str, list[tuple[dict[str, Any], list[float]]]]] = {
                "api": {op: [] for op in ops}, "raw": {op: [] for op in ops}}
            for r in range(b.args.rounds):
                label = f"C={c}" + (f" round {r + 1}" if b.args.rounds > 1 else "")
                for op, part in api(c, label).items():
                    got["api"][op].append(part)
                if proc is not None:
                    for op, part in raw(proc, c, label).items():
                        got["raw"][op].append(part)
            for side in ("api", "raw"):
                if all(got[side][op] for op in ops):
                    out[side][str(c)] = {op: _merge(f"{side} {op}", c, got[side][op])
                                         for op in ops}
    return out


def sg_rules(b: Bench) -> dict[str, Any]:
    args = b.args
    count, group_count = args.rules, max(1, min(args.rule_groups, args.rules))
    _log(f"security group rules: {group_count} groups, {count} rules, {args.rounds} "
         "round(s) per C")
    made = _setup(b, [Op("POST", "/v2.0/security-groups", {"security_group": {
        "name": f"bench-sg-{g}"}}, 201) for g in range(group_count)], "security groups")
    groups = [body["security_group"]["id"] for body in made]
    assert b.bed.central is not None
    pg_names = dict(line.split(",", 1) for line in b.bed.central.nbctl(
        "--format=csv", "--data=bare", "--no-headings", "--columns=_uuid,name", "list",
        "Port_Group").splitlines() if "," in line)
    wanted = set(groups)
    automatic = _listed_rules(b, wanted) or {}
    b.check(f"rules: {group_count} new groups hold their automatic rules only",
            len(automatic) == 2 * group_count, f"{len(automatic)} rules")
    bodies = _rule_bodies(groups, count)

    def api(c: int, label: str) -> Round:
        created, answers = b.http_phase(
            "rule_create", [Op("POST", RULES_PATH, {"security_group_rule": body}, 201)
                            for body in bodies], c)
        created_lat = b.last_phase.latencies
        ids = []
        wrong = 0
        for body, answer in zip(bodies, answers, strict=True):
            if not answer:
                continue
            rule = orjson.loads(answer)["security_group_rule"]
            ids.append(rule["id"])
            wrong += any(rule[key] != body[key] for key in _FIELDS)
        b.check(f"rules {label}: every answer echoes its request", wrong == 0,
                f"{wrong} answers differ")
        listed = _listed_rules(b, wanted)
        if listed is not None:
            expect = set(ids) | set(automatic)
            b.check(f"rules {label}: the {count} created (+ {len(automatic)} automatic) "
                    "rules listed exactly", set(listed) == expect and len(ids) == count,
                    f"listed {len(listed)}, missing {len(expect - set(listed))}, "
                    f"unexpected {len(set(listed) - expect)}")
            mismatch = [i for i, body in zip(ids, bodies, strict=False) if i in listed and
                        any(listed[i][key] != body[key] for key in _FIELDS)]
            b.check(f"rules {label}: listed rules equal the requests", not mismatch,
                    f"{len(mismatch)} differ")
        deleted, _ = b.http_phase(
            "rule_delete", [Op("DELETE", f"{RULES_PATH}/{i}", None, 204) for i in ids], c)
        deleted_lat = b.last_phase.latencies
        left = _listed_rules(b, wanted)
        if left is not None:
            b.check(f"rules {label}: all removed (automatic rules kept)",
                    set(left) == set(automatic), f"{len(left)} listed")
        return {"create": (created, created_lat), "delete": (deleted, deleted_lat)}

    def raw(proc: RawProcess, c: int, label: str) -> Round:
        rules = [_raw_rule(body, pg_names[body["security_group_id"]]) for body in bodies]
        first, second = b.raw_pair(proc, {"kind": "sg_rules", "clients": c, "rules": rules},
                                   ("raw_rule_create", "raw_rule_delete"), "rules ")
        lat = b.last_raw_latencies

        def gone() -> tuple[bool, str]:
            left = _listed_rules(b, wanted)
            return left is not None and set(left) == set(automatic), f"{len(left or {})} listed"

        b.check(f"rules raw {label}: all removed (listed by the API)", *_eventually(gone))
        return {"create": (first, lat.get("create", [])),
                "delete": (second, lat.get("delete", []))}

    out: dict[str, Any] = {"rules": count, "groups": group_count,
                           **_rounds(b, ("create", "delete"), api, raw)}
    _setup(b, [Op("DELETE", f"/v2.0/security-groups/{g}", None, 204) for g in groups],
           "security group removal")
    return out


def _router_ports(b: Bench, routers: set[str]) -> dict[str, list[dict[str, Any]]] | None:
    response = b.http.clients[0].get(
        "/v2.0/ports", params={"device_owner": L.OWNER_ROUTER_INTERFACE})
    if response.status_code != 200:
        b.check("router interface ports listed", False, response.text)
        return None
    out: dict[str, list[dict[str, Any]]] = {}
    for port in orjson.loads(response.content)["ports"]:
        if port["device_id"] in routers:
            out.setdefault(port["device_id"], []).append(port)
    return out


def router_interfaces(b: Bench) -> dict[str, Any]:
    args = b.args
    count = args.routers
    if not 0 < count <= 256:
        raise ValueError("--routers must be 1..256 (one /24 each in 10.100.0.0/16)")
    _log(f"router interfaces: {count} routers, networks and subnets, {args.rounds} round(s) "
         "per C")
    nets = [n["network"]["id"] for n in _setup(b, [Op("POST", "/v2.0/networks", {"network": {
        "name": f"bench-rnet-{i}"}}, 201) for i in range(count)], "networks")]
    cidrs = list(ROUTER_NET_BASE.subnets(new_prefix=24))[:count]
    subnets = [s["subnet"] for s in _setup(b, [Op("POST", "/v2.0/subnets", {"subnet": {
        "network_id": net, "cidr": str(cidr), "ip_version": 4, "name": f"bench-rsub-{i}",
        "gateway_ip": str(cidr.network_address + 1)}},
        201) for i, (net, cidr) in enumerate(zip(nets, cidrs, strict=True))], "subnets")]
    routers = [r["router"]["id"] for r in _setup(b, [Op("POST", "/v2.0/routers", {"router": {
        "name": f"bench-r-{i}"}}, 201) for i in range(count)], "routers")]
    wanted = set(routers)
    expect = {r: (s["network_id"], s["id"]) for r, s in zip(routers, subnets, strict=True)}
    rng = random.Random(3)

    def api(c: int, label: str) -> Round:
        added, answers = b.http_phase("interface_add", [Op(
            "PUT", f"/v2.0/routers/{r}/add_router_interface", {"subnet_id": s["id"]})
            for r, s in zip(routers, subnets, strict=True)], c)
        added_lat = b.last_phase.latencies
        wrong = 0
        for r, answer in zip(routers, answers, strict=True):
            if answer:
                got = orjson.loads(answer)
                wrong += (got["network_id"], got["subnet_id"]) != expect[r]
        b.check(f"interfaces {label}: every answer names its network and subnet",
                wrong == 0, f"{wrong} differ")
        listed = _router_ports(b, wanted)
        if listed is not None:
            bad = [r for r in routers if len(listed.get(r, [])) != 1 or (
                listed[r][0]["network_id"],
                listed[r][0]["fixed_ips"][0]["subnet_id"] if listed[r][0]["fixed_ips"]
                else None) != expect[r]]
            b.check(f"interfaces {label}: each of the {count} routers lists exactly its one "
                    "interface, on its subnet", not bad, f"{len(bad)} routers differ")
        removed, _ = b.http_phase("interface_remove", [Op(
            "PUT", f"/v2.0/routers/{r}/remove_router_interface", {"subnet_id": s["id"]})
            for r, s in zip(routers, subnets, strict=True)], c)
        removed_lat = b.last_phase.latencies
        left = _router_ports(b, wanted)
        if left is not None:
            b.check(f"interfaces {label}: all removed", not left,
                    f"{sum(len(v) for v in left.values())} left")
        return {"add": (added, added_lat), "remove": (removed, removed_lat)}

    def raw(proc: RawProcess, c: int, label: str) -> Round:
        ifaces = []
        for r, s in zip(routers, subnets, strict=True):
            prefix = ipaddress.ip_network(s["cidr"]).prefixlen
            ifaces.append({
                "router": r, "switch": s["network_id"], "subnet": s["id"], "lsp": L.new_id(),
                "mac": "02:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5)),
                "network": f"{s['gateway_ip']}/{prefix}",
                "external_ids": {L.LSP_NIC_NAME: L.NIC_NAME_ROUTER,
                                 L.LSP_DEVICE_OWNER: L.OWNER_ROUTER_INTERFACE,
                                 L.LSP_NETWORK_ID: s["network_id"], L.LSP_DEVICE_ID: r}})
        first, second = b.raw_pair(proc, {"kind": "router_interfaces", "clients": c,
                                          "interfaces": ifaces},
                                   ("raw_interface_add", "raw_interface_remove"),
                                   "interfaces ")
        lat = b.last_raw_latencies

        def gone() -> tuple[bool, str]:
            left = _router_ports(b, wanted)
            return (left is not None and not left,
                    f"{sum(len(v) for v in (left or {}).values())} left")

        b.check(f"interfaces raw {label}: all removed (listed by the API)",
                *_eventually(gone))
        return {"add": (first, lat.get("create", [])), "remove": (second, lat.get("delete", []))}

    out: dict[str, Any] = {"routers": count, **_rounds(b, ("add", "remove"), api, raw)}
    _setup(b, [Op("DELETE", f"/v2.0/routers/{r}", None, 204) for r in routers], "router removal")
    _setup(b, [Op("DELETE", f"/v2.0/networks/{n}", None, 204) for n in nets], "network removal")
    return out
