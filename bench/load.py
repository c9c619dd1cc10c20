"""HTTP load: C client threads, each with its own keep-alive httpx connection, share one
list of requests; every request's latency is recorded (until its body is fully read)."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.stats import Phase


@dataclass
class Op:
    method: str
    path: str
    body: Any | None = None
    expect: int = 200
    #: An untimed request sent first by the same client (e.g. a write before a list, so
    #: that the list cannot be answered from a cache).
    before: Op | None = None


def join_all(threads: list[threading.Thread]) -> None:
    """Join with a timeout, so that the main thread still sees SIGINT/SIGTERM."""
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)


class Clients:
    """C persistent clients to the Networking API."""

    def __init__(self, base: str, token: str, count: int, timeout: float = 300) -> None:
        self.clients = [httpx.Client(base_url=base, headers={"X-Auth-Token": token},
                                     timeout=timeout) for _ in range(count)]
        for client in self.clients:  # open the connections outside any measurement
            client.get("/")

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def run(self, name: str, ops: list[Op], clients: int | None = None
            ) -> tuple[Phase, list[bytes | None]]:
        """Run `ops` on the first `clients` clients; the bodies are returned in op order."""
        use = self.clients[:clients or len(self.clients)]
        phase = Phase(name, len(use))
        bodies: list[bytes | None] = [None] * len(ops)
        latencies: list[float] = [0.0] * len(ops)
        failed: list[str] = []
        counter = itertools.count()
        barrier = threading.Barrier(len(use) + 1)
        spans: list[tuple[float, float]] = []

        def send(client: httpx.Client, op: Op) -> httpx.Response:
            return client.request(op.method, op.path, json=op.body)

        def worker(client: httpx.Client) -> None:
            barrier.wait()
            begin = time.perf_counter()
            while True:
                index = next(counter)
                if index >= len(ops):
                    break
                op = ops[index]
                try:
                    if op.before is not None:
                        first = send(client, op.before)
                        if first.status_code != op.before.expect:
                            failed.append(f"{op.before.method} {op.before.path}: "
                                          f"{first.status_code} {first.text[:200]}")
                    started = time.perf_counter()
                    response = send(client, op)
                    latencies[index] = time.perf_counter() - started
                    if response.status_code != op.expect:
                        failed.append(f"{op.method} {op.path}: {response.status_code} "
                                      f"{response.text[:200]}")
                    else:
                        bodies[index] = response.content
                except httpx.HTTPError as exc:
                    failed.append(f"{op.method} {op.path}: {exc!r}")
            spans.append((begin, time.perf_counter()))

        threads = [threading.Thread(target=worker, args=(client,), daemon=True)
                   for client in use]
        for thread in threads:
            thread.start()
        barrier.wait()
        join_all(threads)
        phase.wall = max(end for _, end in spans) - min(begin for begin, _ in spans)
        phase.latencies = latencies
        for text in failed:
            phase.error(text)
        return phase, bodies
