"""A private OVN central: NB and SB ovsdb-servers and ovn-northd on loopback ports.

`ovn-provider serve --embedded-ovn DIR` runs one when no NB is configured, and the test
fixtures run one per test session. Optionally the NB and the SB are RAFT clusters
(tests/ha runs 3-member ones).
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
    sb_cluster_size: int = 1
    host: str = "127.0.0.1"
    nb: list[DbServer] = field(default_factory=list)
    sb: DbServer | None = None  # the first SB server
    sbs: list[DbServer] = field(default_factory=list)  # every SB server (cluster members)
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
        return ",".join(server.remote for server in self.sbs or [self.sb])

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

    def _cluster(self, kind: str, size: int, schema: str, db_name: str) -> list[DbServer]:
        """`size` database servers of `kind` ("nb"/"sb"): one standalone file, or the
        members of a RAFT cluster (the first creates it, the others join)."""
        env = self.env
        if size == 1:
            server = DbServer(kind, self.directory, free_port(),
                              os.path.join(self.directory, f"ovn{kind}.db"))
            if not os.path.exists(server.db_file):
                run(["ovsdb-tool", "create", server.db_file, schema], env=env)
            return [server]
        servers = [DbServer(f"{kind}{i}", self.directory, free_port(),
                            os.path.join(self.directory, f"ovn{kind}{i}.db"), free_port())
                   for i in range(1, size + 1)]
        first = servers[0]
        for server in servers:
            if os.path.exists(server.db_file):
                continue
            if server is first:
                run(["ovsdb-tool", "create-cluster", server.db_file, schema,
                     f"tcp:127.0.0.1:{server.raft_port}"], env=env)
            else:
                run(["ovsdb-tool", "join-cluster", server.db_file, db_name,
                     f"tcp:127.0.0.1:{server.raft_port}",
                     f"tcp:127.0.0.1:{first.raft_port}"], env=env)
        return servers

    def _wait_joined(self, servers: list[DbServer], db_name: str) -> None:
        for server in servers:
            wait_for(lambda s=server: "Role:" in run(
                ["ovs-appctl", "-t", s.ctl, "cluster/status", db_name],
                env=self.env, check=False), 10, f"{server.name} joins the cluster")

    def _create(self) -> None:
        env = self.env
        self.nb = self._cluster("nb", self.nb_cluster_size, NB_SCHEMA, "OVN_Northbound")
        self.sbs = self._cluster("sb", self.sb_cluster_size, SB_SCHEMA, "OVN_Southbound")
        self.sb = self.sbs[0]
        for server in [*self.nb, *self.sbs]:
            self._start_db(server)
        if self.nb_cluster_size > 1:
            self._wait_joined(self.nb, "OVN_Northbound")
        if self.sb_cluster_size > 1:
            self._wait_joined(self.sbs, "OVN_Southbound")
        run(["ovn-nbctl", f"--db={self.nb_remote}", "--no-wait", "--timeout=20", "init"], env=env)
        run(["ovn-sbctl", f"--db={self.sb_remote}", "--timeout=20", "init"], env=env)
        run(["ovn-northd", f"--ovnnb-db={self._northd_remote(self.nb)}",
             f"--ovnsb-db={self._northd_remote(self.sbs)}",
             "--detach", "--no-chdir", f"--pidfile={self.northd_pidfile}",
             f"--log-file={os.path.join(self.directory, 'northd.log')}",
             f"--unixctl={os.path.join(self.directory, 'northd.ctl')}"], env=env)
        run(["ovn-nbctl", f"--db={self.nb_remote}", "--timeout=20", "--wait=sb", "sync"], env=env)

    @staticmethod
    def _northd_remote(servers: list[DbServer]) -> str:
        """ovn-northd reaches a standalone database over its unix socket, as ovn-ctl starts
        it on a central host: no inactivity probe runs on a unix socket, so a recompute
        or a resync that keeps northd or the server busy for seconds (20,000 ports) does
        not drop the session and start the resync again. A cluster: every member's TCP
        remote."""
        if len(servers) == 1:
            return f"unix:{servers[0].sock}"
        return ",".join(server.remote for server in servers)

    def stop_db(self, server: DbServer) -> None:
        """Stop one database server (failover and outage tests)."""
        stop_pidfile(server.pidfile, self.directory)

    def start_db(self, server: DbServer) -> None:
        """Start a stopped database server again, on the same ports."""
        self._start_db(server)

    def nb_leader(self) -> DbServer:
        return self._leader(self.nb, "OVN_Northbound")

    def sb_leader(self) -> DbServer:
        return self._leader(self.sbs, "OVN_Southbound")

    def _leader(self, servers: list[DbServer], database: str) -> DbServer:
        for server in servers:
            status = run(["ovs-appctl", "-t", server.ctl, "cluster/status", database],
                         env=self.env, check=False)
            if "Role: leader" in status:
                return server
        raise DaemonError(f"no {database} cluster leader")

    def nbctl(self, *args: str) -> str:
        return run(["ovn-nbctl", f"--db={self.nb_remote}", "--timeout=20", *args], env=self.env)

    def sbctl(self, *args: str) -> str:
        return run(["ovn-sbctl", f"--db={self.sb_remote}", "--timeout=20", *args], env=self.env)

    def stop(self, remove: bool = False) -> None:
        if not self.started:
            return
        stop_pidfile(self.northd_pidfile, self.directory)
        for server in [*self.nb, *(self.sbs or ([self.sb] if self.sb else []))]:
            stop_pidfile(server.pidfile, self.directory)
        self.started = False
        if remove:
            shutil.rmtree(self.directory, ignore_errors=True)
