"""vdsm `after_get_caps` hook (docs/driver.md): report the OVS system-id to the engine.

The engine reads `openstack_binding_host_ids.OVIRT_PROVIDER_OVN` from the host's
capabilities and sends it as the port's `binding:host_id`. The hook must never break
getCapabilities: when OVS is down or the command fails, the capabilities stay as they
were and the hook still exits 0.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from ovn_provider.driver.runner import Runner, run_subprocess

NAME = "ovirt_provider_ovn_hook"
BINDING_KEY = "openstack_binding_host_ids"
PLUGIN_TYPE = "OVIRT_PROVIDER_OVN"
TEST_HOST_ID = "6bba738b-58be-4b4b-9ee1-c822113606c9"
JSON_ENV = "_hook_json"
OVS_CTL = "/usr/share/openvswitch/scripts/ovs-ctl"
# Exactly what the sudoers rule of docs/driver.md permits.
SYSTEM_ID_CMD = ("sudo", "-n", "/usr/bin/ovs-vsctl", "get", "Open_vSwitch", ".",
                 "external_ids:system-id")

USAGE = f"""usage: {NAME} [-h|--help] [-t|--test]

vdsm after_get_caps hook: adds the OVS system-id of this host to the capabilities as
{BINDING_KEY}.{PLUGIN_TYPE}, the binding host id of the OVN provider.

  -h, --help  print this help
  -t, --test  print the result of adding a test binding id to an empty object
"""


def add_binding(caps: dict[str, Any], host_id: str) -> dict[str, Any]:
    """Set our plugin's binding id, keeping the other plugins' entries."""
    bindings = caps.get(BINDING_KEY)
    if not isinstance(bindings, dict):
        bindings = {}
    bindings[PLUGIN_TYPE] = host_id
    caps[BINDING_KEY] = bindings
    return caps


def ovs_running(runner: Runner, ovs_ctl: str = OVS_CTL) -> bool:
    if not os.path.exists(ovs_ctl):
        return False
    return runner([ovs_ctl, "status"], env=None, timeout=30).ok


def system_id(runner: Runner, cmd: Sequence[str] = SYSTEM_ID_CMD) -> str:
    """The system-id, unquoted; ValueError with the reason when it cannot be read."""
    result = runner(cmd, env=None, timeout=30)
    if not result.ok:
        raise ValueError(f"{' '.join(cmd)} failed ({result.returncode}): {result.message()}")
    value = result.stdout.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value:
        raise ValueError("the OVS system-id is empty")
    return value


def _log(message: str) -> None:
    print(f"{NAME}: {message}", file=sys.stderr)


def run(argv: Sequence[str], environ: Mapping[str, str], runner: Runner = run_subprocess,
        ovs_ctl: str = OVS_CTL, system_id_cmd: Sequence[str] = SYSTEM_ID_CMD) -> int:
    if any(arg in ("-h", "--help") for arg in argv):
        print(USAGE, end="")
        return 0
    if any(arg in ("-t", "--test") for arg in argv):
        print(json.dumps(add_binding({}, TEST_HOST_ID)))
        return 0
    if argv:
        _log(f"unknown arguments {' '.join(argv)}")
        print(USAGE, end="", file=sys.stderr)
        return 2
    if not ovs_running(runner, ovs_ctl):
        _log("Open vSwitch is not running: capabilities left unchanged")
        return 0
    path = environ.get(JSON_ENV)
    if not path:
        _log(f"{JSON_ENV} is not set: not run by vdsm? capabilities left unchanged")
        return 0
    try:
        host_id = system_id(runner, system_id_cmd)
        with open(path, encoding="utf-8") as handle:
            caps = json.load(handle)
        if not isinstance(caps, dict):
            raise ValueError("the capabilities are not a JSON object")
        add_binding(caps, host_id)
        data = json.dumps(caps)
    except (OSError, ValueError) as err:
        _log(f"{err}: capabilities left unchanged")
        return 0
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(data)
    except OSError as err:
        _log(f"cannot write {path}: {err.strerror}")
    return 0


def main() -> int:
    return run(sys.argv[1:], os.environ)
