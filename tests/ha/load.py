"""A bounded write load for the chaos tests: C threads, each on its own network, subnets
and security group, doing port create/update/delete, subnet create/update/delete and
group/rule changes through HAProxy, one request at a time with a client timeout.

Every request is recorded (start, end, status). What each thread wrote is tracked so that
tests/ha/verify.py can check the NB afterwards: for an acknowledged write (2xx) the
answer; for a failed one (502/503, outcome unknown) every state it may have left."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.ha.bed import HEADERS

CLIENT_TIMEOUT = 20.0  # seconds; HAProxy and the provider answer long before
MAX_PORTS = 12  # per thread: creates turn into deletes beyond this

FIELDS = {
    "ports": ("name", "description", "network_id", "mac_address", "fixed_ips",
              "security_groups", "device_id"),
    "subnets": ("name", "network_id", "cidr", "gateway_ip", "allocation_pools"),
    "security-groups": ("name", "description"),
    "security-group-rules": ("security_group_id", "direction", "ethertype", "protocol",
                             "port_range_min", "port_range_max"),
}
ROOTS = {"ports": "port", "subnets": "subnet", "security-groups": "security_group",
         "security-group-rules": "security_group_rule"}
LISTS = {"ports": "ports", "subnets": "subnets", "security-groups": "security_groups",
         "security-group-rules": "security_group_rules"}


@dataclass
class Rec:
    op: str
    start: float
    end: float
    status: int | None  # None: no HTTP answer (transport error or client timeout)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def clean_failure(self) -> bool:
        return self.status in (502, 503)


@dataclass
class Tracked:
    collection: str
    id: str
    states: list[dict[str, Any]]  # what the NB may show: the answer, and unacked updates
    deleted: str = ""  # "" | "acked" | "maybe"


@dataclass
class Unacked:
    """A create that got no 2xx: it may or may not exist; `query` finds it."""
    collection: str
    query: dict[str, str]


@dataclass
class Lane:
    """One thread's own resources."""
    index: int
    network: str  # ports live here
    # Subnets are created and deleted here (no ports: no readdressing). A network takes
    # one IPv4 subnet; after a create with an unknown outcome the lane takes a new one.
    spare_network: str
    subnet: str
    group: str
    ports: list[str] = field(default_factory=list)
    subnets: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    counter: int = 0


def shown(collection: str, body: dict[str, Any]) -> dict[str, Any]:
    state = {k: body.get(k) for k in FIELDS[collection]}
    groups = state.get("security_groups")
    if isinstance(groups, list):
        state["security_groups"] = sorted(groups)
    return state


