"""A two-hypervisor OVN dataplane for end-to-end tests: chassis, underlay, "VMs".

Topology (every name carries the run prefix `ope2e<pid>-`; addresses exist only inside
these namespaces):

    <prefix>fabric  Linux bridge `fab`: the geneve/vxlan underlay
        veth `hvN` <-> `uplink` in <prefix>hvN, a port of br-phy (netdev); br-phy's internal
        port holds the encap IP 192.168.50.N/24
    <prefix>ext     Linux bridge `ext` (172.16.0.1/24, the "upstream router" of the flat
                    provider network; it forwards VLAN-tagged frames unchanged: this
                    kernel has neither 8021q nor bridge VLAN filtering)
        veth `hvN` <-> `exup` in <prefix>hvN, a port of br-ex, which the driver creates
        from `--bridge-mappings physnet:br-ex`
    <prefix>hvN     ovs-vswitchd of chassis N (tests/bed/chassis.py); its ovsdb-server and
                    ovn-controller run in the root namespace
    <prefix>vmN     a "VM": an OVS internal port plugged by `ovn-provider-driver plug`

The chassis are made OVN chassis only by `ovn-provider-driver configure`; the bed itself
wires only the "physical" side (br-phy, the uplinks). Teardown stops only processes this
bed started (by their PID, checked against the bed directory) and deletes only its own
namespaces and directory.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import read_pid
from tests.bed.chassis import Chassis, add_netns, del_netns

PREFIX = f"ope2e{os.getpid()}-"
UNDERLAY = "192.168.50"  # .N/24 is the encap IP of chassis N
PHYSNET = "physnet"
EXT_BRIDGE = "br-ex"
EXT_HOST = "172.16.0.1"  # on the flat provider network (the routers' next hop)
EXT_CIDR = "172.16.0.0/24"
ENCAP_PORTS = {"geneve": 6081, "vxlan": 4789}


class BedError(AssertionError):
    pass


def sh(*cmd: str, netns: str | None = None, check: bool = True, timeout: float = 20,
       env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command (inside `netns` when given); `check` raises with its output."""
    argv = ["ip", "netns", "exec", netns, *cmd] if netns else list(cmd)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          check=False, env=env)
    if check and proc.returncode != 0:
        raise BedError(f"{' '.join(argv)} failed ({proc.returncode}):\n"
                       f"{proc.stdout}{proc.stderr}")
    return proc


def poll(predicate: Callable[[], Any], timeout: float, what: str,
         interval: float = 0.1) -> Any:
    """The first truthy value of `predicate()` before the deadline, else BedError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise BedError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def driver_command() -> list[str]:
    """`ovn-provider-driver` as installed beside this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("ovn-provider-driver")
    if script.exists():
        return [str(script)]
    found = shutil.which("ovn-provider-driver")
    return [found] if found else [sys.executable, "-m", "ovn_provider.driver.cli"]


