"""The pure part of security group rules: validating a rule request and turning it into
an OVN ACL match string (docs/security-groups.md).

Nothing here touches the NB. `parse_rule` checks and normalises a request body and
returns a `Rule`; `Rule.match(pg_name, remote_pg_name)` builds the exact match string
whose text the duplicate check (and the predecessor's deletion) compares.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from ovn_provider.errors import BadRequest

INGRESS = "ingress"
EGRESS = "egress"
IPV4 = "IPv4"
IPV6 = "IPv6"

#: Neutron direction -> ACL direction column, and the port term of the match.
ACL_DIRECTION = {INGRESS: "to-lport", EGRESS: "from-lport"}
REST_DIRECTION = {"to-lport": INGRESS, "from-lport": EGRESS}
PORT_TERM = {INGRESS: "outport", EGRESS: "inport"}
#: Which end of the packet a remote prefix or group constrains.
REMOTE_FIELD = {INGRESS: "src", EGRESS: "dst"}
ETHER_TERM = {IPV4: "ip4", IPV6: "ip6"}

#: Every rule ACL: priority and action (docs/security-groups.md).
RULE_PRIORITY = 1001
RULE_ACTION = "allow-related"
STATELESS_ACTION = "allow-stateless"  # the rules of a group with stateful: false

#: Protocol names Neutron accepts, with their IP protocol numbers (docs/security-groups.md table).
PROTOCOLS: dict[str, int] = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "icmp": 1, "igmp": 2,
    "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113,
    "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}
#: Protocols whose destination port OVN can match, by number.
PORT_PROTOCOLS = {6: "tcp", 17: "udp", 132: "sctp"}
ICMP_NUMBERS = (1, 58)
#: Protocols only IPv6 carries (ipv6-encap, -route, -frag, -icmp/icmpv6, -nonxt, -opts):
#: Neutron refuses them with ethertype IPv4 (an ICMPv6 rule would match icmp4).
IPV6_ONLY = frozenset({41, 43, 44, 58, 59, 60})

MANDATORY = ("security_group_id", "direction")

_NUMBER = re.compile(r"^\s*[-+]?\d+\s*$")


@dataclass(frozen=True)
class Rule:
    """A validated rule request. `protocol` is the value as supplied (integers as
    decimal strings), `proto_number` its IP protocol number."""

    group: str  # security_group_id as requested (PG UUID, `Default` or PG name)
    direction: str
    ethertype: str = IPV4
    protocol: str | None = None
    proto_number: int | None = None
    port_min: int | None = None
    port_max: int | None = None
    remote_ip_prefix: str | None = None
    remote_group: str | None = None  # remote_group_id as requested
    description: str | None = None

    def match(self, pg_name: str, remote_pg_name: str | None = None) -> str:
        """The ACL match (docs/security-groups.md): direction, ethertype, remote prefix, remote
        group,
        protocol terms, joined with ` && `."""
        ether = ETHER_TERM[self.ethertype]
        side = REMOTE_FIELD[self.direction]
        terms = [f"{PORT_TERM[self.direction]} == @{pg_name}", ether]
        if self.remote_ip_prefix is not None:
            terms.append(f"{ether}.{side} == {self.remote_ip_prefix}")
        if remote_pg_name is not None:
            terms.append(f"{ether}.{side} == ${remote_pg_name}_{ether}")
        terms.extend(self.protocol_terms())
        return " && ".join(terms)

    def protocol_terms(self) -> list[str]:
        number = self.proto_number
        if number is None:
            return []
        if number in PORT_PROTOCOLS:
            name = PORT_PROTOCOLS[number]
            low, high = self.port_min, self.port_max
            if low is not None and low == high:
                return [name, f"{name}.dst == {low}"]
            terms = [name]
            if low is not None:
                terms.append(f"{name}.dst >= {low}")
            if high is not None:
                terms.append(f"{name}.dst <= {high}")
            return terms
        if number in ICMP_NUMBERS:
            icmp = "icmp4" if self.ethertype == IPV4 else "icmp6"
            terms = [icmp]
            if self.port_min is not None:
                terms.append(f"{icmp}.type == {self.port_min}")
            if self.port_max is not None:
                terms.append(f"{icmp}.code == {self.port_max}")
            return terms
        return [f"ip.proto == {number}"]


# -- field validators ------------------------------------------------------------------------
def protocol_number(value: Any) -> tuple[str, int] | None:
    """(protocol as stored/echoed, IP protocol number) for a request value; None when no
    protocol is given. Integers are echoed as decimal strings (docs/security-groups.md)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _unsupported(value)
    if isinstance(value, int):
        if 0 <= value <= 255:
            return str(value), value
        raise _unsupported(value)
    if not isinstance(value, str):
        raise _unsupported(value)
    text = value.strip()
    if _NUMBER.match(text):
        number = int(text)
        if 0 <= number <= 255:
            return text, number
        raise _unsupported(value)
    number_of = PROTOCOLS.get(text.lower())
    if number_of is None:
        raise _unsupported(value)
    return text, number_of


def _unsupported(value: Any) -> BadRequest:
    names = ", ".join(sorted(PROTOCOLS))
    return BadRequest(f'The protocol "{value}" is not supported. Valid protocols are: '
                      f"{names}, or protocol numbers ranging from 0 to 255.")


