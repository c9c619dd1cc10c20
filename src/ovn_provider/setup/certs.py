"""The PKI part of setup: which CA, which certificate files, and what to create or renew.

Existing keys are never replaced, not even by `--renew`: renewal issues new certificates
for the same keys from the same CA (docs/setup.md). Existing certificates are kept unless
`--renew` is given and setup owns them (the engine's are renewed by engine-setup).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from ovn_provider.setup import pki
from ovn_provider.setup.actions import Plan, SetupError, mode_text, write_file
from ovn_provider.setup.layout import ROLES, Files, Layout

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class PkiChoice:
    ca_cert: str
    ca_key: str | None
    ca_source: str  # "own", "given", "engine"
    files: dict[str, Files]


def choose(layout: Layout, ca_cert: str | None, ca_key: str | None) -> PkiChoice:
    if ca_cert:
        return PkiChoice(ca_cert, ca_key, "given",
                         {role: layout.own_files(role) for role in ROLES})
    if layout.has_engine_ca():
        files = {}
        for role in ROLES:
            engine = layout.engine_files(role)
            present = os.path.isfile(engine.cert) and os.path.isfile(engine.key)
            files[role] = engine if present else layout.own_files(role)
        cert, key = layout.engine_ca
        return PkiChoice(cert, key, "engine", files)
    cert, key = layout.own_ca
    return PkiChoice(cert, key, "own", {role: layout.own_files(role) for role in ROLES})


@dataclass
class PkiOptions:
    fqdn: str
    names: Sequence[str]
    renew: bool
    days: int
    ovn_gid: int | None  # group of the OVN daemons, for the NB/SB server keys


def plan_pki(plan: Plan, choice: PkiChoice, opts: PkiOptions) -> None:
    _plan_ca(plan, choice, opts)
    for role, files in choice.files.items():
        gid = opts.ovn_gid if role != "ovirt-provider-ovn" else None
        _plan_role(plan, choice, files, opts, gid)


def _plan_ca(plan: Plan, choice: PkiChoice, opts: PkiOptions) -> None:
    if os.path.isfile(choice.ca_cert):
        ca = pki.load_cert(choice.ca_cert)
        plan.note(f"CA {choice.ca_cert} ({choice.ca_source}, {ca.subject.rfc4514_string()}, "
                  f"{pki.days_left(ca):.0f} days left)")
        return
    if choice.ca_source != "own":
        raise SetupError(f"CA certificate {choice.ca_cert} does not exist")
    cert_path, key_path = choice.ca_cert, choice.ca_key
    assert key_path is not None
    if os.path.exists(key_path):
        raise SetupError(f"{key_path} exists without its certificate {cert_path}: "
                         "move it away or give --ca-cert/--ca-key")

    def create() -> None:
        key = pki.new_key()
        write_file(key_path, pki.key_pem(key), 0o600, dir_mode=0o700)
        write_file(cert_path, pki.cert_pem(pki.make_ca(key, f"ovn-provider CA {opts.fqdn}")),
                   0o644)

    plan.add(f"create a CA: {cert_path} (0644) and its key {key_path} (0600)", create)


def _plan_role(plan: Plan, choice: PkiChoice, files: Files, opts: PkiOptions,
               gid: int | None) -> None:
    key_mode = 0o640 if gid is not None else 0o600
    if not files.owned:
        cert = pki.load_cert(files.cert)
        plan.note(f"{files.role}: the engine's {files.cert} ({pki.days_left(cert):.0f} days "
                  "left; engine-setup renews it)")
        return
    if os.path.isfile(files.cert) and not os.path.isfile(files.key):
        raise SetupError(f"{files.cert} exists without its key {files.key}: move it away "
                         "and run setup again")
    if os.path.isfile(files.key):
        pki.load_key(files.key)  # fails clearly on a key that cannot be used
        plan.note(f"{files.role}: kept key {files.key}")
    else:
        plan.add(f"create key {files.key} ({mode_text(key_mode, gid)})",
                 lambda: write_file(files.key, pki.key_pem(pki.new_key()), key_mode, gid))
    exists = os.path.isfile(files.cert)
    if exists and not opts.renew:
        _check_cert(plan, choice, files)
        return
    if choice.ca_key is None:
        raise SetupError(f"{files.cert} must be issued but no CA key was given (--ca-key)")
    ca_key_path = choice.ca_key

    def make() -> None:
        cert = pki.issue(pki.load_cert(choice.ca_cert), pki.load_key(ca_key_path),
                         pki.load_key(files.key).public_key(), files.role, opts.fqdn,
                         [opts.fqdn, *opts.names], opts.days)
        write_file(files.cert, pki.cert_pem(cert), 0o644)

    verb = "renew" if exists else "issue"
    plan.add(f"{verb} certificate {files.cert} (0644) for {files.role}, CN {opts.fqdn}, "
             f"SAN {', '.join(dict.fromkeys([opts.fqdn, *opts.names]))}, "
             f"{opts.days} days, from CA {choice.ca_cert}", make)


def _check_cert(plan: Plan, choice: PkiChoice, files: Files) -> None:
    cert = pki.load_cert(files.cert)
    problems = []
    if os.path.isfile(files.key) and not pki.matches(cert, pki.load_key(files.key)):
        problems.append(f"does not match its key {files.key}")
    if os.path.isfile(choice.ca_cert) and not pki.signed_by(cert, pki.load_cert(choice.ca_cert)):
        problems.append(f"is not signed by {choice.ca_cert}")
    left = pki.days_left(cert)
    if left < EXPIRY_WARNING_DAYS:
        problems.append(f"expires in {left:.0f} days")
    if problems:
        plan.note(f"WARNING: {files.role}: kept {files.cert}, which "
                  f"{' and '.join(problems)}: `ovn-provider setup --renew` issues a new one")
    else:
        plan.note(f"{files.role}: kept certificate {files.cert} (serial "
                  f"{cert.serial_number:x}, {left:.0f} days left)")