def _pid_owned(pid: int, marker: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return marker in handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False


def kill_pidfile(pidfile: str, marker: str) -> None:
    """SIGTERM, then SIGKILL, the process of `pidfile` if its command line names `marker`."""
    pid = read_pid(pidfile)
    if pid is None or not _pid_owned(pid, marker):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if not os.path.exists(f"/proc/{pid}") or _zombie(pid):
                return
            time.sleep(0.02)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


@dataclass
class Hypervisor:
    index: int
    chassis: Chassis
    system_id: str
    encap_ip: str

    @property
    def netns(self) -> str:
        return self.chassis.netns

    @property
    def fabric_port(self) -> str:
        """Its uplink's end in the fabric namespace (and in the ext namespace)."""
        return f"hv{self.index}"


@dataclass
class Vm:
    """A namespace with one NIC (an OVS internal port bound to a Neutron port)."""

    name: str
    netns: str
    hv: Hypervisor
    port_id: str
    mac: str
    ifname: str
    directory: str

    def sh(self, *cmd: str, check: bool = True,
           timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return sh(*cmd, netns=self.netns, check=check, timeout=timeout)

    def ping(self, dst: str, count: int = 1, wait: float = 1,
             interval: float = 0.2) -> subprocess.CompletedProcess[str]:
        return self.sh("ping", "-n", "-c", str(count), "-i", str(interval), "-W", str(wait),
                       dst, check=False, timeout=count * (interval + wait) + 10)

    def wait_ping(self, dst: str, timeout: float = 20) -> str:
        """Poll until one echo gets an answer; the successful ping's output."""
        result: list[str] = []

        def once() -> bool:
            proc = self.ping(dst)
            result[:] = [proc.stdout]
            return proc.returncode == 0

        poll(once, timeout, f"{self.name} ({self.hv.system_id}) to reach {dst}", interval=0)
        return result[0]

    def wait_no_ping(self, dst: str, timeout: float = 20) -> None:
        """Poll until an echo goes unanswered (a change took effect)."""
        poll(lambda: self.ping(dst, wait=0.5).returncode != 0, timeout,
             f"{self.name} to stop reaching {dst}", interval=0)

    def received(self, dst: str, count: int = 3) -> int:
        """How many of `count` echoes to `dst` were answered."""
        out = self.ping(dst, count=count, wait=1).stdout
        for line in out.splitlines():
            if "packets transmitted" in line:
                return int(line.split(",")[1].split()[0])
        return 0

    def set_ipv4(self, cidr: str, gateway: str | None = None, mtu: int | None = None) -> None:
        self.sh("ip", "addr", "add", cidr, "dev", self.ifname)
        if mtu:
            self.sh("ip", "link", "set", self.ifname, "mtu", str(mtu))
        if gateway:
            self.sh("ip", "route", "replace", "default", "via", gateway)

    def link(self) -> dict[str, Any]:
        return json.loads(self.sh("ip", "-j", "-d", "link", "show", self.ifname).stdout)[0]


class Capture:
    """tcpdump in a namespace, started before the traffic. `until(predicate)` reads its
    lines until predicate(lines) holds or the deadline passes (other traffic on the wire,
    e.g. IPv6 neighbour discovery, only adds lines)."""

    def __init__(self, netns: str, iface: str, bpf: str, options: Sequence[str] = ()) -> None:
        self.argv = ["ip", "netns", "exec", netns, "tcpdump", "-n", "-l", "-i", iface,
                     "--immediate-mode", *options, bpf]
        self.proc: subprocess.Popen[bytes] | None = None
        self.seen: list[str] = []
        self._partial = b""

    def start(self) -> Capture:
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        assert self.proc.stderr is not None
        # tcpdump says "listening on IFACE" once the socket is attached.
        said = ""
        deadline = time.monotonic() + 10
        fd = self.proc.stderr.fileno()
        while "listening on" not in said:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.stop()
                raise BedError(f"tcpdump did not start: {' '.join(self.argv)}: {said}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                said += os.read(fd, 4096).decode(errors="replace")
        return self

    def until(self, predicate: Callable[[list[str]], bool], timeout: float = 10
              ) -> list[str]:
        """The captured lines once `predicate` holds for them, or when time is up."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while not predicate(self.seen):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            *complete, self._partial = (self._partial + chunk).split(b"\n")
            self.seen += [line.decode(errors="replace") for line in complete if line.strip()]
        return list(self.seen)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.communicate()


@dataclass
class Bed:
    """Central (given), two chassis, fabric and ext namespaces; VMs on demand."""

    central: Central | None = None
    directory: str = ""
    prefix: str = PREFIX
    hypervisors: list[Hypervisor] = field(default_factory=list)
    extra_chassis: list[Chassis] = field(default_factory=list)
    vms: list[Vm] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    pidfiles: list[str] = field(default_factory=list)
    captures: list[Capture] = field(default_factory=list)
    driver: list[str] = field(default_factory=driver_command)
    _vm_count: int = 0

    @property
    def fabric_ns(self) -> str:
        return f"{self.prefix}fabric"

    @property
    def ext_ns(self) -> str:
        return f"{self.prefix}ext"

    @property
    def ovn(self) -> Central:
        assert self.central is not None, "the bed is not started"
        return self.central

    @property
    def sb_port(self) -> str:
        return self.ovn.sb_remote.rsplit(":", 1)[1]

    # -- life cycle ----------------------------------------------------------------------
    def start(self, count: int = 2) -> Bed:
        if not self.directory:
            self.directory = tempfile.mkdtemp(prefix=self.prefix)
        try:
            if self.central is None:
                self.central = Central(os.path.join(self.directory, "central"))
            if not self.central.started:
                self.central.start()
            self._netns(self.fabric_ns)
            sh("ip", "link", "add", "fab", "type", "bridge", netns=self.fabric_ns)
            sh("ip", "link", "set", "fab", "up", netns=self.fabric_ns)
            self._netns(self.ext_ns)
            for cmd in (["ip", "link", "add", "ext", "type", "bridge"],
                        ["ip", "link", "set", "ext", "up"],
                        ["ip", "addr", "add", f"{EXT_HOST}/24", "dev", "ext"]):
                sh(*cmd, netns=self.ext_ns)
            for index in range(1, count + 1):
                self.hypervisors.append(self._hypervisor(index))
            for hv in self.hypervisors:
                self.configure(hv)
            for hv in self.hypervisors:
                self._wire_ext(hv)
            self.wait_tunnels("geneve")
        except BaseException:
            self.stop()
            raise
        return self

    def _netns(self, name: str) -> str:
        add_netns(name)
        self.namespaces.append(name)
        return name

    def new_chassis(self, stem: str) -> Chassis:
        """A bare chassis (daemons, no OVN settings), stopped with the bed."""
        directory = os.path.join(self.directory, stem)
        os.makedirs(directory)
        chassis = Chassis(name=stem, netns=f"{self.prefix}{stem}", directory=directory)
        self.extra_chassis.append(chassis)
        return chassis.start()

    def _hypervisor(self, index: int) -> Hypervisor:
        chassis = self.new_chassis(f"hv{index}")
        hv = Hypervisor(index, chassis, f"{self.prefix}hv{index}", f"{UNDERLAY}.{index}")
        # underlay: br-phy (netdev) with the encap IP on its internal port, uplinked by a
        # veth into the fabric bridge
        sh("ip", "link", "add", "uplink", "netns", hv.netns, "type", "veth", "peer", "name",
           hv.fabric_port, "netns", self.fabric_ns)
        sh("ip", "link", "set", hv.fabric_port, "master", "fab", "up", netns=self.fabric_ns)
        sh("ip", "link", "set", "uplink", "up", netns=hv.netns)
        chassis.vsctl("--may-exist", "add-br", "br-phy", "--", "set", "Bridge", "br-phy",
                      "datapath_type=netdev", "--", "--may-exist", "add-port", "br-phy",
                      "uplink")
        poll(lambda: chassis.ip("link", "show", "br-phy").returncode == 0, 10,
             "br-phy internal port")
        sh("ip", "addr", "add", f"{hv.encap_ip}/24", "dev", "br-phy", netns=hv.netns)
        sh("ip", "link", "set", "br-phy", "up", netns=hv.netns)
        # the "physical" network for localnet: a veth into the ext bridge (br-ex itself is
        # created by the driver from --bridge-mappings)
        sh("ip", "link", "add", "exup", "netns", hv.netns, "type", "veth", "peer", "name",
           hv.fabric_port, "netns", self.ext_ns)
        sh("ip", "link", "set", hv.fabric_port, "master", "ext", "up", netns=self.ext_ns)
        sh("ip", "link", "set", "exup", "up", netns=hv.netns)
        return hv

    def _wire_ext(self, hv: Hypervisor) -> None:
        bridges = hv.chassis.vsctl("list-br").split()
        if EXT_BRIDGE not in bridges:
            raise BedError(f"configure --bridge-mappings did not create {EXT_BRIDGE} on "
                           f"{hv.system_id}: {bridges}")
        hv.chassis.vsctl("--may-exist", "add-port", EXT_BRIDGE, "exup")

    def stop(self) -> None:
        """Everything this bed started, in reverse; never raises."""
        for capture in self.captures:
            capture.stop()
        for pidfile in self.pidfiles:
            kill_pidfile(pidfile, self.directory)
        for chassis in reversed(self.extra_chassis):
            chassis.stop()
        for name in reversed(self.namespaces):
            del_netns(name)
        self.namespaces.clear()
        if self.central is not None:
            self.central.stop()
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    # -- the driver ------------------------------------------------------------------------
    def run_driver(self, chassis: Chassis | None, *args: str,
                   check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [*self.driver, *(chassis.driver_args() if chassis else []), *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if check and proc.returncode != 0:
            raise BedError(f"{' '.join(argv)} failed ({proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
        return proc

    def configure_args(self, system_id: str, tunnel_ip: str, encap: str = "geneve",
                       mappings: bool = True) -> list[str]:
        args = ["configure", "--central-ip", "127.0.0.1", "--protocol", "tcp",
                "--sb-port", self.sb_port, "--tunnel-ip", tunnel_ip, "--encap", encap,
                "--host-fqdn", system_id, "--datapath-type", "netdev"]
        if mappings:
            args += ["--bridge-mappings", f"{PHYSNET}:{EXT_BRIDGE}"]
        return args

    def configure(self, hv: Hypervisor, encap: str = "geneve"
                  ) -> subprocess.CompletedProcess[str]:
        return self.run_driver(hv.chassis, *self.configure_args(hv.system_id, hv.encap_ip,
                                                                encap))

    # -- the southbound --------------------------------------------------------------------
    def sb_encaps(self) -> dict[str, tuple[str, str]]:
        """chassis name -> (encap type, encap ip) as the SB has them."""
        chassis = json.loads(self.ovn.sbctl("--format=json", "--columns=name,encaps",
                                                "list", "Chassis"))
        encaps = json.loads(self.ovn.sbctl("--format=json", "--columns=_uuid,type,ip",
                                               "list", "Encap"))
        by_uuid = {row[0][1]: (row[1], row[2]) for row in encaps["data"]}
        result = {}
        for name, refs in chassis["data"]:
            items = refs[1] if refs[0] == "set" else [refs]
            for ref in items:
                if ref[1] in by_uuid:
                    result[name] = by_uuid[ref[1]]
        return result

    def sb_chassis_names(self) -> set[str]:
        out = self.ovn.sbctl("--format=json", "--columns=name", "list", "Chassis")
        return {row[0] for row in json.loads(out)["data"]}

    def tunnels(self, hv: Hypervisor) -> list[dict[str, str]]:
        status = json.loads(self.run_driver(hv.chassis, "status", "--json").stdout)
        return list(status["tunnels"])

    def wait_tunnels(self, encap: str, timeout: float = 30) -> None:
        """Every hypervisor registered with `encap` and has a tunnel of that type to
        every other one."""
        want = {hv.system_id: (encap, hv.encap_ip) for hv in self.hypervisors}
        poll(lambda: all(self.sb_encaps().get(k) == v for k, v in want.items()), timeout,
             f"SB chassis with {encap} encaps {want}")

        def meshed() -> bool:
            for hv in self.hypervisors:
                peers = {t["chassis"] for t in self.tunnels(hv) if t["type"] == encap}
                if not set(want) - {hv.system_id} <= peers:
                    return False
            return True

        poll(meshed, timeout, f"{encap} tunnels between all hypervisors")

    # -- VMs --------------------------------------------------------------------------------
    def add_vm(self, hv: Hypervisor, port_id: str, mac: str) -> Vm:
        """A namespace plugged into `hv` for Neutron port `port_id` by the driver."""
        self._vm_count += 1
        name = f"vm{self._vm_count}"
        netns = self._netns(f"{self.prefix}{name}")
        # no DAD: IPv6 addresses are usable at once (DHCPv6 needs the link-local one)
        sh("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
           "net.ipv6.conf.default.accept_dad=0", netns=netns)
        directory = os.path.join(self.directory, name)
        os.makedirs(directory)
        vm = Vm(name, netns, hv, port_id, mac, name, directory)
        self.vms.append(vm)
        self.run_driver(hv.chassis, "plug", port_id, "--ifname", name, "--netns", netns,
                        "--mac", mac, "--internal")
        return vm

    def remove_vm(self, vm: Vm) -> None:
        for pidfile in (os.path.join(vm.directory, "dhclient4.pid"),
                        os.path.join(vm.directory, "dhclient6.pid")):
            kill_pidfile(pidfile, self.directory)
        self.run_driver(vm.hv.chassis, "unplug", "--ifname", vm.ifname, check=False)
        del_netns(vm.netns)
        if vm.netns in self.namespaces:
            self.namespaces.remove(vm.netns)
        if vm in self.vms:
            self.vms.remove(vm)

    @contextmanager
    def capture(self, netns: str, iface: str, bpf: str,
                options: Sequence[str] = ()) -> Iterator[Capture]:
        cap = Capture(netns, iface, bpf, options)
        self.captures.append(cap)
        try:
            yield cap.start()
        finally:
            cap.stop()
            self.captures.remove(cap)

    def dhclient(self, vm: Vm, version: int = 4, timeout: float = 30) -> dict[str, str]:
        """Run ISC dhclient once in `vm` with a private config and -sf script that only
        records what it is told (it never touches the interface or /etc/resolv.conf).
        The variables of the BOUND (BOUND6) call; the client is stopped afterwards."""
        tag = f"dhclient{version}"
        conf = os.path.join(vm.directory, f"{tag}.conf")
        script = os.path.join(vm.directory, f"{tag}.sh")
        record = os.path.join(vm.directory, f"{tag}.env")
        lease = os.path.join(vm.directory, f"{tag}.leases")
        pidfile = os.path.join(vm.directory, f"{tag}.pid")
        with open(conf, "w", encoding="ascii") as handle:
            if version == 4:
                handle.write("timeout 20;\nretry 1;\nrequest subnet-mask, broadcast-address, "
                             "routers, interface-mtu;\n")
            else:
                handle.write("timeout 20;\n")
        with open(script, "w", encoding="ascii") as handle:
            handle.write("#!/bin/sh\n"
                         "case \"$reason\" in BOUND|BOUND6)\n"
                         f"  env | LC_ALL=C sort > '{record}.tmp' && "
                         f"mv '{record}.tmp' '{record}' ;;\n"
                         "esac\nexit 0\n")
        os.chmod(script, 0o755)
        self.pidfiles.append(pidfile)
        proc = vm.sh("dhclient", f"-{version}", "-1", "-v", "-cf", conf, "-lf", lease,
                     "-pf", pidfile, "-sf", script, vm.ifname, check=False,
                     timeout=timeout)
        try:
            if proc.returncode != 0 or not os.path.exists(record):
                raise BedError(f"dhclient -{version} in {vm.name} got no lease "
                               f"({proc.returncode}):\n{proc.stdout}{proc.stderr}")
            with open(record, encoding="utf-8") as handle:
                values = dict(line.rstrip("\n").split("=", 1) for line in handle if "=" in line)
            return {k: v.strip("'") for k, v in values.items()}
        finally:
            kill_pidfile(pidfile, self.directory)
