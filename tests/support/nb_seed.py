"""Write an NB exactly as ovirt-provider-ovn (the predecessor) left it, with ovn-nbctl only.

The layout follows docs/nb-layout.md: switches named `ovirt-<name>-<uuid>`, DHCP_Options rows
with both spellings of the IPv6 address mode and an old IPv6 row whose `mtu` is the text
`None`, ports with static and `dynamic` addresses (with `dynamic_addresses` as ovn-northd
fills them), localnet ports (vlan and flat), a router port, the Default and DropAll groups
with the predecessor's ACLs, a user group, and foreign rows that carry no oVirt keys.

`seed(central)` returns a `Seed` naming every row it wrote; the test that uses it states
what the API must show for each.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass, field

from ovn_provider.ovn.central import Central

SERVER_MAC = "02:00:00:00:00:00"


def q(text: str) -> str:
    """An OVSDB string atom for ovn-nbctl (always quoted, UTF-8 kept)."""
    return json.dumps(text, ensure_ascii=False)


def omap(values: dict[str, str]) -> str:
    return "{" + ",".join(f"{q(k)}={q(v)}" for k, v in values.items()) + "}"


def oset(values: list[str]) -> str:
    return "[" + ",".join(q(v) for v in values) + "]"


def eui64(prefix: str, mac: str) -> str:
    """The EUI-64 address OVN derives from `mac` in the /64 `prefix`."""
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02
    iid = octets[:3] + [0xFF, 0xFE] + octets[3:]
    net = ipaddress.IPv6Network(prefix)
    return str(net.network_address + int.from_bytes(bytes(iid), "big"))


def _uuids(output: str, count: int) -> list[str]:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    assert len(lines) == count, output
    return [str(uuid.UUID(line)) for line in lines]


@dataclass
class Port:
    """One LSP as written: its name (the REST id) and what it was given."""

    name: str
    mac: str = ""


@dataclass
class Seed:
    ls: dict[str, str] = field(default_factory=dict)  # key -> LS UUID
    ls_name: dict[str, str] = field(default_factory=dict)  # key -> LS name
    dhcp: dict[str, str] = field(default_factory=dict)  # key -> DHCP_Options UUID
    ports: dict[str, Port] = field(default_factory=dict)  # key -> LSP
    pg: dict[str, str] = field(default_factory=dict)  # "Default"/"DropAll"/"web" -> UUID
    web_pg_name: str = ""
    router: str = ""  # LR UUID
    router_mac: str = "00:00:00:00:ff:01"
    device_id: str = ""  # the vNIC UUID of the static port
    v6_device_id: str = ""  # the vNIC UUID of the IPv6 port


# Fixed facts of the seeded data, for the test's expectations.
A_CIDR, A_GATEWAY, A_STATIC_IP, A_DYNAMIC_IP = "10.1.0.0/24", "10.1.0.1", "10.1.0.10", "10.1.0.5"
B_PREFIX, B_GATEWAY = "fd00:b::/64", "fd00:b::1"
C_PREFIX = "fd00:c::/64"
MACS = {"static": "00:1a:4a:16:01:51", "dynamic": "00:1a:4a:16:01:52",
        "unrecorded": "00:1a:4a:16:01:53", "old_names": "00:1a:4a:16:01:54",
        "blank": "00:1a:4a:16:01:55", "v6": "00:1a:4a:16:01:61", "c6": "00:1a:4a:16:01:71",
        "foreign_on_a": "00:1a:4a:16:01:99"}


def seed(central: Central) -> Seed:
    s = Seed()
    nb = central.nbctl

    # 1. switches and the router -----------------------------------------------------------
    s.ls_name = {"a": f"ovirt-net_a-{uuid.uuid4()}", "b": f"ovirt-net b-{uuid.uuid4()}",
                 "c": f"ovirt-réseau-β-{uuid.uuid4()}", "foreign": "foreign-switch"}
    out = nb(
        "create", "Logical_Switch", f"name={q(s.ls_name['a'])}",
        "external_ids=" + omap({"ovirt_network_name": "net_a", "mtu": "1400",
                                "ovirt_port_security": "True"}),
        "other_config=" + omap({"subnet": A_CIDR,
                                "exclude_ips": "10.1.0.200..10.1.0.210 10.1.0.250"}),
        "--", "create", "Logical_Switch", f"name={q(s.ls_name['b'])}",
        "external_ids=" + omap({"ovirt_network_name": "net b", "ovirt_port_security": "False"}),
        "other_config=" + omap({"ipv6_prefix": "fd00:b::"}),
        "--", "create", "Logical_Switch", f"name={q(s.ls_name['c'])}",
        "external_ids=" + omap({"ovirt_network_name": "réseau-β", "mtu": "None",
                                "ovirt_port_security": "true"}),
        "other_config=" + omap({"ipv6_prefix": "fd00:c::"}),
        "--", "create", "Logical_Switch", f"name={q(s.ls_name['foreign'])}",
        "external_ids=" + omap({"owner": "someone-else"}),
        "--", "create", "Logical_Router", "name=router1")
    s.ls["a"], s.ls["b"], s.ls["c"], s.ls["foreign"], s.router = _uuids(out, 5)

    # 2. DHCP_Options (subnets) and the user group ---------------------------------------------
    web_id = str(uuid.uuid4())
    s.web_pg_name = "ovirt_" + web_id.replace("-", "_")
    out = nb(
        "create", "DHCP_Options", f"cidr={q(A_CIDR)}",
        "options=" + omap({"server_id": "10.1.0.0", "server_mac": SERVER_MAC,
                           "lease_time": "86400", "router": A_GATEWAY, "mtu": "1400",
                           "dns_server": "8.8.8.8"}),
        "external_ids=" + omap({"ovirt_network_id": s.ls["a"], "ip_version": "4",
                                "ovirt_name": "sub_a", "gateway_router": s.router}),
        # an old IPv6 row: dashed mode, `mtu` written as the text None, no name
        "--", "create", "DHCP_Options", f"cidr={q(B_PREFIX)}",
        "options=" + omap({"server_id": SERVER_MAC, "dns_server": "fd00:b::53"}),
        "external_ids=" + omap({"ovirt_network_id": s.ls["b"], "ip_version": "6",
                                "ovirt_ipv6_address_mode": "dhcpv6-stateful",
                                "mtu": "None", "router": B_GATEWAY}),
        # underscore mode spelling, no gateway
        "--", "create", "DHCP_Options", f"cidr={q(C_PREFIX)}",
        "options=" + omap({"server_id": SERVER_MAC, "dhcpv6_stateless": "true"}),
        "external_ids=" + omap({"ovirt_network_id": s.ls["c"], "ip_version": "6",
                                "ovirt_name": "sub_c",
                                "ovirt_ipv6_address_mode": "dhcpv6_stateless"}),
        # a foreign row: not a subnet
        "--", "create", "DHCP_Options", f"cidr={q('192.168.77.0/24')}",
        "options=" + omap({"server_id": "192.168.77.1", "server_mac": SERVER_MAC,
                           "lease_time": "3600"}),
        "--", "create", "Port_Group", f"name={q(s.web_pg_name)}",
        "external_ids=" + omap({"ovirt_sec_group_name": "web",
                                "ovirt_description": "web servers",
                                "ovirt_created_at": "2023-05-01T10:00:00.123456",
                                "ovirt_updated_at": "2023-05-01T10:00:00.123456",
                                "ovirt_revision_number": "1"}))
    s.dhcp["a4"], s.dhcp["b6"], s.dhcp["c6"], s.dhcp["foreign"], s.pg["web"] = _uuids(out, 5)

    # 3. ports, router port, groups and ACLs, in one transaction --------------------------------
    s.device_id, s.v6_device_id = str(uuid.uuid4()), str(uuid.uuid4())
    names = {key: str(uuid.uuid4()) for key in
             ("static", "dynamic", "unrecorded", "old_names", "blank", "router", "v6", "c6",
              "localnet_vlan", "localnet_flat", "foreign", "foreign_on_a")}
    s.ports = {key: Port(name, MACS.get(key, "")) for key, name in names.items()}
    cmds: list[list[str]] = []

    def lsp(key: str, ext: dict[str, str], **cols: str) -> None:
        cmds.append([f"--id=@{key}", "create", "Logical_Switch_Port", f"name={q(names[key])}",
                     "external_ids=" + omap(ext), *(f"{k}={v}" for k, v in cols.items())])

    mac = MACS
    a4, b6, c6 = s.dhcp["a4"], s.dhcp["b6"], s.dhcp["c6"]
    lsp("static", {"ovirt_nic_name": "nic1", "ovirt_device_id": s.device_id,
                   "ovirt_device_owner": "oVirt", "ovirt_security_groups": "Default"},
        addresses=oset([f"{mac['static']} {A_STATIC_IP}"]),
        port_security=oset([mac["static"]]), dhcpv4_options=a4,
        options=omap({"requested-chassis": "host-a.example"}))
    lsp("dynamic", {"ovirt_nic_name": "nic2"},
        addresses=oset([f"{mac['dynamic']} dynamic"]),
        dynamic_addresses=q(f"{mac['dynamic']} {A_DYNAMIC_IP}"), dhcpv4_options=a4)
    # Port security with memberships but nothing recorded (possible in predecessor data).
    lsp("unrecorded", {"ovirt_nic_name": "nic3", "ovirt_device_owner": "oVirt"},
        addresses=oset([f"{mac['unrecorded']} dynamic"]),
        dynamic_addresses=q(f"{mac['unrecorded']} 10.1.0.6"), dhcpv4_options=a4,
        port_security=oset([mac["unrecorded"]]))
    # Identifiers recorded as a PG name (old data) and as Default.
    lsp("old_names", {"ovirt_nic_name": "nic4",
                      "ovirt_security_groups": f"{s.web_pg_name} Default"},
        addresses=oset([f"{mac['old_names']} 10.1.0.11"]), dhcpv4_options=a4,
        port_security=oset([mac["old_names"]]), enabled="false")
    # An oVirt port marked by an empty ovirt_nic_name, addressed without any IP.
    lsp("blank", {"ovirt_nic_name": ""}, addresses=oset([mac["blank"]]))
    lsp("router", {"ovirt_nic_name": "router_port",
                   "ovirt_device_owner": "network:router_interface",
                   "ovirt_device_id": s.router},
        type="router", addresses=oset(["router"]), enabled="true",
        options=omap({"router-port": f"lrp{names['router']}"}))
    lsp("foreign_on_a", {"owner": "someone-else"}, addresses=oset([mac["foreign_on_a"]]))
    lsp("v6", {"ovirt_nic_name": "nic-v6", "ovirt_device_owner": "oVirt",
               "ovirt_device_id": s.v6_device_id},
        addresses=oset([f"{mac['v6']} dynamic"]),
        dynamic_addresses=q(f"{mac['v6']} {eui64(B_PREFIX, mac['v6'])}"), dhcpv6_options=b6)
    lsp("localnet_vlan", {"ovirt_nic_name": "localnet_port"}, type="localnet",
        addresses=oset(["unknown"]), options=omap({"network_name": "physnet1"}), tag="10")
    lsp("c6", {"ovirt_nic_name": "nic-c6"}, addresses=oset([f"{mac['c6']} dynamic"]),
        dynamic_addresses=q(f"{mac['c6']} {eui64(C_PREFIX, mac['c6'])}"), dhcpv6_options=c6,
        port_security=oset([mac["c6"]]))
    lsp("localnet_flat", {"ovirt_nic_name": "localnet_port"}, type="localnet",
        addresses=oset(["unknown"]), options=omap({"network_name": "physnet2"}))
    lsp("foreign", {}, addresses=oset(["unknown"]))
    cmds.append(["--id=@lrp", "create", "Logical_Router_Port", f"name={q('lrp' + names['router'])}",
                 f"mac={q(s.router_mac)}", "networks=" + oset([f"{A_GATEWAY}/24"])])
    cmds.append(["add", "Logical_Router", s.router, "ports", "@lrp"])
    members = {"a": ("static", "dynamic", "unrecorded", "old_names", "blank", "router",
                     "foreign_on_a"),
               "b": ("v6", "localnet_vlan"), "c": ("c6", "localnet_flat"),
               "foreign": ("foreign",)}
    for ls_key, keys in members.items():
        cmds.append(["add", "Logical_Switch", s.ls[ls_key], "ports", *(f"@{k}" for k in keys)])

    acl_ids: dict[str, list[str]] = {"DropAll": [], "Default": [], "web": []}

    def acl(group: str, direction: str, priority: int, match: str, action: str,
            ext: dict[str, str]) -> None:
        ident = f"acl{sum(len(v) for v in acl_ids.values())}"
        acl_ids[group].append(f"@{ident}")
        cmds.append([f"--id=@{ident}", "create", "ACL", f"direction={direction}",
                     f"priority={priority}", f"match={q(match)}", f"action={action}",
                     "log=false", "severity=alert", f"name={q(str(uuid.uuid4()))}",
                     "external_ids=" + omap(ext)])

    acl("DropAll", "to-lport", 1000, "outport == @DropAll && ip", "drop",
        {"description": "drop all ingress ip traffic"})
    acl("DropAll", "from-lport", 1000, "inport == @DropAll && ip", "drop",
        {"description": "drop all egress ip traffic"})
    for eth, ether in (("ip4", "IPv4"), ("ip6", "IPv6")):
        acl("Default", "from-lport", 1001, f"inport == @Default && {eth}", "allow-related",
            {"ovirt_port_group_id": "Default", "ovirt_ethertype": ether,
             "description": "automatically added allow all egress ip traffic"})
        acl("Default", "to-lport", 1001, f"outport == @Default && {eth} && {eth}.src == "
            f"$Default_{eth}", "allow-related",
            {"ovirt_port_group_id": "Default", "ovirt_remote_group_id": "Default",
             "ovirt_ethertype": ether})
        acl("web", "from-lport", 1001, f"inport == @{s.web_pg_name} && {eth}", "allow-related",
            {"ovirt_port_group_id": s.web_pg_name, "ovirt_ethertype": ether,
             "description": "automatically added allow all egress ip traffic"})
    acl("web", "to-lport", 1001, f"outport == @{s.web_pg_name} && ip4 && tcp && tcp.dst == 80",
        "allow-related", {"ovirt_port_group_id": s.web_pg_name, "ovirt_ethertype": "IPv4",
                          "ovirt_protocol": "tcp", "ovirt_min_port": "80",
                          "ovirt_max_port": "80"})
    secured = ("static", "unrecorded", "old_names", "c6")
    cmds.append(["create", "Port_Group", "name=DropAll",
                 "ports=[" + ",".join(f"@{k}" for k in secured) + "]",
                 "acls=[" + ",".join(acl_ids["DropAll"]) + "]"])
    cmds.append(["create", "Port_Group", "name=Default",
                 "ports=[@static,@unrecorded,@old_names]",
                 "acls=[" + ",".join(acl_ids["Default"]) + "]"])
    cmds.append(["add", "Port_Group", s.pg["web"], "ports", "@unrecorded", "@old_names"])
    cmds.append(["add", "Port_Group", s.pg["web"], "acls", *acl_ids["web"]])
    args: list[str] = []
    for cmd in cmds:
        args += [*(["--"] if args else []), *cmd]
    out = nb(*args)
    # Every `create` prints its UUID, in command order; the two groups come last.
    creates = sum(1 for cmd in cmds if "create" in cmd)
    s.pg["DropAll"], s.pg["Default"] = _uuids(out, creates)[-2:]
    # Let ovn-northd see everything (it keeps the valid dynamic_addresses written above)
    # and finish its own NB writes (sb_cfg and hv_cfg), so that the NB is at rest.
    nb("--wait=hv", "sync")
    return s


def dump(central: Central) -> str:
    """The whole NB, every table and column, as ovsdb-client prints it."""
    from ovn_provider.ovn.daemons import run

    return run(["ovsdb-client", "--timeout=20", "dump", "--format=json", central.nb_remote,
                "OVN_Northbound"], env=central.env)
