"""A private OVN central: NB and SB ovsdb-servers and ovn-northd on loopback ports.

`ovn-provider serve --embedded-ovn DIR` runs one when no NB is configured, and the test
fixtures run one per test session. Optionally the NB is a 3-member RAFT cluster.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from ovn_provider.ovn.daemons import DaemonError, free_port, ovs_env, run, stop_pidfile, wait_for

NB_SCHEMA = "/usr/share/ovn/ovn-nb.ovsschema"
SB_SCHEMA = "/usr/share/ovn/ovn-sb.ovsschema"


@dataclass
class DbServer:
    name: str
    directory: str
    port: int
    db_file: str
    raft_port: int | None = None

    @property
    def pidfile(self) -> str:
        return os.path.join(self.directory, f"{self.name}.pid")

    @property
    def ctl(self) -> str:
        return os.path.join(self.directory, f"{self.name}.ctl")

    @property
    def sock(self) -> str:
        return os.path.join(self.directory, f"{self.name}.sock")

    @property
    def remote(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"


@dataclass
class Central:
    """Everything lives under `directory`; `start()` then `stop()` (idempotent)."""

    directory: str
    nb_cluster_size: int = 1
    host: str = "127.0.0.1"
    nb: list[DbServer] = field(default_factory=list)
    sb: DbServer | None = None
    started: bool = False

    @property
    def env(self) -> dict[str, str]:
        return ovs_env(self.directory)

    @property
    def nb_remote(self) -> str:
        return ",".join(server.remote for server in self.nb)

    @property
    def sb_remote(self) -> str:
        assert self.sb is not None
        return self.sb.remote

    @property
    def northd_pidfile(self) -> str:
        return os.path.join(self.directory, "northd.pid")

    def _start_db(self, server: DbServer) -> None:
        run(["ovsdb-server", server.db_file,
             f"--remote=punix:{server.sock}", f"--remote=ptcp:{server.port}:{self.host}",
             "--detach", "--no-chdir", f"--pidfile={server.pidfile}",
             f"--log-file={os.path.join(self.directory, server.name + '.log')}",
             f"--unixctl={server.ctl}"], env=self.env)

    def start(self) -> Central:
        os.makedirs(self.directory, exist_ok=True)
        self.started = True
        try:
            self._create()
        except BaseException:
            self.stop()
            raise
        return self

    def _create(self) -> None:
        env = self.env
        if self.nb_cluster_size == 1:
            server = DbServer("nb", self.directory, free_port(),
                              os.path.join(self.directory, "ovnnb.db"))
            if not os.path.exists(server.db_file):
                run(["ovsdb-tool", "create", server.db_file, NB_SCHEMA], env=env)
            self.nb = [server]
        else:
            self.nb = [DbServer(f"nb{i}", self.directory, free_port(),
                                os.path.join(self.directory, f"ovnnb{i}.db"), free_port())
                       for i in range(1, self.nb_cluster_size + 1)]
            first = self.nb[0]
            for server in self.nb:
                if os.path.exists(server.db_file):
                    continue
                if server is first:
                    run(["ovsdb-tool", "create-cluster", server.db_file, NB_SCHEMA,
                         f"tcp:127.0.0.1:{server.raft_port}"], env=env)
                else:
                    run(["ovsdb-tool", "join-cluster", server.db_file, "OVN_Northbound",
                         f"tcp:127.0.0.1:{server.raft_port}",
                         f"tcp:127.0.0.1:{first.raft_port}"], env=env)
        self.sb = DbServer("sb", self.directory, free_port(),
                           os.path.join(self.directory, "ovnsb.db"))
        if not os.path.exists(self.sb.db_file):
            run(["ovsdb-tool", "create", self.sb.db_file, SB_SCHEMA], env=env)
        for server in [*self.nb, self.sb]:
            self._start_db(server)
        if self.nb_cluster_size > 1:
            for server in self.nb:
                wait_for(lambda s=server: "Role:" in run(
                    ["ovs-appctl", "-t", s.ctl, "cluster/status", "OVN_Northbound"],
                    env=env, check=False), 10, f"{server.name} joins the cluster")
        run(["ovn-nbctl", f"--db={self.nb_remote}", "--no-wait", "--timeout=20", "init"], env=env)
        run(["ovn-sbctl", f"--db={self.sb_remote}", "--timeout=20", "init"], env=env)
        run(["ovn-northd", f"--ovnnb-db={self.nb_remote}", f"--ovnsb-db={self.sb_remote}",
             "--detach", "--no-chdir", f"--pidfile={self.northd_pidfile}",
             f"--log-file={os.path.join(self.directory, 'northd.log')}",
             f"--unixctl={os.path.join(self.directory, 'northd.ctl')}"], env=env)
        run(["ovn-nbctl", f"--db={self.nb_remote}", "--timeout=20", "--wait=sb", "sync"], env=env)

    def stop_db(self, server: DbServer) -> None:
        """Stop one database server (failover and outage tests)."""
        stop_pidfile(server.pidfile, self.directory)

    def start_db(self, server: DbServer) -> None:
        """Start a stopped database server again, on the same ports."""
        self._start_db(server)

    def nb_leader(self) -> DbServer:
        for server in self.nb:
            status = run(["ovs-appctl", "-t", server.ctl, "cluster/status", "OVN_Northbound"],
                         env=self.env, check=False)
            if "Role: leader" in status:
                return server
        raise DaemonError("no NB cluster leader")

    def nbctl(self, *args: str) -> str:
        return run(["ovn-nbctl", f"--db={self.nb_remote}", "--timeout=20", *args], env=self.env)

    def sbctl(self, *args: str) -> str:
        return run(["ovn-sbctl", f"--db={self.sb_remote}", "--timeout=20", *args], env=self.env)

    def stop(self, remove: bool = False) -> None:
        if not self.started:
            return
        stop_pidfile(self.northd_pidfile, self.directory)
        for server in [*self.nb, *([self.sb] if self.sb else [])]:
            stop_pidfile(server.pidfile, self.directory)
        self.started = False
        if remove:
            shutil.rmtree(self.directory, ignore_errors=True)
