"""Valid requests for the fuzz test (tests/functional/test_fuzz.py, bench/fuzz.py): bodies
a Neutron client would send, built from the served schema's attribute names and the ids
of objects that exist (a `Pool`), so that creates, updates, deletes and the router and
tag actions are exercised, not only the refusals. `mutated` then spoils one attribute of
such a body with tests/support/fuzz.py's schema-typed junk.

Only the cross-attribute rules a random body cannot meet are encoded here (a subnet's
`ip_version` follows its `cidr`, a rule's ports follow its protocol); everything else
comes from the schema."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.support import fuzz

# the collection a path is about: "/v2.0/security-groups/{id}/tags" -> "security-groups"
_COLLECTION = re.compile(r"^/v2\.0/([a-z-]+)")
ROOTS = {"networks": "network", "subnets": "subnet", "ports": "port", "routers": "router",
         "security-groups": "security_group", "security-group-rules": "security_group_rule",
         "floatingips": "floatingip"}


def collection(path: str) -> str:
    match = _COLLECTION.match(path)
    return match.group(1) if match else ""


@dataclass
class Pool:
    """Ids of live objects by collection; `base`: the bed's own, deleted only when
    nothing the fuzzer created is left to delete."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    base: set[str] = field(default_factory=set)

    def of(self, name: str) -> list[str]:
        return self.ids.get(name, [])

    def add(self, name: str, ident: str, base: bool = False) -> None:
        self.ids.setdefault(name, []).append(ident)
        if base:
            self.base.add(ident)

    def replace(self, name: str, idents: list[str]) -> None:
        self.ids[name] = idents

    def all(self) -> list[str]:
        return [i for idents in self.ids.values() for i in idents]

    def deletable(self, name: str) -> list[str]:
        made = [i for i in self.of(name) if i not in self.base]
        return made or self.of(name)


# -- values ----------------------------------------------------------------------------------
NAMES = st.text(alphabet="abcdefghij-_ 0123456789", min_size=1, max_size=16)
#: a small vocabulary, so that the tag a request names is often one a resource has
TAG = st.sampled_from(["red", "blue", "green", "a.b", "x_y", "ü"])
TAGS = st.lists(TAG, max_size=4, unique=True)
MACS = st.integers(0, 0xFFFFFF).map(
    lambda n: "fa:16:3e:" + ":".join(f"{(n >> s) & 0xFF:02x}" for s in (16, 8, 0)))
V4_CIDRS = st.tuples(st.integers(100, 250), st.integers(0, 255)).map(
    lambda t: f"10.{t[0]}.{t[1]}.0/24")
V6_CIDRS = st.integers(0x100, 0xFFFF).map(lambda n: f"fd00:{n:x}::/64")


_pick = fuzz.pick


def _common(put: bool) -> dict[str, st.SearchStrategy[Any]]:
    fields = {"name": NAMES, "description": st.text(max_size=20)}
    if not put:
        fields["tags"] = TAGS
    return fields


def _subnet(pool: Pool) -> st.SearchStrategy[dict[str, Any]]:
    # a gateway, usually: without one a subnet cannot be a router interface, and the
    # provider sets none by default (the predecessor's rule, [NETWORK] subnet-default-gateway)
    v4 = V4_CIDRS.flatmap(lambda cidr: st.fixed_dictionaries(
        {"network_id": _pick(pool.of("networks")), "cidr": st.just(cidr),
         "ip_version": st.just(4),
         "gateway_ip": st.sampled_from([cidr.replace(".0/24", ".1")] * 3 + [None])},
        optional={"name": NAMES, "enable_dhcp": st.booleans(),
                  "dns_nameservers": st.lists(st.sampled_from(["8.8.8.8", "9.9.9.9",
                                                               "1.1.1.1"]),
                                              max_size=2, unique=True),
                  "tenant_id": st.just("oVirt"), "tags": TAGS}))
    v6 = V6_CIDRS.flatmap(lambda cidr: st.fixed_dictionaries(
        {"network_id": _pick(pool.of("networks")), "cidr": st.just(cidr),
         "ip_version": st.just(6), "gateway_ip": st.just(cidr.replace("::/64", "::1"))},
        optional={"name": NAMES, "ipv6_address_mode": st.sampled_from(
            ["dhcpv6-stateful", "dhcpv6-stateless", "slaac"])}))
    return st.one_of(v4, v4, v6)


