"""The tunnel address: an IP as given, or the address of a vdsm network (docs/driver.md).

vdsm reports its networks in the host capabilities (`vdsm-client Host getCapabilities`):
`networks.<name>.addr` (IPv4) and `networks.<name>.ipv6addrs` (`addr/prefix` strings).
The capabilities source is pluggable: tests feed sample JSON, vdsm-tool may pass vdsm's
own API, and OVN_PROVIDER_VDSM_CAPS may name a JSON file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ovn_provider.driver.errors import DriverError
from ovn_provider.driver.host import Host
from ovn_provider.driver.runner import check
from ovn_provider.driver.settings import is_ip

CapsLoader = Callable[[], Mapping[str, Any]]
CAPS_FILE_ENV = "OVN_PROVIDER_VDSM_CAPS"


def network_address(caps: Mapping[str, Any], network: str) -> str:
    """The IPv4 `addr` of vdsm network `network`, else its first IPv6 address."""
    networks = caps.get("networks")
    if not isinstance(networks, Mapping) or network not in networks:
        raise DriverError(f"vdsm network {network!r} not found")
    info = networks[network]
    if not isinstance(info, Mapping):
        raise DriverError(f"vdsm network {network!r} has no address")
    addr = info.get("addr")
    if isinstance(addr, str) and addr and is_ip(addr):
        return addr
    for entry in info.get("ipv6addrs") or []:
        if isinstance(entry, str) and entry:
            candidate = entry.split("/", 1)[0]
            if is_ip(candidate):
                return candidate
    raise DriverError(f"vdsm network {network!r} has no address")


def resolve_tunnel_ip(value: str, load_caps: CapsLoader) -> str:
    """`value` if it is an IP address, else the address of the vdsm network it names."""
    if is_ip(value):
        return value
    return network_address(load_caps(), value)


def vdsm_client_caps(host: Host) -> CapsLoader:
    """Capabilities from `vdsm-client Host getCapabilities` (or the file named by env)."""

    def load() -> Mapping[str, Any]:
        env = host.base_env or {}
        path = env.get(CAPS_FILE_ENV)
        if path:
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except OSError as err:
                raise DriverError(f"cannot read {path}: {err.strerror}") from None
        else:
            result = host.runner(["vdsm-client", "Host", "getCapabilities"], env=None,
                                 timeout=60)
            text = check(result, "vdsm-client Host getCapabilities")
        try:
            caps = json.loads(text)
        except ValueError as err:
            raise DriverError(f"vdsm capabilities are not JSON: {err}") from None
        if not isinstance(caps, Mapping):
            raise DriverError("vdsm capabilities are not a JSON object")
        return caps

    return load
