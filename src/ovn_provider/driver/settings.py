"""What `configure` writes: the OVS settings of docs/driver.md, computed purely.

No I/O here: `desired_settings(config)` turns validated options into the exact
`(column, key) -> value` map that the plan compares with the database.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ovn_provider.driver.errors import DriverError

PKI_DIR = "/etc/pki/vdsm/ovn"
DEFAULT_KEY = f"{PKI_DIR}/ovn-key.pem"
DEFAULT_CERT = f"{PKI_DIR}/ovn-cert.pem"
DEFAULT_CA_CERT = f"{PKI_DIR}/ca-cert.pem"
DEFAULT_SB_PORT = 6642
REMOTE_PROBE_INTERVAL = "60000"
OPENFLOW_PROBE_INTERVAL = "60"  # BZ 1871819
ENCAP_TYPES = ("geneve", "vxlan")
PROTOCOLS = ("ssl", "tcp")


@dataclass(frozen=True, order=True)
class Key:
    """One key of a map column of the Open_vSwitch row."""

    column: str
    key: str

    def __str__(self) -> str:
        return f"{self.column}:{self.key}"

    @classmethod
    def parse(cls, text: str) -> Key:
        column, sep, key = text.partition(":")
        if not sep or column not in ("external_ids", "other_config") or not key:
            raise ValueError(f"not a column:key pair: {text!r}")
        return cls(column, key)


def ext(key: str) -> Key:
    return Key("external_ids", key)


def other(key: str) -> Key:
    return Key("other_config", key)


SYSTEM_ID = ext("system-id")
OVN_REMOTE = ext("ovn-remote")
ENCAP_TYPE = ext("ovn-encap-type")
ENCAP_IP = ext("ovn-encap-ip")
REMOTE_PROBE = ext("ovn-remote-probe-interval")
OPENFLOW_PROBE = ext("ovn-openflow-probe-interval")
BRIDGE_MAPPINGS = ext("ovn-bridge-mappings")
BRIDGE_DATAPATH_TYPE = ext("ovn-bridge-datapath-type")
PRIVATE_KEY = other("private_key")
CERTIFICATE = other("certificate")
CA_CERT = other("ca_cert")

# The eight keys `vdsm-tool ovn-config` sets and `ovn-unconfigure` removes (docs/driver.md).
LEGACY_KEYS = (OVN_REMOTE, ENCAP_TYPE, ENCAP_IP, REMOTE_PROBE, OPENFLOW_PROBE,
               PRIVATE_KEY, CERTIFICATE, CA_CERT)


@dataclass(frozen=True)
class Pki:
    key: str = DEFAULT_KEY
    cert: str = DEFAULT_CERT
    ca_cert: str = DEFAULT_CA_CERT


@dataclass(frozen=True)
class ControllerConfig:
    """Validated options of `configure`."""

    central_ips: tuple[str, ...]
    tunnel_ip: str
    protocol: str = "ssl"
    sb_port: int = DEFAULT_SB_PORT
    encap: str = "geneve"
    host_fqdn: str | None = None
    pki: Pki | None = None
    bridge_mappings: tuple[tuple[str, str], ...] | None = None
    datapath_type: str | None = None

    def __post_init__(self) -> None:
        if not self.central_ips:
            raise DriverError("no central IP given")
        for ip in self.central_ips:
            check_ip(ip, "central IP")
        check_ip(self.tunnel_ip, "tunnel IP")
        if self.protocol not in PROTOCOLS:
            raise DriverError(f"protocol must be one of {', '.join(PROTOCOLS)}")
        if self.encap not in ENCAP_TYPES:
            raise DriverError(f"encap must be one of {', '.join(ENCAP_TYPES)}")
        if not 0 < self.sb_port < 65536:
            raise DriverError(f"invalid SB port {self.sb_port}")
        if self.host_fqdn is not None and not _valid_fqdn(self.host_fqdn):
            raise DriverError(f"invalid host FQDN {self.host_fqdn!r}")


def check_ip(text: str, what: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise DriverError(f"{what} {text!r} is not an IP address") from None


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _valid_fqdn(name: str) -> bool:
    if not name or len(name) > 253 or any(ch.isspace() for ch in name):
        return False
    return all(0 < len(label) <= 63 for label in name.rstrip(".").split("."))


def format_remote(protocol: str, ip: str, port: int) -> str:
    """`ssl:1.2.3.4:6642`, or `ssl:[2001:db8::1]:6642` for IPv6 (BZ 1507543)."""
    host = f"[{ip}]" if ":" in ip else ip
    return f"{protocol}:{host}:{port}"


def parse_bridge_mappings(text: str) -> tuple[tuple[str, str], ...]:
    """`physnet1:br-phy,physnet2:br-ex` -> ((physnet1, br-phy), (physnet2, br-ex))."""
    mappings: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        physnet, sep, bridge = item.partition(":")
        if not sep or not physnet or not bridge or ":" in bridge:
            raise DriverError(f"bad bridge mapping {item!r}: expected PHYSNET:BRIDGE")
        if physnet in seen:
            raise DriverError(f"physical network {physnet!r} is mapped twice")
        if len(bridge) > 15:
            raise DriverError(f"bridge name {bridge!r} is longer than 15 characters")
        seen.add(physnet)
        mappings.append((physnet, bridge))
    return tuple(mappings)


def format_bridge_mappings(mappings: tuple[tuple[str, str], ...]) -> str:
    return ",".join(f"{physnet}:{bridge}" for physnet, bridge in mappings)


def desired_settings(config: ControllerConfig) -> dict[Key, str]:
    """Every key `configure` owns for this config, with its value."""
    remote = ",".join(format_remote(config.protocol, ip, config.sb_port)
                      for ip in config.central_ips)
    settings: dict[Key, str] = {
        OVN_REMOTE: remote,
        ENCAP_TYPE: config.encap,
        ENCAP_IP: config.tunnel_ip,
        REMOTE_PROBE: REMOTE_PROBE_INTERVAL,
        OPENFLOW_PROBE: OPENFLOW_PROBE_INTERVAL,
    }
    if config.host_fqdn:
        settings[SYSTEM_ID] = config.host_fqdn
    pki = config.pki if config.pki is not None else (
        Pki() if config.protocol == "ssl" else None)
    if pki is not None:
        settings[PRIVATE_KEY] = pki.key
        settings[CERTIFICATE] = pki.cert
        settings[CA_CERT] = pki.ca_cert
    if config.bridge_mappings is not None:
        settings[BRIDGE_MAPPINGS] = format_bridge_mappings(config.bridge_mappings)
    if config.datapath_type:
        settings[BRIDGE_DATAPATH_TYPE] = config.datapath_type
    return settings


def controller_opts(pki: Pki) -> str:
    """The content of /etc/sysconfig/ovn-controller (docs/driver.md)."""
    return (f'OVN_CONTROLLER_OPTS="--ovn-controller-ssl-key={pki.key} '
            f'--ovn-controller-ssl-cert={pki.cert} '
            f'--ovn-controller-ssl-ca-cert={pki.ca_cert}"\n')
