"""A read-only SB replica of the Chassis table: which chassis are marked as gateways.

A chassis is a gateway when its `ovn-cms-options` (in `other_config`, where ovn-controller
copies it from the host's Open_vSwitch external_ids, or in `external_ids`, where older OVN
keeps it) lists `enable-chassis-as-gw`, the Neutron convention (docs/routers.md).

`SbMonitor` runs a python-ovs IDL in its own thread, monitoring only the columns it needs
(Chassis, Chassis_Private and SB_Global.nb_cfg), and publishes the gateway names into a
`GatewayChassis` holder and every chassis into a `ChassisTable` (ovn/sb_chassis.py, for
`/v2.0/agents`). The holders keep the last answer while the SB is unreachable: a lost SB
connection must not look like "every gateway went away".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ovs import poller as ovs_poller
from ovs import stream as ovs_stream
from ovs.db import idl as ovs_idl
from ovsdbapp.backend.ovs_idl import idlutils

from ovn_provider.ovn.sb_chassis import ChassisState, ChassisTable

__all__ = ["ChassisState", "ChassisTable", "GatewayChassis", "SbMonitor", "is_gateway"]

LOG = logging.getLogger(__name__)

SCHEMA = "OVN_Southbound"
SB_PROBE_MS = 2000  # inactivity probe of an SB session to one of several members
CMS_OPTIONS = "ovn-cms-options"
GATEWAY_OPTION = "enable-chassis-as-gw"
#: The SB columns monitored (those a table of an older OVN lacks are left out).
WATCHED = {"Chassis": ("name", "hostname", "external_ids", "other_config", "nb_cfg"),
           "Chassis_Private": ("name", "chassis", "nb_cfg", "nb_cfg_timestamp"),
           "SB_Global": ("nb_cfg",)}


def is_gateway(external_ids: dict[str, str], other_config: dict[str, str]) -> bool:
    for column in (other_config, external_ids):
        options = [opt.strip() for opt in column.get(CMS_OPTIONS, "").split(",")]
        if GATEWAY_OPTION in options:
            return True
    return False


class GatewayChassis:
    """The SB chassis marked as gateways, as last seen (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: frozenset[str] = frozenset()
        self._synced = False
        self._listeners: list[Callable[[], None]] = []

    @property
    def names(self) -> frozenset[str]:
        with self._lock:
            return self._names

    @property
    def synced(self) -> bool:
        """Whether the SB has been read at least once (before that, `names` is empty
        because nothing is known, not because no gateway exists)."""
        with self._lock:
            return self._synced

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def publish(self, names: frozenset[str]) -> None:
        with self._lock:
            changed = names != self._names or not self._synced
            self._names = names
            self._synced = True
        if changed:
            LOG.info("gateway chassis in the SB: %s", ", ".join(sorted(names)) or "none")
            for listener in self._listeners:
                listener()


class SbMonitor:
    """Keeps `gateways` in step with the SB at `remote`; reconnects by itself."""

    def __init__(self, remote: str, gateways: GatewayChassis,
                 ssl: tuple[str, str, str] | None = None,
                 chassis: ChassisTable | None = None) -> None:
        self.remote = remote
        self.gateways = gateways
        self.chassis = chassis if chassis is not None else ChassisTable()
        self.ssl = ssl  # (key, certificate, CA) for ssl: remotes, as the NB uses them
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error = "not connected yet"

    def start(self) -> None:
        if self.ssl and any(p.startswith("ssl:") for p in self.remote.split(",")):
            key, cert, cacert = self.ssl
            ovs_stream.Stream.ssl_set_private_key_file(key)
            ovs_stream.Stream.ssl_set_certificate_file(cert)
            ovs_stream.Stream.ssl_set_ca_cert_file(cacert)
        self._thread = threading.Thread(target=self._run, name="sb-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _connect(self) -> ovs_idl.Idl | None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                helper = idlutils.get_schema_helper(self.remote, SCHEMA)
                tables = helper.schema_json["tables"]
                for table, wanted in WATCHED.items():
                    if table in tables:
                        columns = tables[table]["columns"]
                        helper.register_columns(table, [c for c in wanted if c in columns])
                # Read-only: any member that is in the cluster will do (a paused leader
                # costs nothing while on a follower), and one that stops answering is
                # left after 2 x SB_PROBE_MS, as the NB session does (docs/ha.md).
                idl = ovs_idl.Idl(self.remote, helper, leader_only=False)
                idl._session.reconnect.set_backoff(250, 2000)
                if "," in self.remote:
                    idl._session.reconnect.set_probe_interval(SB_PROBE_MS)
                return idl
            except Exception as exc:  # keep trying: routers keep their current chassis
                self.last_error = str(exc) or exc.__class__.__name__
                LOG.warning("OVN SB %s not reachable (%s); retrying", self.remote,
                            self.last_error)
                if self._stop.wait(delay):
                    return None
                delay = min(delay * 2, 30.0)
        return None

    def _run(self) -> None:
        """Monitors until stopped; an unexpected error is logged and the SB read again on
        a new session (the holders keep their last answer meanwhile), so one bad update
        cannot stop gateway scheduling and /v2.0/agents for good."""
        while not self._stop.is_set():
            idl = self._connect()
            if idl is None:
                return
            try:
                self._monitor(idl)
            except Exception:
                LOG.exception("OVN SB monitor failed; reading the SB again")
                self.last_error = "the SB monitor failed; reconnecting"
                self._stop.wait(1.0)
            finally:
                idl.close()

    def _monitor(self, idl: ovs_idl.Idl) -> None:
        LOG.info("monitoring gateway chassis in OVN SB at %s", self.remote)
        seqno = -1
        while not self._stop.is_set():
            idl.run()
            if (idl.change_seqno != seqno and idl._session.is_connected()
                    and idl.state == idl.IDL_S_MONITORING):
                seqno = idl.change_seqno
                self.gateways.publish(self._gateway_names(idl))
                self.chassis.publish(*self._chassis(idl))
            poller = ovs_poller.Poller()
            idl.wait(poller)
            poller.timer_wait(500)
            poller.block()

    @staticmethod
    def _gateway_names(idl: ovs_idl.Idl) -> frozenset[str]:
        table = idl.tables["Chassis"]
        has_other = "other_config" in table.columns
        names = set()
        for row in table.rows.values():
            other = row.other_config if has_other else {}
            if row.name and is_gateway(row.external_ids, other):
                names.add(row.name)
        return frozenset(names)

    @staticmethod
    def _chassis(idl: ovs_idl.Idl) -> tuple[list[ChassisState], int]:
        """Every chassis, with what its Chassis_Private row reports, and SB_Global.nb_cfg."""
        def value(row: Any, name: str, default: Any) -> Any:
            return getattr(row, name, default) if row is not None else default

        private: dict[str, Any] = {}
        if "Chassis_Private" in idl.tables:
            private = {row.name: row for row in idl.tables["Chassis_Private"].rows.values()}
        result = []
        for row in idl.tables["Chassis"].rows.values():
            ext, other = dict(row.external_ids), dict(value(row, "other_config", {}))
            mine = private.get(row.name)
            result.append(ChassisState(
                name=row.name, hostname=str(value(row, "hostname", "")),
                gateway=is_gateway(ext, other),
                nb_cfg=int(value(mine if mine is not None else row, "nb_cfg", 0)),
                nb_cfg_timestamp=int(value(mine, "nb_cfg_timestamp", 0)),
                external_ids=ext, other_config=other))
        nb_cfg = 0
        if "SB_Global" in idl.tables:
            for row in idl.tables["SB_Global"].rows.values():
                nb_cfg = int(value(row, "nb_cfg", 0))
        return result, nb_cfg
