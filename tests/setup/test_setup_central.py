"""A central switched to SSL by `ovn-provider setup`, then used as an operator would: the
provider started with the written files serves HTTPS and talks TLS to the NB, the
`openstack` CLI works with the generated CA, plain TCP to the NB's new port fails, a chassis
with a certificate from the same CA reaches the SB over SSL, and a renewal with SIGHUP
under load drops no request."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from cryptography import x509

from ovn_provider.ovn.daemons import free_port, ovs_env, run, stop_pidfile
from ovn_provider.setup import pki
from tests.clients.conftest import openstack_executable
from tests.setup.conftest import SetupBed, SslCentral

TOKEN = "00000000000000000000000000000001"
VSWITCH_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


@dataclass
class Deployment:
    bed: SetupBed
    proc: subprocess.Popen[bytes]
    neutron: int
    keystone: int
    log: str

    def url(self, path: str = "/") -> str:
        return f"https://localhost:{self.neutron}{path}"


def _trust(ca: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca)


def _wait_ready(dep: Deployment) -> None:
    deadline = time.monotonic() + 60
    last = ""
    while time.monotonic() < deadline:
        if dep.proc.poll() is not None:
            break
        try:
            response = httpx.get(dep.url("/v2.0/networks"), headers={"X-Auth-Token": TOKEN},
                                 verify=_trust(dep.bed.ca), timeout=5)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(0.2)
    with open(dep.log, encoding="utf-8", errors="replace") as handle:
        raise AssertionError(f"provider not ready ({last}):\n{handle.read()}")


@pytest.fixture(scope="module")
def deployed(setup_central: SslCentral) -> Iterator[Deployment]:
    prefix = tempfile.mkdtemp(prefix="ovnp-setup-deploy-")
    bed = SetupBed(setup_central, prefix, free_port(), free_port())
    proc: subprocess.Popen[bytes] | None = None
    try:
        result = bed.setup()
        assert result.code == 0, result.err
        neutron, keystone = free_port(), free_port()
        local = bed.etc("conf.d", "90-test.conf")
        with open(local, "w", encoding="utf-8") as handle:
            handle.write(f"[PROVIDER]\nneutron-port={neutron}\nkeystone-port={keystone}\n"
                         "[AUTH]\nauth-plugin=auth.plugins.static_token:MagicTokenPlugin\n")
        log = os.path.join(prefix, "provider.log")
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "ovn_provider.cli", "serve",
                 "--config", bed.etc("ovirt-provider-ovn.conf"), bed.conf, local,
                 "--log-file", "-"], stdout=out, stderr=subprocess.STDOUT)
        dep = Deployment(bed, proc, neutron, keystone, log)
        _wait_ready(dep)
        yield dep
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(prefix, ignore_errors=True)


def test_provider_serves_https_and_uses_tls_to_the_nb(deployed: Deployment) -> None:
    bed = deployed.bed
    with open(deployed.log, encoding="utf-8") as handle:
        assert f"connected to OVN NB at ssl:127.0.0.1:{bed.nb_port}" in handle.read()
    with httpx.Client(verify=_trust(bed.ca), headers={"X-Auth-Token": TOKEN}) as client:
        created = client.post(deployed.url("/v2.0/networks"),
                              json={"network": {"name": "over-tls"}})
        assert created.status_code == 201, created.text
        net = created.json()["network"]
        assert client.get(deployed.url(f"/v2.0/networks/{net['id']}")).status_code == 200
    assert "over-tls" in bed.central.nbctl("--bare", "--columns=name", "list", "Logical_Switch")
    with pytest.raises(httpx.HTTPError):  # HTTPS only: plain HTTP gets no answer
        httpx.get(f"http://localhost:{deployed.neutron}/", timeout=5)


def test_openstack_cli_over_https_with_the_generated_ca(deployed: Deployment) -> None:
    home = tempfile.mkdtemp(prefix="ovnp-osc-")
    try:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
               "LANG": "C.UTF-8", "NO_PROXY": "localhost,127.0.0.1",
               "OS_AUTH_URL": f"https://localhost:{deployed.keystone}/v3",
               "OS_IDENTITY_API_VERSION": "3", "OS_USERNAME": "admin", "OS_PASSWORD": "x",
               "OS_PROJECT_NAME": "tenant", "OS_USER_DOMAIN_NAME": "Default",
               "OS_PROJECT_DOMAIN_NAME": "Default", "OS_CACERT": deployed.bed.ca}
        osc = openstack_executable()
        created = subprocess.run([osc, "network", "create", "cli-net", "-f", "json"], env=env,
                                 capture_output=True, text=True, timeout=180)
        assert created.returncode == 0, created.stderr
        net_id = json.loads(created.stdout)["id"]
        listed = subprocess.run([osc, "network", "list", "-f", "json"], env=env,
                                capture_output=True, text=True, timeout=180)
        assert listed.returncode == 0, listed.stderr
        assert {"cli-net"} <= {row["Name"] for row in json.loads(listed.stdout)}
        assert net_id in {row["ID"] for row in json.loads(listed.stdout)}
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(deployed.url("/"), timeout=5)  # the system CAs do not know ours
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _ovsdb_client(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ovsdb-client", "--timeout=5", *args], capture_output=True,
                          text=True, timeout=30)


def test_plain_tcp_to_the_ssl_port_fails(deployed: Deployment) -> None:
    bed = deployed.bed
    for port in (bed.nb_port, bed.sb_port):
        plain = _ovsdb_client("list-dbs", f"tcp:127.0.0.1:{port}")
        assert plain.returncode != 0 and "OVN_" not in plain.stdout
    # a raw JSON-RPC request gets no JSON-RPC answer
    with socket.create_connection(("127.0.0.1", bed.nb_port), timeout=5) as sock:
        sock.sendall(b'{"method":"list_dbs","params":[],"id":0}')
        try:
            answer = sock.recv(4096)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    assert b"OVN_Northbound" not in answer
    key, cert = bed.key("ovirt-provider-ovn"), bed.cert("ovirt-provider-ovn")
    good = _ovsdb_client("-p", key, "-c", cert, "-C", bed.ca, "list-dbs",
                         f"ssl:127.0.0.1:{bed.nb_port}")
    assert good.returncode == 0 and "OVN_Northbound" in good.stdout, good.stderr


def test_a_client_certificate_from_another_ca_is_refused(deployed: Deployment) -> None:
    bed = deployed.bed
    work = tempfile.mkdtemp(prefix="ovnp-otherca-")
    try:
        ca_key = pki.new_key()
        ca = pki.make_ca(ca_key, "other CA")
        key = pki.new_key()
        cert = pki.issue(ca, ca_key, key.public_key(), "intruder", "intruder", [])
        paths = {"key": pki.key_pem(key), "cert": pki.cert_pem(cert)}
        for name, data in paths.items():
            with open(os.path.join(work, name), "wb") as handle:
                handle.write(data)
        other = _ovsdb_client("-p", os.path.join(work, "key"), "-c", os.path.join(work, "cert"),
                              "-C", bed.ca, "list-dbs", f"ssl:127.0.0.1:{bed.nb_port}")
        assert other.returncode != 0 and "OVN_Northbound" not in other.stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_chassis_with_a_certificate_from_the_same_ca_reaches_the_sb(
        deployed: Deployment) -> None:
    """`ovn-provider-driver configure` with the chassis' certificate, then ovn-controller
    started with the SSL options configure wrote for it (as its service would)."""
    bed = deployed.bed
    directory = tempfile.mkdtemp(prefix="ovnp-setup-hv-")
    name = f"hv-ssl-{os.getpid()}"
    env = ovs_env(directory)
    try:
        ca_key = pki.load_key(bed.etc("pki", "private", "ca.key"))
        key = pki.new_key()
        cert = pki.issue(pki.load_cert(bed.ca), ca_key, key.public_key(), f"{name}-ovn", name,
                         [name])
        files = {"ovn-key.pem": pki.key_pem(key), "ovn-cert.pem": pki.cert_pem(cert)}
        for file_name, data in files.items():
            with open(os.path.join(directory, file_name), "wb") as handle:
                handle.write(data)
        conf_db, sock = os.path.join(directory, "conf.db"), os.path.join(directory, "db.sock")
        run(["ovsdb-tool", "create", conf_db, VSWITCH_SCHEMA], env=env)
        run(["ovsdb-server", conf_db, f"--remote=punix:{sock}", "--detach", "--no-chdir",
             f"--pidfile={directory}/ovsdb-server.pid",
             f"--log-file={directory}/ovsdb-server.log"], env=env)
        run(["ovs-vsctl", f"--db=unix:{sock}", "--no-wait", "init"], env=env)
        sysconfig = os.path.join(directory, "ovn-controller.sysconfig")
        configure = subprocess.run(
            [sys.executable, "-m", "ovn_provider.driver.cli", "--ovs-db", f"unix:{sock}",
             "--ovs-rundir", directory, "--ovn-rundir", directory, "--service-manager", "none",
             "configure", "--central-ip", "127.0.0.1", "--sb-port", str(bed.sb_port),
             "--tunnel-ip", "127.0.0.1", "--host-fqdn", name,
             "--ovn-key", os.path.join(directory, "ovn-key.pem"),
             "--ovn-cert", os.path.join(directory, "ovn-cert.pem"), "--ovn-ca-cert", bed.ca,
             "--sysconfig-file", sysconfig, "--restart", "none"],
            capture_output=True, text=True, timeout=60, env=env)
        assert configure.returncode == 0, configure.stderr
        remote = run(["ovs-vsctl", f"--db=unix:{sock}", "get", "Open_vSwitch", ".",
                      "external_ids:ovn-remote"], env=env).strip().strip('"')
        assert remote == f"ssl:127.0.0.1:{bed.sb_port}"
        with open(sysconfig, encoding="utf-8") as handle:
            opts = handle.read().split('"')[1].split()
        # ovn-ctl turns --ovn-controller-ssl-key=K ... into ovn-controller's --private-key=K
        mapping = {"--ovn-controller-ssl-key": "--private-key",
                   "--ovn-controller-ssl-cert": "--certificate",
                   "--ovn-controller-ssl-ca-cert": "--ca-cert"}
        ssl_args = [f"{mapping[opt.split('=')[0]]}={opt.split('=', 1)[1]}" for opt in opts]
        assert len(ssl_args) == 3
        run(["ovn-controller", f"unix:{sock}", *ssl_args, "--detach", "--no-chdir",
             f"--pidfile={directory}/ovn-controller.pid",
             f"--log-file={directory}/ovn-controller.log"], env=env)
        deadline = time.monotonic() + 30
        names: list[str] = []
        while time.monotonic() < deadline:
            names = bed.central.sbctl("--bare", "--columns=name", "list", "Chassis").split()
            if name in names:
                break
            time.sleep(0.2)
        with open(os.path.join(directory, "ovn-controller.log"), encoding="utf-8") as handle:
            log = handle.read()
        assert name in names, log
        assert f"ssl:127.0.0.1:{bed.sb_port}: connected" in log
    finally:
        for daemon in ("ovn-controller", "ovsdb-server"):
            stop_pidfile(os.path.join(directory, f"{daemon}.pid"), directory)
        subprocess.run(["ovn-sbctl", f"--db=unix:{bed.central.sb.sock}",  # type: ignore[union-attr]
                        "--if-exists", "chassis-del", name], capture_output=True, timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


# -- renewal under load (last: it changes the module's certificates) ----------------------

@dataclass
class Load:
    ca: str
    port: int
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    serials: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def keep_alive(self) -> None:
        """One HTTPS connection, request after request."""
        with httpx.Client(verify=_trust(self.ca), headers={"X-Auth-Token": TOKEN},
                          timeout=30) as c:
            while not self.stop.is_set():
                self._count(lambda: c.get(f"https://localhost:{self.port}/v2.0/networks"))

    def new_connections(self) -> None:
        """A new TLS connection per request; records the certificate each one saw."""
        ctx = ssl.create_default_context(cafile=self.ca)
        request = (f"GET /v2.0/networks HTTP/1.1\r\nHost: localhost\r\nX-Auth-Token: {TOKEN}"
                   "\r\nConnection: close\r\n\r\n").encode()
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=30) as raw, \
                        ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                    der = tls.getpeercert(binary_form=True)
                    assert der is not None
                    tls.sendall(request)
                    head = tls.recv(64)
                serial = x509.load_der_x509_certificate(der).serial_number
                if not head.startswith(b"HTTP/1.1 200"):
                    self.failures.append(head.decode(errors="replace"))
                    continue
                self.serials.append(serial)
                self.ok += 1
            except (OSError, ssl.SSLError) as exc:
                self.failures.append(f"new connection: {exc!r}")

    def _count(self, call: object) -> None:
        assert callable(call)
        try:
            response = call()
            if response.status_code == 200:
                self.ok += 1
            else:
                self.failures.append(f"{response.status_code} {response.text}")
        except httpx.HTTPError as exc:
            self.failures.append(f"keep-alive: {exc!r}")


def test_renew_and_sighup_under_load_drop_no_request(deployed: Deployment) -> None:
    bed = deployed.bed
    old = pki.load_cert(bed.cert("ovirt-provider-ovn")).serial_number
    load = Load(bed.ca, deployed.neutron)
    threads = [threading.Thread(target=load.keep_alive, daemon=True),
               threading.Thread(target=load.new_connections, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(load.serials) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert load.serials and set(load.serials) == {old}, load.failures
        renewed = bed.setup("--renew")
        assert renewed.code == 0, renewed.err
        new = pki.load_cert(bed.cert("ovirt-provider-ovn")).serial_number
        assert new != old
        os.kill(deployed.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 60
        while new not in load.serials and time.monotonic() < deadline:
            time.sleep(0.05)
        seen = len(load.serials)
        while len(load.serials) < seen + 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(30)
    print(f"load: {load.ok} requests, {len(load.serials)} new connections, "
          f"{len(load.serials) - load.serials.index(new)} after the reload")
    assert load.failures == []
    assert deployed.proc.poll() is None
    assert new in load.serials, "no new connection saw the renewed certificate"
    first_new = load.serials.index(new)
    assert set(load.serials[:first_new]) == {old}
    assert set(load.serials[first_new:]) == {new}, "an old certificate after the reload"
    assert load.ok > len(load.serials)  # the keep-alive connection went on as well
    with open(deployed.log, encoding="utf-8") as handle:
        assert "TLS certificate, key and CA files reloaded" in handle.read()
