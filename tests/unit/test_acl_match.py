"""The rule grammar of docs/security-groups.md without an NB: validation, normalisation and
the exact match strings (whose text the duplicate check compares)."""

from __future__ import annotations

from typing import Any

import pytest

from ovn_provider.errors import BadRequest
from ovn_provider.neutron import acl_match as M
from ovn_provider.neutron import security_groups as SG
from ovn_provider.schema import codec


def parse(**attrs: Any) -> M.Rule:
    attrs.setdefault("security_group_id", "sg")
    attrs.setdefault("direction", "ingress")
    return M.parse_rule(attrs)


def match(**attrs: Any) -> str:
    remote = attrs.pop("remote_pg", None)
    return parse(**attrs).match("pg", remote)


def test_spec_example() -> None:
    assert match(remote_ip_prefix="10.0.0.0/8", protocol="tcp", port_range_min=80,
                 port_range_max=80) == (
        "outport == @pg && ip4 && ip4.src == 10.0.0.0/8 && tcp && tcp.dst == 80")


@pytest.mark.parametrize(("attrs", "expected"), [
    ({}, "outport == @pg && ip4"),
    ({"direction": "egress"}, "inport == @pg && ip4"),
    ({"ethertype": "IPv6"}, "outport == @pg && ip6"),
    ({"remote_ip_prefix": "10.1.2.3/16", "direction": "egress"},
     "inport == @pg && ip4 && ip4.dst == 10.1.0.0/16"),
    ({"remote_ip_prefix": "fd00::5/64", "ethertype": "IPv6"},
     "outport == @pg && ip6 && ip6.src == fd00::/64"),
    ({"remote_pg": "other"}, "outport == @pg && ip4 && ip4.src == $other_ip4"),
    ({"remote_pg": "other", "ethertype": "IPv6", "direction": "egress"},
     "inport == @pg && ip6 && ip6.dst == $other_ip6"),
    ({"protocol": "udp", "port_range_min": 5, "port_range_max": 9},
     "outport == @pg && ip4 && udp && udp.dst >= 5 && udp.dst <= 9"),
    ({"protocol": 132, "port_range_min": "9", "port_range_max": 9},
     "outport == @pg && ip4 && sctp && sctp.dst == 9"),
    ({"protocol": "icmp", "port_range_min": None, "port_range_max": -1},
     "outport == @pg && ip4 && icmp4"),
    ({"protocol": "icmp", "port_range_min": 0, "port_range_max": 0},
     "outport == @pg && ip4 && icmp4 && icmp4.type == 0 && icmp4.code == 0"),
    ({"protocol": "icmp", "port_range_min": "8", "port_range_max": "-1"},
     "outport == @pg && ip4 && icmp4 && icmp4.type == 8"),
    ({"protocol": "ipv6-icmp", "ethertype": "IPv6", "port_range_min": 135},
     "outport == @pg && ip6 && icmp6 && icmp6.type == 135"),
    ({"protocol": "icmpv6", "ethertype": "IPv6"}, "outport == @pg && ip6 && icmp6"),
    ({"protocol": 58, "ethertype": "IPv6"}, "outport == @pg && ip6 && icmp6"),
    ({"protocol": "esp"}, "outport == @pg && ip4 && ip.proto == 50"),
    ({"protocol": "udplite"}, "outport == @pg && ip4 && ip.proto == 136"),
    ({"protocol": " 47 "}, "outport == @pg && ip4 && ip.proto == 47"),
    ({"protocol": ""}, "outport == @pg && ip4"),
])
def test_match_terms(attrs: dict[str, Any], expected: str) -> None:
    assert match(**attrs) == expected


@pytest.mark.parametrize(("name", "number"), list(M.PROTOCOLS.items()))
def test_every_protocol_name_and_its_number(name: str, number: int) -> None:
    ether = "IPv6" if number in IPV6_ONLY else "IPv4"
    by_name = parse(protocol=name, ethertype=ether)
    by_number = parse(protocol=number, ethertype=ether)
    assert by_name.proto_number == by_number.proto_number == number
    assert by_name.protocol == name and by_number.protocol == str(number)
    assert by_name.match("pg") == by_number.match("pg")
    assert parse(protocol=name.upper(), ethertype=ether).match("pg") == by_name.match("pg")


#: Neutron's IPv6-only protocols (ipv6-encap, -route, -frag, -icmp/icmpv6, -nonxt, -opts).
IPV6_ONLY = (41, 43, 44, 58, 59, 60)


@pytest.mark.parametrize("protocol", [
    *(name for name, number in M.PROTOCOLS.items() if number in IPV6_ONLY),
    *IPV6_ONLY, *(str(number) for number in IPV6_ONLY), "IPv6-ICMP"])
def test_ipv6_only_protocol_needs_ipv6(protocol: Any) -> None:
    """As Neutron (SecurityGroupEthertypeConflictWithProtocol): an IPv6-only protocol with
    ethertype IPv4 (the default) is a 400; the ICMP ones would otherwise match icmp4, so
    a rule asked for ICMPv6 opened ICMPv4."""
    for attrs in ({"ethertype": "IPv4"}, {}):
        with pytest.raises(BadRequest) as caught:
            parse(protocol=protocol, **attrs)
        assert caught.value.message == f"Invalid ethertype IPv4 for protocol {protocol}."
        assert caught.value.type == "SecurityGroupEthertypeConflictWithProtocol"
    assert parse(protocol=protocol, ethertype="IPv6").ethertype == "IPv6"


