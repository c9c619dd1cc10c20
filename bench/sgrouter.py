"""Security group rules and router interfaces (issue 3): each through the API and, in the
same run and from the same state, the same NB writes straight through ovsdbapp.

- rules: G security groups (not measured); for each C, create R rules (R/G per group,
  each a distinct tcp port and /24 prefix, consecutive requests on different groups),
  so that the groups grow from their two automatic rules to R + 2G rules; check the
  rules listed by the API; delete them all; check again. Then the raw baseline: the same
  ACL rows (same match, external_ids, bump) created and deleted by bench/raw.py.
- router interfaces: K networks with one /24 subnet each and K routers (not measured);
  for each C, add_router_interface {"subnet_id"} router i <- subnet i, check the router
  ports listed by the API, remove_router_interface, check again; then the raw baseline
  (router LSP + LRP + the subnet's gateway_router key, one transaction per interface).
"""

from __future__ import annotations

import ipaddress
import random
from typing import TYPE_CHECKING, Any

import orjson

from bench.load import Op
from ovn_provider.neutron import acl_match
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import security_group_rules as SGR

if TYPE_CHECKING:
    from bench.run import Bench

RULES_PATH = "/v2.0/security-group-rules"
ROUTER_NET_BASE = ipaddress.ip_network("10.100.0.0/16")  # K /24s from here (K <= 256)


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


_FIELDS = ("security_group_id", "direction", "ethertype", "protocol", "port_range_min",
           "port_range_max", "remote_ip_prefix")


def sg_rules(b: Bench) -> dict[str, Any]:
    args = b.args
    count, group_count = args.rules, max(1, min(args.rule_groups, args.rules))
    _log(f"security group rules: {group_count} groups, {count} rules")
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
    out: dict[str, Any] = {"rules": count, "groups": group_count, "api": {}, "raw": {}}
    for c in args.clients:
        created, answers = b.http_phase(
            "rule_create", [Op("POST", RULES_PATH, {"security_group_rule": body}, 201)
                            for body in bodies], c)
        ids = []
        wrong = 0
        for body, answer in zip(bodies, answers, strict=True):
            if not answer:
                continue
            rule = orjson.loads(answer)["security_group_rule"]
            ids.append(rule["id"])
            wrong += any(rule[key] != body[key] for key in _FIELDS)
        b.check(f"rules C={c}: every answer echoes its request", wrong == 0,
                f"{wrong} answers differ")
        listed = _listed_rules(b, wanted)
        if listed is not None:
            expect = set(ids) | set(automatic)
            b.check(f"rules C={c}: the {count} created (+ {len(automatic)} automatic) rules "
                    "listed exactly", set(listed) == expect and len(ids) == count,
                    f"listed {len(listed)}, missing {len(expect - set(listed))}, "
                    f"unexpected {len(set(listed) - expect)}")
            mismatch = [i for i, body in zip(ids, bodies, strict=False) if i in listed and
                        any(listed[i][key] != body[key] for key in _FIELDS)]
            b.check(f"rules C={c}: listed rules equal the requests", not mismatch,
                    f"{len(mismatch)} differ")
        deleted, _ = b.http_phase(
            "rule_delete", [Op("DELETE", f"{RULES_PATH}/{i}", None, 204) for i in ids], c)
        left = _listed_rules(b, wanted)
        if left is not None:
            b.check(f"rules C={c}: all removed (automatic rules kept)",
                    set(left) == set(automatic), f"{len(left)} listed")
        out["api"][str(c)] = {"create": created, "delete": deleted}
    if not args.no_raw:
        _log("security group rules: raw ovsdbapp baseline")
        with b.raw_process() as raw:
            for c in args.clients:
                rules = [_raw_rule(body, pg_names[body["security_group_id"]])
                         for body in bodies]
                first, second = b.raw_pair(raw, {"kind": "sg_rules", "clients": c,
                                                 "rules": rules},
                                           ("raw_rule_create", "raw_rule_delete"), "rules ")
                out["raw"][str(c)] = {"create": first, "delete": second}
                left = _listed_rules(b, wanted)
                if left is not None:
                    b.check(f"rules raw C={c}: all removed", set(left) == set(automatic),
                            f"{len(left)} listed")
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
    _log(f"router interfaces: {count} routers, networks and subnets")
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
    out: dict[str, Any] = {"routers": count, "api": {}, "raw": {}}
    for c in args.clients:
        added, answers = b.http_phase("interface_add", [Op(
            "PUT", f"/v2.0/routers/{r}/add_router_interface", {"subnet_id": s["id"]})
            for r, s in zip(routers, subnets, strict=True)], c)
        wrong = sum(1 for r, answer in zip(routers, answers, strict=True) if answer and (
            (lambda a: (a["network_id"], a["subnet_id"]))(orjson.loads(answer)) != expect[r]))
        b.check(f"interfaces C={c}: every answer names its network and subnet", wrong == 0,
                f"{wrong} differ")
        listed = _router_ports(b, wanted)
        if listed is not None:
            bad = [r for r in routers if len(listed.get(r, [])) != 1 or (
                listed[r][0]["network_id"],
                listed[r][0]["fixed_ips"][0]["subnet_id"] if listed[r][0]["fixed_ips"]
                else None) != expect[r]]
            b.check(f"interfaces C={c}: each of the {count} routers lists exactly its one "
                    "interface, on its subnet", not bad, f"{len(bad)} routers differ")
        removed, _ = b.http_phase("interface_remove", [Op(
            "PUT", f"/v2.0/routers/{r}/remove_router_interface", {"subnet_id": s["id"]})
            for r, s in zip(routers, subnets, strict=True)], c)
        left = _router_ports(b, wanted)
        if left is not None:
            b.check(f"interfaces C={c}: all removed", not left,
                    f"{sum(len(v) for v in left.values())} left")
        out["api"][str(c)] = {"add": added, "remove": removed}
    if not args.no_raw:
        _log("router interfaces: raw ovsdbapp baseline")
        rng = random.Random(3)
        with b.raw_process() as raw:
            for c in args.clients:
                ifaces = []
                for r, s in zip(routers, subnets, strict=True):
                    lsp = L.new_id()
                    prefix = ipaddress.ip_network(s["cidr"]).prefixlen
                    ifaces.append({
                        "router": r, "switch": s["network_id"], "subnet": s["id"], "lsp": lsp,
                        "mac": "02:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5)),
                        "network": f"{s['gateway_ip']}/{prefix}",
                        "external_ids": {L.LSP_NIC_NAME: L.NIC_NAME_ROUTER,
                                         L.LSP_DEVICE_OWNER: L.OWNER_ROUTER_INTERFACE,
                                         L.LSP_NETWORK_ID: s["network_id"],
                                         L.LSP_DEVICE_ID: r}})
                first, second = b.raw_pair(raw, {"kind": "router_interfaces", "clients": c,
                                                 "interfaces": ifaces},
                                           ("raw_interface_add", "raw_interface_remove"),
                                           "interfaces ")
                out["raw"][str(c)] = {"add": first, "remove": second}
                left = _router_ports(b, wanted)
                if left is not None:
                    b.check(f"interfaces raw C={c}: all removed", not left,
                            f"{sum(len(v) for v in left.values())} left")
    _setup(b, [Op("DELETE", f"/v2.0/routers/{r}", None, 204) for r in routers], "router removal")
    _setup(b, [Op("DELETE", f"/v2.0/networks/{n}", None, 204) for n in nets], "network removal")
    return out
