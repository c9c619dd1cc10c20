"""`ovn-provider audit` (docs/audit.md) against real NBs: one written through the API
(no finding), the same NB with each kind of corruption injected by ovn-nbctl (the
expected finding for each), and an NB the predecessor wrote (accepted as it is)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from tests.support import nb_seed
from tests.support.nb import nb_find, nb_row
from tests.support.provider import Api, make_config, running


def run_audit(central: Central, *extra: str) -> tuple[int, dict[str, Any]]:
    """The audit as an operator runs it: the CLI with a configuration file."""
    with tempfile.TemporaryDirectory(prefix="ovnp-audit-") as directory:
        path = os.path.join(directory, "audit.conf")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(f"[OVN REMOTE]\novn-remote={central.nb_remote}\n")
        proc = subprocess.run([sys.executable, "-m", "ovn_provider.cli", "audit", "--config",
                               path, "--json", "--timeout", "30", *extra],
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert (proc.returncode == 1) == bool(report["findings"]), proc.stdout
    return proc.returncode, report


def findings(report: dict[str, Any]) -> set[tuple[str, str]]:
    """(check, id) for every id of every finding."""
    return {(f["check"], ident) for f in report["findings"] for ident in f["ids"]}


@dataclass
class Bed:
    central: Central
    ids: dict[str, str] = field(default_factory=dict)


def _populate(api: Api) -> dict[str, str]:
    """One of each kind of object, through the API."""
    ids: dict[str, str] = {}
    net = api.network(name="audit-net")
    sub = api.subnet(net["id"], "10.61.0.0/24", gateway_ip="10.61.0.1")
    api.subnet(net["id"], "fd00:61::/64", ipv6_address_mode="dhcpv6_stateful")
    other = api.network(name="audit-other")
    other_sub = api.subnet(other["id"], "10.62.0.0/24")
    spare = api.network(name="audit-spare")
    spare_sub = api.subnet(spare["id"], "10.63.0.0/24")
    ext = api.network(name="audit-ext", **{"router:external": True})
    ext_sub = api.subnet(ext["id"], "172.31.61.0/24", gateway_ip="172.31.61.1")
    web = api.create("security-groups", "security_group", name="audit-web")
    db = api.create("security-groups", "security_group", name="audit-db")
    rule = api.create("security-group-rules", "security_group_rule",
                      security_group_id=db["id"], direction="ingress", ethertype="IPv4",
                      protocol="tcp", port_range_min=5432, port_range_max=5432,
                      remote_group_id=web["id"])
    ports = {name: api.port(net["id"], name=name, **attrs) for name, attrs in (
        ("fixed", {"fixed_ips": [{"subnet_id": sub["id"], "ip_address": "10.61.0.10"}],
                   "security_groups": [web["id"]], "port_security_enabled": True}),
        ("auto", {"security_groups": [db["id"]], "port_security_enabled": True}),
        ("open", {"port_security_enabled": False}),
        ("mac", {}), ("groups", {"security_groups": [web["id"]], "port_security_enabled": True}),
        ("subnets", {"fixed_ips": [{"subnet_id": sub["id"], "ip_address": "10.61.0.20"}]}))}
    api.port(other["id"], name="elsewhere")
    router = api.create("routers", "router", name="audit-r", external_gateway_info={
        "network_id": ext["id"], "external_fixed_ips": [{"subnet_id": ext_sub["id"]}]})
    response = api.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                       {"subnet_id": sub["id"]})
    assert response.status_code == 200, response.text
    fip = api.create("floatingips", "floatingip", floating_network_id=ext["id"],
                     port_id=ports["fixed"]["id"])
    ids.update(net=net["id"], subnet=sub["id"], other=other["id"], other_subnet=other_sub["id"],
               spare_subnet=spare_sub["id"], web=web["id"], db=db["id"], rule=rule["id"],
               router=router["id"], iface=response.json()["port_id"], fip=fip["id"],
               **{f"port_{k}": v["id"] for k, v in ports.items()},
               **{f"mac_{k}": v["mac_address"] for k, v in ports.items()})
    return ids


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    directory = tempfile.mkdtemp(prefix="ovnp-audit-")
    central = Central(directory)
    try:
        central.start()
        cfg = make_config(central.nb_remote, **{"NETWORK/gateway-chassis": "gw-audit"})
        with running(cfg) as provider:
            api = Api(provider)
            try:
                ids = _populate(api)
            finally:
                api.close()
        central.nbctl("--wait=sb", "sync")
        yield Bed(central, ids)
    finally:
        central.stop(remove=True)


def test_nb_written_through_the_api_has_no_finding(bed: Bed) -> None:
    status, report = run_audit(bed.central)
    assert report["findings"] == [] and status == 0


def _lsp_uuid(central: Central, name: str) -> str:
    return str(nb_row(central, "Logical_Switch_Port", name)["_uuid"])


def test_each_corruption_gives_its_finding(bed: Bed) -> None:
    """Run after the clean test (file order): it corrupts the module's NB."""
    c, i = bed.central, bed.ids
    nb = c.nbctl
    expected: set[tuple[str, str]] = set()
    # Addresses: port "mac" takes the IP of "fixed", port "subnets" the MAC of "auto".
    nb("set", "Logical_Switch_Port", i["port_mac"],
       f'addresses="{i["mac_mac"]} 10.61.0.10"')
    expected |= {("duplicate-ip", i["port_mac"]), ("duplicate-ip", i["port_fixed"])}
    nb("set", "Logical_Switch_Port", i["port_subnets"],
       f'addresses="{i["mac_auto"]} 10.61.0.20"')
    expected |= {("duplicate-mac", i["port_subnets"]), ("duplicate-mac", i["port_auto"])}
    # References from ports.
    nb("set", "Logical_Switch_Port", i["port_open"], f"external_ids:ovirt_network_id={i['other']}")
    expected.add(("lsp-network-id", i["port_open"]))
    nb("set", "Logical_Switch_Port", i["port_auto"], f"dhcpv4_options={i['other_subnet']}")
    expected.add(("lsp-dhcp", i["port_auto"]))
    nb("set", "Logical_Switch_Port", i["port_fixed"],
       f'external_ids:ovirt_fixed_subnets="10.9.9.9={i["subnet"]}"')
    expected.add(("lsp-fixed-subnets", i["port_fixed"]))
    nb("set", "Logical_Switch_Port", i["iface"], "options:router-port=lrp-gone")
    expected.add(("lsp-router-port", i["iface"]))
    # Security groups: a recorded group that is gone, a secured port out of DropAll, ACLs.
    ghost = str(uuid.uuid4())
    nb("set", "Logical_Switch_Port", i["port_groups"],
       f"external_ids:ovirt_security_groups={ghost}")
    expected.add(("lsp-security-group", i["port_groups"]))
    nb("remove", "Port_Group", "DropAll", "ports", _lsp_uuid(c, i["port_auto"]))
    expected.add(("lsp-drop-all", i["port_auto"]))
    acl = i["rule"]  # a rule's id is its ACL's UUID
    nb("set", "ACL", acl, "external_ids:ovirt_remote_group_id=ovirt_gone")
    expected.add(("acl-remote-group", acl))
    nb("set", "Port_Group", i["web"], "external_ids:ovirt_revision_number=x1")
    expected.add(("pg-revision", i["web"]))
    # Subnets, switches, routers, NAT.
    nb("set", "DHCP_Options", i["spare_subnet"], f"external_ids:ovirt_network_id={ghost}")
    expected.add(("dhcp-network", i["spare_subnet"]))
    nb("set", "DHCP_Options", i["other_subnet"], f"external_ids:gateway_router={ghost}")
    expected.add(("dhcp-gateway-router", i["other_subnet"]))
    nb("set", "Logical_Switch", i["other"], "external_ids:mtu=big")
    expected.add(("ls-mtu", i["other"]))
    nat = nb_find(c, "NAT", type="dnat_and_snat")[0]
    nb("set", "NAT", str(nat["_uuid"]), f"external_ids:ovirt_fip_id={ghost}")
    expected.add(("nat-floating-ip", ghost))
    nb("set", "Logical_Router", i["router"], "external_ids:ovirt_gateway_port=gone")
    expected.add(("lr-gateway-port", i["router"]))

    status, report = run_audit(c)
    got = findings(report)
    assert status == 1
    assert expected <= got, sorted(expected - got)
    checks = {check for check, _ in got}
    assert checks == {check for check, _ in expected}, report["findings"]


def test_predecessor_layout_is_accepted(fresh_central: Central) -> None:
    nb_seed.seed(fresh_central)
    status, report = run_audit(fresh_central)
    assert report["findings"] == [] and status == 0


def test_text_output_names_check_and_ids(fresh_central: Central) -> None:
    nb_seed.seed(fresh_central)
    nb_row(fresh_central, "Logical_Switch", "foreign-switch")
    fresh_central.nbctl("set", "Logical_Switch", "foreign-switch", "external_ids:mtu=x")
    with tempfile.TemporaryDirectory(prefix="ovnp-audit-") as directory:
        path = os.path.join(directory, "audit.conf")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(f"[OVN REMOTE]\novn-remote={fresh_central.nb_remote}\n")
        proc = subprocess.run([sys.executable, "-m", "ovn_provider.cli", "audit", "--config",
                               path], capture_output=True, text=True, timeout=120)
    ls = str(nb_row(fresh_central, "Logical_Switch", "foreign-switch")["_uuid"])
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [f"ls-mtu: {ls}: mtu='x' is not a number",
                                        "1 finding(s)"]
