"""Wiring: config -> NB connection, auth plugin, the two ASGI apps, and the HTTP servers.

Both APIs listen on one dual-stack socket each (IPv6 with v4-mapped addresses, falling
back to IPv4 when the kernel has no IPv6), with HTTP/1.1 keep-alive and optional TLS
(minimum TLS 1.2, configured ciphers, no client certificates).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import ssl
import threading
from collections.abc import Iterator

import uvicorn

from ovn_provider import __version__
from ovn_provider.api import routes
from ovn_provider.api.asgi import App
from ovn_provider.api.health import Health
from ovn_provider.api.identity import Identity
from ovn_provider.api.network import Networking
from ovn_provider.auth import loader
from ovn_provider.auth.base import TokenCache
from ovn_provider.config import Config
from ovn_provider.metrics import Metrics, json_parser
from ovn_provider.neutron import default_groups, gateway_scheduler
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.gateway_reschedule import Rescheduler
from ovn_provider.ovn.nb import Nb, NbUnavailable, configure_ssl
from ovn_provider.ovn.sb import GatewayChassis, SbMonitor
from ovn_provider.tls_reload import ReloadableTls

LOG = logging.getLogger(__name__)


def build_info() -> str:
    """Build date and git hash of the running code, as far as they can be known."""
    from ovn_provider.buildinfo import describe

    return describe()


class StartupError(RuntimeError):
    """A fatal condition at start-up (bind failure, plugin load failure)."""


def make_nb(cfg: Config) -> Nb:
    return Nb(cfg.ovn_remote, timeout=cfg.nb_timeout,
              ssl=(cfg.ssl_key, cfg.ssl_cert, cfg.ssl_cacert))


def build_apps(cfg: Config, nb: Nb) -> tuple[App, App, Metrics]:
    plugin = loader.load(cfg)
    tokens = TokenCache(cfg.token_cache_seconds)
    identity = Identity(cfg, plugin, tokens)
    networking = Networking(Ctx(cfg, nb), identity)
    metrics = Metrics(cfg, nb, tokens)
    health = Health(nb, cfg.healthcheck_disable_file, metrics)
    actions = {name: tuple(r.actions) for name, r in networking.resources.items()}
    return (App(networking.handle, cfg.max_body, "networking",
                route=lambda segments: routes.networking(segments, actions),
                local=health.routes(), observer=metrics, quick=networking.quick),
            App(identity.handle, cfg.max_body, "identity", route=routes.identity,
                observer=metrics),
            metrics)


def ensure_default_groups(nb: Nb, stop: threading.Event) -> None:
    """Create Default and DropAll once the NB is reachable (docs/security-groups.md)."""
    while not stop.is_set():
        if nb.wait_connected(1.0):
            try:
                nb.transact(lambda w: default_groups.ensure(w) and None)
                return
            except NbUnavailable:
                continue
            except Exception:
                LOG.exception("could not create the Default and DropAll port groups")
                return


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; `::` gives one dual-stack socket, IPv4 if IPv6 is off."""
    candidates: list[tuple[socket.AddressFamily, str]] = []
    if host in ("::", ""):
        candidates = [(socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")]
    elif ":" in host:
        candidates = [(socket.AF_INET6, host.strip("[]"))]
    else:
        candidates = [(socket.AF_INET, host)]
    last: OSError | None = None
    for family, address in candidates:
        # proto IPPROTO_TCP: asyncio then sets TCP_NODELAY on every accepted connection
        # (it checks sock.proto); with proto 0 each response body waited ~40 ms for the
        # client's delayed ACK, because uvicorn writes the head and the body separately.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and address == "::":
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind((address, port))
            sock.listen(1024)
            sock.set_inheritable(True)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise StartupError(f"cannot listen on {host} port {port}: {last}")


def tls_context(cfg: Config) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.load_cert_chain(cfg.ssl_cert, cfg.ssl_key)
        ctx.set_ciphers(cfg.ssl_ciphers)
    except (OSError, ssl.SSLError) as exc:
        raise StartupError(f"[SSL] cannot use ssl-cert-file {cfg.ssl_cert} / ssl-key-file "
                           f"{cfg.ssl_key} / ssl-ciphers-string: {exc}") from exc
    return ctx


# Our own request log (api/http.py) replaces uvicorn's access log, which it writes
# whenever the logger has handlers.
logging.getLogger("uvicorn.access").propagate = False


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # signals are handled by Provider
        yield


class Provider:
    """Both HTTP servers plus the NB connection. `run()` blocks until stopped."""

    def __init__(self, cfg: Config, nb: Nb | None = None) -> None:
        self.cfg = cfg
        self.nb = nb or make_nb(cfg)
        # The SB chassis: the agents (docs/agents.md) and, unless [NETWORK] gateway-chassis
        # names them, the gateway chassis routers are scheduled on.
        self.sb: SbMonitor | None = None
        self.rescheduler: Rescheduler | None = None
        automatic = gateway_scheduler.automatic(cfg)
        if cfg.sb_remote == cfg.ovn_remote:
            # Nothing to derive (no port 6641 in ovn-remote): the SB address is unknown.
            LOG.warning("[OVN REMOTE] ovn-sb-remote is not set and cannot be derived from "
                        "ovn-remote %s: no agents%s (docs/configuration.md)", cfg.ovn_remote,
                        ", no gateway chassis, so no SNAT or floating IPs" if automatic else "")
        else:
            # With chassis named in the configuration, the SB's gateway marks schedule
            # nothing: they go to a holder of their own, not to the NB's.
            self.sb = SbMonitor(cfg.sb_remote,
                                self.nb.gateways if automatic else GatewayChassis(),
                                ssl=(cfg.ssl_key, cfg.ssl_cert, cfg.ssl_cacert),
                                chassis=self.nb.chassis)
            if automatic:
                self.rescheduler = Rescheduler(cfg, self.nb)
        self.networking, self.identity, self.metrics = build_apps(cfg, self.nb)
        self.sockets = [bind(cfg.bind_address, cfg.neutron_port),
                        bind(cfg.bind_address, cfg.keystone_port)]
        self.tls = (ReloadableTls(lambda: tls_context(cfg), cfg.ssl_cert) if cfg.https
                    else None)
        tls = self.tls
        if tls is not None:
            self.metrics.certificate_served(lambda: tls.not_after)
        self.servers: list[_Server] = []
        for app in (self.networking, self.identity):
            config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False,
                                    timeout_keep_alive=60, timeout_graceful_shutdown=10,
                                    server_header=False, date_header=True, http="h11")
            config.load()
            config.ssl = self.tls.context if self.tls else None
            self.servers.append(_Server(config))
        self._stop = threading.Event()
        self.started = threading.Event()

    @property
    def ports(self) -> tuple[int, int]:
        return (int(self.sockets[0].getsockname()[1]), int(self.sockets[1].getsockname()[1]))

    def stop(self) -> None:
        self._stop.set()
        for server in self.servers:
            server.should_exit = True

    def reload_tls(self) -> None:
        """SIGHUP: new connections use the certificate files as they are now; the NB
        client reads its files at each (re)connection (python-ovs), so only the paths
        are set again."""
        LOG.info("SIGHUP: reloading TLS files")
        if self.tls is not None:
            self.tls.reload()
        remotes = self.cfg.ovn_remote.split(",")
        if self.sb is not None:
            remotes += self.sb.remote.split(",")
        if any(part.startswith("ssl:") for part in remotes):
            configure_ssl(self.cfg.ssl_key, self.cfg.ssl_cert, self.cfg.ssl_cacert)

    async def _serve(self, install_signals: bool) -> None:
        if install_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
            loop.add_signal_handler(signal.SIGHUP, self.reload_tls)
        tasks = [asyncio.create_task(server.serve(sockets=[sock]))
                 for server, sock in zip(self.servers, self.sockets, strict=True)]
        self.started.set()
        await asyncio.gather(*tasks)

    def run(self, install_signals: bool = True) -> None:
        LOG.info("Starting server: ovn-provider %s (%s); Networking API on port %d, Identity "
                 "API on port %d, OVN NB %s, NB JSON parser %s, gateway chassis %s", __version__,
                 build_info(), *self.ports, self.cfg.ovn_remote, json_parser(),
                 f"from the SB at {self.cfg.sb_remote}" if self.rescheduler is not None
                 else ", ".join(self.cfg.gateway_chassis) or "none")
        self.nb.start()
        if self.rescheduler is not None:
            self.rescheduler.start()
        if self.sb is not None:
            self.sb.start()
        groups = threading.Thread(target=ensure_default_groups, args=(self.nb, self._stop),
                                  daemon=True, name="default-groups")
        groups.start()
        try:
            asyncio.run(self._serve(install_signals))
        finally:
            self._stop.set()
            if self.sb is not None:
                self.sb.stop()
            if self.rescheduler is not None:
                self.rescheduler.stop()
            self.nb.stop()
            for sock in self.sockets:
                sock.close()
            LOG.info("ovn-provider stopped")
