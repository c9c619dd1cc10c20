"""Health endpoints and Prometheus metrics on the Networking port (docs/operations.md).

One private central and one provider for the module (the NB is stopped and started
again here, and counters are compared exactly, so nothing else may share them).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client.parser import text_string_to_metric_families

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.nb import Writer
from ovn_provider.server import Provider
from tests.support.provider import TOKEN, make_config, running

SECRET = "sso-secret-" + uuid.uuid4().hex
NOT_AFTER = dt.datetime(2031, 5, 17, 12, 0, 0, tzinfo=dt.UTC)


@dataclass
class Bed:
    central: Central
    provider: Provider
    drain: str
    http: httpx.Client  # no token


def _certificate(path: str, not_after: dt.datetime = NOT_AFTER, key_path: str = "") -> None:
    """A self-signed certificate valid until `not_after` (and its key, if `key_path`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    with open(path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    if key_path:
        with open(key_path, "wb") as handle:
            handle.write(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    directory = tempfile.mkdtemp(prefix="ovnp-health-")
    central = Central(os.path.join(directory, "ovn"))
    try:
        central.start()
        cert = os.path.join(directory, "cert.pem")
        _certificate(cert)
        cfg = make_config(central.nb_remote, **{
            "PROVIDER/healthcheck-disable-file": os.path.join(directory, "drain"),
            "OVIRT/ovirt-sso-client-secret": SECRET,
            "SSL/ssl-cert-file": cert, "SSL/ssl-cacert-file": cert})
        with running(cfg) as provider, httpx.Client(
                base_url=f"http://127.0.0.1:{provider.ports[0]}", timeout=30) as http:
            yield Bed(central, provider, cfg.healthcheck_disable_file, http)
    finally:
        central.stop(remove=True)
        shutil.rmtree(directory, ignore_errors=True)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(bed: Bed | httpx.Client) -> Samples:
    """Every sample of /metrics (parsed by prometheus_client) by name and labels."""
    response = (bed.http if isinstance(bed, Bed) else bed).get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def poll(bed: Bed, path: str, status: int) -> httpx.Response:
    """GET `path` until it answers `status` (at most 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        response = bed.http.get(path)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_health_needs_no_token_and_answers_head(bed: Bed) -> None:
    ready = bed.http.get("/healthcheck")
    assert (ready.status_code, ready.text) == (200, "OK\n")
    assert ready.headers["content-type"] == "text/plain; charset=utf-8"
    assert bed.http.head("/healthcheck").status_code == 200
    assert bed.http.get("/healthcheck/live").status_code == 200
    assert bed.http.head("/healthcheck/live").status_code == 200
    assert bed.http.post("/healthcheck", content=b"").status_code == 405
    # the API itself still wants a token
    assert bed.http.get("/v2.0/networks").status_code == 401


def test_drain_file_fails_readiness_only(bed: Bed) -> None:
    with open(bed.drain, "w", encoding="ascii"):
        pass
    try:
        response = bed.http.get("/healthcheck")
        assert (response.status_code, response.text) == (503, "disabled by file\n")
        assert value(scrape(bed), "ovn_provider_healthcheck_disabled") == 1
        assert bed.http.get("/healthcheck/live").status_code == 200
        api = bed.http.get("/v2.0/networks", headers={"X-Auth-Token": TOKEN})
        assert api.status_code == 200  # draining still serves requests
    finally:
        os.unlink(bed.drain)
    assert bed.http.get("/healthcheck").status_code == 200
    assert value(scrape(bed), "ovn_provider_healthcheck_disabled") == 0


def test_readiness_follows_the_nb(bed: Bed) -> None:
    before = scrape(bed)
    assert value(before, "ovn_provider_nb_connected") == 1
    assert value(before, "ovn_provider_nb_synced") == 1
    nb = bed.central.nb[0]
    bed.central.stop_db(nb)
    try:
        down = poll(bed, "/healthcheck", 503)
        assert (down.status_code, down.text) == (503, "OVN Northbound not connected\n")
        assert bed.http.get("/healthcheck/live").status_code == 200
        during = scrape(bed)
        assert value(during, "ovn_provider_nb_connected") == 0
        assert value(during, "ovn_provider_nb_synced") == 0
    finally:
        bed.central.start_db(nb)
    up = poll(bed, "/healthcheck", 200)
    assert (up.status_code, up.text) == (200, "OK\n")
    after = scrape(bed)
    assert value(after, "ovn_provider_nb_synced") == 1
    # At least one: under load the counter moved by two (a connection that the stopping
    # or starting server accepted and dropped again counts as one too).
    assert value(after, "ovn_provider_nb_reconnects_total") >= \
        value(before, "ovn_provider_nb_reconnects_total") + 1


def test_request_counters_move_exactly(bed: Bed) -> None:
    auth = {"X-Auth-Token": TOKEN}
    created = bed.http.post("/v2.0/networks", json={"network": {"name": "m"}}, headers=auth)
    assert created.status_code == 201, created.text
    ident = created.json()["network"]["id"]
    route = "/v2.0/networks/{id}"
    before = scrape(bed)
    for _ in range(3):
        assert bed.http.get(f"/v2.0/networks/{ident}", headers=auth).status_code == 200
    assert bed.http.get(f"/v2.0/networks/{uuid.uuid4()}", headers=auth).status_code == 404
    assert bed.http.get("/v2.0/networks", headers={"X-Auth-Token": "wrong"}).status_code \
        == 401
    assert bed.http.get("/no/such/path/" + ident).status_code == 404
    after = scrape(bed)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "ovn_provider_http_requests_total"
    common = {"api": "networking", "method": "GET"}
    assert moved(requests, route=route, status="200", **common) == 3
    assert moved(requests, route=route, status="404", **common) == 1
    assert moved(requests, route="/v2.0/networks", status="401", **common) == 1
    assert moved(requests, route="other", status="404", **common) == 1
    assert moved(requests, route="/metrics", status="200", **common) == 1  # `before`
    assert moved("ovn_provider_http_request_duration_seconds_count", route=route,
                 **common) == 4
    # 4 checks of the good token from the cache; the wrong one misses
    assert moved("ovn_provider_token_cache_hits_total") == 4
    assert moved("ovn_provider_token_cache_misses_total") == 1
    # no series names an id
    assert not any(ident in str(labels) for _, labels in after)


def test_nb_retries_errors_and_latency_are_counted(bed: Bed) -> None:
    nb = bed.provider.nb
    name = "pg_try_again_" + uuid.uuid4().hex[:8]
    bed.central.nbctl("create", "Port_Group", f"name={name}")
    calls = []

    def write(w: Writer) -> None:
        row = next(r for r in w.rows("Port_Group").values() if r.name == name)
        row.verify("external_ids")
        if not calls:  # another client changes the verified column meanwhile
            bed.central.nbctl("set", "Port_Group", name, "external_ids:other=1")
        calls.append(1)
        row.setkey("external_ids", "mine", "1")

    def duplicate(w: Writer) -> None:
        w.insert("Port_Group", name=name)  # Port_Group names are unique in the NB

    before = scrape(bed)
    nb.transact(write)
    with pytest.raises(Exception, match="constraint violation"):
        nb.transact(duplicate)
    after = scrape(bed)
    assert len(calls) == 2  # TRY_AGAIN: the function ran again
    assert value(after, "ovn_provider_nb_transaction_retries_total") - \
        value(before, "ovn_provider_nb_transaction_retries_total") == 1
    assert value(after, "ovn_provider_nb_transaction_errors_total", reason="refused") - \
        value(before, "ovn_provider_nb_transaction_errors_total", reason="refused") == 1
    assert value(after, "ovn_provider_nb_transaction_duration_seconds_count") - \
        value(before, "ovn_provider_nb_transaction_duration_seconds_count") == 2


def test_scrape_time_values(bed: Bed) -> None:
    samples = scrape(bed)
    assert value(samples, "ovn_provider_info", version="0.1.0", json_parser="c") == 1
    with bed.provider.nb.read() as idl:
        groups = len(idl.tables["Port_Group"].rows)
    assert value(samples, "ovn_provider_nb_replica_rows", table="Port_Group") == groups > 0
    assert ("ovn_provider_nb_leader", ()) not in samples  # a standalone NB
    for cert in ("server", "ca"):
        assert value(samples, "ovn_provider_certificate_not_after_timestamp_seconds",
                     certificate=cert) == NOT_AFTER.timestamp()
        left = value(samples, "ovn_provider_certificate_expires_in_seconds", certificate=cert)
        assert 0 < left <= NOT_AFTER.timestamp() - time.time() + 60
    assert value(samples, "process_resident_memory_bytes") > 0
    assert value(samples, "process_open_fds") > 0


def test_metrics_show_nothing_secret(bed: Bed) -> None:
    text = bed.http.get("/metrics").text
    for secret in (TOKEN, SECRET, "password"):
        assert secret not in text
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines()
             if line and not line.startswith("#")}
    ours = {n for n in names if not n.startswith(("process_", "python_"))}
    assert ours and all(n.startswith("ovn_provider_") for n in ours), ours


def test_leader_of_a_clustered_nb() -> None:
    directory = tempfile.mkdtemp(prefix="ovnp-health-raft-")
    central = Central(directory, nb_cluster_size=3)
    try:
        central.start()
        with running(make_config(central.nb_remote)) as provider, httpx.Client(
                base_url=f"http://127.0.0.1:{provider.ports[0]}", timeout=30) as http:
            samples = scrape(http)
            followed = provider.nb.idl._session.get_name()
            leader = central.nb_leader().remote
            assert ("ovn_provider_nb_leader", ()) in samples
            assert followed == leader  # the provider follows the leader only (docs/ha.md)
            assert value(samples, "ovn_provider_nb_leader") == 1
    finally:
        central.stop(remove=True)


def test_https_reports_the_served_certificate(fresh_central: Central, tmp_path: Any) -> None:
    """With HTTPS on, the server certificate's expiry is the one new connections get: a
    renewed file counts once the provider reloaded it (SIGHUP, docs/setup.md)."""
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    _certificate(cert, NOT_AFTER, key)
    cfg = make_config(fresh_central.nb_remote, **{
        "SSL/https-enabled": "true", "SSL/ssl-cert-file": cert, "SSL/ssl-key-file": key,
        "SSL/ssl-cacert-file": cert})
    renewed = dt.datetime(2033, 1, 2, tzinfo=dt.UTC)
    with running(cfg) as provider, httpx.Client(
            base_url=f"https://127.0.0.1:{provider.ports[0]}", verify=False,
            timeout=30) as http:
        server = {"certificate": "server"}
        name = "ovn_provider_certificate_not_after_timestamp_seconds"
        assert http.get("/healthcheck").text == "OK\n"
        assert value(scrape(http), name, **server) == NOT_AFTER.timestamp()
        _certificate(cert, renewed, key)
        samples = scrape(http)
        assert value(samples, name, **server) == NOT_AFTER.timestamp()  # not reloaded yet
        assert value(samples, name, certificate="ca") == renewed.timestamp()  # the file
        provider.reload_tls()
        assert value(scrape(http), name, **server) == renewed.timestamp()
