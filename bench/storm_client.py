"""The storm's clients (bench/storm.py): K processes, as the engine's K threads.

The engine is a JVM: its request threads do not share a lock, so K threads of one Python
process (one GIL, each reading a 14 MB list) would add their own queueing to the
latencies measured. Each client is therefore a process of its own, with one keep-alive
connection (and, behind HAProxy, the affinity cookie it was given), and takes the next VM
start or stop from a shared queue.

What one plug does, as the engine: the full `GET /v2.0/ports`, find the port whose
`device_id` is the vNIC's (none: a new vNIC), `GET /v2.0/networks/{id}`, `POST
/v2.0/ports`. Its latency is the time of the three requests only (first byte sent to last
byte received). The clients' CPU is reported apart (client CPU ms per plug).

How a client finds the vNIC's port in the list (`--client`):
- `parse` (the engine's way): the whole list is parsed (orjson), about 170 ms of CPU for
  20,000 ports. The engine pays that on its own cores; here the 16 clients' parses take
  the same 2 cores as the provider, northd and the databases, so they slow the very
  answers being measured.
- `scan` (the default): the list is searched for the bytes `"device_id":"<id>"`; a few
  ms. Before each phase, `check_scan` parses one list and checks that the scan finds
  every listed port's device (and no other), so a change in how the provider writes the
  list fails the run instead of finding nothing.
The transport is http.client (the standard library): one `read()` of the body; httpx
took about 60 ms of CPU for a 14 MB body.
"""

from __future__ import annotations

import http.client
import multiprocessing
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from tests.ha.bed import HEADERS

CLIENT_TIMEOUT = 30.0  # the engine's
FINDERS = ("scan", "parse")


@dataclass
class Outcome:
    """What the clients of one phase saw."""

    latencies: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)  # request -> latencies
    done: dict[str, str] = field(default_factory=dict)  # device id -> port id
    errors: list[str] = field(default_factory=list)
    timeouts: int = 0
    client_cpu_s: float = 0.0
    list_bytes: int = 0


class Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code, self.content = status, body


class Client:
    """One keep-alive connection that keeps the balancer's affinity cookie."""

    def __init__(self, base: str, finder: str) -> None:
        url = urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port,
                                               timeout=CLIENT_TIMEOUT)
        self.headers = {**HEADERS, "Content-Type": "application/json"}
        self.finder = finder

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        data = orjson.dumps(body) if body is not None else None
        try:
            self.conn.request(method, path, body=data, headers=self.headers)
            response = self.conn.getresponse()
            content = response.read()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()  # the next request opens a new connection
            raise
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.headers["Cookie"] = cookie.split(";", 1)[0]
        return Answer(response.status, content)

    def has_device(self, body: bytes, device: str) -> bool:
        """Whether a port of the listed `body` has `device` as its `device_id`."""
        if self.finder == "parse":
            return any(p["device_id"] == device for p in orjson.loads(body)["ports"])
        return scan(body, device)

    def close(self) -> None:
        self.conn.close()


def scan(body: bytes, device: str) -> bool:
    return f'"device_id":"{device}"'.encode() in body


def check_scan(base: str, absent: str) -> int:
    """One full list, parsed: `scan` finds each listed port's `device_id` and not
    `absent`. Returns the number of ports listed."""
    client = Client(base, "parse")
    try:
        answer = client.call("GET", "/v2.0/ports")
    finally:
        client.close()
    ports = orjson.loads(answer.content)["ports"]
    missed = [p["id"] for p in ports if p["device_id"] and not scan(answer.content,
                                                                       p["device_id"])]
    if missed or scan(answer.content, absent):
        raise RuntimeError(f"scanning the port list misses {missed[:3]} (or finds {absent})")
    return len(ports)


def _timed(client: Client, out: Outcome, step: str, method: str, path: str,
           body: dict[str, Any] | None = None) -> tuple[Answer, float]:
    """One request of a plug or an unplug, its latency kept under `step`."""
    t0 = time.monotonic()
    answer = client.call(method, path, body)
    spent = time.monotonic() - t0
    out.steps.setdefault(step, []).append(spent)
    return answer, spent


