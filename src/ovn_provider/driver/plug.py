"""`plug` / `unplug`: attach an interface to br-int for an OVN logical port.

ovn-controller binds the Interface whose `external_ids:iface-id` names a logical switch
port. With `--internal` the interface is an OVS internal port (a tap on the userspace
datapath) that can be moved into a network namespace: the "VMs" of the e2e tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ovn_provider.driver.errors import DriverError, NothingMatched
from ovn_provider.driver.host import Host
from ovn_provider.driver.ovs import INTEGRATION_BRIDGE, Ovs, quote
from ovn_provider.driver.runner import check

MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
IFNAME_RE = re.compile(r"^[^\s/:]{1,15}$")


@dataclass(frozen=True)
class PlugRequest:
    port_id: str
    ifname: str
    mac: str | None = None
    internal: bool = False
    netns: str | None = None
    bridge: str = INTEGRATION_BRIDGE

    def __post_init__(self) -> None:
        if not self.port_id:
            raise DriverError("empty port id")
        if not IFNAME_RE.match(self.ifname):
            raise DriverError(f"invalid interface name {self.ifname!r} (1-15 characters, "
                              "no blanks, '/' or ':')")
        if self.mac is not None and not MAC_RE.match(self.mac):
            raise DriverError(f"invalid MAC address {self.mac!r}")
        if self.netns and not self.internal:
            raise DriverError("--netns needs --internal (only internal ports are moved)")


def _ip(host: Host, netns: str | None, *args: str) -> str:
    return check(host.runner(host.ip_cmd(netns, *args), env=None, timeout=host.timeout),
                 f"ip {' '.join(args)}")


def _link_exists(host: Host, netns: str | None, ifname: str) -> bool:
    return host.runner(host.ip_cmd(netns, "link", "show", "dev", ifname), env=None,
                       timeout=host.timeout).ok


def plug(host: Host, request: PlugRequest) -> list[str]:
    ovs = Ovs(host)
    state = ovs.state()
    if request.bridge not in state.bridges:
        raise DriverError(f"bridge {request.bridge} does not exist yet: is ovn-controller "
                          "configured and running?")
    if request.netns and not _link_exists(host, request.netns, "lo"):
        raise DriverError(f"network namespace {request.netns} does not exist")
    ids = [f"external_ids:iface-id={quote(request.port_id)}"]
    if request.mac:
        ids.append(f"external_ids:attached-mac={quote(request.mac.lower())}")
    settings = ids + (["type=internal"] if request.internal else [])
    # Without --no-wait: returns once ovs-vswitchd has created the port (and its tap).
    ovs.transact([["--may-exist", "add-port", request.bridge, request.ifname],
                  ["set", "Interface", request.ifname, *settings]], wait=True)
    error = _iface_error(ovs, request.ifname)
    if error:
        # ovs-vsctl succeeds even when ovs-vswitchd cannot open the device: undo, report.
        ovs.transact([["--if-exists", "del-port", request.bridge, request.ifname]])
        raise DriverError(f"cannot plug {request.ifname}: {error}")
    lines = [f"plugged {request.ifname} into {request.bridge} as iface-id={request.port_id}"]
    if request.internal:
        lines += _place_internal(host, ovs, request)
    return lines


def _place_internal(host: Host, ovs: Ovs, request: PlugRequest) -> list[str]:
    lines: list[str] = []
    where = request.netns or host.ovs_netns
    if request.netns and request.netns != host.ovs_netns:
        if not _link_exists(host, request.netns, request.ifname):
            if not _link_exists(host, host.ovs_netns, request.ifname):
                error = _iface_error(ovs, request.ifname)
                raise DriverError(f"interface {request.ifname} was not created by "
                                  f"ovs-vswitchd{': ' + error if error else ''}")
            _ip(host, host.ovs_netns, "link", "set", "dev", request.ifname, "netns",
                request.netns)
            lines.append(f"moved {request.ifname} into namespace {request.netns}")
    if request.mac:
        _ip(host, where, "link", "set", "dev", request.ifname, "address", request.mac)
    _ip(host, where, "link", "set", "dev", request.ifname, "up")
    return lines


def _iface_error(ovs: Ovs, ifname: str) -> str | None:
    for iface in ovs.state().interfaces:
        if iface.name == ifname:
            return iface.error
    return None


def unplug(host: Host, ifname: str | None = None, port_id: str | None = None) -> list[str]:
    """Remove the port of `ifname`, or every port bound to `port_id`."""
    if (ifname is None) == (port_id is None):
        raise DriverError("give either an interface name or a port id")
    ovs = Ovs(host)
    state = ovs.state()
    if ifname is not None:
        names = [iface.name for iface in state.interfaces
                 if iface.name == ifname and iface.bridge is not None]
    else:
        names = [iface.name for iface in state.interfaces
                 if iface.external_ids.get("iface-id") == port_id and iface.bridge]
    if not names:
        what = f"named {ifname}" if ifname is not None else f"bound to {port_id}"
        raise NothingMatched(f"no OVS port {what}")
    ovs.transact([["--if-exists", "del-port", name] for name in names], wait=True)
    return [f"unplugged {name}" for name in names]
