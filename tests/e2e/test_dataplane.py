"""Real packets between "VMs" on two hypervisors, through networks made by the provider.

Every OVN object comes from the provider's REST API (openstacksdk); the chassis were
configured only by `ovn-provider-driver configure` and the VMs plugged by
`ovn-provider-driver plug`. Waits poll for a condition with a deadline.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.bed import (
    ENCAP_PORTS,
    EXT_CIDR,
    EXT_HOST,
    PHYSNET,
    Bed,
    Hypervisor,
    Vm,
    poll,
    sh,
)
from tests.e2e.conftest import VmFactory, wait_active

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

_cidrs = itertools.count(10)


def fresh_cidr() -> str:
    """A private /24 no other test of this run uses."""
    return f"10.{next(_cidrs)}.0.0/24"


def make_net(conn: Any, cidr: str | None = None, **attrs: Any) -> tuple[Any, Any]:
    """A network with one subnet (IPv4 unless the CIDR says otherwise). The gateway is
    the first address: the provider, like its predecessor, sets none unless asked."""
    cidr = cidr or fresh_cidr()
    subnet_attrs = attrs.pop("subnet", {})
    subnet_attrs.setdefault("gateway_ip", str(next(ipaddress.ip_network(cidr).hosts())))
    net = conn.network.create_network(name=f"e2e-{cidr}", **attrs)
    subnet = conn.network.create_subnet(
        network_id=net.id, cidr=cidr, name=f"e2e-{cidr}",
        ip_version=6 if ":" in cidr else 4, **subnet_attrs)
    return net, subnet


def ipv4(port: Any) -> str:
    return next(ip["ip_address"] for ip in port.fixed_ips if ":" not in ip["ip_address"])


def prefix_of(subnet: Any) -> int:
    return ipaddress.ip_network(subnet.cidr).prefixlen


def static_vm(vm: VmFactory, hv: Hypervisor, port: Any, subnet: Any, net: Any) -> Vm:
    """A VM configured with what the API reported for its port (no DHCP)."""
    machine = vm(hv, port)
    machine.set_ipv4(f"{ipv4(port)}/{prefix_of(subnet)}", subnet.gateway_ip, net.mtu)
    return machine


def ttl_of(ping_output: str) -> int:
    match = re.search(r"ttl=(\d+)", ping_output)
    assert match, ping_output
    return int(match.group(1))


# -- DHCP ------------------------------------------------------------------------------------
def test_dhcpv4_gives_the_port_address_gateway_and_mtu(conn: Any, e2e_bed: Bed,
                                                      vm: VmFactory, hv1: Hypervisor,
                                                      hv2: Hypervisor) -> None:
    net, subnet = make_net(conn, mtu=1400)
    ports = [conn.network.create_port(network_id=net.id) for _ in range(2)]
    vms = [vm(hv, port) for hv, port in zip((hv1, hv2), ports, strict=True)]
    for machine, port in zip(vms, ports, strict=True):
        lease = e2e_bed.dhclient(machine, 4)
        assert lease["new_ip_address"] == ipv4(port)
        assert lease["new_routers"] == subnet.gateway_ip
        assert lease["new_subnet_mask"] == "255.255.255.0"
        assert lease["new_interface_mtu"] == "1400" == str(net.mtu)
        machine.set_ipv4(f"{lease['new_ip_address']}/24", None, int(lease["new_interface_mtu"]))
    # the leased addresses work across the chassis
    vms[0].wait_ping(ipv4(ports[1]))


def test_dhcpv6_stateful_gives_the_port_address(conn: Any, e2e_bed: Bed, vm: VmFactory,
                                               hv1: Hypervisor, hv2: Hypervisor) -> None:
    net, subnet = make_net(conn, "fd00:e2e:6::/64",
                           subnet={"ipv6_address_mode": "dhcpv6-stateful"})
    assert subnet.ipv6_address_mode == "dhcpv6-stateful"
    ports = [conn.network.create_port(network_id=net.id) for _ in range(2)]
    vms = [vm(hv, port) for hv, port in zip((hv1, hv2), ports, strict=True)]
    addresses = []
    for machine, port in zip(vms, ports, strict=True):
        lease = e2e_bed.dhclient(machine, 6)
        fixed = port.fixed_ips[0]["ip_address"]
        assert ipaddress.ip_address(lease["new_ip6_address"]) == ipaddress.ip_address(fixed)
        machine.sh("ip", "-6", "addr", "add", f"{lease['new_ip6_address']}/64", "dev",
                   machine.ifname, "nodad")
        addresses.append(fixed)
    out = vms[0].wait_ping(addresses[1])
    assert f"from {addresses[1]}" in out


def test_slaac_address_is_the_eui64_the_api_reported(conn: Any, vm: VmFactory,
                                                     hv1: Hypervisor,
                                                     hv2: Hypervisor) -> None:
    """A slaac subnet behind a router: the VM autoconfigures from OVN's router
    advertisement exactly the EUI-64 address the API reported for its port."""
    net, subnet = make_net(conn, "fd00:e2e:5::/64", subnet={"ipv6_address_mode": "slaac"})
    router = conn.network.create_router(name="e2e-r-slaac")
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    ports = [conn.network.create_port(network_id=net.id) for _ in range(2)]
    fixed = [port.fixed_ips[0]["ip_address"] for port in ports]
    for port, address in zip(ports, fixed, strict=True):
        eui = ipaddress.ip_address(address).packed[8:]
        mac = bytes.fromhex(port.mac_address.replace(":", ""))
        assert eui == bytes([mac[0] ^ 2]) + mac[1:3] + b"\xff\xfe" + mac[3:]
    vms = [vm(hv, port) for hv, port in zip((hv1, hv2), ports, strict=True)]

    for machine, address in zip(vms, fixed, strict=True):
        got = slaac_address(machine)
        assert ipaddress.ip_address(got) == ipaddress.ip_address(address)
    out = vms[0].wait_ping(fixed[1])
    assert f"from {fixed[1]}" in out


def global_ipv6(machine: Vm) -> str | None:
    addresses = json.loads(machine.sh("ip", "-6", "-j", "addr", "show", "dev",
                                      machine.ifname, "scope", "global").stdout)
    found = [a["local"] for entry in addresses for a in entry.get("addr_info", [])
             if "local" in a]
    return found[0] if found else None


def slaac_address(machine: Vm, timeout: float = 20) -> str:
    """The global address the VM's kernel autoconfigured from a router advertisement."""
    last_flap = time.monotonic()

    def autoconfigured() -> str | None:
        nonlocal last_flap
        got = global_ipv6(machine)
        if not got and time.monotonic() - last_flap > 3:
            # OVN answers router solicitations; the kernel's first ones may have gone out
            # before the port was bound: a link flap sends new ones
            machine.sh("ip", "link", "set", machine.ifname, "down")
            machine.sh("ip", "link", "set", machine.ifname, "up")
            last_flap = time.monotonic()
        return got

    return str(poll(autoconfigured, timeout, f"a SLAAC address on {machine.name}",
                    interval=0.2))


