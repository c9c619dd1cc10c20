"""Transport and lifecycle: NB outages and failover, TLS, keep-alive, concurrency, logs,
configuration errors, dual-stack sockets, graceful shutdown."""

from __future__ import annotations

import logging
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator

import httpx
import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import free_port, wait_for
from tests.support.provider import TOKEN, Api, make_config, running

HEADERS = {"X-Auth-Token": TOKEN}


def _url(provider_ports: tuple[int, int], path: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{provider_ports[0]}{path}"


def test_nb_outage_gives_503_then_recovers(fresh_central: Central) -> None:
    cfg = make_config(fresh_central.nb_remote)
    with running(cfg) as prov:
        api = Api(prov)
        try:
            assert api.get("/v2.0/networks").status_code == 200
            fresh_central.stop_db(fresh_central.nb[0])
            wait_for(lambda: not prov.nb.connected, 10, "provider notices the outage")
            started = time.monotonic()
            response = api.post("/v2.0/networks", {"network": {"name": "during-outage"}})
            assert response.status_code == 503
            assert time.monotonic() - started < 5
            assert "Northbound" in response.json()["error"]["message"]
            assert api.get("/v2.0/networks").status_code == 503
            fresh_central.start_db(fresh_central.nb[0])
            wait_for(lambda: prov.nb.connected, 15, "provider reconnects")
            net = api.network(name="after-outage")
            names = [n["name"] for n in api.get("/v2.0/networks").json()["networks"]]
            assert "after-outage" in names and "during-outage" not in names
            assert net["id"]
        finally:
            api.close()


def test_start_without_nb_answers_503_not_a_hang() -> None:
    cfg = make_config(f"tcp:127.0.0.1:{free_port()}")
    with running(cfg, wait_nb=False) as prov:
        response = httpx.get(_url(prov.ports, "/v2.0/networks"), headers=HEADERS, timeout=30)
        assert response.status_code == 503
        body = response.json()["error"]
        assert body["code"] == 503 and body["title"] == "Service Unavailable"
        # the identity API does not need the NB
        token = httpx.post(f"http://127.0.0.1:{prov.ports[1]}/v2.0/tokens", json={
            "auth": {"passwordCredentials": {"username": "u", "password": "p"}}}, timeout=30)
        assert token.status_code == 200


def test_raft_cluster_failover_keeps_every_write() -> None:
    directory = tempfile.mkdtemp(prefix="ovnp-raft-")
    bed = Central(directory, nb_cluster_size=3)
    try:
        bed.start()
        with running(make_config(bed.nb_remote)) as prov:
            api = Api(prov)
            try:
                before = api.network(name="before-failover")
                bed.stop_db(bed.nb_leader())
                deadline = time.monotonic() + 25
                created = None
                while time.monotonic() < deadline and created is None:
                    response = api.post("/v2.0/networks", {"network": {"name": "after"}})
                    if response.status_code == 201:
                        created = response.json()["network"]
                    else:
                        assert response.status_code == 503, response.text
                        time.sleep(0.2)
                assert created is not None, "no write succeeded after the leader was killed"
                names = [n["name"] for n in api.get("/v2.0/networks").json()["networks"]]
                assert names.count("after") == 1
                assert before["id"] in [n["id"] for n in
                                        api.get("/v2.0/networks").json()["networks"]]
            finally:
                api.close()
    finally:
        bed.stop(remove=True)


def _self_signed(directory: str) -> tuple[str, str]:
    key = os.path.join(directory, "key.pem")
    cert = os.path.join(directory, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, cert


def test_https_serves_tls12_plus_only(central: Central, tmp_path: object) -> None:
    directory = tempfile.mkdtemp(prefix="ovnp-tls-")
    try:
        key, cert = _self_signed(directory)
        cfg = make_config(central.nb_remote, **{"SSL/https-enabled": "true",
                                                "SSL/ssl-key-file": key,
                                                "SSL/ssl-cert-file": cert})
        with running(cfg) as prov:
            ctx = ssl.create_default_context(cafile=cert)
            response = httpx.get(f"https://127.0.0.1:{prov.ports[0]}/v2.0/networks",
                                 headers=HEADERS, verify=ctx, timeout=30)
            assert response.status_code == 200
            token = httpx.post(f"https://127.0.0.1:{prov.ports[1]}/v2.0/tokens", json={
                "auth": {"passwordCredentials": {"username": "u", "password": "p"}}},
                verify=ctx, timeout=30).json()
            urls = {e["type"]: e["endpoints"][0]["publicURL"]
                    for e in token["access"]["serviceCatalog"]}
            assert urls["network"].startswith("https://")
            old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            old.check_hostname = False
            old.verify_mode = ssl.CERT_NONE
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                old.maximum_version = ssl.TLSVersion.TLSv1_1
                old.minimum_version = ssl.TLSVersion.TLSv1
            old.set_ciphers("ALL:@SECLEVEL=0")
            with socket.create_connection(("127.0.0.1", prov.ports[0]), timeout=10) as raw:
                with pytest.raises(ssl.SSLError):
                    old.wrap_socket(raw).do_handshake()
            with socket.create_connection(("127.0.0.1", prov.ports[0]), timeout=10) as raw:
                # plain HTTP on the TLS port gets no API answer
                raw.sendall(b"GET /v2.0/networks HTTP/1.1\r\nHost: x\r\n\r\n")
                assert b'"networks"' not in raw.recv(4096)
    finally:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)


def _read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """(head, body) of one HTTP response, delimited by Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before a response"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head, body


def test_keep_alive_serves_two_requests_on_one_connection(provider: object) -> None:
    port = provider.ports[0]  # type: ignore[attr-defined]
    request = (f"GET /v2.0/networks HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {TOKEN}\r\n\r\n"
               ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for _ in range(2):
            sock.sendall(request)
            head, body = _read_response(sock)
            assert head.startswith(b"HTTP/1.1 200")
            assert b'"networks"' in body


def test_slow_request_does_not_block_others(central: Central) -> None:
    from tests.support.slow_plugin import SlowPlugin

    cfg = make_config(central.nb_remote,
                      **{"AUTH/auth-plugin": "tests.support.slow_plugin:SlowPlugin"})
    with running(cfg) as prov:
        url = _url(prov.ports, "/v2.0/networks")
        finished: list[str] = []

        def slow() -> None:
            httpx.get(url, headers={"X-Auth-Token": "slow"}, timeout=30)
            finished.append("slow")

        thread = threading.Thread(target=slow)
        SlowPlugin.slow_started.clear()
        thread.start()
        assert SlowPlugin.slow_started.wait(10)
        fast = httpx.get(url, headers={"X-Auth-Token": "fast"}, timeout=30)
        finished.append("fast")
        thread.join(30)
        assert fast.status_code == 200
        assert finished == ["fast", "slow"]


def test_request_log_has_client_method_path_status_and_no_secrets(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "pa55-w0rd-never-logged"
    response = httpx.post(f"{api.keystone}/v2.0/tokens", json={
        "auth": {"passwordCredentials": {"username": "u", "password": secret}}}, timeout=30)
    assert response.status_code == 200
    assert api.get("/v2.0/networks?name=zzz").status_code == 200

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "ovn_provider.request"]

    # the line is written just after the response has been sent
    wait_for(lambda: any("127.0.0.1:" in line and "GET /v2.0/networks 200" in line
                         for line in lines()), 5, "the request log line")
    assert any("POST /v2.0/tokens 200" in line for line in lines())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in text
    assert TOKEN not in text


def test_bad_config_value_stops_startup_naming_file_section_key(tmp_path: object) -> None:
    conf = os.path.join(str(tmp_path), "bad.conf")
    with open(conf, "w", encoding="utf-8") as handle:
        handle.write("[PROVIDER]\nneutron-port=ninety\n")
    proc = subprocess.run([sys.executable, "-m", "ovn_provider.cli", "serve", "--config", conf,
                           "--log-file", "-"], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert conf in proc.stderr and "[PROVIDER] neutron-port" in proc.stderr


def test_dual_stack_socket_serves_ipv4_and_ipv6(central: Central) -> None:
    if not socket.has_ipv6:
        pytest.skip("this kernel has no IPv6")
    cfg = make_config(central.nb_remote, **{"PROVIDER/bind-address": "::"})
    with running(cfg) as prov:
        for host in ("127.0.0.1", "[::1]"):
            response = httpx.get(_url(prov.ports, "/v2.0/networks", host), headers=HEADERS,
                                 timeout=30)
            assert response.status_code == 200


@pytest.fixture()
def served_process(tmp_path: object) -> Iterator[tuple[subprocess.Popen[str], int, str]]:
    state = os.path.join(str(tmp_path), "state")
    port, kport = free_port(), free_port()
    conf = os.path.join(str(tmp_path), "p.conf")
    with open(conf, "w", encoding="utf-8") as handle:
        handle.write(f"[PROVIDER]\nneutron-port={port}\nkeystone-port={kport}\n"
                     "bind-address=127.0.0.1\n[AUTH]\n"
                     "auth-plugin=auth.plugins.static_token:NoAuthPlugin\n")
    proc = subprocess.Popen([sys.executable, "-m", "ovn_provider.cli", "serve", "--config", conf,
                             "--embedded-ovn", state, "--log-file", "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield proc, port, state
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_embedded_ovn_and_graceful_shutdown(
        served_process: tuple[subprocess.Popen[str], int, str]) -> None:
    proc, port, state = served_process

    def up() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/v2.0/networks", timeout=2
                             ).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, 30, "embedded provider answers")
    created = httpx.post(f"http://127.0.0.1:{port}/v2.0/networks",
                         json={"network": {"name": "kept"}}, timeout=30)
    assert created.status_code == 201
    pids = []
    for name in ("nb.pid", "sb.pid", "northd.pid"):
        with open(os.path.join(state, "ovn", name), encoding="ascii") as handle:
            pids.append(int(handle.read()))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    for pid in pids:
        wait_for(lambda p=pid: not _running(p), 10, f"embedded daemon {pid} exits")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
