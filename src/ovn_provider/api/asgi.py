"""Turn a synchronous `handle(Request) -> Response` into an ASGI application.

The handler runs in a worker thread (NB and SSO calls block), so a slow request never
holds up the event loop or the other requests. Every failure becomes a Neutron-style
error response; nothing a client sends can end the process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import anyio
from anyio.to_thread import run_sync

from ovn_provider.api import error_text, routes
from ovn_provider.api.http import (
    Pieces,
    Receive,
    Request,
    Response,
    Scope,
    Send,
    client_of,
    error_body,
    log_request,
    mask_body,
    read_request,
    send_response,
    split_path,
)
from ovn_provider.errors import (
    ApiError,
    BadRequest,
    LengthRequired,
    PayloadTooLarge,
    ServiceUnavailable,
)
from ovn_provider.json_encode import encode_json
from ovn_provider.ovn.nb import NbCommitError, NbMalformed, NbUnavailable

LOG = logging.getLogger("ovn_provider.api")

Handler = Callable[[Request], Response]
LocalHandler = Callable[[Request], Awaitable[Response]]
Router = Callable[[list[str]], str]


class RequestObserver(Protocol):
    def request(self, api: str, route: str, method: str, status: int,
                seconds: float) -> None: ...

#: Answer before the engine's 30 s read timeout gives up (docs/compatibility.md, "What the oVirt
#: engine sends"; docs/compatibility.md, "Concurrency").
DEADLINE = 28.0


class App:
    """`route` gives the route template of a path (api/routes.py) for `observer` (metrics);
    `local` maps templates to handlers answered on the event loop, outside the request
    threads and without the request log (health checks, api/health.py)."""

    def __init__(self, handler: Handler, max_body: int, name: str,
                 route: Router = lambda segments: routes.OTHER,
                 local: dict[str, LocalHandler] | None = None,
                 observer: RequestObserver | None = None,
                 quick: Callable[[Request], Response | None] | None = None) -> None:
        self.handler = handler
        self.quick = quick  # answers on the event loop, never blocking, or None
        self.max_body = max_body
        self.name = name
        self.limiter = anyio.CapacityLimiter(32)
        self.route = route
        self.local = local or {}
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        started = time.monotonic()
        request: Request | None = None
        segments = split_path(scope["path"])
        template = "/" + "/".join(segments)
        local = self.local.get(template)
        route = template if local is not None else self.route(segments)
        try:
            request = await read_request(scope, receive, self.max_body)
            if local is not None:
                response = await local(request)
            else:
                if LOG.isEnabledFor(logging.DEBUG):
                    LOG.debug("From: %s Request: %s %s%s", request.client, request.method,
                              request.raw_path,
                              f" body {mask_body(request.body)}" if request.body else "")
                quick = self.quick(request) if self.quick is not None else None
                if quick is not None:
                    response = quick
                else:
                    with anyio.fail_after(DEADLINE):
                        response = await run_sync(self._call, request, limiter=self.limiter,
                                                  abandon_on_cancel=True)
        except ApiError as exc:
            response = self._error(exc, request, scope)
        except TimeoutError:
            response = self._error(ServiceUnavailable(
                "The request could not be completed in time; try again"), request, scope)
        await send_response(send, response, head_only=scope["method"] == "HEAD")
        if self.observer is not None:
            self.observer.request(self.name, route, routes.method(scope["method"]),
                                  response.status, time.monotonic() - started)
        if local is not None:  # polled every few seconds: not worth an INFO line each
            if LOG.isEnabledFor(logging.DEBUG):
                LOG.debug("%s %s %d", scope["method"], scope["path"], response.status)
            return
        log_request(request, scope, response.status, started)
        if LOG.isEnabledFor(logging.DEBUG):
            if response.body is None or isinstance(response.body, bytes | Pieces):
                body = ""
            elif self.name == "identity" and response.status < 400:
                body = "<identity response not logged>"  # token material, catalogues
            else:
                raw = response.body
                body = mask_body(raw if isinstance(raw, bytes) else encode_json(raw))
            LOG.debug("From: %s Response: %d %s", request.client if request else
                      client_of(scope), response.status, body)

    def _call(self, request: Request) -> Response:
        try:
            return self.handler(request)
        except ApiError as exc:
            return self._error(exc, request, None)
        except NbUnavailable as exc:
            return self._error(ServiceUnavailable(str(exc)), request, None)
        except NbMalformed as exc:
            return self._error(BadRequest(str(exc)), request, None)
        except NbCommitError as exc:
            LOG.error("NB refused the transaction of %s %s: %s", request.method,
                      request.raw_path, exc)
            return self._error(ServiceUnavailable(f"The OVN Northbound database refused the "
                                                  f"change: {exc}"), request, None)
        except Exception:  # a defect: log it with its stack, answer 500, keep serving
            LOG.exception("unexpected error on %s %s from %s", request.method,
                          request.raw_path, request.client)
            exc500 = ApiError("Internal error; see the provider log")
            return self._error(exc500, request, None)

    def _error(self, exc: ApiError, request: Request | None, scope: Scope | None) -> Response:
        method = request.method if request else (scope or {}).get("method", "-")
        path = request.raw_path if request else (scope or {}).get("path", "-")
        client = request.client if request else client_of(scope) if scope else "-"
        LOG.error("%s %s from %s: %d %s", method, path, client, exc.status, exc.message)
        echoed = error_text.client_strings(request.segments, request.query, request.body) \
            if request is not None else set()
        response = Response(exc.status, error_body(exc, echoed=echoed))
        if isinstance(exc, PayloadTooLarge | LengthRequired):
            # the body was not read (or not delimited): the connection cannot be reused
            response.headers["connection"] = "close"
        return response