# -- L2 across chassis -----------------------------------------------------------------------
@pytest.fixture(params=["geneve", "vxlan"])
def encap(request: pytest.FixtureRequest, e2e_bed: Bed) -> Iterator[str]:
    """Both hypervisors re-configured by the driver with this encapsulation; geneve is
    restored afterwards."""
    kind = str(request.param)
    try:
        if kind != "geneve":
            for hv in e2e_bed.hypervisors:
                e2e_bed.configure(hv, kind)
            e2e_bed.wait_tunnels(kind)
        yield kind
    finally:
        if kind != "geneve":
            for hv in e2e_bed.hypervisors:
                e2e_bed.configure(hv, "geneve")
            e2e_bed.wait_tunnels("geneve")


def test_l2_across_chassis(conn: Any, e2e_bed: Bed, vm: VmFactory, hv1: Hypervisor,
                           hv2: Hypervisor, encap: str) -> None:
    net, subnet = make_net(conn)
    p1, p2 = (conn.network.create_port(network_id=net.id) for _ in range(2))
    vm1 = static_vm(vm, hv1, p1, subnet, net)
    static_vm(vm, hv2, p2, subnet, net)
    vm1.wait_ping(ipv4(p2))
    port = ENCAP_PORTS[encap]
    request = f"{ipv4(p1)} > {ipv4(p2)}: ICMP echo request"
    reply = f"{ipv4(p2)} > {ipv4(p1)}: ICMP echo reply"
    # the echo request and reply, encapsulated, on hv1's uplink in the fabric
    with e2e_bed.capture(e2e_bed.fabric_ns, hv1.fabric_port, f"udp dst port {port}") as cap:
        out = vm1.sh("ping", "-n", "-c", "1", "-W", "2", ipv4(p2)).stdout
        lines = cap.until(lambda seen: has(seen, request) and has(seen, reply))
    assert "1 received" in out and ttl_of(out) == 64
    assert outer_header(lines, request, port) == (hv1.encap_ip, hv2.encap_ip), lines
    assert outer_header(lines, reply, port) == (hv2.encap_ip, hv1.encap_ip), lines
    assert ("Geneve" if encap == "geneve" else "VXLAN") in "\n".join(lines), lines


