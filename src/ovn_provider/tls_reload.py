"""The API servers' TLS context, reloadable: on SIGHUP new connections get the certificate,
key and CA files as they are on disk now (docs/setup.md, "Renewal").

The servers keep one base `SSLContext` for their whole life. Its SNI callback, which
OpenSSL runs for every ClientHello (with or without a server name), points the new
connection at the current context. `reload()` builds a complete new context from the files
first and swaps it in with one assignment, so a handshake sees either the old or the new
certificate, never a half-loaded one, and connections already open are untouched. A reload
that fails (missing file, key not matching the certificate) keeps the old context and says
why.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable

LOG = logging.getLogger(__name__)


def not_after(cert_file: str | None) -> float | None:
    """The expiry (Unix time) of the first certificate in `cert_file`, None if unreadable."""
    if not cert_file:
        return None
    try:
        from cryptography import x509

        with open(cert_file, "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
        return cert.not_valid_after_utc.timestamp()
    except (OSError, ValueError):
        return None


class ReloadableTls:
    """`context` goes to the servers once; `reload()` changes what new handshakes get.
    `not_after` is the expiry of the certificate new connections get (for metrics)."""

    def __init__(self, build: Callable[[], ssl.SSLContext], cert_file: str | None = None
                 ) -> None:
        self._build = build
        self._cert_file = cert_file
        self.current = build()
        self.context = build()
        self.context.sni_callback = self._pick
        self.reloads = 0
        self.not_after = not_after(cert_file)

    def _pick(self, conn: ssl.SSLObject | ssl.SSLSocket, server_name: str | None,
              base: ssl.SSLContext) -> None:
        current = self.current
        if current is not base:
            conn.context = current

    def reload(self) -> bool:
        try:
            fresh = self._build()
        except Exception as exc:  # keep serving with the old certificate
            LOG.error("TLS reload failed, keeping the current certificate: %s", exc)
            return False
        self.current = fresh
        self.not_after = not_after(self._cert_file)
        self.reloads += 1
        LOG.info("TLS certificate, key and CA files reloaded for new connections")
        return True
