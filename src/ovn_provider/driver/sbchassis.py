"""`remove-chassis`: delete a stale chassis from the Southbound database (docs/driver.md).

A chassis matches when its `name` (the host's system-id) or its `hostname` equals the
argument. Its Chassis_Private row goes in the same transaction; its Encap rows are not
root rows, so OVSDB deletes them with the Chassis that references them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ovn_provider.driver.errors import DriverError, NothingMatched
from ovn_provider.driver.host import Host
from ovn_provider.driver.ovs import rows
from ovn_provider.driver.runner import check

SB_SOCKETS = ("/var/run/ovn/ovnsb_db.sock", "/var/run/openvswitch/ovnsb_db.sock")


def default_sb_remote(environ: Mapping[str, str],
                      exists: Callable[[str], bool] = os.path.exists) -> str:
    """$OVN_SB_DB, else the modern socket, else the predecessor's socket."""
    if environ.get("OVN_SB_DB"):
        return environ["OVN_SB_DB"]
    for path in SB_SOCKETS:
        if exists(path):
            return f"unix:{path}"
    return f"unix:{SB_SOCKETS[0]}"


@dataclass(frozen=True)
class SbAccess:
    remote: str
    private_key: str | None = None
    certificate: str | None = None
    ca_cert: str | None = None

    def args(self) -> list[str]:
        args = [f"--db={self.remote}"]
        if self.private_key:
            args.append(f"--private-key={self.private_key}")
        if self.certificate:
            args.append(f"--certificate={self.certificate}")
        if self.ca_cert:
            args.append(f"--ca-cert={self.ca_cert}")
        return args


def _sbctl(host: Host, sb: SbAccess, *args: str) -> str:
    cmd = [host.tool("ovn_sbctl"), f"--timeout={int(host.timeout)}", *sb.args(), *args]
    return check(host.runner(cmd, env=host.env(), timeout=host.timeout + 5), "ovn-sbctl")


def find(host: Host, sb: SbAccess, name: str) -> tuple[list[dict[str, Any]],
                                                       list[dict[str, Any]]]:
    """The Chassis rows matching `name` and the Chassis_Private rows that go with them."""
    out = _sbctl(host, sb, "--format=json", "--data=json",
                 "--", "--columns=_uuid,name,hostname,encaps", "list", "Chassis",
                 "--", "--columns=_uuid,name,chassis", "list", "Chassis_Private")
    documents = [line for line in out.splitlines() if line.strip()]
    if len(documents) != 2:
        raise DriverError("ovn-sbctl: unexpected output")
    chassis_rows, private_rows = (rows(doc) for doc in documents)
    matched = [row for row in chassis_rows if name in (row["name"], row["hostname"])]
    names = {row["name"] for row in matched}
    uuids = {row["_uuid"] for row in matched}
    private = [row for row in private_rows
               if row["name"] in names or row["name"] == name
               or (isinstance(row["chassis"], str) and row["chassis"] in uuids)]
    return matched, private


def remove_chassis(host: Host, sb: SbAccess, name: str) -> list[str]:
    if not name:
        raise DriverError("empty chassis name")
    matched, private = find(host, sb, name)
    if not matched and not private:
        raise NothingMatched(f"no chassis named {name!r} or with hostname {name!r} "
                             f"in {sb.remote}")
    args: list[str] = []
    for row in matched:
        args += ["--", "destroy", "Chassis", row["_uuid"]]
    for row in private:
        args += ["--", "destroy", "Chassis_Private", row["_uuid"]]
    _sbctl(host, sb, *args)
    lines = [f"removed chassis {row['name']} (hostname {row['hostname'] or '-'})"
             for row in matched]
    lines += [f"removed chassis_private {row['name']}" for row in private
              if row["name"] not in {m["name"] for m in matched}]
    return lines