def has(lines: list[str], text: str) -> bool:
    return any(text in line for line in lines)


OUTER = re.compile(r"IP (\d+\.\d+\.\d+\.\d+)\.\d+ > (\d+\.\d+\.\d+\.\d+)\.(\d+): ")


def outer_header(lines: list[str], inner: str, port: int) -> tuple[str, str] | None:
    """(source, destination) of the UDP tunnel packet that carries `inner`: tcpdump prints
    the outer header on the same line (geneve) or the line before (vxlan)."""
    for index, line in enumerate(lines):
        if inner not in line:
            continue
        for candidate in (line, lines[index - 1] if index else ""):
            match = OUTER.search(candidate)
            if match and int(match.group(3)) == port:
                return match.group(1), match.group(2)
    return None


# -- routing -----------------------------------------------------------------------------------
def test_routing_between_subnets_across_chassis(conn: Any, vm: VmFactory, hv1: Hypervisor,
                                                hv2: Hypervisor) -> None:
    net_a, sub_a = make_net(conn)
    net_b, sub_b = make_net(conn)
    router = conn.network.create_router(name="e2e-r-ab")
    for sub in (sub_a, sub_b):
        conn.network.add_interface_to_router(router, subnet_id=sub.id)
    pa = conn.network.create_port(network_id=net_a.id)
    pb = conn.network.create_port(network_id=net_b.id)
    vma = static_vm(vm, hv1, pa, sub_a, net_a)
    vmb = static_vm(vm, hv2, pb, sub_b, net_b)
    out = vma.wait_ping(ipv4(pb))
    assert ttl_of(out) == 63  # one router hop
    out = vmb.wait_ping(ipv4(pa))
    assert ttl_of(out) == 63
    # the router's own interfaces answer too
    vma.wait_ping(sub_b.gateway_ip)


# -- SNAT and floating IPs ---------------------------------------------------------------
@pytest.fixture(scope="module")
def external(conn: Any) -> tuple[Any, Any]:
    """The flat provider network on `physnet` (br-ex on both chassis), router:external."""
    net = conn.network.create_network(
        name="e2e-ext", provider_network_type="flat", provider_physical_network=PHYSNET,
        is_router_external=True)
    subnet = conn.network.create_subnet(
        network_id=net.id, cidr=EXT_CIDR, ip_version=4, gateway_ip=EXT_HOST,
        allocation_pools=[{"start": "172.16.0.10", "end": "172.16.0.99"}],
        enable_dhcp=False)
    assert net.provider_network_type == "flat"
    assert net.is_router_external
    return net, subnet


