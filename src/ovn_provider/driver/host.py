"""Where the host's OVS/OVN pieces are: databases, run dirs, binaries, namespaces.

Every location has a default that fits a normal host and can be overridden by a global
command-line option or an environment variable, so that tests point the driver at a
private chassis (see tests/bed/chassis.py).

| option              | environment                    | default                       |
|---------------------|--------------------------------|-------------------------------|
| --ovs-db            | OVN_PROVIDER_OVS_DB            | ovs-vsctl's own (OVS_RUNDIR)  |
| --ovs-rundir        | OVN_PROVIDER_OVS_RUNDIR        | OVS_RUNDIR, else the tools'   |
| --ovn-rundir        | OVN_PROVIDER_OVN_RUNDIR        | OVN_RUNDIR, else the tools'   |
| --ovs-netns         | OVN_PROVIDER_OVS_NETNS         | the root namespace            |
| --service-manager   | OVN_PROVIDER_SERVICE_MANAGER   | auto                          |
| --ovs-vsctl etc.    | OVN_PROVIDER_OVS_VSCTL, ...    | found on PATH                 |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ovn_provider.driver.runner import Runner, run_subprocess

# attribute -> (environment variable, fallback variable or None, default)
_SETTINGS: dict[str, tuple[str, str | None, str | None]] = {
    "ovs_db": ("OVN_PROVIDER_OVS_DB", None, None),
    "ovs_rundir": ("OVN_PROVIDER_OVS_RUNDIR", "OVS_RUNDIR", None),
    "ovn_rundir": ("OVN_PROVIDER_OVN_RUNDIR", "OVN_RUNDIR", None),
    "ovs_netns": ("OVN_PROVIDER_OVS_NETNS", None, None),
    "service_manager": ("OVN_PROVIDER_SERVICE_MANAGER", None, "auto"),
    "ovs_vsctl": ("OVN_PROVIDER_OVS_VSCTL", None, "ovs-vsctl"),
    "ovn_appctl": ("OVN_PROVIDER_OVN_APPCTL", None, "ovn-appctl"),
    "ovn_sbctl": ("OVN_PROVIDER_OVN_SBCTL", None, "ovn-sbctl"),
    "ip": ("OVN_PROVIDER_IP", None, "ip"),
    "systemctl": ("OVN_PROVIDER_SYSTEMCTL", None, "systemctl"),
}


@dataclass
class Host:
    """The host the driver acts on, and how it runs commands there."""

    ovs_db: str | None = None
    ovs_rundir: str | None = None
    ovn_rundir: str | None = None
    ovs_netns: str | None = None
    service_manager: str | None = "auto"
    ovs_vsctl: str | None = "ovs-vsctl"
    ovn_appctl: str | None = "ovn-appctl"
    ovn_sbctl: str | None = "ovn-sbctl"
    ip: str | None = "ip"
    systemctl: str | None = "systemctl"
    timeout: float = 10.0
    runner: Runner = field(default=run_subprocess, repr=False)
    base_env: Mapping[str, str] | None = field(default=None, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None,
                     runner: Runner = run_subprocess, **overrides: str | None) -> Host:
        """Defaults, then the environment, then explicit (non-None) overrides."""
        env = os.environ if environ is None else environ
        host = cls(runner=runner, base_env=dict(env))
        for attr, (var, fallback, default) in _SETTINGS.items():
            value = env.get(var) or (env.get(fallback) if fallback else None) or default
            if overrides.get(attr) is not None:
                value = overrides[attr]
            setattr(host, attr, value)
        unknown = set(overrides) - set(_SETTINGS)
        if unknown:
            raise TypeError(f"unknown host settings: {sorted(unknown)}")
        return host

    def env(self) -> dict[str, str]:
        """The environment for OVS/OVN tools: the run dirs they should look in."""
        env = dict(os.environ if self.base_env is None else self.base_env)
        if self.ovs_rundir:
            env["OVS_RUNDIR"] = self.ovs_rundir
        if self.ovn_rundir:
            env["OVN_RUNDIR"] = self.ovn_rundir
        return env

    def tool(self, attr: str) -> str:
        value = getattr(self, attr)
        assert isinstance(value, str) and value, attr
        return value

    def ip_cmd(self, netns: str | None, *args: str) -> list[str]:
        """`ip` inside `netns` (None: the namespace the driver runs in)."""
        base = [self.tool("ip")]
        if netns:
            base += ["-n", netns]
        return base + list(args)
