"""Configuration compatible with ovirt-provider-ovn (docs/configuration.md).

Files are read in order (main file, then conf.d/*.conf sorted by name); a later file
overrides an earlier one key by key. Every value is validated at load time, and a bad one
stops start-up with a message that names the file, section and key.
"""

from __future__ import annotations

import configparser
import glob
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

LOG = logging.getLogger(__name__)

DEFAULT_MAIN = "/etc/ovirt-provider-ovn/ovirt-provider-ovn.conf"
DEFAULT_CONFD = "/etc/ovirt-provider-ovn/conf.d"
DEFAULT_CACERT = "/etc/pki/ovirt-engine/ca.pem"


class ConfigError(Exception):
    """A configuration value that cannot be used."""


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise ValueError(f"not a TCP port: {text!r}")
    return value


def _pos_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"must be positive: {text!r}")
    return value


def _nonneg_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"must not be negative: {text!r}")
    return value


def _pos_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError(f"must be positive: {text!r}")
    return value


def _mac(text: str) -> str:
    from ovn_provider.neutron.validate import normalize_mac

    mac = normalize_mac(text.strip())
    if mac is None:
        raise ValueError(f"not a MAC address: {text!r}")
    return mac


def _ipv6_mode(text: str) -> str:
    mode = text.strip().replace("_", "-")
    if mode not in ("dhcpv6-stateful", "dhcpv6-stateless", "slaac"):
        raise ValueError(f"not an IPv6 address mode: {text!r}")
    return mode


def _str(text: str) -> str:
    return text.strip()


def _remote(text: str) -> str:
    """An OVSDB client remote: `tcp:`/`ssl:` `<host>[:<port>]` (IPv6 hosts in brackets) or
    `unix:<path>`, or a comma-separated list of them (a RAFT cluster)."""
    value = text.strip()
    parts = [part.strip() for part in value.split(",")]
    for part in parts:
        method, _, rest = part.partition(":")
        if method == "unix" and rest:
            continue
        if method not in ("tcp", "ssl") or not rest:
            raise ValueError(f"{part!r} is not tcp:<host>:<port>, ssl:<host>:<port> or "
                             "unix:<path>")
        if rest.startswith("["):
            host, bracket, tail = rest[1:].partition("]")
            if not bracket or not host or (tail and not tail.startswith(":")):
                raise ValueError(f"{part!r}: bad bracketed IPv6 host")
            port = tail[1:] if tail else None
        elif rest.count(":") > 1:
            raise ValueError(f"{part!r}: an IPv6 host must be written in brackets, "
                             f"e.g. {method}:[::1]:6641")
        else:
            host, _, port_text = rest.partition(":")
            port = port_text if ":" in rest else None
            if not host:
                raise ValueError(f"{part!r}: the host is missing")
        if port is not None:
            _port(port)
    return ",".join(parts)


def _opt_remote(text: str) -> str:
    return _remote(text) if text.strip() else ""


def derive_sb_remote(nb_remote: str) -> str:
    """The SB address beside an NB address: same scheme and host, port 6641 -> 6642,
    `unix:.../ovnnb_db.sock` -> `unix:.../ovnsb_db.sock` (Debian's layout)."""
    parts = []
    for part in nb_remote.split(","):
        method, _, rest = part.partition(":")
        if method == "unix":
            directory, _, base = rest.rpartition("/")
            base = "ovnsb_db.sock" if base in ("ovnnb_db.sock", "") else \
                base.replace("nb", "sb", 1)
            parts.append(f"unix:{directory}/{base}" if directory else f"unix:{base}")
        elif rest.endswith(":6641"):
            parts.append(f"{method}:{rest[:-5]}:6642")
        else:
            parts.append(part)
    return ",".join(parts)


def _cacert(text: str) -> str:
    """An empty value means the documented default, never the certificate path."""
    return text.strip() or DEFAULT_CACERT


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Key:
    section: str
    name: str
    attr: str
    default: str
    parse: Callable[[str], Any]


