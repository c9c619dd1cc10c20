"""Prometheus metrics of one provider (served at /metrics; docs/operations.md lists them).

Each provider has its own CollectorRegistry (the tests run several providers in one
process). Request and NB transaction counters move as they happen; the NB connection state,
replica row counts, token-cache counts and certificate expiry are read when scraped, from
values the rest of the code keeps anyway, so a scrape takes no lock and blocks nothing.
Labels never carry ids, tokens, user names or paths sent by clients: routes are templates
(api/routes.py).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable

import prometheus_client
from cryptography import x509
from ovs import json as ovs_json
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ovn_provider import __version__
from ovn_provider.auth.base import TokenCache
from ovn_provider.config import Config
from ovn_provider.ovn.nb import Nb

PREFIX = "ovn_provider_"
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
NB_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 20.0)

# No `_created` series beside every counter and histogram: they double the output and
# no dashboard uses them.
prometheus_client.disable_created_metrics()


def json_parser() -> str:
    """"c" when python-ovs parses the NB's JSON with its C extension, else "python"."""
    return "c" if ovs_json.PARSER == ovs_json.PARSER_C else "python"


class CertificateExpiry:
    """The earliest notAfter of the certificates in a PEM file, re-read only when the
    file changes (size or mtime)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[tuple[int, int], float | None]] = {}
        self._lock = threading.Lock()

    def not_after(self, path: str) -> float | None:
        """Unix time, or None when the file is missing or holds no certificate."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            known = self._seen.get(path)
            if known is not None and known[0] == stamp:
                return known[1]
        try:
            with open(path, "rb") as handle:
                certs = x509.load_pem_x509_certificates(handle.read())
            value: float | None = min(c.not_valid_after_utc for c in certs).timestamp()
        except (OSError, ValueError):
            value = None
        with self._lock:
            self._seen[path] = (stamp, value)
        return value


class _ScrapeTime(Collector):
    """What is read when /metrics is scraped."""

    def __init__(self, cfg: Config, nb: Nb, tokens: TokenCache) -> None:
        self.cfg = cfg
        self.nb = nb
        self.tokens = tokens
        self.certs = CertificateExpiry()
        #: with HTTPS on: the expiry of the certificate new connections get (tls_reload.py),
        #: which after a renewal is the file's only once SIGHUP reloaded it
        self.served: Callable[[], float | None] | None = None

    def collect(self) -> Iterable[Metric]:
        info = GaugeMetricFamily(PREFIX + "info", "Version and JSON parser of the provider",
                                 labels=["version", "json_parser"])
        info.add_metric([__version__, json_parser()], 1)
        yield info
        yield from self._nb()
        yield from self._tokens()
        yield from self._certificates()
        drain = self.cfg.healthcheck_disable_file
        yield GaugeMetricFamily(
            PREFIX + "healthcheck_disabled",
            "1 when the [PROVIDER] healthcheck-disable-file exists (readiness answers 503)",
            value=1 if drain and os.path.exists(drain) else 0)

    def _nb(self) -> Iterable[Metric]:
        state = self.nb.state
        yield GaugeMetricFamily(PREFIX + "nb_connected",
                                "1 when the OVN Northbound session is connected",
                                value=0 if state == "not connected" else 1)
        yield GaugeMetricFamily(PREFIX + "nb_synced",
                                "1 when the NB replica is connected and holds the NB's "
                                "contents (readiness requires it)",
                                value=1 if state == "ready" else 0)
        leader = self.nb.is_leader()
        if leader is not None:
            yield GaugeMetricFamily(PREFIX + "nb_leader",
                                    "Clustered NB: 1 when the server followed is the RAFT "
                                    "leader", value=1 if leader else 0)
        connections = self.nb.successful_connections()
        yield CounterMetricFamily(PREFIX + "nb_reconnects",
                                  "NB connections made again after the first one",
                                  value=max(connections - 1, 0))
        rows = GaugeMetricFamily(PREFIX + "nb_replica_rows",
                                 "Rows of each table in the provider's NB replica",
                                 labels=["table"])
        for table, count in sorted(self.nb.row_counts().items()):
            rows.add_metric([table], count)
        yield rows

    def _tokens(self) -> Iterable[Metric]:
        yield CounterMetricFamily(PREFIX + "token_cache_hits",
                                  "Token checks answered from the token cache",
                                  value=self.tokens.hits)
        yield CounterMetricFamily(PREFIX + "token_cache_misses",
                                  "Token checks the token cache could not answer (the auth "
                                  "plugin was asked)", value=self.tokens.misses)

    def _certificates(self) -> Iterable[Metric]:
        at = GaugeMetricFamily(PREFIX + "certificate_not_after_timestamp_seconds",
                               "Expiry (notAfter, Unix time) of the [SSL] certificate files; "
                               "for a CA bundle, its earliest", labels=["certificate"])
        left = GaugeMetricFamily(PREFIX + "certificate_expires_in_seconds",
                                 "Seconds until the [SSL] certificate files expire "
                                 "(negative: expired)", labels=["certificate"])
        now = time.time()
        for label, path in (("server", self.cfg.ssl_cert), ("ca", self.cfg.ssl_cacert)):
            served = self.served if label == "server" else None
            not_after = served() if served is not None else self.certs.not_after(path)
            if not_after is None:
                continue
            at.add_metric([label], not_after)
            left.add_metric([label], round(not_after - now, 3))
        yield at
        yield left


