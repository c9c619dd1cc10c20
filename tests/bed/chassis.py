"""A private hypervisor chassis for tests: its own conf.db, ovs-vswitchd and ovn-controller.

Follows shared/notes/ovn-testbed.md:
- `conf.db` served by an ovsdb-server on `punix:DIR/db.sock` (root namespace);
- `ovs-vswitchd --disable-system` (userspace datapath) inside the chassis' own network
  namespace, so that the taps of two chassis never collide;
- `ovn-controller` in the root namespace (it must reach the central on 127.0.0.1), with
  OVN_RUNDIR=DIR so that `ovn-appctl -t ovn-controller` finds it through DIR.

The class deliberately configures nothing for ovn-controller (no ovn-remote, no encap, no
system-id unless asked, like ovs-ctl reading system-id.conf would): that is the driver's
job, and the functional tests prove that `ovn-provider-driver configure` does it.

Teardown signals only the PIDs of the bed's own pidfiles (checking that /proc/PID/cmdline
still names the bed directory) and deletes only namespaces this object created.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from ovn_provider.ovn.daemons import ovs_env, run, stop_pidfile, wait_for

VSWITCH_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


def netns_exists(name: str) -> bool:
    return os.path.exists(os.path.join("/run/netns", name))


def add_netns(name: str) -> None:
    """Create namespace `name` with its loopback up; fails if it already exists."""
    if netns_exists(name):
        raise RuntimeError(f"network namespace {name} already exists")
    run(["ip", "netns", "add", name])
    run(["ip", "-n", name, "link", "set", "lo", "up"])


def del_netns(name: str) -> None:
    if netns_exists(name):
        run(["ip", "netns", "del", name], check=False)


@dataclass
class Chassis:
    """One hypervisor. `start()` then `stop()`; `stop()` is safe after a failed start."""

    name: str
    netns: str
    directory: str = ""
    system_id: str | None = None
    remove_dir: bool = True
    _created_dir: bool = field(default=False, repr=False)
    _created_netns: bool = field(default=False, repr=False)

    # -- locations -----------------------------------------------------------------
    @property
    def db_sock(self) -> str:
        return os.path.join(self.directory, "db.sock")

    @property
    def ovs_db(self) -> str:
        return f"unix:{self.db_sock}"

    @property
    def env(self) -> dict[str, str]:
        return ovs_env(self.directory)

    def pidfile(self, daemon: str) -> str:
        return os.path.join(self.directory, f"{daemon}.pid")

    def _log(self, daemon: str) -> str:
        return os.path.join(self.directory, f"{daemon}.log")

    def driver_env(self) -> dict[str, str]:
        """The environment that points `ovn-provider-driver` at this chassis."""
        env = self.env
        env.update({
            "OVN_PROVIDER_OVS_DB": self.ovs_db,
            "OVN_PROVIDER_OVS_RUNDIR": self.directory,
            "OVN_PROVIDER_OVN_RUNDIR": self.directory,
            "OVN_PROVIDER_OVS_NETNS": self.netns,
            "OVN_PROVIDER_SERVICE_MANAGER": "none",
        })
        return env

    def driver_args(self) -> list[str]:
        """The same as global command-line options of `ovn-provider-driver`."""
        return ["--ovs-db", self.ovs_db, "--ovs-rundir", self.directory,
                "--ovn-rundir", self.directory, "--ovs-netns", self.netns,
                "--service-manager", "none"]

    # -- life cycle ----------------------------------------------------------------
    def start(self) -> Chassis:
        if not self.directory:
            self.directory = tempfile.mkdtemp(prefix=f"ovnp-chassis-{self.name}-")
            self._created_dir = True
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        env = self.env
        conf_db = os.path.join(self.directory, "conf.db")
        if not os.path.exists(conf_db):
            run(["ovsdb-tool", "create", conf_db, VSWITCH_SCHEMA], env=env)
        run(["ovsdb-server", conf_db, f"--remote=punix:{self.db_sock}",
             "--detach", "--no-chdir", f"--pidfile={self.pidfile('ovsdb-server')}",
             f"--log-file={self._log('ovsdb-server')}",
             f"--unixctl={os.path.join(self.directory, 'ovsdb-server.ctl')}"], env=env)
        # What ovs-ctl does at start-up: the Open_vSwitch row (and system-id.conf's id).
        self.vsctl("--no-wait", "init")
        if self.system_id:
            self.vsctl("--no-wait", "set", "Open_vSwitch", ".",
                       f'external_ids:system-id="{self.system_id}"')
        add_netns(self.netns)
        self._created_netns = True
        run(["ip", "netns", "exec", self.netns, "ovs-vswitchd", self.ovs_db,
             "--disable-system", "--detach", "--no-chdir",
             f"--pidfile={self.pidfile('ovs-vswitchd')}",
             f"--log-file={self._log('ovs-vswitchd')}",
             f"--unixctl={os.path.join(self.directory, 'ovs-vswitchd.ctl')}"], env=env)
        run(["ovn-controller", self.ovs_db, "--detach", "--no-chdir",
             f"--pidfile={self.pidfile('ovn-controller')}",
             f"--log-file={self._log('ovn-controller')}"], env=env)
        wait_for(lambda: os.path.exists(self.pidfile("ovn-controller")), 5,
                 "ovn-controller pidfile")
        # ovn-controller's first run creates br-int, then writes vlan-limit (and its
        # chassis index) into Open_vSwitch other_config: a test that compares the switch
        # before and after a driver call starts after both, not in the middle.
        wait_for(lambda: "vlan-limit" in self.ovs_map("other_config")
                 and "br-int" in self.vsctl("list-br").split(), 20,
                 "ovn-controller's first run (br-int, other_config:vlan-limit)")

    def stop(self) -> None:
        """Stop the daemons by pidfile, delete our namespace and directory. Never raises."""
        if self.directory:
            for daemon in ("ovn-controller", "ovs-vswitchd", "ovsdb-server"):
                try:
                    stop_pidfile(self.pidfile(daemon), self.directory)
                except OSError:
                    pass
        if self._created_netns:
            del_netns(self.netns)
            self._created_netns = False
        if self._created_dir and self.remove_dir:
            shutil.rmtree(self.directory, ignore_errors=True)
            self._created_dir = False

    # -- helpers for tests ---------------------------------------------------------
    def vsctl(self, *args: str) -> str:
        return run(["ovs-vsctl", f"--db={self.ovs_db}", "--timeout=10", *args], env=self.env)

    def ovs_map(self, column: str) -> dict[str, str]:
        """A map column of the Open_vSwitch row (external_ids, other_config) as a dict."""
        out = self.vsctl("--format=json", "--data=json", f"--columns={column}", "list",
                         "Open_vSwitch")
        cell = json.loads(out)["data"][0][0]
        return {key: value for key, value in cell[1]}

    def controller_alive(self) -> bool:
        try:
            with open(self.pidfile("ovn-controller"), encoding="ascii") as handle:
                pid = int(handle.read().strip())
        except (OSError, ValueError):
            return False
        return os.path.exists(f"/proc/{pid}") and self.directory in _cmdline(pid)

    def ip(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`ip` inside the chassis namespace (where vswitchd creates its taps)."""
        return subprocess.run(["ip", "-n", self.netns, *args], capture_output=True,
                              text=True, timeout=10, check=False)


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