# (section, key, attribute, default, parser): the whole catalogue of docs/configuration.md,
# plus this project's own keys (documented in docs/configuration.md).
KEYS: tuple[Key, ...] = (
    Key("PROVIDER", "neutron-port", "neutron_port", "9696", _port),
    Key("PROVIDER", "keystone-port", "keystone_port", "35357", _port),
    Key("PROVIDER", "nova-port", "nova_port", "9696", _port),
    Key("PROVIDER", "provider-host", "provider_host", "localhost", _str),
    Key("PROVIDER", "openstack-region", "region", "RegionOne", _str),
    Key("PROVIDER", "openstack-neutron-id", "neutron_id", "00000000000000000000000000000001", _str),
    Key("PROVIDER", "openstack-keystone-id", "keystone_id", "00000000000000000000000000000002",
        _str),
    Key("PROVIDER", "openstack-tenant-id", "tenant_id", "00000000000000000000000000000001", _str),
    Key("PROVIDER", "openstack-tenant-name", "tenant_name", "tenant", _str),
    Key("PROVIDER", "openstack-tenant-description", "tenant_description", "tenant", _str),
    Key("PROVIDER", "ovs-version-2.9", "ovs_29", "false", _bool),
    Key("PROVIDER", "url_filter_exception", "url_filter_exception",
        "limit,page_reverse,next,previous", _csv),
    # ovn-provider's own: where the APIs listen ("::" is dual stack), request limits.
    Key("PROVIDER", "bind-address", "bind_address", "::", _str),
    Key("PROVIDER", "max-request-body", "max_body", "1048576", _pos_int),
    Key("PROVIDER", "nb-timeout", "nb_timeout", "20", _pos_float),
    # ovn-provider's own: while this file exists, /healthcheck answers 503 (a drain switch
    # for load balancers, docs/operations.md); empty: off.
    Key("PROVIDER", "healthcheck-disable-file", "healthcheck_disable_file", "", _str),
    # ovn-provider's own: seconds after which a chassis that stopped applying NB changes
    # shows `alive: false` in /v2.0/agents (Neutron's agent_down_time; docs/agents.md).
    Key("PROVIDER", "agent-down-time", "agent_down_time", "75", _pos_int),
    Key("OVN REMOTE", "ovn-remote", "ovn_remote", "tcp:127.0.0.1:6641", _remote),
    # ovn-provider's own: the SB, read for the chassis marked as gateways (empty: derived
    # from ovn-remote, see sb_remote below and docs/configuration.md).
    Key("OVN REMOTE", "ovn-sb-remote", "ovn_sb_remote", "", _opt_remote),
    Key("NETWORK", "port-security-enabled-default", "port_security_default", "false", _bool),
    # ovn-provider's own: SB chassis names (highest priority first) that host the
    # distributed gateway port of routers with SNAT or floating IPs. Empty: SNAT and
    # floating IPs are off, as in ovirt-provider-ovn (docs/routers.md).
    Key("NETWORK", "gateway-chassis", "gateway_chassis", "", _csv),
    # ovn-provider's own: most allowed address pairs per port (Neutron's default: 10).
    Key("NETWORK", "max-allowed-address-pairs", "max_address_pairs", "10", _nonneg_int),
    # ovn-provider's own: a subnet created without `gateway_ip` gets Neutron's default
    # gateway (its first address) instead of none. Off by default: the oVirt engine omits
    # a null gateway_ip and relies on getting no gateway (docs/configuration.md).
    Key("NETWORK", "subnet-default-gateway", "subnet_default_gateway", "false", _bool),
    Key("DHCP", "dhcp-server-mac", "dhcp_server_mac", "02:00:00:00:00:00", _mac),
    Key("DHCP", "dhcp-lease-time", "dhcp_lease_time", "86400", _pos_int),
    Key("DHCP", "dhcp-enable-mtu", "dhcp_enable_mtu", "true", _bool),
    Key("DHCP", "dhcp-mtu", "dhcp_mtu", "1442", _pos_int),
    Key("DHCP", "dhcp-default-ipv6-address-mode", "ipv6_default_mode", "dhcpv6-stateful",
        _ipv6_mode),
    Key("SSL", "https-enabled", "https", "false", _bool),
    Key("SSL", "ssl-key-file", "ssl_key",
        "/etc/pki/ovirt-engine/keys/ovirt-provider-ovn.key.nopass", _str),
    Key("SSL", "ssl-cert-file", "ssl_cert", "/etc/pki/ovirt-engine/certs/ovirt-provider-ovn.cer",
        _str),
    Key("SSL", "ssl-cacert-file", "ssl_cacert", DEFAULT_CACERT, _cacert),
    Key("SSL", "ssl-ciphers-string", "ssl_ciphers",
        "kECDHE+FIPS:kDHE+FIPS:kRSA+FIPS:!eNULL:!aNULL:-3DES", _str),
    Key("AUTH", "auth-plugin", "auth_plugin", "auth.plugins.ovirt:AuthorizationByUserName", _str),
    Key("AUTH", "auth-token-timeout", "auth_token_timeout", "360000", _nonneg_int),
    Key("AUTH", "token-cache-seconds", "token_cache_seconds", "60", _nonneg_int),
    Key("OVIRT", "ovirt-host", "ovirt_host", "https://localhost", _str),
    Key("OVIRT", "ovirt-base", "ovirt_base", "/ovirt-engine", _str),
    Key("OVIRT", "ovirt-ca-file", "ovirt_ca_file", "/etc/pki/ovirt-engine/ca.pem", _str),
    Key("OVIRT", "ovirt-auth-timeout", "ovirt_auth_timeout", "110.0", _pos_float),
    Key("OVIRT", "ovirt-sso-client-id", "sso_client_id", "ovirt-provider-ovn", _str),
    Key("OVIRT", "ovirt-sso-client-secret", "sso_client_secret", "to_be_set", _str),
    Key("OVIRT", "ovirt-admin-user-name", "admin_user_name", "admin@internal", _str),
    Key("OVIRT", "ovirt-admin-role-id", "admin_role_id", "def00005-0000-0000-0000-def000000005",
        _str),
    Key("OVIRT", "ovirt-admin-group-attribute-name", "admin_group_attribute_name",
        "AAA_AUTHZ_GROUP_NAME;java.lang.String;0eebe54f-b429-44f3-aa80-4704cbb16835", _str),
    Key("OVIRT", "ovirt-admin-group-attribute-value", "admin_group_attribute_value", "NetAdmin",
        _str),
    Key("VALIDATION", "validation-max-allowed-mtu", "max_mtu", "0", _nonneg_int),
)


