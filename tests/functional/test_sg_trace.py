"""Proof with ovn-trace that the ACLs the API writes do what the rules say: ovn-northd
(run by the session central) compiles them into logical flows, and ovn-trace follows a
packet through those flows. Ports A and C send to port B, all three with port security on
one network; B is in a user group G (and DropAll), A in Default, C in a second group."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import run
from ovn_provider.server import Provider
from tests.support.provider import Api

RULES = "/v2.0/security-group-rules"


@dataclass
class Lan:
    ls: str  # LS name (ovn-trace datapath)
    a: dict[str, Any]
    b: dict[str, Any]
    c: dict[str, Any]
    group: dict[str, Any]  # B's group


def _ip(port: dict[str, Any]) -> str:
    return str(port["fixed_ips"][0]["ip_address"])


@pytest.fixture(scope="module")
def lan(provider: Provider, central: Central) -> Iterator[Lan]:
    api = Api(provider)
    try:
        net = api.network(name="trace", port_security_enabled=True)
        api.subnet(net["id"], "10.77.0.0/24")
        group = api.create("security-groups", "security_group", name="b-group")
        other = api.create("security-groups", "security_group", name="c-group")
        a = api.port(net["id"], name="A", fixed_ips=[{"ip_address": "10.77.0.10"}])
        b = api.port(net["id"], name="B", fixed_ips=[{"ip_address": "10.77.0.20"}],
                     security_groups=[group["id"]])
        c = api.port(net["id"], name="C", fixed_ips=[{"ip_address": "10.77.0.30"}],
                     security_groups=[other["id"]])
        assert a["security_groups"] == ["Default"] and a["port_security_enabled"]
        assert b["security_groups"] == [group["id"]] and b["port_security_enabled"]
        ls = central.nbctl("get", "Logical_Switch", net["id"], "name").strip().strip('"')
        yield Lan(ls, a, b, c, group)
    finally:
        api.close()


@dataclass
class Trace:
    text: str
    target: str

    @property
    def delivered(self) -> bool:
        return f'output to "{self.target}"' in self.text

    def out_acl(self) -> tuple[str, str]:
        """(the matching to-lport ACL flow line, its first action) of the egress pipeline,
        which is where B's ingress rules are enforced."""
        lines = self.text.splitlines()
        for i, line in enumerate(lines):
            if "ls_out_acl " in line and "priority" in line:
                return line, lines[i + 1].strip()
        raise AssertionError(f"no ls_out_acl stage in the trace:\n{self.text}")


def trace(central: Central, lan: Lan, src: dict[str, Any], proto: str) -> Trace:
    """Trace one new-connection packet from `src` to B, after northd caught up."""
    central.nbctl("--wait=sb", "sync")
    flow = (f'inport == "{src["id"]}" && eth.src == {src["mac_address"]} && '
            f'eth.dst == {lan.b["mac_address"]} && ip4.src == {_ip(src)} && '
            f"ip4.dst == {_ip(lan.b)} && ip.ttl == 64 && {proto}")
    text = run(["ovn-trace", f"--db={central.sb_remote}", "--no-friendly-names",
                "--ct=new", "--ct=new", lan.ls, flow], env=central.env)
    return Trace(text, lan.b["id"])


def assert_dropped(result: Trace) -> None:
    line, action = result.out_acl()
    assert "(outport == @DropAll && ip)" in line, result.text
    assert action == "drop;", result.text
    assert not result.delivered, result.text


def assert_allowed_by(central: Central, result: Trace, rule_id: str) -> None:
    match = central.nbctl("get", "ACL", rule_id, "match").strip().strip('"')
    line, _ = result.out_acl()
    assert f"({match})" in line, result.text
    assert result.delivered, result.text


TCP22 = "tcp && tcp.src == 40000 && tcp.dst == 22"
ECHO = "icmp4 && icmp4.type == 8 && icmp4.code == 0"


def test_tcp_22_dropped_until_an_ingress_rule_allows_it(api: Api, central: Central,
                                                         lan: Lan) -> None:
    assert_dropped(trace(central, lan, lan.a, TCP22))
    r = api.create("security-group-rules", "security_group_rule",
                   security_group_id=lan.group["id"], direction="ingress", protocol="tcp",
                   port_range_min=22, port_range_max=22)
    try:
        assert_allowed_by(central, trace(central, lan, lan.a, TCP22), r["id"])
        # Only port 22: 23 stays closed.
        assert_dropped(trace(central, lan, lan.a, "tcp && tcp.src == 40000 && tcp.dst == 23"))
    finally:
        assert api.delete(f"{RULES}/{r['id']}").status_code == 204
    assert_dropped(trace(central, lan, lan.a, TCP22))


def test_icmp_any_type_matches_echo_and_removal_closes_it(api: Api, central: Central,
                                                          lan: Lan) -> None:
    assert_dropped(trace(central, lan, lan.a, ECHO))
    r = api.create("security-group-rules", "security_group_rule",
                   security_group_id=lan.group["id"], direction="ingress", protocol="icmp",
                   port_range_min=-1, port_range_max=-1)
    assert r["port_range_min"] is None and r["port_range_max"] is None
    assert re.search(r"&& icmp4$", central.nbctl("get", "ACL", r["id"], "match").strip()
                     .strip('"'))
    assert_allowed_by(central, trace(central, lan, lan.a, ECHO), r["id"])
    assert_allowed_by(central, trace(central, lan, lan.a,
                                     "icmp4 && icmp4.type == 13 && icmp4.code == 0"), r["id"])
    assert api.delete(f"{RULES}/{r['id']}").status_code == 204
    assert_dropped(trace(central, lan, lan.a, ECHO))


def test_icmp_type_zero_is_a_real_term(api: Api, central: Central, lan: Lan) -> None:
    """: type 0 (echo reply) is written, so an echo request is not let through."""
    r = api.create("security-group-rules", "security_group_rule",
                   security_group_id=lan.group["id"], direction="ingress", protocol="icmp",
                   port_range_min=0)
    try:
        assert_dropped(trace(central, lan, lan.a, ECHO))
        assert_allowed_by(central, trace(central, lan, lan.a,
                                         "icmp4 && icmp4.type == 0 && icmp4.code == 0"),
                          r["id"])
    finally:
        assert api.delete(f"{RULES}/{r['id']}").status_code == 204


def test_remote_group_admits_its_members_only(api: Api, central: Central, lan: Lan) -> None:
    """A rule with remote group Default matches through the `$Default_ip4` address set
    that ovn-northd derives from the members' addresses: A (in Default) gets in, C not."""
    r = api.create("security-group-rules", "security_group_rule",
                   security_group_id=lan.group["id"], direction="ingress", protocol="tcp",
                   port_range_min=80, port_range_max=80, remote_group_id="Default")
    web = "tcp && tcp.src == 40000 && tcp.dst == 80"
    try:
        assert_allowed_by(central, trace(central, lan, lan.a, web), r["id"])
        assert_dropped(trace(central, lan, lan.c, web))
    finally:
        assert api.delete(f"{RULES}/{r['id']}").status_code == 204
    assert_dropped(trace(central, lan, lan.a, web))