def test_protocol_table_matches_the_spec() -> None:
    assert M.PROTOCOLS == {
        "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "icmp": 1, "igmp": 2,
        "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58,
        "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113,
        "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112}


def test_parsed_fields() -> None:
    rule = parse(protocol="TCP", port_range_min="22", port_range_max=22, description="ssh",
                 remote_ip_prefix="192.168.1.77/24", tenant_id="t", project_id="p")
    assert rule == M.Rule(group="sg", direction="ingress", ethertype="IPv4", protocol="TCP",
                          proto_number=6, port_min=22, port_max=22,
                          remote_ip_prefix="192.168.1.0/24", description="ssh")
    assert parse(ethertype="ipv6").ethertype == "IPv6"
    assert parse(remote_ip_prefix="10.0.0.0/8").ethertype == "IPv4"
    assert parse(description="").description is None


@pytest.mark.parametrize(("attrs", "message"), [
    ({"security_group_id": None}, "Mandatory data security_group_id is missing"),
    ({"direction": None}, "Mandatory data direction is missing"),
    ({"protocol": "sctp", "port_range_max": "9"},
     "For TCP/UDP/SCTP protocols, port_range_min must be <= port_range_max (port_range_max "
     "is given without port_range_min)"),
    ({"direction": "both"}, "Invalid input for direction. Reason: 'both' is not in "
     "['ingress', 'egress']."),
    ({"protocol": "bogus"}, 'The protocol "bogus" is not supported. Valid protocols are: '),
    ({"protocol": 300}, 'The protocol "300" is not supported.'),
    ({"protocol": -1}, 'The protocol "-1" is not supported.'),
    ({"protocol": False}, 'The protocol "False" is not supported.'),
    ({"protocol": 1.0}, 'The protocol "1.0" is not supported.'),
    ({"ethertype": "ipx"}, "Invalid input for ethertype."),
    ({"ethertype": "IPv6", "remote_ip_prefix": "1.2.3.0/24"},
     "Conflicting value ethertype IPv6 for CIDR 1.2.3.0/24"),
    ({"remote_ip_prefix": "::/0"}, "Conflicting value ethertype IPv4 for CIDR ::/0"),
    ({"remote_ip_prefix": "1.2.3/33"}, "Invalid input for remote_ip_prefix."),
    ({"remote_ip_prefix": "1.2.3.0/24", "remote_group_id": "x"},
     "Only remote_ip_prefix or remote_group_id may be provided."),
    ({"port_range_min": 1}, "Must also specify protocol if port range is given."),
    ({"protocol": "tcp", "port_range_min": "x"}, "Invalid value for port_range_min"),
    ({"protocol": "tcp", "port_range_max": [1]}, "Invalid value for port_range_max"),
    ({"protocol": "tcp", "port_range_min": 65536}, "Invalid value for port 65536"),
    ({"protocol": "tcp", "port_range_min": -2}, "Invalid value for port -2"),
    ({"protocol": "tcp", "port_range_min": 2, "port_range_max": 1},
     "For TCP/UDP/SCTP protocols, port_range_min must be <= port_range_max"),
    ({"protocol": "icmp", "port_range_max": 1}, "ICMP code (port-range-max) 1 is provided but "
     "ICMP type (port-range-min) is missing."),
    ({"protocol": "icmp", "port_range_min": "-1", "port_range_max": 1},
     "Invalid value for ICMP type (port-range-min) -1: ICMP code (port-range-max) 1"),
    ({"protocol": "tcp", "port_range_max": -16}, "Invalid value for port -16"),
    ({"protocol": "icmp", "port_range_min": 256}, "Invalid value for ICMP type"),
    ({"protocol": "icmp", "port_range_min": 1, "port_range_max": 256},
     "Invalid value for ICMP code"),
    ({"protocol": "ah", "port_range_min": 1}, "Invalid protocol 51 for port range"),
    ({"description": 1}, "Invalid input for description."),
    ({"description": "x" * 256}, "Invalid input for description. Reason: 'xxxx"),
    ({"tenant_id": 1}, "Invalid input for tenant_id."),
])
def test_rejections(attrs: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(**attrs)
    assert caught.value.message.startswith(message), caught.value.message


@pytest.mark.parametrize(("stored", "shown"), [
    ("2026-11-23T18:38:22.329755", "2026-11-23T18:38:22Z"),
    ("2026-11-23T18:38:22.329755Z", "2026-11-23T18:38:22Z"),
    ("2026-11-23T18:38:22", "2026-11-23T18:38:22Z"),
    ("", None), (None, None), ("None", None), ("yesterday", None),
    # forms the strftime-free fast path of codec.timestamp must leave to strftime
    ("2026-11-23 18:38:22", "2026-11-23T18:38:22Z"),
    ("0999-01-01T00:00:00", "999-01-01T00:00:00Z"),
    ("2026-11-23T18:38:22+05:00", "2026-11-23T18:38:22Z"),
    ("20261123T183822", "2026-11-23T18:38:22Z"),
    ("2026-11-23T18:38", "2026-11-23T18:38:00Z"), ("2026-13-01T00:00:00", None),
])
def test_timestamps(stored: str | None, shown: str | None) -> None:
    assert codec.timestamp(stored) == shown


def test_stored_timestamp_form_and_pg_names() -> None:
    text = SG.now_text()
    assert len(text) == 26 and text[10] == "T" and text[19] == "."
    assert codec.timestamp(text) == text[:19] + "Z"
    name = SG.pg_name_for_new_group()
    assert name.startswith("ovirt_") and "-" not in name and len(name) == 42