@dataclass(frozen=True)
class Config:
    neutron_port: int
    keystone_port: int
    nova_port: int
    provider_host: str
    region: str
    neutron_id: str
    keystone_id: str
    tenant_id: str
    tenant_name: str
    tenant_description: str
    ovs_29: bool
    url_filter_exception: tuple[str, ...]
    bind_address: str
    max_body: int
    nb_timeout: float
    healthcheck_disable_file: str
    agent_down_time: int
    ovn_remote: str
    ovn_sb_remote: str
    port_security_default: bool
    gateway_chassis: tuple[str, ...]
    max_address_pairs: int
    subnet_default_gateway: bool
    dhcp_server_mac: str
    dhcp_lease_time: int
    dhcp_enable_mtu: bool
    dhcp_mtu: int
    ipv6_default_mode: str
    https: bool
    ssl_key: str
    ssl_cert: str
    ssl_cacert: str
    ssl_ciphers: str
    auth_plugin: str
    auth_token_timeout: int
    token_cache_seconds: int
    ovirt_host: str
    ovirt_base: str
    ovirt_ca_file: str
    ovirt_auth_timeout: float
    sso_client_id: str
    sso_client_secret: str
    admin_user_name: str
    admin_role_id: str
    admin_group_attribute_name: str
    admin_group_attribute_value: str
    max_mtu: int
    sources: tuple[str, ...] = field(default=())

    @property
    def scheme(self) -> str:
        return "https" if self.https else "http"

    def _url(self, port: int) -> str:
        host = self.provider_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{port}/"

    @property
    def sb_remote(self) -> str:
        """`[OVN REMOTE] ovn-sb-remote`, or the address derived from `ovn-remote`."""
        return self.ovn_sb_remote or derive_sb_remote(self.ovn_remote)

    @property
    def neutron_url(self) -> str:
        return self._url(self.neutron_port)

    @property
    def keystone_url(self) -> str:
        return self._url(self.keystone_port)

    @property
    def nova_url(self) -> str:
        return self._url(self.nova_port) + "v2.1/"

    def replace(self, **changes: Any) -> Config:
        values = {k.attr: getattr(self, k.attr) for k in KEYS}
        values.update(changes)
        return Config(**values, sources=self.sources)


def default_files(main: str | None = None, confd: str | None = None) -> list[str]:
    """The main file, then conf.d/*.conf in file-name order (docs/configuration.md)."""
    main = DEFAULT_MAIN if main is None else main
    confd = DEFAULT_CONFD if confd is None else confd
    return [main, *sorted(glob.glob(os.path.join(glob.escape(confd), "*.conf")))]


def load(paths: Sequence[str] | None = None, overrides: Iterable[tuple[str, str, str]] = ()
         ) -> Config:
    """Read `paths` in order (missing files are skipped) and validate every key.

    `overrides` are (section, key, value) triples applied last (used by --embedded-ovn).
    """
    files = default_files() if paths is None else list(paths)
    known = {(k.section, k.name): k for k in KEYS}
    sections = {k.section for k in KEYS}
    raw: dict[str, tuple[str, str]] = {}  # attr -> (value, origin)
    used: list[str] = []
    for path in files:
        if not os.path.isfile(path):
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path, encoding="utf-8") as handle:
                parser.read_file(handle, source=path)
        except (configparser.Error, OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be parsed: {exc}") from exc
        used.append(path)
        defaults = parser.defaults()
        for name in defaults:
            if not any((section, name) in known for section in sections):
                LOG.warning("%s: unknown key [%s] %s ignored", path, parser.default_section,
                            name)
        for section in parser.sections():
            if section not in sections:
                LOG.warning("%s: unknown section [%s] ignored", path, section)
                continue
            # Like configparser's get(), a section also sees the file's [DEFAULT] keys.
            for name, value in parser.items(section, raw=True):
                key = known.get((section, name))
                if key is None:
                    if name not in defaults:
                        LOG.warning("%s: unknown key [%s] %s ignored", path, section, name)
                    continue
                raw[key.attr] = (value, f"{path}: [{section}] {key.name}")
    for section, name, value in overrides:
        key = known.get((section, name.lower()))
        if key is None:
            raise ConfigError(f"command line: unknown key [{section}] {name}")
        raw[key.attr] = (value, f"command line: [{section}] {key.name}")
    values: dict[str, Any] = {}
    for key in KEYS:
        text, origin = raw.get(key.attr, (key.default, f"default [{key.section}] {key.name}"))
        try:
            values[key.attr] = key.parse(text)
        except ValueError as exc:
            raise ConfigError(f"{origin}: invalid value {text!r}: {exc}") from exc
    return Config(**values, sources=tuple(used))
