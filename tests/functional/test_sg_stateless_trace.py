"""stateful-security-group, proven with ovn-trace (docs/security-groups.md, "Stateless
groups"): the rules of a group with `stateful: false` are ACLs with action
`allow-stateless`, so ovn-northd lets their packets bypass connection tracking; the same
rule in a stateful group commits the connection. Port A (Default) sends TCP 22 to port B
(stateless group S) and to port C (stateful group T)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import run
from ovn_provider.server import Provider
from tests.support.provider import Api

SG = "/v2.0/security-groups"
TCP22 = "tcp && tcp.src == 40000 && tcp.dst == 22"


@dataclass
class Lan:
    ls: str
    a: dict[str, Any]
    b: dict[str, Any]
    c: dict[str, Any]
    stateless: dict[str, Any]
    stateful: dict[str, Any]


def _ip(port: dict[str, Any]) -> str:
    return str(port["fixed_ips"][0]["ip_address"])


@pytest.fixture(scope="module")
def lan(provider: Provider, central: Central) -> Iterator[Lan]:
    api = Api(provider)
    try:
        net = api.network(name="stateless", port_security_enabled=True)
        api.subnet(net["id"], "10.78.0.0/24")
        s = api.create("security-groups", "security_group", name="s", stateful=False)
        t = api.create("security-groups", "security_group", name="t")
        for group in (s, t):
            api.create("security-group-rules", "security_group_rule",
                       security_group_id=group["id"], direction="ingress", protocol="tcp",
                       port_range_min=22, port_range_max=22)
        a = api.port(net["id"], name="A", fixed_ips=[{"ip_address": "10.78.0.10"}])
        b = api.port(net["id"], name="B", fixed_ips=[{"ip_address": "10.78.0.20"}],
                     security_groups=[s["id"]])
        c = api.port(net["id"], name="C", fixed_ips=[{"ip_address": "10.78.0.30"}],
                     security_groups=[t["id"]])
        ls = central.nbctl("get", "Logical_Switch", net["id"], "name").strip().strip('"')
        yield Lan(ls, a, b, c, api.show("security-groups", "security_group", s["id"]),
                  api.show("security-groups", "security_group", t["id"]))
    finally:
        api.close()


def _egress_part(central: Central, lan: Lan, dst: dict[str, Any]) -> str:
    """The trace of one new TCP 22 packet from A to `dst`, from the egress pipeline on
    (where `dst`'s ingress rules apply)."""
    central.nbctl("--wait=sb", "sync")
    flow = (f'inport == "{lan.a["id"]}" && eth.src == {lan.a["mac_address"]} && '
            f'eth.dst == {dst["mac_address"]} && ip4.src == {_ip(lan.a)} && '
            f"ip4.dst == {_ip(dst)} && ip.ttl == 64 && {TCP22}")
    text = run(["ovn-trace", f"--db={central.sb_remote}", "--no-friendly-names",
                "--ct=new", "--ct=new", lan.ls, flow], env=central.env)
    assert f'output to "{dst["id"]}"' in text, text
    start = text.index("egress(")
    return text[start:]


def test_stateless_group_shows_and_writes_allow_stateless(central: Central,
                                                          lan: Lan) -> None:
    assert lan.stateless["stateful"] is False and lan.stateful["stateful"] is True
    for group, action in ((lan.stateless, "allow-stateless"), (lan.stateful, "allow-related")):
        rules = group["security_group_rules"]
        assert len(rules) == 3  # two automatic egress rules and TCP 22
        for rule in rules:
            got = central.nbctl("get", "ACL", rule["id"], "action").strip().strip('"')
            assert got == action, (group["name"], rule)


def test_trace_stateless_rule_bypasses_conntrack(central: Central, lan: Lan) -> None:
    stateless = _egress_part(central, lan, lan.b)
    stateful = _egress_part(central, lan, lan.c)
    # The stateful group's port: the packet goes through conntrack and is committed.
    assert "ct_next" in stateful and "ct_commit" in stateful, stateful
    # The stateless group's port: allowed without any conntrack action.
    assert "ct_next" not in stateless and "ct_commit" not in stateless, stateless
    assert "ls_out_acl" in stateless or "ls_out_pre_acl" in stateless, stateless


def test_stateful_changes_only_without_ports(api: Api, central: Central, lan: Lan) -> None:
    response = api.put(f"{SG}/{lan.stateless['id']}", {"security_group": {"stateful": True}})
    assert response.status_code == 409, response.text
    free = api.create("security-groups", "security_group", name="free", stateful=False)
    rule = api.create("security-group-rules", "security_group_rule",
                      security_group_id=free["id"], direction="ingress", protocol="udp")
    assert central.nbctl("get", "ACL", rule["id"], "action").strip() == "allow-stateless"
    response = api.put(f"{SG}/{free['id']}", {"security_group": {"stateful": True}})
    assert response.status_code == 200, response.text
    assert response.json()["security_group"]["stateful"] is True
    assert central.nbctl("get", "ACL", rule["id"], "action").strip() == "allow-related"
    assert api.delete(f"{SG}/{free['id']}").status_code == 204
