"""Security groups and rules through the real clients (the `openstack` CLI and
openstacksdk), Keystone v2.0 and v3 (docs/security-groups.md; docs/security-groups.md).

Rules are checked down to the ACL each one became in the NB. The CLI test is one
`openstack` process fed its commands on stdin (tests/clients/conftest.py).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from tests.clients.conftest import Osc
from tests.support.provider import Api

# The SDK's own notices about its future API (openstack.warnings): not about the provider.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

TENANT = "00000000000000000000000000000001"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def acl(central: Central, rule_id: str) -> dict[str, Any]:
    doc = json.loads(central.nbctl("--format=json", "--columns=direction,match,action", "list",
                                   "ACL", rule_id))
    [[direction, match, action]] = doc["data"]
    return {"direction": direction, "match": match, "action": action}


def pg_name(central: Central, group_id: str) -> str:
    doc = json.loads(central.nbctl("--format=json", "--columns=name", "list", "Port_Group",
                                   group_id))
    return str(doc["data"][0][0])


def test_security_groups_and_rules_with_the_cli(osc: Osc, api: Api, central: Central) -> None:
    web, web2, peers, tag = unique("osc-sg"), unique("osc-sg"), unique("osc-peers"), unique("t")
    # a rule made through the API, for `rule show` and `rule delete` (rules have no names)
    seed = api.create("security-groups", "security_group", name=unique("osc-seed"))
    seeded = api.create("security-group-rules", "security_group_rule",
                        security_group_id=seed["id"], direction="ingress", protocol="udp",
                        port_range_min=53, port_range_max=53)
    out = osc.batch(
        ["security", "group", "create", "-f", "json", "--description", "web-tier", web],
        ["security", "group", "create", "-f", "json", peers],
        ["security", "group", "set", "--name", web2, "--description", "changed", "--tag", tag,
         web],
        ["security", "group", "show", "-f", "json", web2],
        ["security", "group", "list", "-f", "json", "--tags", tag],
        ["security", "group", "rule", "create", "-f", "json", "--ingress", "--ethertype", "IPv4",
         "--protocol", "tcp", "--dst-port", "80:90", "--remote-ip", "10.0.0.0/8",
         "--description", "web", web2],
        ["security", "group", "rule", "create", "-f", "json", "--ingress", "--protocol", "icmp",
         "--icmp-type", "8", "--icmp-code", "0", web2],
        ["security", "group", "rule", "create", "-f", "json", "--ingress", "--ethertype", "IPv6",
         "--protocol", "tcp", "--dst-port", "22", "--remote-group", peers, web2],
        ["security", "group", "rule", "list", "-f", "json", web2],
        ["security", "group", "rule", "show", "-f", "json", seeded["id"]],
        ["security", "group", "rule", "delete", seeded["id"]],
        ["security", "group", "rule", "list", "-f", "json", seed["id"]],
        ["security", "group", "show", "-f", "json", web2],
        ["security", "group", "delete", seed["id"]])
    (created, created_peers, shown, by_tag, tcp, icmp, remote, rules, seeded_shown,
     seed_rules, final) = [doc for doc in out if doc is not None]
    gid, peers_id = created["id"], created_peers["id"]
    assert created["name"] == web and created["description"] == "web-tier"
    assert created["revision_number"] == 1 and created["tags"] == []
    assert len(created["rules"]) == 2  # the automatic egress rules (IPv4, IPv6)
    assert {r["direction"] for r in created["rules"]} == {"egress"}
    assert shown["id"] == gid and shown["name"] == web2 and shown["description"] == "changed"
    assert shown["tags"] == [tag] and shown["revision_number"] > created["revision_number"]
    assert [g["ID"] for g in by_tag] == [gid]
    # tcp 80:90 from 10.0.0.0/8
    assert (tcp["protocol"], tcp["port_range_min"], tcp["port_range_max"]) == ("tcp", 80, 90)
    assert tcp["remote_ip_prefix"] == "10.0.0.0/8" and tcp["ether_type"] == "IPv4"
    assert tcp["direction"] == "ingress" and tcp["description"] == "web"
    assert tcp["security_group_id"] == gid and tcp["remote_group_id"] is None
    row = acl(central, tcp["id"])
    assert row["direction"] == "to-lport" and row["action"] in ("allow", "allow-related")
    for term in ("ip4", "tcp", "80", "90", "10.0.0.0/8"):
        assert term in row["match"], row["match"]
    # icmp type 8 code 0: 0 is a real code
    assert (icmp["protocol"], icmp["port_range_min"], icmp["port_range_max"]) == ("icmp", 8, 0)
    match = acl(central, icmp["id"])["match"]
    assert "icmp4.type == 8" in match and "icmp4.code == 0" in match, match
    # tcp 22 over IPv6 from the members of another group
    assert remote["remote_group_id"] == peers_id and remote["ether_type"] == "IPv6"
    assert (remote["port_range_min"], remote["port_range_max"]) == (22, 22)
    match = acl(central, remote["id"])["match"]
    assert f"${pg_name(central, peers_id)}_ip6" in match and "tcp.dst == 22" in match, match
    assert {r["ID"] for r in rules} == {r["id"] for r in created["rules"]} | {
        tcp["id"], icmp["id"], remote["id"]}
    assert seeded_shown["id"] == seeded["id"] and seeded_shown["protocol"] == "udp"
    assert (seeded_shown["port_range_min"], seeded_shown["port_range_max"]) == (53, 53)
    assert seeded["id"] not in {r["ID"] for r in seed_rules}
    assert api.get(f"/v2.0/security-group-rules/{seeded['id']}").status_code == 404
    assert final["revision_number"] >= shown["revision_number"] + 3  # one bump per rule
    assert {r["id"] for r in final["rules"]} == {r["ID"] for r in rules}
    assert api.get(f"/v2.0/security-groups/{seed['id']}").status_code == 404
    # deleting a group takes the rules naming it as remote group, then its own
    assert api.delete(f"/v2.0/security-groups/{peers_id}").status_code == 204
    assert api.get(f"/v2.0/security-group-rules/{remote['id']}").status_code == 404
    assert api.delete(f"/v2.0/security-groups/{gid}").status_code == 204
    for rule in (tcp, icmp):
        assert api.get(f"/v2.0/security-group-rules/{rule['id']}").status_code == 404
    assert osc.processes == 1


def test_security_groups_and_rules_with_the_sdk(sdk: Any, api: Api, central: Central) -> None:
    net = sdk.network
    group = net.create_security_group(name=unique("sdk-sg"), description="d", tags=["blue"])
    peers = net.create_security_group(name=unique("sdk-peers"))
    try:
        assert group.tags == ["blue"] and group.description == "d"  # tag-creation
        assert group.project_id == TENANT and group.revision_number == 1
        assert net.find_security_group(group.name).id == group.id
        new_name = f"{group.name}b"
        updated = net.update_security_group(group, name=new_name, description="e")
        assert updated.name == new_name and updated.revision_number == 2
        tcp = net.create_security_group_rule(
            security_group_id=group.id, direction="ingress", ethertype="IPv4",
            protocol="tcp", port_range_min=443, port_range_max=443,
            remote_ip_prefix="192.0.2.0/24", description="tls")
        assert (tcp.port_range_min, tcp.port_range_max, tcp.protocol) == (443, 443, "tcp")
        assert tcp.remote_ip_prefix == "192.0.2.0/24" and tcp.description == "tls"
        icmp = net.create_security_group_rule(
            security_group_id=group.id, direction="ingress", protocol="icmp",
            port_range_min=0, port_range_max=0)
        assert (icmp.port_range_min, icmp.port_range_max) == (0, 0)
        assert "icmp4.type == 0" in acl(central, icmp.id)["match"]
        remote = net.create_security_group_rule(
            security_group_id=group.id, direction="egress", remote_group_id=peers.id)
        assert remote.remote_group_id == peers.id and remote.direction == "egress"
        assert acl(central, remote.id)["direction"] == "from-lport"
        listed = {r.id for r in net.security_group_rules(security_group_id=group.id)}
        assert {tcp.id, icmp.id, remote.id} <= listed and len(listed) == 5
        assert net.get_security_group_rule(tcp.id).remote_ip_prefix == "192.0.2.0/24"
        net.delete_security_group_rule(icmp)
        assert net.find_security_group_rule(icmp.id) is None
        # tags: set, add, check, filter, remove
        net.set_tags(group, ["blue", "green"])
        net.add_tag(group, "red")
        assert net.check_tag(group, "red") is not None
        shown = net.get_security_group(group.id)
        assert shown.tags == ["blue", "green", "red"] and shown.revision_number >= 5
        assert [g.id for g in net.security_groups(tags="green,red")] == [group.id]
        assert group.id not in {g.id for g in net.security_groups(not_any_tags="red")}
        net.remove_tag(group, "green")
        assert net.get_security_group(group.id).tags == ["blue", "red"]
        # the Default group is found by either name, shown as Neutron's `default`, and
        # cannot be deleted
        default = net.find_security_group("Default")
        assert default is not None and default.name == "default"
        found = net.find_security_group("default")
        assert found is not None and found.id == default.id
        assert api.delete(f"/v2.0/security-groups/{default.id}").status_code == 400
    finally:
        net.delete_security_group(group)
        net.delete_security_group(peers)
    assert net.find_security_group(group.id) is None
    assert net.find_security_group_rule(remote.id) is None
