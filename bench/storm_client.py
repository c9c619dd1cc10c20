"""The storm's clients (bench/storm.py): K processes, as the engine's K threads.

The engine is a JVM: its request threads do not share a lock, so K threads of one Python
process (one GIL, each parsing a 13 MB list) would add their own queueing to the latencies
measured. Each client is therefore a process of its own, with one keep-alive connection
(and, behind HAProxy, the affinity cookie it was given), and takes the next VM start or
stop from a shared queue.

What one plug does, as the engine: the full `GET /v2.0/ports`, parsed once (orjson) to
pick the port whose `device_id` is the vNIC's (none: a new vNIC), `GET /v2.0/networks/{id}`,
`POST /v2.0/ports`. Its latency is the time of the three requests only (first byte sent
to last byte received), so that the client's own parse, which the engine pays and not the
provider, is not counted against the provider; the parse CPU is reported separately
(client CPU ms per plug, all client processes).
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from tests.ha.bed import HEADERS

CLIENT_TIMEOUT = 30.0  # the engine's


@dataclass
class Outcome:
    """What the clients of one phase saw."""

    latencies: list[float] = field(default_factory=list)
    done: dict[str, str] = field(default_factory=dict)  # device id -> port id
    errors: list[str] = field(default_factory=list)
    timeouts: int = 0
    client_cpu_s: float = 0.0
    list_bytes: int = 0


def _engine_list(client: httpx.Client, device: str, out: Outcome, what: str
                 ) -> tuple[float, bool] | None:
    """The engine's first step of a plug or an unplug: the full port list, then whether a
    port has the vNIC's `device_id` (parsed once with orjson, outside the time taken)."""
    t0 = time.monotonic()
    ports = client.get("/v2.0/ports")
    spent = time.monotonic() - t0
    if ports.status_code != 200:
        out.errors.append(f"{what}: {ports.status_code}")
        return None
    out.list_bytes = len(ports.content)
    return spent, any(p["device_id"] == device
                      for p in orjson.loads(ports.content)["ports"])


def _plug(client: httpx.Client, network: str, device: str, _: str,
          out: Outcome) -> float | None:
    listed = _engine_list(client, device, out, "list")
    if listed is None:
        return None
    spent, found = listed
    if found:
        out.errors.append("list: the new vNIC's device already has a port")
        return None
    t0 = time.monotonic()
    net = client.get(f"/v2.0/networks/{network}")
    if net.status_code != 200:
        out.errors.append(f"network: {net.status_code}")
        return None
    created = client.post("/v2.0/ports", json={"port": {
        "network_id": network, "name": f"vnic-{device[:8]}", "device_id": device,
        "device_owner": "oVirt", "admin_state_up": True}})
    spent += time.monotonic() - t0
    if created.status_code != 201:
        out.errors.append(f"create: {created.status_code} {created.text[:200]}")
        return None
    out.done[device] = orjson.loads(created.content)["port"]["id"]
    return spent


def _unplug(client: httpx.Client, _: str, device: str, port: str,
            out: Outcome) -> float | None:
    listed = _engine_list(client, device, out, "list before delete")
    if listed is None:
        return None
    spent, found = listed
    if not found:
        out.errors.append("list before delete: the vNIC's port is not listed")
        return None
    t0 = time.monotonic()
    deleted = client.delete(f"/v2.0/ports/{port}")
    spent += time.monotonic() - t0
    if deleted.status_code != 204:
        out.errors.append(f"delete: {deleted.status_code}")
        return None
    out.done[device] = port
    return spent


STEPS = {"plug": _plug, "unplug": _unplug}


def _worker(base: str, network: str, step: str, work: Any, results: Any) -> None:
    out = Outcome()
    cpu0 = time.process_time()
    fn = STEPS[step]
    with httpx.Client(base_url=base, headers=HEADERS, timeout=CLIENT_TIMEOUT) as client:
        while True:
            item = work.get()
            if item is None:
                break
            device, port = item
            try:
                spent = fn(client, network, device, port, out)
            except httpx.TimeoutException:
                out.timeouts += 1
                continue
            except httpx.HTTPError as exc:
                out.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if spent is not None:
                out.latencies.append(spent)
    out.client_cpu_s = time.process_time() - cpu0
    results.put(out)


def run_phase(base: str, network: str, step: str, items: list[tuple[str, str]],
              k: int) -> tuple[Outcome, float]:
    """`step` ("plug" or "unplug") for each (device id, port id) of `items` by `k` client
    processes; the merged outcome and the wall time from the first request to the last
    answer (the processes are started and connected before)."""
    ctx = multiprocessing.get_context("fork")
    work, results, ready = ctx.Queue(), ctx.Queue(), ctx.Barrier(k + 1)
    procs = [ctx.Process(target=_started, args=(ready, base, network, step, work, results),
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