class World:
    """The lanes and everything written so far (kept across scenarios)."""

    def __init__(self, base: str, clients: int = 8) -> None:
        self.base = base
        self.tracked: dict[tuple[str, str], Tracked] = {}
        self.unacked: list[Unacked] = []
        self.lock = threading.Lock()
        self.lanes: list[Lane] = []
        with httpx.Client(base_url=base, headers=HEADERS, timeout=CLIENT_TIMEOUT) as c:
            for i in range(clients):
                net = _ok(c.post("/v2.0/networks", json={"network": {"name": f"chaos-{i}"}}))
                spare = _ok(c.post("/v2.0/networks", json={"network": {
                    "name": f"chaos-spare-{i}"}}))
                sub = _ok(c.post("/v2.0/subnets", json={"subnet": {
                    "network_id": net["network"]["id"], "cidr": f"10.{90 + i}.0.0/24",
                    "ip_version": 4, "name": f"chaos-{i}"}}))
                group = _ok(c.post("/v2.0/security-groups", json={"security_group": {
                    "name": f"chaos-{i}"}}))
                lane = Lane(i, net["network"]["id"], spare["network"]["id"],
                            sub["subnet"]["id"], group["security_group"]["id"])
                self.track("subnets", sub["subnet"])
                self.track("security-groups", group["security_group"])
                self.lanes.append(lane)

    def track(self, collection: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.tracked[(collection, body["id"])] = Tracked(
                collection, body["id"], [shown(collection, body)])


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert 200 <= response.status_code < 300, response.text
    result: dict[str, Any] = response.json()
    return result


class Load:
    """Runs the lanes of `world` in threads from `start()` until `stop()`."""

    def __init__(self, world: World, seed: int = 11) -> None:
        self.world = world
        self.records: list[Rec] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(lane, seed + lane.index),
                                          daemon=True, name=f"load-{lane.index}")
                         for lane in world.lanes]

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> list[Rec]:
        self._stop.set()
        for thread in self._threads:
            thread.join(CLIENT_TIMEOUT + 10)
        return self.records

    # -- one thread ---------------------------------------------------------------------
    def _run(self, lane: Lane, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.world.base, headers=HEADERS,
                          timeout=CLIENT_TIMEOUT) as client:
            while not self._stop.is_set():
                self._step(client, lane, rng)

    def _call(self, client: httpx.Client, op: str, method: str, path: str,
              body: Any = None) -> httpx.Response | None:
        start = time.monotonic()
        try:
            response = client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            self.records.append(Rec(op, start, time.monotonic(), None,
                                    f"{type(exc).__name__}: {exc}"))
            return None
        rec = Rec(op, start, time.monotonic(), response.status_code)
        if not rec.ok:
            rec.error = response.text[:300]
            time.sleep(0.05)  # as a client would, instead of spinning on 503s
        self.records.append(rec)
        return response

    def _step(self, c: httpx.Client, lane: Lane, rng: random.Random) -> None:
        r = rng.random()
        lane.counter += 1
        if r < 0.35 and len(lane.ports) < MAX_PORTS:
            self._create(c, lane, "ports", {"network_id": lane.network,
                                            "name": f"chaos-{lane.index}-{lane.counter}"},
                         {"name": f"chaos-{lane.index}-{lane.counter}"}, lane.ports)
        elif r < 0.6 and lane.ports:
            port = rng.choice(lane.ports)
            self._update(c, "ports", port, {"name": f"upd-{lane.counter}",
                                            "description": f"d{lane.counter}",
                                            "device_id": f"vm-{lane.counter}"})
        elif r < 0.8 and lane.ports:
            self._delete(c, "ports", lane.ports.pop(rng.randrange(len(lane.ports))))
        elif r < 0.9:
            self._subnet_change(c, lane, rng)
        else:
            self._group_change(c, lane, rng)

    def _subnet_change(self, c: httpx.Client, lane: Lane, rng: random.Random) -> None:
        choice = rng.random()
        if choice < 0.4:
            self._update(c, "subnets", lane.subnet, {"name": f"s{lane.counter}"})
        elif lane.subnets:
            subnet = lane.subnets.pop(0)
            self._delete(c, "subnets", subnet)
            if self.world.tracked[("subnets", subnet)].deleted != "acked":
                lane.spare_network = ""  # it may still hold the subnet
        elif not lane.spare_network:
            response = self._call(c, "create network", "POST", "/v2.0/networks", {
                "network": {"name": f"chaos-spare-{lane.index}-{lane.counter}"}})
            if response is not None and response.status_code == 201:
                lane.spare_network = response.json()["network"]["id"]
        else:
            n = lane.counter % 4096  # a /28 per create, never reused within a run
            cidr = f"10.{100 + lane.index}.{n // 16}.{n % 16 * 16}/28"
            self._create(c, lane, "subnets", {"network_id": lane.spare_network, "cidr": cidr,
                                              "ip_version": 4},
                         {"network_id": lane.spare_network, "cidr": cidr}, lane.subnets)
            if not lane.subnets:
                lane.spare_network = ""

    def _group_change(self, c: httpx.Client, lane: Lane, rng: random.Random) -> None:
        choice = rng.random()
        if choice < 0.3:
            self._update(c, "security-groups", lane.group, {"description": f"g{lane.counter}"})
        elif choice < 0.7 or not lane.rules:
            port = 1000 + lane.counter
            self._create(c, lane, "security-group-rules", {
                "security_group_id": lane.group, "direction": "ingress", "ethertype": "IPv4",
                "protocol": "tcp", "port_range_min": port, "port_range_max": port},
                {"security_group_id": lane.group, "port_range_min": str(port)}, lane.rules)
        else:
            self._delete(c, "security-group-rules", lane.rules.pop(0))

    def _create(self, c: httpx.Client, lane: Lane, collection: str, body: dict[str, Any],
                query: dict[str, str], owned: list[str]) -> None:
        root = ROOTS[collection]
        response = self._call(c, f"create {root}", "POST", f"/v2.0/{collection}",
                              {root: body})
        if response is not None and response.status_code == 201:
            created = response.json()[root]
            self.world.track(collection, created)
            owned.append(created["id"])
        elif response is None or response.status_code >= 500:
            with self.world.lock:
                self.world.unacked.append(Unacked(collection, query))

    def _update(self, c: httpx.Client, collection: str, ident: str,
                change: dict[str, Any]) -> None:
        root = ROOTS[collection]
        response = self._call(c, f"update {root}", "PUT", f"/v2.0/{collection}/{ident}",
                              {root: change})
        tracked = self.world.tracked[(collection, ident)]
        with self.world.lock:
            if response is not None and response.status_code == 200:
                tracked.states = [shown(collection, response.json()[root])]
            elif response is None or response.status_code >= 500:
                extra = {k: v for k, v in change.items() if k in FIELDS[collection]}
                for state in list(tracked.states):
                    if {**state, **extra} not in tracked.states:
                        tracked.states.append({**state, **extra})

    def _delete(self, c: httpx.Client, collection: str, ident: str) -> None:
        response = self._call(c, f"delete {ROOTS[collection]}", "DELETE",
                              f"/v2.0/{collection}/{ident}")
        tracked = self.world.tracked[(collection, ident)]
        with self.world.lock:
            if response is not None and response.status_code == 204:
                tracked.deleted = "acked"
            else:
                tracked.deleted = "maybe"
