"""The local Open vSwitch database, through `ovs-vsctl`.

Reads use `--format=json --data=json` (one JSON document per command); writes are one
`ovs-vsctl` transaction, so a configure either applies completely or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ovn_provider.driver.errors import DriverError
from ovn_provider.driver.host import Host
from ovn_provider.driver.runner import check

INTEGRATION_BRIDGE = "br-int"
TUNNEL_TYPES = ("geneve", "vxlan", "stt")


def decode(value: Any) -> Any:
    """An OVSDB JSON datum as plain Python: maps -> dict, sets -> list, uuids -> str."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        tag, body = value
        if tag == "map":
            return {decode(k): decode(v) for k, v in body}
        if tag == "set":
            return [decode(item) for item in body]
        if tag in ("uuid", "named-uuid"):
            return body
    return value


def rows(document: str) -> list[dict[str, Any]]:
    """The rows of one `--format=json` table as dicts keyed by column."""
    table = json.loads(document)
    headings = table["headings"]
    return [dict(zip(headings, (decode(cell) for cell in row), strict=True))
            for row in table["data"]]


def quote(value: str) -> str:
    """An ovs-vsctl string atom: always quoted, so ':' ',' '=' '[' are safe."""
    return json.dumps(value)


@dataclass
class Interface:
    name: str
    type: str
    bridge: str | None
    options: dict[str, str] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)
    port_external_ids: dict[str, str] = field(default_factory=dict)
    ofport: int | None = None
    error: str | None = None


@dataclass
class OvsState:
    """What the driver reads from the local database in one round trip."""

    external_ids: dict[str, str]
    other_config: dict[str, str]
    bridges: dict[str, dict[str, Any]]
    interfaces: list[Interface]

    def column(self, name: str) -> dict[str, str]:
        if name == "external_ids":
            return self.external_ids
        if name == "other_config":
            return self.other_config
        raise KeyError(name)

    def interfaces_on(self, bridge: str) -> list[Interface]:
        return [iface for iface in self.interfaces if iface.bridge == bridge]


class Ovs:
    def __init__(self, host: Host) -> None:
        self.host = host

    def _cmd(self, args: Sequence[str], wait: bool) -> list[str]:
        cmd = [self.host.tool("ovs_vsctl"), f"--timeout={int(self.host.timeout)}"]
        if self.host.ovs_db:
            cmd.append(f"--db={self.host.ovs_db}")
        if not wait:
            cmd.append("--no-wait")
        return cmd + list(args)

    def vsctl(self, *args: str, wait: bool = False) -> str:
        result = self.host.runner(self._cmd(args, wait), env=self.host.env(),
                                  timeout=self.host.timeout + 5)
        return check(result, "ovs-vsctl")

    def transact(self, operations: Iterable[Sequence[str]], wait: bool = False) -> None:
        """Several ovs-vsctl commands in one database transaction."""
        args: list[str] = []
        for operation in operations:
            args += ["--", *operation]
        if args:
            self.vsctl(*args, wait=wait)

    def query(self, *commands: Sequence[str]) -> list[list[dict[str, Any]]]:
        """Run `list`/`find` commands in one call; the rows of each, in order."""
        args: list[str] = ["--format=json", "--data=json"]
        for command in commands:
            args += ["--", *command]
        out = self.vsctl(*args)
        documents = [line for line in out.splitlines() if line.strip()]
        if len(documents) != len(commands):
            raise DriverError(f"ovs-vsctl: unexpected output ({len(documents)} tables "
                              f"for {len(commands)} queries)")
        return [rows(doc) for doc in documents]

    def state(self) -> OvsState:
        ovs, bridges, ports, ifaces = self.query(
            ["--columns=external_ids,other_config", "list", "Open_vSwitch"],
            ["--columns=_uuid,name,ports,datapath_type,fail_mode", "list", "Bridge"],
            ["--columns=_uuid,name,interfaces,external_ids", "list", "Port"],
            ["--columns=_uuid,name,type,options,external_ids,ofport,error", "list",
             "Interface"],
        )
        if not ovs:
            raise DriverError("the Open_vSwitch table is empty: has ovs-vsctl init run?")
        bridge_of_port = {port_uuid: bridge["name"] for bridge in bridges
                          for port_uuid in _as_list(bridge["ports"])}
        port_of_iface = {iface_uuid: port for port in ports
                         for iface_uuid in _as_list(port["interfaces"])}
        interfaces = []
        for row in ifaces:
            port = port_of_iface.get(row["_uuid"])
            ofport = row["ofport"]
            error = row["error"]
            interfaces.append(Interface(
                name=row["name"], type=row["type"],
                bridge=bridge_of_port.get(port["_uuid"]) if port else None,
                options=row["options"], external_ids=row["external_ids"],
                port_external_ids=port["external_ids"] if port else {},
                ofport=ofport if isinstance(ofport, int) else None,
                error=error if isinstance(error, str) else None))
        return OvsState(
            external_ids=ovs[0]["external_ids"], other_config=ovs[0]["other_config"],
            bridges={b["name"]: {"datapath_type": b["datapath_type"],
                                 "fail_mode": _scalar(b["fail_mode"])} for b in bridges},
            interfaces=interfaces)


def _as_list(value: Any) -> list[Any]:
    """A set column with one member comes back as a bare atom."""
    return value if isinstance(value, list) else [value]


def _scalar(value: Any) -> Any:
    """An optional column (a set of 0 or 1) as the atom or None."""
    if isinstance(value, list):
        return value[0] if value else None
    return value
