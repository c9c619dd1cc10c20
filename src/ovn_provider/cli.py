"""`ovn-provider serve [--config FILE ...] [--embedded-ovn STATE_DIR]`."""

from __future__ import annotations

import argparse
import logging
import logging.config
import os
import sys
from collections.abc import Callable, Sequence

from ovn_provider import config
from ovn_provider.audit import run as audit_run
from ovn_provider.buildinfo import add_version_option
from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import DaemonError
from ovn_provider.setup import main as setup_main

# Verbs with their logic in a module of their own: name -> (help, add_arguments, main).
VERBS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                       Callable[[argparse.Namespace], int]]] = {
    "audit": ("check the NB layout (read-only); exit 1 on findings",
              audit_run.add_arguments, audit_run.main),
}

DEFAULT_LOGGER_CONF = "/etc/ovirt-provider-ovn/logger.conf"
DEFAULT_LOG_FILE = "/var/log/ovirt-provider-ovn.log"
LOG_FORMAT = "%(asctime)s %(name)s %(message)s"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ovn-provider", description=__doc__)
    add_version_option(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the Networking and Identity APIs")
    serve.add_argument("--config", action="extend", nargs="+", metavar="FILE",
                       help="configuration files (repeatable, later wins); default: "
                            f"{config.DEFAULT_MAIN} then {config.DEFAULT_CONFD}/*.conf")
    serve.add_argument("--embedded-ovn", metavar="STATE_DIR",
                       help="start a private OVN central (NB, SB, northd) under STATE_DIR on "
                            "free loopback ports and use it as the NB")
    serve.add_argument("--log-config", metavar="FILE",
                       help=f"Python logging fileConfig (default {DEFAULT_LOGGER_CONF} if it "
                            "exists)")
    serve.add_argument("--log-file", metavar="FILE",
                       help="log to FILE ('-' for stderr) when no logging config is used")
    serve.add_argument("--debug", action="store_true", help="log at DEBUG level")
    setup_main.add_parser(sub)
    check = sub.add_parser("check-config", help="load and validate the configuration")
    check.add_argument("--config", action="extend", nargs="+", metavar="FILE")
    for name, (text, add_arguments, _) in VERBS.items():
        add_arguments(sub.add_parser(name, help=text))
    return parser


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.debug else logging.INFO
    log_config = args.log_config or (DEFAULT_LOGGER_CONF if os.path.isfile(DEFAULT_LOGGER_CONF)
                                     and not args.config else None)
    if log_config:
        logging.config.fileConfig(log_config, disable_existing_loggers=False)
        return
    target = args.log_file
    if target is None:
        target = "-" if (args.config or args.embedded_ovn) else DEFAULT_LOG_FILE
    if target == "-":
        logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)
    else:
        logging.basicConfig(level=level, format=LOG_FORMAT, filename=target)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in VERBS:
        return VERBS[args.command][2](args)
    if args.command == "check-config":
        try:
            cfg = config.load(args.config)
        except config.ConfigError as exc:
            print(f"ovn-provider: configuration error: {exc}", file=sys.stderr)
            return 2
        print(f"configuration OK ({', '.join(cfg.sources) or 'defaults only'})")
        return 0
    if args.command == "setup":
        return setup_main.run(args)
    _setup_logging(args)
    return serve(args)


def serve(args: argparse.Namespace) -> int:
    from ovn_provider.server import Provider, StartupError

    log = logging.getLogger("ovn_provider")
    central: Central | None = None
    try:
        cfg = config.load(args.config)
        if args.embedded_ovn:
            state = os.path.abspath(args.embedded_ovn)
            central = Central(os.path.join(state, "ovn")).start()
            log.info("embedded OVN central in %s: NB %s, SB %s", central.directory,
                     central.nb_remote, central.sb_remote)
            cfg = cfg.replace(ovn_remote=central.nb_remote, ovn_sb_remote=central.sb_remote)
        provider = Provider(cfg)
        provider.run()
        return 0
    except (config.ConfigError, StartupError, DaemonError) as exc:
        log.error("fatal: %s", exc)
        print(f"ovn-provider: {exc}", file=sys.stderr)
        return 1
    finally:
        if central is not None:
            central.stop()


if __name__ == "__main__":
    sys.exit(main())
