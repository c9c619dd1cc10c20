"""ReloadableTls: new handshakes get the files as they are at the last successful reload;
a reload that cannot load the files keeps the old certificate."""

from __future__ import annotations

import os
import socket
import ssl
import threading
from pathlib import Path

from cryptography import x509

from ovn_provider.setup import pki
from ovn_provider.tls_reload import ReloadableTls

CA_KEY = pki.new_key()
CA = pki.make_ca(CA_KEY, "test CA")


def write_pair(directory: Path, key_for_cert: object = None) -> int:
    """Write key.pem and cert.pem (the cert for `key_for_cert` if given); its serial."""
    key = pki.new_key()
    public = (key_for_cert or key).public_key()  # type: ignore[attr-defined]
    cert = pki.issue(CA, CA_KEY, public, "test", "localhost", ["localhost"])
    (directory / "key.pem").write_bytes(pki.key_pem(key))
    (directory / "cert.pem").write_bytes(pki.cert_pem(cert))
    return int(cert.serial_number)


def served_serial(tls: ReloadableTls) -> int:
    server_sock, client_sock = socket.socketpair()
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            with tls.context.wrap_socket(server_sock, server_side=True) as conn:
                conn.recv(1)
        except (OSError, ssl.SSLError) as exc:
            errors.append(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cadata=pki.cert_pem(CA).decode())
    with client.wrap_socket(client_sock, server_hostname="localhost") as conn:
        der = conn.getpeercert(binary_form=True)
        conn.sendall(b"x")
    thread.join(10)
    assert not errors and der is not None
    return int(x509.load_der_x509_certificate(der).serial_number)


def make(directory: Path) -> ReloadableTls:
    def build() -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(directory / "cert.pem"), str(directory / "key.pem"))
        return ctx
    return ReloadableTls(build, str(directory / "cert.pem"))


def test_reload_switches_new_handshakes_to_the_new_files(tmp_path: Path) -> None:
    first = write_pair(tmp_path)
    tls = make(tmp_path)
    assert served_serial(tls) == first
    second = write_pair(tmp_path)  # a new key as well
    assert served_serial(tls) == first  # nothing changes before the reload
    expiry = pki.load_cert(str(tmp_path / "cert.pem")).not_valid_after_utc.timestamp()
    assert tls.reload() is True
    assert served_serial(tls) == second
    assert tls.reloads == 1
    assert tls.not_after == expiry


def test_a_failed_reload_keeps_the_current_certificate(tmp_path: Path) -> None:
    first = write_pair(tmp_path)
    tls = make(tmp_path)
    write_pair(tmp_path, key_for_cert=pki.new_key())  # certificate of another key
    assert tls.reload() is False
    assert served_serial(tls) == first
    os.unlink(tmp_path / "cert.pem")
    assert tls.reload() is False
    assert served_serial(tls) == first
    assert tls.reloads == 0