def port_value(value: Any, key: str) -> int | None:
    """An integer or numeric string; None and -1 mean unset ("any")."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadRequest(f"Invalid value for {key}: '{value}' is not an integer")
    if isinstance(value, str) and _NUMBER.match(value):
        value = int(value)
    if not isinstance(value, int):
        raise BadRequest(f"Invalid value for {key}: '{value}' is not an integer")
    if not -1 <= value <= 65535:
        raise BadRequest(f"Invalid value for port {value}")  # Neutron's wording
    if value == -1:
        return None
    return value


def ethertype(value: Any) -> str:
    if value is None:
        return IPV4
    if isinstance(value, str):
        for known in (IPV4, IPV6):
            if value.strip().lower() == known.lower():
                return known
    raise BadRequest(f"Invalid input for ethertype. Reason: '{value}' is not in "
                     f"['{IPV4}', '{IPV6}'].")


def direction(value: Any) -> str:
    if value in (INGRESS, EGRESS):
        return str(value)
    raise BadRequest(f"Invalid input for direction. Reason: '{value}' is not in "
                     f"['{INGRESS}', '{EGRESS}'].")


def remote_prefix(value: Any, ether: str) -> str | None:
    """The CIDR in its network form; its family must match the ethertype."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for remote_ip_prefix. Reason: '{value}' is not a "
                         "valid IP prefix.")
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise BadRequest(f"Invalid input for remote_ip_prefix. Reason: '{value}' is not a "
                         "valid IP prefix.") from None
    if (network.version == 4) != (ether == IPV4):
        raise BadRequest(f"Conflicting value ethertype {ether} for CIDR {value}")
    return network.with_prefixlen


def _check_ports(proto: int | None, low: int | None, high: int | None,
                 low_given: Any = None) -> None:
    """Port ranges by protocol, with Neutron's messages where Neutron has one
    (`low_given`: the request's `port_range_min`, to tell -1 from null)."""
    if low is None and high is None:
        return
    if proto is None:
        raise BadRequest("Must also specify protocol if port range is given.")
    if proto in PORT_PROTOCOLS:
        for port in (low, high):
            if port == 0:  # as Neutron: 0 is no TCP/UDP/SCTP port (ICMP type 0 is valid)
                raise BadRequest("Invalid value for port 0")
        if high is not None and low is None:
            raise BadRequest("For TCP/UDP/SCTP protocols, port_range_min must be <= "
                             "port_range_max (port_range_max is given without "
                             "port_range_min)")
        if low is not None and high is not None and low > high:
            raise BadRequest("For TCP/UDP/SCTP protocols, port_range_min must be <= "
                             "port_range_max")
        return
    if proto in ICMP_NUMBERS:
        for what, key, value in (("type", "port_range_min", low),
                                 ("code", "port_range_max", high)):
            if value is not None and not 0 <= value <= 255:
                raise BadRequest(f"Invalid value for ICMP {what} ({key}) {value}: must be "
                                 "between 0 and 255, or -1 for any")
        if high is not None and low is None:
            if low_given is not None:  # -1: any type, which cannot have a code
                raise BadRequest(f"Invalid value for ICMP type (port-range-min) {low_given}: "
                                 f"ICMP code (port-range-max) {high} is provided, so the "
                                 "type cannot be any")
            raise BadRequest(f"ICMP code (port-range-max) {high} is provided but ICMP type "
                             "(port-range-min) is missing.")
        return
    raise BadRequest(f"Invalid protocol {proto} for port range: port ranges are only "
                     "supported for tcp, udp, sctp and ICMP type/code")


def _text(value: Any, key: str, max_len: int = 255) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for {key}. Reason: '{value}' is not a valid string.")
    if len(value) > max_len:
        raise BadRequest(f"Invalid input for {key}. Reason: '{value[:40]}...' exceeds "
                         f"maximum length of {max_len}.")
    return value


def parse_rule(data: dict[str, Any]) -> Rule:
    """Validate a rule POST body (the object under `security_group_rule`)."""
    for key in MANDATORY:
        if data.get(key) is None:
            raise BadRequest(f"Mandatory data {key} is missing")
    group = _text(data["security_group_id"], "security_group_id")
    way = direction(data["direction"])
    ether = ethertype(data.get("ethertype"))
    proto = protocol_number(data.get("protocol"))
    if proto is not None and proto[1] in IPV6_ONLY and ether == IPV4:
        raise BadRequest(f"Invalid ethertype {ether} for protocol {proto[0]}.",
                         "SecurityGroupEthertypeConflictWithProtocol")
    low = port_value(data.get("port_range_min"), "port_range_min")
    high = port_value(data.get("port_range_max"), "port_range_max")
    _check_ports(proto[1] if proto else None, low, high, data.get("port_range_min"))
    prefix = remote_prefix(data.get("remote_ip_prefix"), ether)
    remote = data.get("remote_group_id")
    if remote is not None:
        remote = _text(remote, "remote_group_id")
        if prefix is not None:
            raise BadRequest("Only remote_ip_prefix or remote_group_id may be provided.")
    description = data.get("description")
    if description is not None:
        description = _text(description, "description")
    for key in ("tenant_id", "project_id"):
        if data.get(key) is not None:
            _text(data[key], key)
    return Rule(group=group, direction=way, ethertype=ether,
                protocol=proto[0] if proto else None, proto_number=proto[1] if proto else None,
                port_min=low, port_max=high, remote_ip_prefix=prefix, remote_group=remote,
                description=description or None)