def _rule(pool: Pool) -> st.SearchStrategy[dict[str, Any]]:
    def build(group: str, direction: str, proto: str | None, low: int, span: int,
              prefix: str | None) -> dict[str, Any]:
        rule: dict[str, Any] = {"security_group_id": group, "direction": direction,
                                "ethertype": "IPv4"}
        if proto is not None:
            rule["protocol"] = proto
        if proto in ("tcp", "udp"):
            rule.update(port_range_min=low, port_range_max=min(65535, low + span))
        if prefix is not None:
            rule["remote_ip_prefix"] = prefix
        return rule

    return st.builds(build, _pick(pool.of("security-groups")),
                     st.sampled_from(["ingress", "egress"]),
                     st.sampled_from(["tcp", "udp", "icmp", None]), st.integers(1, 65535),
                     st.integers(0, 100),
                     st.none() | st.integers(0, 255).map(lambda n: f"10.{n}.0.0/16"))


def _create(name: str, pool: Pool) -> st.SearchStrategy[dict[str, Any]] | None:
    if name == "networks":
        return st.fixed_dictionaries({"name": NAMES}, optional={
            "description": st.text(max_size=20), "tags": TAGS, "admin_state_up": st.just(True),
            "mtu": st.sampled_from([1280, 1400, 1442, 1500]),
            "port_security_enabled": st.booleans(), "tenant_id": st.just("oVirt")})
    if name == "subnets":
        return _subnet(pool)
    if name == "ports":
        return st.fixed_dictionaries({"network_id": _pick(pool.of("networks"))}, optional={
            **_common(False), "admin_state_up": st.booleans(), "mac_address": MACS,
            "device_owner": st.just("oVirt"), "device_id": st.uuids().map(str),
            "binding:host_id": NAMES, "security_groups": st.lists(
                _pick(pool.of("security-groups")), max_size=1)})
    if name == "routers":
        return st.fixed_dictionaries({}, optional={**_common(False),
                                                   "admin_state_up": st.booleans()})
    if name == "security-groups":
        return st.fixed_dictionaries({"name": NAMES.filter(lambda n: n != "default")},
                                     optional={"description": st.text(max_size=20),
                                               "stateful": st.booleans(), "tags": TAGS})
    if name == "security-group-rules":
        return _rule(pool)
    return None


def _update(name: str) -> st.SearchStrategy[dict[str, Any]] | None:
    extra: dict[str, st.SearchStrategy[Any]] = {}
    if name in ("networks", "ports", "routers"):
        extra["admin_state_up"] = st.booleans()
    if name == "subnets":
        extra["dns_nameservers"] = st.lists(st.sampled_from(["8.8.4.4", "1.0.0.1"]),
                                            max_size=2, unique=True)
    if name == "ports":
        extra["device_id"] = st.uuids().map(str)
    if name not in ROOTS or name == "security-group-rules":
        return None
    return st.fixed_dictionaries({}, optional={**_common(True), **extra})


def body(route: fuzz.Route, pool: Pool) -> st.SearchStrategy[Any] | None:
    """A valid body for `route`, or None when this module has none for it."""
    name = collection(route.path)
    if route.path.endswith("/tags"):
        return TAGS.map(lambda tags: {"tags": tags})
    if route.path.endswith("_router_interface"):
        return _pick(pool.of("subnets")).map(lambda s: {"subnet_id": s})
    if route.path.endswith("_extraroutes"):
        return st.lists(st.builds(lambda n, h: {"destination": f"10.{n}.0.0/16",
                                               "nexthop": f"10.90.0.{h}"},
                                  st.integers(100, 250), st.integers(2, 250)),
                        min_size=1, max_size=2).map(lambda r: {"router": {"routes": r}})
    inner = _create(name, pool) if route.method == "POST" else _update(name)
    if inner is None or route.root is None:
        return None
    return inner.map(lambda d: {route.root: d})


def path(route: fuzz.Route, pool: Pool) -> st.SearchStrategy[str]:
    """The route's path with the id of a live object of its collection."""
    name = collection(route.path)
    ids = pool.deletable(name) if route.method == "DELETE" else pool.of(name)
    return st.builds(lambda i, t: route.path.replace("{id}", i).replace("{tag}", t)
                     .replace("{alias}", "router"),
                     _pick(ids), TAG)


def mutated(route: fuzz.Route, valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    """`valid` with one attribute given a schema-typed (often invalid) value, one dropped,
    or an unknown one added."""
    inner = valid.get(route.root) if route.root else valid
    if not isinstance(inner, dict):
        return st.just(valid)
    props = (route.body or {}).get("properties", {})

    def wrap(d: dict[str, Any]) -> Any:
        return {route.root: d} if route.root else d

    options = [st.just(wrap({**inner, "not_an_attribute": 1}))]
    if inner:
        options.append(st.sampled_from(sorted(inner)).map(
            lambda key: wrap({k: v for k, v in inner.items() if k != key})))
    if props:
        options.append(st.sampled_from(sorted(props)).flatmap(
            lambda key: fuzz.value(props[key]).map(lambda v: wrap({**inner, key: v}))))
    return st.one_of(*options)