def test_snat_and_floating_ip(conn: Any, e2e_bed: Bed, vm: VmFactory, hv1: Hypervisor,
                              hv2: Hypervisor, external: tuple[Any, Any]) -> None:
    ext_net, ext_sub = external
    net, subnet = make_net(conn)
    router = conn.network.create_router(
        name="e2e-r-gw", external_gateway_info={
            "network_id": ext_net.id, "external_fixed_ips": [{"subnet_id": ext_sub.id}]})
    info = router.external_gateway_info
    assert info["enable_snat"] is True
    gateway_ip = info["external_fixed_ips"][0]["ip_address"]
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    # the VM sits on hv2; the NAT happens on the gateway chassis hv1
    port = conn.network.create_port(network_id=net.id)
    machine = static_vm(vm, hv2, port, subnet, net)
    machine.wait_ping(EXT_HOST, timeout=30)
    with e2e_bed.capture(e2e_bed.ext_ns, "ext", f"icmp and host {EXT_HOST}") as cap:
        out = machine.sh("ping", "-n", "-c", "1", "-W", "2", EXT_HOST).stdout
        lines = cap.until(lambda seen: has(seen, f"> {EXT_HOST}: ICMP echo request"))
    assert "1 received" in out
    assert any(f"{gateway_ip} > {EXT_HOST}: ICMP echo request" in line for line in lines), lines
    assert not any(ipv4(port) in line for line in lines), lines

    # floating IP: the external side reaches the VM on its floating address
    fip = conn.network.create_ip(floating_network_id=ext_net.id, port_id=port.id)
    assert fip.fixed_ip_address == ipv4(port)
    assert fip.router_id == router.id and fip.status == "ACTIVE"
    floating = fip.floating_ip_address
    assert ipaddress.ip_address(floating) in ipaddress.ip_network(EXT_CIDR)

    poll(lambda: ext_ping(e2e_bed, floating), 30,
         f"the external namespace to reach floating IP {floating}", interval=0)
    with e2e_bed.capture(machine.netns, machine.ifname, "icmp[icmptype] == icmp-echo") as cap:
        assert ext_ping(e2e_bed, floating)
        lines = cap.until(lambda seen: has(seen, "ICMP echo request"))
    # inside the VM the echo arrives from the external host, to the fixed address
    assert any(f"{EXT_HOST} > {ipv4(port)}: ICMP echo request" in line for line in lines), lines
    # and the VM's own traffic now leaves with its floating address, not the router's
    with e2e_bed.capture(e2e_bed.ext_ns, "ext", f"icmp and host {EXT_HOST}") as cap:
        machine.wait_ping(EXT_HOST)
        lines = cap.until(lambda seen: has(seen, f"> {EXT_HOST}: ICMP echo request"))
    assert any(f"{floating} > {EXT_HOST}: ICMP echo request" in line for line in lines), lines


def ext_ping(bed: Bed, dst: str) -> bool:
    """One echo from the external namespace."""
    return sh("ping", "-n", "-c", "1", "-W", "1", dst, netns=bed.ext_ns,
              check=False).returncode == 0


