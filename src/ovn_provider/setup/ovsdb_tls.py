"""TLS on the OVN databases: the SSL row (key, certificate, CA, protocols, ciphers) and
the listening connections, through `ovn-nbctl` / `ovn-sbctl` on the local control
connection (`--nb-db` / `--sb-db`). Each change is one ctl command, i.e. one transaction;
what already matches is left alone.

`set-connection` replaces every Connection row of the database: the listen targets given
to setup become the database's only remotes (plain `ptcp:` ones included, which is how a
central that listened on TCP is switched to SSL only).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ovn_provider.setup.actions import Plan, SetupError

OLD_PROTOCOLS = "TLSv1.2"
PROTOCOLS = "TLSv1.2,TLSv1.3"


def ssl_protocols(ovsdb_server: str = "ovsdb-server") -> str:
    """TLS 1.2 and later. ovsdb-server up to OVS 3.1 rejects the name TLSv1.3 in its
    protocol list (and then ignores the whole list), so it is named only when the
    installed server has it in its protocol table."""
    path = shutil.which(ovsdb_server)
    if path:
        try:
            with open(path, "rb") as handle:
                if b"\0TLSv1.3\0" in handle.read():
                    return PROTOCOLS
        except OSError:
            pass
    return OLD_PROTOCOLS


@dataclass(frozen=True)
class DbTls:
    label: str  # "NB" / "SB"
    ctl: str  # "ovn-nbctl" / "ovn-sbctl"
    db: str  # local control connection
    global_table: str  # "NB_Global" / "SB_Global"
    listen: tuple[str, ...]
    inactivity_probe: int | None
    key: str
    cert: str
    ca: str
    protocols: str
    ciphers: str

    def _run(self, *args: str) -> str:
        cmd = [self.ctl, f"--db={self.db}", "--timeout=20", *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SetupError(f"{' '.join(cmd)}: {exc}") from exc
        if proc.returncode != 0:
            raise SetupError(f"{self.label} database at {self.db}: {' '.join(cmd[2:])} failed: "
                             f"{proc.stderr.strip() or proc.stdout.strip()}")
        return proc.stdout

    def _command(self, *args: str) -> Callable[[], None]:
        def run() -> None:
            self._run(*args)
        return run

    def _list(self, table: str, columns: str) -> list[dict[str, Any]]:
        data = json.loads(self._run("--format=json", "--data=json", f"--columns={columns}",
                                    "list", table))
        return [dict(zip(data["headings"], row, strict=True)) for row in data["data"]]

    def state(self) -> tuple[dict[str, Any] | None, set[tuple[str, int | None]]]:
        """(the SSL row in use or None, {(target, inactivity_probe)} of the connections)."""
        rows = self._list(self.global_table, "connections,ssl")
        if not rows:
            raise SetupError(f"{self.label} database at {self.db} has no {self.global_table} "
                             f"row (run `{self.ctl} init` first)")
        glob = rows[0]
        ssl_ref = _uuids(glob["ssl"])
        conn_refs = set(_uuids(glob["connections"]))
        ssl_row = None
        if ssl_ref:
            for row in self._list("SSL", "_uuid,private_key,certificate,ca_cert,ssl_protocols,"
                                  "ssl_ciphers"):
                if _uuids(row["_uuid"]) == ssl_ref:
                    ssl_row = row
        conns = set()
        for row in self._list("Connection", "_uuid,target,inactivity_probe"):
            if _uuids(row["_uuid"])[0] in conn_refs:
                probe = row["inactivity_probe"]
                conns.add((row["target"], probe if isinstance(probe, int) else None))
        return ssl_row, conns

    def plan(self, plan: Plan) -> None:
        ssl_row, conns = self.state()
        wanted_ssl = {"private_key": self.key, "certificate": self.cert, "ca_cert": self.ca,
                      "ssl_protocols": self.protocols, "ssl_ciphers": self.ciphers}
        if ssl_row is not None and all(ssl_row.get(k) == v for k, v in wanted_ssl.items()):
            plan.note(f"{self.label}: SSL already set ({self.cert}, {self.protocols})")
        else:
            old = ("none" if ssl_row is None
                   else f"{ssl_row['certificate']}, {ssl_row['ssl_protocols'] or 'default'}")
            plan.add(f"{self.label}: set-ssl key {self.key}, certificate {self.cert}, CA "
                     f"{self.ca}, protocols {self.protocols}, ciphers {self.ciphers} (was: "
                     f"{old})",
                     self._command("set-ssl", self.key, self.cert, self.ca, self.protocols,
                                   self.ciphers))
        wanted = {(target, self.inactivity_probe) for target in self.listen}
        if conns == wanted:
            plan.note(f"{self.label}: already listening on {', '.join(self.listen)}")
            return
        probe = ([f"--inactivity-probe={self.inactivity_probe}"]
                 if self.inactivity_probe is not None else [])
        shown = ", ".join(sorted(t for t, _ in conns)) or "none"
        suffix = (f" with inactivity_probe={self.inactivity_probe}"
                  if self.inactivity_probe is not None else "")
        plan.add(f"{self.label}: set-connection {' '.join(self.listen)}{suffix} (was: {shown})",
                 self._command(*probe, "set-connection", *self.listen))


def _uuids(value: Any) -> list[str]:
    """`["uuid", U]` or `["set", [["uuid", U], ...]]` -> [U, ...]."""
    if isinstance(value, list) and value and value[0] == "uuid":
        return [value[1]]
    if isinstance(value, list) and value and value[0] == "set":
        return [item[1] for item in value[1]]
    return []


def parse_listen(target: str) -> tuple[int, str]:
    """`pssl:PORT[:HOST]` -> (port, host as written, "" for all addresses)."""
    method, _, rest = target.partition(":")
    if method != "pssl" or not rest:
        raise SetupError(f"listen target {target!r} is not pssl:PORT[:ADDRESS]")
    port_text, _, host = rest.partition(":")
    try:
        port = int(port_text)
    except ValueError:
        raise SetupError(f"listen target {target!r}: bad port") from None
    if not 0 < port < 65536:
        raise SetupError(f"listen target {target!r}: bad port")
    return port, host


def client_remote(target: str) -> str:
    """The `ssl:` remote a local client uses to reach a `pssl:` target: the loopback
    address when it listens on all addresses."""
    port, host = parse_listen(target)
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"ssl:{host}:{port}"
