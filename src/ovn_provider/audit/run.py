"""`ovn-provider audit [--config FILE ...] [--json] [--timeout S]`: connect to the NB as
`serve` does (same configuration files), read the replica once, never write, and report
every finding; exit status 0 when there is none, 1 when there are findings, 2 when the
configuration is bad or the NB cannot be read."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from ovn_provider import config
from ovn_provider.audit import addresses, groups, refs
from ovn_provider.audit.findings import Findings
from ovn_provider.audit.snapshot import take


def check(idl: Any) -> Findings:
    """Every check over a replica (an IDL whose tables are read, never written)."""
    snap = take(idl)
    out = Findings()
    refs.ports(snap, out)
    refs.subnets(snap, out)
    refs.routers(snap, out)
    groups.memberships(snap, out)
    groups.acls(snap, out)
    groups.group_keys(snap, out)
    addresses.unique(snap, out)
    addresses.switch_keys(snap, out)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", action="extend", nargs="+", metavar="FILE",
                        help="configuration file(s), as for `serve`")
    parser.add_argument("--json", action="store_true",
                        help="print the findings as one JSON document")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="how long to wait for the NB (default 60)")


def audit_remote(cfg: config.Config, timeout: float) -> Findings:
    from ovn_provider.ovn.nb import NbUnavailable
    from ovn_provider.server import make_nb

    nb = make_nb(cfg)
    nb.start()
    try:
        if not nb.wait_connected(timeout):
            raise NbUnavailable(f"cannot read the NB at {cfg.ovn_remote}: {nb.last_error}")
        with nb.read() as idl:
            return check(idl)
    finally:
        nb.stop()


def main(args: argparse.Namespace) -> int:
    from ovn_provider.ovn.nb import NbUnavailable

    try:
        cfg = config.load(args.config)
        found = audit_remote(cfg, args.timeout)
    except (config.ConfigError, NbUnavailable) as exc:
        print(f"ovn-provider audit: {exc}", file=sys.stderr)
        return 2
    emit(found, args.json)
    return 1 if len(found) else 0


def emit(found: Findings, as_json: bool, stream: Any = None) -> None:
    stream = stream or sys.stdout
    if as_json:
        json.dump({"findings": [f.as_dict() for f in found], "count": len(found)}, stream,
                  indent=1)
        stream.write("\n")
        return
    for finding in found:
        stream.write(finding.line() + "\n")
    stream.write(f"{len(found)} finding(s)\n")


def run(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="ovn-provider audit")
    add_arguments(parser)
    return main(parser.parse_args(argv))
