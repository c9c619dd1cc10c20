"""The provider's conf.d file written by setup (mode 0600).

It carries the predecessor's keys, so that it means what engine-setup's
`10-setup-ovirt-provider-ovn.conf` means (that file is never touched). Setup rewrites its
own file only while nobody has edited it: the file records a checksum of its body, and a
file whose body no longer matches is kept as it is, with a note.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from ovn_provider.setup.actions import Plan, write_file

MARK = "# setup-checksum: sha256:"
HEADER = """\
# Written by `ovn-provider setup` (docs/setup.md). Setup rewrites this file while it is
# unchanged (checksum below) and keeps it once edited. Local changes belong in a conf.d
# file that sorts after this one, e.g. 50-local.conf.
"""


@dataclass(frozen=True)
class ProviderConf:
    fqdn: str
    nb_remote: str
    sb_remote: str
    key: str
    cert: str
    cacert: str

    def body(self) -> str:
        return (f"[PROVIDER]\nprovider-host={self.fqdn}\n\n"
                f"[OVN REMOTE]\novn-remote={self.nb_remote}\novn-sb-remote={self.sb_remote}\n\n"
                f"[SSL]\nhttps-enabled=true\nssl-key-file={self.key}\n"
                f"ssl-cert-file={self.cert}\nssl-cacert-file={self.cacert}\n")


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def render(conf: ProviderConf) -> str:
    body = conf.body()
    return f"{HEADER}{MARK}{_digest(body)}\n\n{body}"


def _split(text: str) -> tuple[str | None, str]:
    """(recorded checksum, body) of a file setup wrote; (None, text) for another file."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(MARK):
            body = "".join(lines[index + 1:])
            return line[len(MARK):].strip(), body[1:] if body.startswith("\n") else body
    return None, text


def plan_conf(plan: Plan, path: str, conf: ProviderConf) -> None:
    wanted = render(conf)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        recorded, body = _split(text)
        if text == wanted:
            plan.note(f"kept {path} (up to date)")
            return
        if recorded is None or recorded != _digest(body):
            plan.note(f"WARNING: kept {path}: it was edited after setup wrote it. Remove it "
                      "and run setup again to regenerate it; it should read:\n"
                      + conf.body())
            return
        verb = "update"
    else:
        verb = "write"
    plan.add(f"{verb} {path} (0600): HTTPS on, ovn-remote={conf.nb_remote}, "
             f"provider-host={conf.fqdn}",
             lambda: write_file(path, wanted.encode(), 0o600))
