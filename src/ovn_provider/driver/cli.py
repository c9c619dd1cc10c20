"""`ovn-provider-driver`: configure this host as an OVN chassis and attach ports to it.

Exit codes: 0 success, 1 failure (one line on stderr), 2 nothing matched (remove-chassis,
unplug) or a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ovn_provider.buildinfo import add_version_option
from ovn_provider.driver import configure as configure_mod
from ovn_provider.driver import plug as plug_mod
from ovn_provider.driver import sbchassis, status
from ovn_provider.driver.errors import DriverError
from ovn_provider.driver.host import Host
from ovn_provider.driver.services import MANAGERS
from ovn_provider.driver.settings import (
    DEFAULT_SB_PORT,
    ENCAP_TYPES,
    LEGACY_KEYS,
    PROTOCOLS,
    ControllerConfig,
    Pki,
    parse_bridge_mappings,
)
from ovn_provider.driver.tunnel import resolve_tunnel_ip, vdsm_client_caps

PROG = "ovn-provider-driver"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Host driver of ovn-provider: ovn-controller settings, "
        "port plugging and chassis clean-up.")
    add_version_option(parser)
    where = parser.add_argument_group(
        "host locations", "defaults fit a normal host; environment variables "
        "OVN_PROVIDER_OVS_DB, OVN_PROVIDER_OVS_RUNDIR, OVN_PROVIDER_OVN_RUNDIR, "
        "OVN_PROVIDER_OVS_NETNS, OVN_PROVIDER_SERVICE_MANAGER, OVN_PROVIDER_OVS_VSCTL, "
        "OVN_PROVIDER_OVN_APPCTL, OVN_PROVIDER_OVN_SBCTL, OVN_PROVIDER_IP override them too")
    where.add_argument("--ovs-db", metavar="REMOTE",
                       help="local OVS database, e.g. unix:/run/openvswitch/db.sock")
    where.add_argument("--ovs-rundir", metavar="DIR", help="OVS run directory")
    where.add_argument("--ovn-rundir", metavar="DIR",
                       help="OVN run directory (where ovn-controller.pid is)")
    where.add_argument("--ovs-netns", metavar="NS",
                       help="network namespace ovs-vswitchd runs in (default: this one)")
    where.add_argument("--service-manager", choices=MANAGERS,
                       help="auto: systemd when /run/systemd/system exists (default)")
    where.add_argument("--ovs-vsctl", metavar="PATH", help="ovs-vsctl binary")
    where.add_argument("--ovn-appctl", metavar="PATH", help="ovn-appctl binary")
    where.add_argument("--ovn-sbctl", metavar="PATH", help="ovn-sbctl binary")
    where.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                       help="timeout of each database command (default 10)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    cfg = sub.add_parser("configure", help="write the ovn-controller settings (docs/driver.md)")
    cfg.add_argument("--central-ip", required=True, metavar="IP[,IP...]",
                     help="OVN central (SB) address; several for a clustered SB")
    tunnel = cfg.add_mutually_exclusive_group(required=True)
    tunnel.add_argument("--tunnel-ip", metavar="IP", help="local tunnel endpoint address")
    tunnel.add_argument("--tunnel-network", metavar="NAME",
                        help="vdsm network whose address is the tunnel endpoint")
    cfg.add_argument("--host-fqdn", metavar="FQDN",
                     help="set the OVS system-id (the chassis name) to FQDN")
    cfg.add_argument("--ovn-key", metavar="PATH", help="private key for SSL to the SB")
    cfg.add_argument("--ovn-cert", metavar="PATH", help="certificate for SSL to the SB")
    cfg.add_argument("--ovn-ca-cert", metavar="PATH", help="CA certificate of the SB")
    cfg.add_argument("--encap", choices=ENCAP_TYPES, default="geneve")
    cfg.add_argument("--protocol", choices=PROTOCOLS, default="ssl")
    cfg.add_argument("--sb-port", type=int, default=DEFAULT_SB_PORT, metavar="N")
    cfg.add_argument("--bridge-mappings", metavar="PHYSNET:BRIDGE,...",
                     help="set ovn-bridge-mappings and create missing bridges "
                     "(opt-in: left alone when not given)")
    cfg.add_argument("--datapath-type", metavar="TYPE",
                     help="datapath of bridges created here and of br-int "
                     "(ovn-bridge-datapath-type), e.g. netdev")
    cfg.add_argument("--restart", choices=configure_mod.RESTART_MODES, default="controller",
                     help="controller: restart ovn-controller when something changed "
                     "(default); host: the vdsm-tool ovn-config service sequence; none")
    cfg.add_argument("--system-id-file", metavar="PATH",
                     help=f"also write the FQDN there (vdsm-tool uses "
                     f"{configure_mod.SYSTEM_ID_CONF})")
    cfg.add_argument("--sysconfig-file", metavar="PATH",
                     help=f"also write OVN_CONTROLLER_OPTS with the SSL files there "
                     f"(vdsm-tool uses {configure_mod.SYSCONFIG_OVN_CONTROLLER})")
    gw = cfg.add_mutually_exclusive_group()
    gw.add_argument("--gateway", dest="gateway", action="store_const", const=True,
                    help="mark this chassis as a gateway for routers' SNAT and floating IPs "
                    "(adds enable-chassis-as-gw to external_ids:ovn-cms-options)")
    gw.add_argument("--no-gateway", dest="gateway", action="store_const", const=False,
                    help="stop being a gateway chassis (removes that option only)")
    cfg.add_argument("--dry-run", action="store_true", help="print the changes only")

    uncfg = sub.add_parser("unconfigure", help="remove exactly what configure set")
    uncfg.add_argument("--keep-controller", action="store_true",
                       help="do not stop ovn-controller (its chassis then stays in the SB)")
    uncfg.add_argument("--legacy", action="store_true",
                       help="vdsm-tool ovn-unconfigure: also remove the eight keys of spec "
                       "6.4 and start/stop ovsdb-server around the change")
    uncfg.add_argument("--dry-run", action="store_true", help="print the changes only")

    st = sub.add_parser("status", help="chassis name, SB connection, tunnels, bound ports")
    st.add_argument("--json", action="store_true", help="machine-readable output")

    pl = sub.add_parser("plug", help="attach an interface to br-int for a logical port")
    pl.add_argument("port_id", metavar="PORT_ID", help="logical switch port name (iface-id)")
    pl.add_argument("--ifname", required=True, metavar="NAME")
    pl.add_argument("--mac", metavar="MAC", help="attached-mac (and the MAC of --internal)")
    pl.add_argument("--internal", action="store_true",
                    help="create an OVS internal port instead of using an existing device")
    pl.add_argument("--netns", metavar="NS", help="move the internal port into NS")
    pl.add_argument("--bridge", default=plug_mod.INTEGRATION_BRIDGE, help=argparse.SUPPRESS)

    up = sub.add_parser("unplug", help="detach an interface (by name or by port id)")
    up.add_argument("port_id", nargs="?", metavar="PORT_ID")
    up.add_argument("--ifname", metavar="NAME")

    rc = sub.add_parser("remove-chassis", help="delete a stale chassis from the SB")
    rc.add_argument("name", metavar="NAME|SYSTEM_ID", help="chassis name or hostname")
    rc.add_argument("--sb-db", metavar="REMOTE",
                    help="default: $OVN_SB_DB, else the local SB socket")
    rc.add_argument("--private-key", metavar="PATH")
    rc.add_argument("--certificate", metavar="PATH")
    rc.add_argument("--ca-cert", metavar="PATH")
    return parser


def make_host(args: argparse.Namespace) -> Host:
    host = Host.from_environ(
        ovs_db=args.ovs_db, ovs_rundir=args.ovs_rundir, ovn_rundir=args.ovn_rundir,
        ovs_netns=args.ovs_netns, service_manager=args.service_manager,
        ovs_vsctl=args.ovs_vsctl, ovn_appctl=args.ovn_appctl, ovn_sbctl=args.ovn_sbctl)
    host.timeout = args.timeout
    return host


def controller_config(args: argparse.Namespace, host: Host) -> ControllerConfig:
    pki = None
    if args.ovn_key or args.ovn_cert or args.ovn_ca_cert:
        defaults = Pki()
        pki = Pki(args.ovn_key or defaults.key, args.ovn_cert or defaults.cert,
                  args.ovn_ca_cert or defaults.ca_cert)
    tunnel_ip = args.tunnel_ip or resolve_tunnel_ip(args.tunnel_network,
                                                    vdsm_client_caps(host))
    return ControllerConfig(
        central_ips=tuple(ip.strip() for ip in args.central_ip.split(",") if ip.strip()),
        tunnel_ip=tunnel_ip, protocol=args.protocol, sb_port=args.sb_port,
        encap=args.encap, host_fqdn=args.host_fqdn, pki=pki,
        bridge_mappings=(parse_bridge_mappings(args.bridge_mappings)
                         if args.bridge_mappings is not None else None),
        datapath_type=args.datapath_type)


def dispatch(args: argparse.Namespace) -> int:
    host = make_host(args)
    if args.command == "configure":
        configure_mod.configure(host, configure_mod.ConfigureOptions(
            config=controller_config(args, host), system_id_file=args.system_id_file,
            sysconfig_file=args.sysconfig_file, restart=args.restart, dry_run=args.dry_run,
            gateway=args.gateway))
    elif args.command == "unconfigure":
        configure_mod.unconfigure(host, configure_mod.UnconfigureOptions(
            also=LEGACY_KEYS if args.legacy else (), stop_controller=not args.keep_controller,
            manage_ovsdb=args.legacy, dry_run=args.dry_run))
    elif args.command == "status":
        data = status.collect(host)
        if args.json:
            print(json.dumps(data, indent=2, sort_keys=True))
        else:
            print("\n".join(status.render(data)))
    elif args.command == "plug":
        request = plug_mod.PlugRequest(port_id=args.port_id, ifname=args.ifname, mac=args.mac,
                                       internal=args.internal, netns=args.netns,
                                       bridge=args.bridge)
        print("\n".join(plug_mod.plug(host, request)))
    elif args.command == "unplug":
        print("\n".join(plug_mod.unplug(host, ifname=args.ifname, port_id=args.port_id)))
    elif args.command == "remove-chassis":
        sb = sbchassis.SbAccess(
            remote=args.sb_db or sbchassis.default_sb_remote(host.base_env or {}),
            private_key=args.private_key, certificate=args.certificate, ca_cert=args.ca_cert)
        print("\n".join(sbchassis.remove_chassis(host, sb, args.name)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "unplug" and (args.port_id is None) == (args.ifname is None):
        parser.error("unplug needs PORT_ID or --ifname (one of them)")
    try:
        return dispatch(args)
    except DriverError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