class Metrics:
    """The registry and the metrics that code updates as things happen."""

    def __init__(self, cfg: Config, nb: Nb, tokens: TokenCache) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        self.requests = Counter(
            PREFIX + "http_requests", "HTTP requests answered, by API, route template, "
            "method and status", ["api", "route", "method", "status"], registry=registry)
        self.latency = Histogram(
            PREFIX + "http_request_duration_seconds", "Time to answer an HTTP request, by "
            "API, route template and method", ["api", "route", "method"],
            buckets=HTTP_BUCKETS, registry=registry)
        self.nb_latency = Histogram(
            PREFIX + "nb_transaction_duration_seconds", "Time of one write to the NB (one "
            "per API request that writes), retries included", buckets=NB_BUCKETS,
            registry=registry)
        self.nb_retries = Counter(
            PREFIX + "nb_transaction_retries", "Times a write ran again because the NB "
            "answered TRY_AGAIN (a row it checked was changed meanwhile)", registry=registry)
        self.nb_errors = Counter(
            PREFIX + "nb_transaction_errors", "Writes that failed in the NB: refused "
            "(constraint violation) or timeout (no answer in [PROVIDER] nb-timeout)",
            ["reason"], registry=registry)
        for reason in ("refused", "timeout"):
            self.nb_errors.labels(reason)
        self._scrape = _ScrapeTime(cfg, nb, tokens)
        registry.register(self._scrape)
        nb.observer = self.nb_transaction

    def certificate_served(self, not_after: Callable[[], float | None]) -> None:
        """Report the API certificate's expiry from `not_after` (what new HTTPS
        connections get) rather than from the file."""
        self._scrape.served = not_after

    def nb_transaction(self, seconds: float, retries: int, outcome: str) -> None:
        self.nb_latency.observe(seconds)
        if retries:
            self.nb_retries.inc(retries)
        if outcome in ("refused", "timeout"):
            self.nb_errors.labels(outcome).inc()

    def request(self, api: str, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(api, route, method, str(status)).inc()
        self.latency.labels(api, route, method).observe(seconds)

    def render(self, accept: str) -> tuple[bytes, str]:
        """The exposition in the format the scraper asks for (Accept header)."""
        encoder, content_type = prometheus_client.exposition.choose_encoder(accept)
        return encoder(self.registry), content_type
