"""Health and metrics endpoints of the Networking port (docs/operations.md).

- `GET|HEAD /healthcheck`: readiness: 200 `OK` when the NB session is connected, the
  replica holds the NB's contents (or did less than FAILOVER_S ago: a failover, which
  requests wait for) and the drain file (`[PROVIDER] healthcheck-disable-file`) does
  not exist; else 503 with a short reason.
- `GET|HEAD /healthcheck/live`: liveness: 200 whenever the process answers.
- `GET /metrics`: Prometheus exposition.

No token is needed and nothing secret is shown. They are answered on the event loop (the
checks read two attributes and stat one file) or, for /metrics, on a thread of their own,
so they answer even while every request thread waits for a slow NB.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

import anyio
from anyio.to_thread import run_sync

from ovn_provider.api.http import Request, Response
from ovn_provider.errors import MethodNotAllowed
from ovn_provider.metrics import Metrics
from ovn_provider.ovn.nb import Nb

TEXT = "text/plain; charset=utf-8"

LocalHandler = Callable[[Request], Awaitable[Response]]


def text(status: int, body: str) -> Response:
    return Response(status, body.encode() + b"\n", {"content-type": TEXT})


class Health:
    def __init__(self, nb: Nb, drain_file: str, metrics: Metrics) -> None:
        self.nb = nb
        self.drain_file = drain_file
        self.metrics = metrics
        self.scrapes = anyio.CapacityLimiter(2)

    def routes(self) -> dict[str, LocalHandler]:
        """Route template -> handler, for api/asgi.App."""
        return {"/healthcheck": self.ready, "/healthcheck/live": self.live,
                "/metrics": self.scrape}

    @staticmethod
    def _only(req: Request, *methods: str) -> None:
        if req.method not in methods:
            raise MethodNotAllowed(f"Method {req.method} is not allowed on {req.raw_path}")

    def readiness(self) -> tuple[bool, str]:
        if self.drain_file and os.path.exists(self.drain_file):
            return False, "disabled by file"
        state = self.nb.state
        if state != "ready" and not self.nb.failing_over():
            return False, f"OVN Northbound {state}"
        return True, "OK"

    async def ready(self, req: Request) -> Response:
        self._only(req, "GET", "HEAD")
        ok, reason = self.readiness()
        return text(200 if ok else 503, reason)

    async def live(self, req: Request) -> Response:
        self._only(req, "GET", "HEAD")
        return text(200, "OK")

    async def scrape(self, req: Request) -> Response:
        self._only(req, "GET", "HEAD")
        body, content_type = await run_sync(self.metrics.render, req.header("accept") or "",
                                            limiter=self.scrapes)
        return Response(200, body, {"content-type": content_type})
