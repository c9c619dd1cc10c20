"""A VIP that floats between VMs on two hypervisors through allowed address pairs (spec
9.6), with real packets: the VIP lives on a macvlan with a VRRP-style virtual MAC inside
the VM, as keepalived with `use_vmac` sets it up. Port security is on; only the pairs
decide whether the virtual MAC gets through."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.e2e.bed import Hypervisor, Vm
from tests.e2e.conftest import VmFactory
from tests.e2e.test_dataplane import ipv4, make_net, static_vm

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

VMAC = "00:00:5e:00:01:33"


def hold_vip(machine: Vm, vip: str, subnet_cidr: str) -> None:
    """Put the VIP on a macvlan `vip0` with the virtual MAC, answering ARP only there
    (arp_ignore) and answering from it (a source rule), as keepalived does."""
    machine.sh("sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1")
    machine.sh("ip", "link", "add", "vip0", "link", machine.ifname, "type", "macvlan",
               "mode", "bridge")
    machine.sh("ip", "link", "set", "vip0", "address", VMAC)
    machine.sh("ip", "addr", "add", f"{vip}/32", "dev", "vip0")
    machine.sh("ip", "link", "set", "vip0", "up")
    machine.sh("ip", "rule", "add", "from", vip, "lookup", "100")
    machine.sh("ip", "route", "add", subnet_cidr, "dev", "vip0", "table", "100")


def drop_vip(machine: Vm, vip: str) -> None:
    machine.sh("ip", "rule", "del", "from", vip, "lookup", "100")
    machine.sh("ip", "link", "del", "vip0")


def set_pairs(conn: Any, port: Any, pairs: list[dict[str, str]]) -> None:
    updated = conn.network.update_port(port, allowed_address_pairs=pairs)
    assert [p["ip_address"] for p in updated.allowed_address_pairs] == [
        p["ip_address"] for p in pairs]


def test_a_vip_floats_between_vms_on_two_hypervisors(conn: Any, vm: VmFactory,
                                                     hv1: Hypervisor,
                                                     hv2: Hypervisor) -> None:
    net, subnet = make_net(conn, is_port_security_enabled=True)
    group = conn.network.create_security_group(name="e2e-vip")
    conn.network.create_security_group_rule(
        security_group_id=group.id, direction="ingress", ethertype="IPv4", protocol="icmp",
        remote_ip_prefix="0.0.0.0/0")
    ports = [conn.network.create_port(network_id=net.id, is_port_security_enabled=True,
                                      security_group_ids=[group.id]) for _ in range(3)]
    pa, pb, pc = ports
    vma = static_vm(vm, hv1, pa, subnet, net)
    vmb = static_vm(vm, hv2, pb, subnet, net)
    vmc = static_vm(vm, hv1, pc, subnet, net)
    vmc.wait_ping(ipv4(pa))
    vmc.wait_ping(ipv4(pb))
    hosts = list(ipaddress.ip_network(subnet.cidr).hosts())
    vip = str(hosts[199])  # .200
    vip_range = str(ipaddress.ip_network(f"{vip}/28", strict=False))  # .192/28

    # A holds the VIP, but without a pair its virtual MAC is dropped by port security
    hold_vip(vma, vip, subnet.cidr)
    assert vmc.received(vip) == 0

    # a CIDR pair admits the VIP (ovn-controller matches the masked address)
    set_pairs(conn, pa, [{"ip_address": vip_range, "mac_address": VMAC}])
    vmc.wait_ping(vip)
    neigh = vmc.sh("ip", "neigh", "show", vip).stdout
    assert VMAC in neigh.lower(), neigh

    # dropping the pair closes it again, though A still holds the VIP
    set_pairs(conn, pa, [])
    vmc.wait_no_ping(vip)

    # the VIP moves to B on the other hypervisor (C keeps VIP -> virtual MAC in its cache)
    drop_vip(vma, vip)
    hold_vip(vmb, vip, subnet.cidr)
    set_pairs(conn, pb, [{"ip_address": vip, "mac_address": VMAC}])
    vmc.wait_ping(vip)
    assert vmc.received(vip) == 3
