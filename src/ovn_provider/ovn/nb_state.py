"""What health checks and metrics read of the NB connection (ovn/nb.py's `Nb`): cheap and
lock-free, from any thread; the replica's internals are read here, never changed."""

from __future__ import annotations

import time
from typing import Any

SCHEMA = "OVN_Northbound"
FAILOVER_S = 3.0  # how long a request waits for the replica while it fails over


class NbState:
    """Mixed into `Nb`, whose `_api` (None until the first connection) holds the IDL."""

    _api: Any
    _conn: Any  # ovn/keepalive.py's KeepaliveConnection, None until the first connection

    @property
    def connected(self) -> bool:
        conn = self._conn
        return self._api is not None and conn is not None and bool(conn.synced())

    def failing_over(self) -> bool:
        """Whether the replica was synced less than FAILOVER_S ago: a request would wait
        for it (`Nb._failover`), so /healthcheck still answers ready (docs/ha.md)."""
        conn = self._conn
        return conn is not None and time.monotonic() < conn.synced_at + FAILOVER_S

    @property
    def state(self) -> str:
        """"ready", or why not: "not connected", "not synced" (connected, the initial
        contents of the replica not yet received)."""
        api = self._api
        if api is None or not api.idl._session.is_connected():
            return "not connected"
        if api.idl.state != api.idl.IDL_S_MONITORING:
            return "not synced"
        return "ready"

    def successful_connections(self) -> int:
        """How many times the NB session connected since start (1 + reconnects)."""
        api = self._api
        if api is None:
            return 0
        return int(api.idl._session.reconnect.n_successful_connections)

    def is_leader(self) -> bool | None:
        """For a clustered NB, whether the server this replica follows is the RAFT
        leader (from the IDL's _Server database); None when not known or not clustered."""
        api = self._api
        if api is None:
            return None
        idl = api.idl
        try:
            rows = list(idl.server_tables["Database"].rows.values())
            for row in rows:
                if row.name == SCHEMA:
                    if row.model != "clustered":
                        return None
                    return bool(row.leader)
        except (KeyError, TypeError, AttributeError, RuntimeError):  # changing, or absent
            return None
        return None

    def row_counts(self) -> dict[str, int]:
        """Rows per table of the replica (len() of each table: no lock, no iteration)."""
        api = self._api
        if api is None:
            return {}
        return {name: len(table.rows) for name, table in list(api.idl.tables.items())}
