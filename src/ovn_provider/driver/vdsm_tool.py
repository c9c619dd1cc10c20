"""`vdsm-tool ovn-config` / `vdsm-tool ovn-unconfigure` (docs/driver.md).

packaging/vdsm/tool/ovn_config.py is installed as `<sitelib>/vdsm/tool/ovn_config.py`
(replacing the predecessor's module) and re-exports the two commands below. vdsm-tool
finds them by their `_vdsm_tool` attribute, set by vdsm's `expose` decorator. vdsm is
optional here: without it a compatible fallback is used, so this module imports and is
unit tested anywhere.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ovn_provider.driver.configure import (
    SYSCONFIG_OVN_CONTROLLER,
    SYSTEM_ID_CONF,
    ConfigureOptions,
    Output,
    UnconfigureOptions,
    configure,
    unconfigure,
)
from ovn_provider.driver.errors import DriverError
from ovn_provider.driver.host import Host
from ovn_provider.driver.settings import LEGACY_KEYS, ControllerConfig, Pki
from ovn_provider.driver.tunnel import CapsLoader, resolve_tunnel_ip, vdsm_client_caps

F = TypeVar("F", bound=Callable[..., Any])
CONFIG_FAILED = "Failed to configure OVN controller."
UNCONFIG_FAILED = "Failed to unconfigure OVN controller."


def _vdsm_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


class FallbackUsageError(RuntimeError):
    """Same role as vdsm.tool.UsageError when vdsm is not installed."""


_TOOL = _vdsm_module("vdsm.tool")
UsageError: type[Exception] = getattr(_TOOL, "UsageError", FallbackUsageError)


def expose(name: str) -> Callable[[F], F]:
    """vdsm.tool.expose when available, else the same marking."""
    if _TOOL is not None and hasattr(_TOOL, "expose"):
        decorator: Callable[[F], F] = _TOOL.expose(name)
        return decorator

    def mark(function: F) -> F:
        function._vdsm_tool = {"name": name}  # type: ignore[attr-defined]
        return function

    return mark


def _command_args(args: Sequence[str], name: str) -> list[str]:
    """vdsm-tool passes the command name first (newer vdsm) or not (older)."""
    args = list(args)
    return args[1:] if args and args[0] == name else args


def vdsm_caps_loader(host: Host) -> CapsLoader:
    """vdsm's own network capabilities when importable, else `vdsm-client`."""
    api = _vdsm_module("vdsm.network.api")
    if api is not None and hasattr(api, "network_caps"):
        return lambda: dict(api.network_caps())
    return vdsm_client_caps(host)


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def run_ovn_config(args: Sequence[str], host: Host | None = None,
                   caps: CapsLoader | None = None, system_id_file: str = SYSTEM_ID_CONF,
                   sysconfig_file: str = SYSCONFIG_OVN_CONTROLLER,
                   out: Output = print) -> int:
    if len(args) not in (2, 3):
        raise UsageError("ovn-config takes 2 or 3 arguments: <central IP> "
                         "<tunnel IP | vdsm network name> [<host FQDN>]")
    host = host or Host.from_environ()
    central, tunnel = args[0], args[1]
    fqdn = args[2] if len(args) == 3 else None
    try:
        tunnel_ip = resolve_tunnel_ip(tunnel, caps or vdsm_caps_loader(host))
        config = ControllerConfig(central_ips=(central,), tunnel_ip=tunnel_ip, protocol="ssl",
                                  host_fqdn=fqdn, pki=Pki())
        configure(host, ConfigureOptions(config=config, system_id_file=system_id_file,
                                         sysconfig_file=sysconfig_file, restart="host"),
                  out=out)
    except DriverError as err:
        _err(str(err))
        _err(CONFIG_FAILED)
        return 1
    return 0


def run_ovn_unconfigure(args: Sequence[str], host: Host | None = None,
                        out: Output = print) -> int:
    if args:
        raise UsageError("ovn-unconfigure takes no arguments")
    host = host or Host.from_environ()
    try:
        unconfigure(host, UnconfigureOptions(also=LEGACY_KEYS, manage_ovsdb=True), out=out)
    except DriverError as err:
        _err(str(err))
        _err(UNCONFIG_FAILED)
        return 1
    return 0


@expose("ovn-config")
def ovn_config(*args: str) -> int:
    """ovn-config IP-central [tunneling-IP|tunneling-network] [host-fqdn]
    Configures the ovn-controller on the host.

    Parameters:
    IP-central - the IP of the engine (the host where OVN central is located)
    tunneling-IP - the local IP which is to be used for OVN tunneling
    tunneling-network - the vdsm network meant to be used for OVN tunneling
    host-fqdn - the FQDN of the host, used as the OVS system-id (chassis name)
    """
    return run_ovn_config(_command_args(args, "ovn-config"))


@expose("ovn-unconfigure")
def ovn_unconfigure(*args: str) -> int:
    """ovn-unconfigure
    Removes the OVN settings of this host (the chassis leaves the OVN Southbound).
    """
    return run_ovn_unconfigure(_command_args(args, "ovn-unconfigure"))