def _engine_list(client: Client, device: str, out: Outcome, what: str
                 ) -> tuple[float, bool] | None:
    """The engine's first step of a plug or an unplug: the full port list, then whether a
    port has the vNIC's `device_id` (found outside the time taken)."""
    ports, spent = _timed(client, out, "list", "GET", "/v2.0/ports")
    if ports.status_code != 200:
        out.errors.append(f"{what}: {ports.status_code}")
        return None
    out.list_bytes = len(ports.content)
    return spent, client.has_device(ports.content, device)


def _plug(client: Client, network: str, device: str, _: str,
          out: Outcome) -> float | None:
    listed = _engine_list(client, device, out, "list")
    if listed is None:
        return None
    spent, found = listed
    if found:
        out.errors.append("list: the new vNIC's device already has a port")
        return None
    net, took = _timed(client, out, "network", "GET", f"/v2.0/networks/{network}")
    spent += took
    if net.status_code != 200:
        out.errors.append(f"network: {net.status_code}")
        return None
    created, took = _timed(client, out, "create", "POST", "/v2.0/ports", {"port": {
        "network_id": network, "name": f"vnic-{device[:8]}", "device_id": device,
        "device_owner": "oVirt", "admin_state_up": True}})
    spent += took
    if created.status_code != 201:
        out.errors.append(f"create: {created.status_code} {created.content[:200]!r}")
        return None
    out.done[device] = orjson.loads(created.content)["port"]["id"]
    return spent


def _unplug(client: Client, _: str, device: str, port: str,
            out: Outcome) -> float | None:
    listed = _engine_list(client, device, out, "list before delete")
    if listed is None:
        return None
    spent, found = listed
    if not found:
        out.errors.append("list before delete: the vNIC's port is not listed")
        return None
    deleted, took = _timed(client, out, "delete", "DELETE", f"/v2.0/ports/{port}")
    spent += took
    if deleted.status_code != 204:
        out.errors.append(f"delete: {deleted.status_code}")
        return None
    out.done[device] = port
    return spent


STEPS = {"plug": _plug, "unplug": _unplug}


def _worker(base: str, network: str, step: str, finder: str, work: Any,
            results: Any) -> None:
    out = Outcome()
    cpu0 = time.process_time()
    fn = STEPS[step]
    client = Client(base, finder)
    try:
        while True:
            item = work.get()
            if item is None:
                break
            device, port = item
            try:
                spent = fn(client, network, device, port, out)
            except TimeoutError:
                out.timeouts += 1
                continue
            except (http.client.HTTPException, ConnectionError) as exc:
                out.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if spent is not None:
                out.latencies.append(spent)
    finally:
        client.close()
    out.client_cpu_s = time.process_time() - cpu0
    results.put(out)


def run_phase(base: str, network: str, step: str, items: list[tuple[str, str]],
              k: int, finder: str = "scan") -> tuple[Outcome, float]:
    """`step` ("plug" or "unplug") for each (device id, port id) of `items` by `k` client
    processes that find ports with `finder` ("scan" or "parse"); the merged outcome and
    the wall time from the first request to the last answer (the processes are started
    before)."""
    ctx = multiprocessing.get_context("fork")
    work, results, ready = ctx.Queue(), ctx.Queue(), ctx.Barrier(k + 1)
    procs = [ctx.Process(target=_started,
                         args=(ready, base, network, step, finder, work, results),
                         daemon=True) for _ in range(k)]
    for proc in procs:
        proc.start()
    ready.wait(60)
    start = time.monotonic()
    for item in items:
        work.put(item)
    for _ in procs:
        work.put(None)
    merged = Outcome()
    for _ in procs:
        out: Outcome = results.get(timeout=CLIENT_TIMEOUT * (len(items) + 1))
        merged.latencies += out.latencies
        for step_name, times in out.steps.items():
            merged.steps.setdefault(step_name, []).extend(times)
        merged.done.update(out.done)
        merged.errors += out.errors
        merged.timeouts += out.timeouts
        merged.client_cpu_s += out.client_cpu_s
        merged.list_bytes = max(merged.list_bytes, out.list_bytes)
    wall = time.monotonic() - start
    for proc in procs:
        proc.join(10)
    return merged, wall


def _started(ready: Any, *args: Any) -> None:
    ready.wait(60)
    _worker(*args)
