"""`ovn-provider setup`: make a central host serve the APIs over HTTPS and its OVN
databases over SSL (docs/setup.md). Idempotent: a second run changes nothing and says so.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
from typing import Any

from ovn_provider import config
from ovn_provider.setup import certs, conffile, ovsdb_tls, services
from ovn_provider.setup.actions import Plan, SetupError, group_id
from ovn_provider.setup.layout import NB_ROLE, PROVIDER_ROLE, SB_ROLE, Layout
from ovn_provider.setup.pki import CERT_DAYS, PkiError

DEFAULT_NB_DB = "unix:/var/run/ovn/ovnnb_db.sock"
DEFAULT_SB_DB = "unix:/var/run/ovn/ovnsb_db.sock"
DEFAULT_NB_LISTEN = "pssl:6641:[::]"
DEFAULT_SB_LISTEN = "pssl:6642:[::]"
SB_INACTIVITY_PROBE = 60000
OVS_USER_FILES = ("/etc/sysconfig/openvswitch", "/etc/default/openvswitch")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("setup", help="PKI, TLS on NB/SB and the APIs, services (central host)",
                       description=__doc__)
    p.add_argument("--prefix", default="/", metavar="DIR",
                   help="every file read or written is under DIR (default /)")
    p.add_argument("--nb-db", default=DEFAULT_NB_DB, metavar="REMOTE",
                   help=f"local control connection to the NB (default {DEFAULT_NB_DB})")
    p.add_argument("--sb-db", default=DEFAULT_SB_DB, metavar="REMOTE",
                   help=f"local control connection to the SB (default {DEFAULT_SB_DB})")
    p.add_argument("--nb-listen", action="append", metavar="pssl:PORT[:ADDR]",
                   help=f"NB SSL listen target, repeatable (default {DEFAULT_NB_LISTEN})")
    p.add_argument("--sb-listen", action="append", metavar="pssl:PORT[:ADDR]",
                   help=f"SB SSL listen target, repeatable (default {DEFAULT_SB_LISTEN})")
    p.add_argument("--fqdn", help="host name in certificates and API URLs (default: this "
                   "host's FQDN)")
    p.add_argument("--san", action="append", default=[], metavar="NAME|IP",
                   help="another subject alternative name of the certificates (repeatable)")
    p.add_argument("--ca-cert", metavar="FILE", help="use this CA (with --ca-key) instead "
                   "of the engine's or a new one")
    p.add_argument("--ca-key", metavar="FILE", help="the key of --ca-cert")
    p.add_argument("--ovn-group", metavar="GROUP",
                   help="group the OVN daemons run as; their keys become 0640 with it "
                   "(default: from OVS_USER_ID, else 'openvswitch' if it exists; none: 0600)")
    p.add_argument("--days", type=int, default=CERT_DAYS,
                   help=f"validity of issued certificates (default {CERT_DAYS})")
    p.add_argument("--ssl-protocols", metavar="LIST",
                   help="NB/SB protocols (default: TLS 1.2 and later as the server names "
                   "them)")
    p.add_argument("--ciphers", metavar="LIST", help="NB/SB cipher list (default: the "
                   "configuration's [SSL] ssl-ciphers-string)")
    p.add_argument("--renew", action="store_true",
                   help="issue new certificates (same keys, same CA) and reload the provider")
    p.add_argument("--dry-run", action="store_true", help="print every action, change nothing")


def _ovn_group(layout: Layout, name: str | None) -> int | None:
    if name:
        gid = group_id(name)
        if gid is None:
            raise SetupError(f"--ovn-group {name}: no such group")
        return gid
    for path in OVS_USER_FILES:
        try:
            with open(layout.path(path), encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            continue
        match = re.search(r'^\s*OVS_USER_ID\s*=\s*"?[^:"\s]+:([^"\s]+)"?', text, re.M)
        if match:
            return group_id(match.group(1))
    return group_id("openvswitch")


def build(args: argparse.Namespace) -> Plan:
    if args.ca_key and not args.ca_cert:
        raise SetupError("--ca-key needs --ca-cert")
    prefix = os.path.abspath(args.prefix)
    layout = Layout(prefix)
    fqdn = args.fqdn or socket.getfqdn()
    nb_listen = tuple(args.nb_listen or [DEFAULT_NB_LISTEN])
    sb_listen = tuple(args.sb_listen or [DEFAULT_SB_LISTEN])
    existing = config.load(config.default_files(layout.main_conf, layout.confd))
    ciphers = args.ciphers or existing.ssl_ciphers
    protocols = args.ssl_protocols or ovsdb_tls.ssl_protocols()

    plan = Plan()
    choice = certs.choose(layout, args.ca_cert, args.ca_key)
    certs.plan_pki(plan, choice, certs.PkiOptions(
        fqdn=fqdn, names=args.san, renew=args.renew, days=args.days,
        ovn_gid=_ovn_group(layout, args.ovn_group)))
    pki_changed = bool(plan.actions)
    nb_files, sb_files = choice.files[NB_ROLE], choice.files[SB_ROLE]
    for label, ctl, db, table, listen, probe, files in (
            ("NB", "ovn-nbctl", args.nb_db, "NB_Global", nb_listen, None, nb_files),
            ("SB", "ovn-sbctl", args.sb_db, "SB_Global", sb_listen, SB_INACTIVITY_PROBE,
             sb_files)):
        ovsdb_tls.DbTls(label, ctl, db, table, listen, probe, files.key, files.cert,
                        choice.ca_cert, protocols, ciphers).plan(plan)
    provider = choice.files[PROVIDER_ROLE]
    before = len(plan.actions)
    conffile.plan_conf(plan, layout.conf_file, conffile.ProviderConf(
        fqdn=fqdn, nb_remote=ovsdb_tls.client_remote(nb_listen[0]),
        sb_remote=ovsdb_tls.client_remote(sb_listen[0]), key=provider.key,
        cert=provider.cert, cacert=choice.ca_cert))
    conf_changed = len(plan.actions) > before
    present = services.plan_files(plan, prefix)
    services.plan_services(plan, prefix, present, restart=conf_changed,
                           reload=pki_changed and not conf_changed)
    return plan


def run(args: argparse.Namespace) -> int:
    try:
        plan = build(args)
        plan.execute(args.dry_run)
    except (SetupError, PkiError, config.ConfigError, OSError) as exc:
        print(f"ovn-provider setup: {exc}", file=sys.stderr)
        return 1
    if args.dry_run:
        print("dry run: nothing was changed")
    return 0