# -- security groups ---------------------------------------------------------------------
def test_security_groups(conn: Any, vm: VmFactory, hv1: Hypervisor,
                         hv2: Hypervisor) -> None:
    net, subnet = make_net(conn)
    default = conn.network.find_security_group("Default", ignore_missing=False)
    outsider_group = conn.network.create_security_group(name="e2e-outsider")
    pa = conn.network.create_port(network_id=net.id, is_port_security_enabled=True)
    pb = conn.network.create_port(network_id=net.id, is_port_security_enabled=True)
    pc = conn.network.create_port(network_id=net.id, is_port_security_enabled=True,
                                  security_group_ids=[outsider_group.id])
    for port in (pa, pb):  # shown by id or by the name Default (accepted as an id)
        assert [conn.network.get_security_group(g).id for g in port.security_group_ids] == [
            default.id]
    vma = static_vm(vm, hv1, pa, subnet, net)
    vmb = static_vm(vm, hv2, pb, subnet, net)
    vmc = static_vm(vm, hv1, pc, subnet, net)
    pd = conn.network.create_port(network_id=net.id, is_port_security_enabled=False)
    static_vm(vm, hv2, pd, subnet, net)
    a, b = ipv4(pa), ipv4(pb)
    # members of Default reach each other, across chassis
    vma.wait_ping(b)
    vmb.wait_ping(a)
    # a VM outside Default works (it reaches a port without port security)...
    vmc.wait_ping(ipv4(pd))
    # ...but does not reach the members of Default
    assert vmc.received(a) == 0 and vmc.received(b) == 0
    # a rule opening ICMP from the outsider's address
    rule = conn.network.create_security_group_rule(
        security_group_id=default.id, direction="ingress", ethertype="IPv4",
        protocol="icmp", remote_ip_prefix=f"{ipv4(pc)}/32")
    vmc.wait_ping(a)
    vmc.wait_ping(b)
    # removing it closes it again
    conn.network.delete_security_group_rule(rule)
    vmc.wait_no_ping(a)
    assert vmc.received(a) == 0 and vmc.received(b) == 0
    vma.wait_ping(b)  # the members still do

    # port security: a spoofed source MAC is dropped, the real one passes
    real = vmb.mac
    vmb.sh("ip", "link", "set", vmb.ifname, "address", "0a:bb:cc:dd:ee:01")
    vmb.sh("ip", "neigh", "flush", "dev", vmb.ifname)
    assert vmb.received(a) == 0
    vmb.sh("ip", "link", "set", vmb.ifname, "address", real)
    vmb.wait_ping(a)


# -- VLAN provider network ---------------------------------------------------------------
def test_vlan_provider_network_tags_frames(conn: Any, e2e_bed: Bed, vm: VmFactory,
                                           hv1: Hypervisor, hv2: Hypervisor) -> None:
    net, subnet = make_net(conn, provider_network_type="vlan",
                           provider_physical_network=PHYSNET, provider_segmentation_id=100)
    assert (net.provider_network_type, net.provider_segmentation_id) == ("vlan", 100)
    p1, p2 = (conn.network.create_port(network_id=net.id) for _ in range(2))
    vm1 = static_vm(vm, hv1, p1, subnet, net)
    static_vm(vm, hv2, p2, subnet, net)
    # between the chassis a localnet network goes through br-ex and the physical bridge
    vm1.wait_ping(ipv4(p2))
    request = f"{ipv4(p1)} > {ipv4(p2)}: ICMP echo request"
    reply = f"{ipv4(p2)} > {ipv4(p1)}: ICMP echo reply"
    with e2e_bed.capture(e2e_bed.ext_ns, hv2.fabric_port, "icmp or (vlan and icmp)",
                         options=["-e"]) as cap:
        out = vm1.sh("ping", "-n", "-c", "1", "-W", "2", ipv4(p2)).stdout
        lines = cap.until(lambda seen: has(seen, request) and has(seen, reply))
    assert "1 received" in out
    echo = [line for line in lines if request in line or reply in line]
    assert len(echo) == 2, lines
    for line in echo:  # both directions carry the 802.1Q tag on the physical network
        assert "ethertype 802.1Q" in line and "vlan 100," in line, line


# -- admin state -----------------------------------------------------------------------------
def test_port_admin_state(conn: Any, vm: VmFactory, hv1: Hypervisor,
                          hv2: Hypervisor) -> None:
    net, subnet = make_net(conn)
    p1, p2 = (conn.network.create_port(network_id=net.id) for _ in range(2))
    vm1 = static_vm(vm, hv1, p1, subnet, net)
    static_vm(vm, hv2, p2, subnet, net)
    vm1.wait_ping(ipv4(p2))
    updated = conn.network.update_port(p2, is_admin_state_up=False)
    assert updated.is_admin_state_up is False
    vm1.wait_no_ping(ipv4(p2))
    assert vm1.received(ipv4(p2)) == 0
    updated = conn.network.update_port(p2, is_admin_state_up=True)
    assert updated.is_admin_state_up is True
    wait_active(conn, p2.id)
    vm1.wait_ping(ipv4(p2))
