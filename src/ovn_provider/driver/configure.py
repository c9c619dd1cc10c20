"""`configure` and `unconfigure`: plan, print, apply, then the services.

Restart modes:
- `controller` (default): restart ovn-controller through the service manager when
  something changed; without one, say so (a running ovn-controller follows the OVS
  database by itself, so the new settings still take effect).
- `host`: the full sequence of `vdsm-tool ovn-config` (docs/driver.md): restart ovsdb-server
  before the keys are written, then enable and restart openvswitch, openvswitch-ipsec and
  ovn-controller, in that order, whether or not anything changed.
- `none`: touch no service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ovn_provider.driver import cms_options, controller
from ovn_provider.driver.errors import DriverError
from ovn_provider.driver.host import Host
from ovn_provider.driver.ovs import Ovs
from ovn_provider.driver.plan import (
    Plan,
    apply,
    apply_db,
    apply_files,
    plan_configure,
    plan_files,
    plan_unconfigure,
)
from ovn_provider.driver.services import ServiceManager, detect, first_known
from ovn_provider.driver.settings import (
    ControllerConfig,
    Key,
    Pki,
    controller_opts,
    desired_settings,
)

Output = Callable[[str], None]
RESTART_MODES = ("controller", "host", "none")
CONTROLLER_UNIT = "ovn-controller"
OVSDB_UNITS = ("ovsdb-server",)
# Spec 6.4 step 5, in order; each entry lists the unit's names across distributions.
HOST_UNITS: tuple[tuple[str, ...], ...] = (
    ("openvswitch", "openvswitch-switch"),
    ("openvswitch-ipsec",),
    ("ovn-controller",),
)
SYSTEM_ID_CONF = "/etc/openvswitch/system-id.conf"
SYSCONFIG_OVN_CONTROLLER = "/etc/sysconfig/ovn-controller"


@dataclass
class ConfigureOptions:
    config: ControllerConfig
    system_id_file: str | None = None
    sysconfig_file: str | None = None
    restart: str = "controller"
    dry_run: bool = False
    gateway: bool | None = None  # True: mark as gateway chassis; False: unmark; None: leave


def _no_manager_note(services: ServiceManager, what: str) -> str:
    return (f"no service manager (no /run/systemd/system, or --service-manager "
            f"{services.name}): {what}")


def configure(host: Host, options: ConfigureOptions, out: Output = print) -> Plan:
    """Spec 6.4 order: files (system-id.conf), [restart ovsdb-server], keys, [services]."""
    if options.restart not in RESTART_MODES:
        raise DriverError(f"unknown restart mode {options.restart!r}")
    config = options.config
    ovs = Ovs(host)
    services = detect(host)
    files: dict[str, str] = {}
    if options.system_id_file and config.host_fqdn:
        files[options.system_id_file] = config.host_fqdn + "\n"
    if options.sysconfig_file:
        files[options.sysconfig_file] = controller_opts(config.pki or Pki())
    file_changes = plan_files(files)
    if not options.dry_run:
        apply_files(file_changes)
        if options.restart == "host" and services.available:
            # ovs-ctl reads system-id.conf when ovsdb-server starts (and starts it if down)
            _restart_first_known(services, OVSDB_UNITS, out)
    bridges = [bridge for _, bridge in config.bridge_mappings or ()]
    cms = {cms_options.GATEWAY: options.gateway} if options.gateway is not None else None
    plan = plan_configure(ovs.state(), desired_settings(config), bridges,
                          config.datapath_type, cms=cms)
    plan.changes[:0] = file_changes
    for note in plan.notes:
        out(f"note: {note}")
    if options.dry_run:
        for line in plan.lines(dry_run=True) or ["nothing to change"]:
            out(line)
        for line in _restart_intents(services, options.restart, bool(plan)):
            out(f"would {line}")
        return plan
    apply_db(ovs, plan)
    for line in plan.lines() or ["nothing to change"]:
        out(line)
    _restart_after(services, options.restart, bool(plan), out)
    return plan


def _restart_intents(services: ServiceManager, mode: str, changed: bool) -> list[str]:
    if mode == "none" or (mode == "controller" and not changed):
        return []
    if not services.available:
        return ["skip service restarts (no service manager)"]
    if mode == "controller":
        return [f"restart {CONTROLLER_UNIT}"]
    units = ", ".join("/".join(names) for names in HOST_UNITS)
    return [f"restart {'/'.join(OVSDB_UNITS)} before writing", f"enable and restart {units}"]


def _restart_first_known(services: ServiceManager, names: Iterable[str], out: Output) -> None:
    names = tuple(names)
    unit = first_known(services, *names)
    if unit is None:
        out(f"note: no {'/'.join(names)} service on this host: not restarted")
        return
    services.restart(unit)
    out(f"restarted {unit}")


def _restart_after(services: ServiceManager, mode: str, changed: bool, out: Output) -> None:
    if mode == "none":
        return
    if mode == "controller":
        if not changed:
            return
        if not services.available:
            out(_no_manager_note(services, "ovn-controller not restarted; a running "
                                 "ovn-controller reads the new settings from the OVS "
                                 "database by itself"))
            return
        _restart_first_known(services, (CONTROLLER_UNIT,), out)
        return
    if not services.available:
        out(_no_manager_note(services, "services not enabled or restarted"))
        return
    for names in HOST_UNITS:
        unit = first_known(services, *names)
        if unit is None:
            out(f"note: no {'/'.join(names)} service on this host: skipped")
            continue
        services.enable(unit)
        services.restart(unit)
        out(f"enabled and restarted {unit}")


@dataclass
class UnconfigureOptions:
    also: tuple[Key, ...] = ()
    stop_controller: bool = True
    manage_ovsdb: bool = False
    dry_run: bool = False


def unconfigure(host: Host, options: UnconfigureOptions, out: Output = print) -> Plan:
    """Stop ovn-controller (which deletes its chassis), then remove the recorded keys."""
    services = detect(host)
    ovs = Ovs(host)
    ovsdb_was_active: bool | None = None
    ovsdb_unit: str | None = None
    if options.manage_ovsdb and services.available and not options.dry_run:
        ovsdb_unit = first_known(services, *OVSDB_UNITS)
        if ovsdb_unit is not None:
            ovsdb_was_active = services.is_active(ovsdb_unit)
    try:
        plan = _unconfigure(host, ovs, services, options, ovsdb_unit, out)
    finally:
        if ovsdb_unit is not None and ovsdb_was_active is False:
            services.stop(ovsdb_unit)
            out(f"stopped {ovsdb_unit} again")
    return plan


def _unconfigure(host: Host, ovs: Ovs, services: ServiceManager, options: UnconfigureOptions,
                 ovsdb_unit: str | None, out: Output) -> Plan:
    # Spec 6.4 order: stop ovn-controller first (it then deletes its own chassis while it
    # still has the SB remote), then make sure ovsdb-server runs, then remove the keys.
    if not options.manage_ovsdb:
        preview = plan_unconfigure(ovs.state(), options.also)
        if not preview:
            out("nothing to remove: configure recorded nothing on this host")
            return preview
    if options.stop_controller and not options.dry_run:
        if services.available:
            unit = first_known(services, CONTROLLER_UNIT)
            if unit is not None:
                services.stop(unit)
                out(f"stopped {unit}")
        elif controller.exit_gracefully(host):
            out("ovn-controller exited (no service manager): its chassis is removed")
        else:
            out("ovn-controller is not running (or not reachable): not stopped")
    if ovsdb_unit is not None and services.is_active(ovsdb_unit) is False:
        services.start(ovsdb_unit)
        out(f"started {ovsdb_unit}")
    plan = plan_unconfigure(ovs.state(), options.also)
    for note in plan.notes:
        out(f"note: {note}")
    if options.dry_run:
        if options.stop_controller:
            out(f"would stop {CONTROLLER_UNIT}")
        for line in plan.lines(dry_run=True) or ["nothing to remove"]:
            out(line)
        return plan
    apply(ovs, plan)
    for line in plan.lines() or ["nothing to remove"]:
        out(line)
    return plan
