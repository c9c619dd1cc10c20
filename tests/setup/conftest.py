"""Fixtures of the setup tests: a private OVN central whose databases take their SSL and
listen settings from the database (as Debian's ovn-ctl starts them), on loopback ports."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from ovn_provider import cli
from ovn_provider.ovn.central import Central, DbServer
from ovn_provider.ovn.daemons import free_port, run

SSL_OPTIONS = (("private-key", "private_key"), ("certificate", "certificate"),
               ("ca-cert", "ca_cert"), ("ssl-protocols", "ssl_protocols"),
               ("ssl-ciphers", "ssl_ciphers"))


class SslCentral(Central):
    """A Central whose ovsdb-servers also read `connections` and `SSL` from their own
    database (`--remote=db:...`, `--private-key=db:...`), like a packaged central."""

    def _start_db(self, server: DbServer) -> None:
        nb = server.name.startswith("nb")
        schema, table = ("OVN_Northbound", "NB_Global") if nb else ("OVN_Southbound",
                                                                   "SB_Global")
        run(["ovsdb-server", server.db_file, f"--remote=punix:{server.sock}",
             f"--remote=ptcp:{server.port}:{self.host}",
             f"--remote=db:{schema},{table},connections",
             *[f"--{opt}=db:{schema},SSL,{col}" for opt, col in SSL_OPTIONS],
             "--detach", "--no-chdir", f"--pidfile={server.pidfile}",
             f"--log-file={os.path.join(self.directory, server.name + '.log')}",
             f"--unixctl={server.ctl}"], env=self.env)


@contextlib.contextmanager
def ssl_central() -> Iterator[SslCentral]:
    if shutil.which("ovsdb-server") is None or shutil.which("ovn-northd") is None:
        pytest.fail("OVN is not installed: run `make test` (it installs ovn-central)")
    bed = SslCentral(tempfile.mkdtemp(prefix="ovnp-setup-central-"))
    try:
        bed.start()
        yield bed
    finally:
        bed.stop(remove=True)


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@dataclass
class SetupBed:
    """One central, one prefix, the pssl ports setup is told to use."""

    central: SslCentral
    prefix: str
    nb_port: int
    sb_port: int

    def args(self, *extra: str) -> list[str]:
        return ["setup", "--prefix", self.prefix,
                "--nb-db", f"unix:{self.central.nb[0].sock}",
                "--sb-db", f"unix:{self.central.sb.sock if self.central.sb else ''}",
                "--nb-listen", f"pssl:{self.nb_port}:127.0.0.1",
                "--sb-listen", f"pssl:{self.sb_port}:127.0.0.1",
                "--fqdn", "localhost", "--san", "127.0.0.1", *extra]

    def setup(self, *extra: str) -> Outcome:
        """`ovn-provider setup` in process (its ovn-nbctl/ovn-sbctl calls are real)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(self.args(*extra))
        return Outcome(code, out.getvalue(), err.getvalue())

    def etc(self, *parts: str) -> str:
        return os.path.join(self.prefix, "etc/ovirt-provider-ovn", *parts)

    @property
    def ca(self) -> str:
        return self.etc("pki", "ca.pem")

    def cert(self, role: str) -> str:
        return self.etc("pki", "certs", f"{role}.cer")

    def key(self, role: str) -> str:
        return self.etc("pki", "keys", f"{role}.key.nopass")

    @property
    def conf(self) -> str:
        return self.etc("conf.d", "20-ovn-provider-setup.conf")


@pytest.fixture(scope="module")
def setup_central() -> Iterator[SslCentral]:
    with ssl_central() as bed:
        yield bed


@pytest.fixture()
def bed_factory(setup_central: SslCentral) -> Iterator[Callable[[], SetupBed]]:
    """A fresh prefix (removed afterwards) on the module's central."""
    made: list[str] = []

    def make() -> SetupBed:
        prefix = tempfile.mkdtemp(prefix="ovnp-setup-root-")
        made.append(prefix)
        return SetupBed(setup_central, prefix, free_port(), free_port())

    try:
        yield make
    finally:
        for prefix in made:
            shutil.rmtree(prefix, ignore_errors=True)


def snapshot(root: str) -> dict[str, tuple[int, int, bytes]]:
    """Every file under `root`: (mode, mtime_ns, content)."""
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            st = os.stat(path)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root)] = (st.st_mode & 0o7777, st.st_mtime_ns,
                                                      handle.read())
    return files
