"""A first port list against a short NB probe: `python -m bench.long_reader`.

A private central gets N ports (bench/sync.py's seeding); the NB serves the provider on a
listener from its Connection table. The provider (in-process) syncs with a 60 s
inactivity probe (the sync itself must not be dropped), then the probe is set to
`--probe-ms` (ovsdb-server drops a client silent for twice that) and `GET /v2.0/ports` is
run twice. Reported per run: the list times and statuses, the clients ovsdb-server dropped
for not answering its probe, the provider's reconnects, whether a request answers after.
`--modes after,before`: `before` runs ovsdbapp's plain Connection instead of
ovn/keepalive.py's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from typing import Any

import httpx
from ovsdbapp.backend.ovs_idl import connection as ovsdbapp_connection

from bench.sync import prepare, probe_drops
from ovn_provider.ovn import keepalive
from ovn_provider.ovn import nb as nb_module
from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import free_port, run
from tests.support.provider import TOKEN, make_config, running

SYNC_PROBE_MS = 60000


def measure(central: Central, remote: str, probe_ms: int, mode: str) -> dict[str, Any]:
    connection: Any = (ovsdbapp_connection.Connection if mode == "before"
                       else keepalive.KeepaliveConnection)
    nb_module.KeepaliveConnection = connection
    central.nbctl("set", "Connection", ".", f"inactivity_probe={SYNC_PROBE_MS}")
    started = time.monotonic()
    with running(make_config(remote), wait_nb=False) as provider:
        if not provider.nb.wait_connected(300):
            return {"mode": mode, "sync_s": "not in 300 s"}
        sync = time.monotonic() - started
        central.nbctl("set", "Connection", ".", f"inactivity_probe={probe_ms}")
        time.sleep(1)
        drops, connections = probe_drops(central), provider.nb.successful_connections()
        lists: list[tuple[int, float]] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{provider.ports[0]}",
                          headers={"X-Auth-Token": TOKEN}, timeout=120) as http:
            for _ in range(2):
                t0 = time.monotonic()
                response = http.get("/v2.0/ports")
                lists.append((response.status_code, round(time.monotonic() - t0, 2)))
            time.sleep(3 * probe_ms / 1000)
            after = http.get("/v2.0/networks").status_code
        return {"mode": mode, "sync_s": round(sync, 1), "lists": lists,
                "probe_drops": probe_drops(central) - drops,
                "reconnects": provider.nb.successful_connections() - connections,
                "networks_after": after}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ports", type=int, default=20000)
    parser.add_argument("--probe-ms", type=int, default=2000)
    parser.add_argument("--modes", default="after,before,after,before")
    args = parser.parse_args(argv)
    directory = tempfile.mkdtemp(prefix="ovnp-longread-")
    central = Central(os.path.join(directory, "ovn"))
    try:
        central.start()
        prepare(central, directory, args.ports)
        port = free_port()
        run(["ovs-appctl", "-t", central.nb[0].ctl, "ovsdb-server/add-remote",
             "db:OVN_Northbound,NB_Global,connections"], env=central.env)
        central.nbctl(f"--inactivity-probe={SYNC_PROBE_MS}", "set-connection",
                      f"ptcp:{port}:127.0.0.1")
        for mode in args.modes.split(","):
            print(measure(central, f"tcp:127.0.0.1:{port}", args.probe_ms, mode), flush=True)
    finally:
        central.stop(remove=True)
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
