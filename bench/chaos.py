"""Chaos under load, N times per fault (bench/README.md, "Chaos under load").

The scenarios of tests/ha/test_chaos.py (tests/ha/faults.py) on one HA bed (3-member NB
and SB clusters, two providers, HAProxy): C = 8 clients through HAProxy, one fault at a
time, the NB checked after each (acknowledged writes as answered, unacknowledged ones
absent or whole, the audit clean, every failure a 502/503). The suite runs each once;
this runs each `--runs` times and prints one line per run, the failed requests with
`--verbose`, and the table of the issue: scenario, requests, acknowledged, failed,
window (min / median / max over the runs), lost, duplicated.

    .venv/bin/python -m bench.chaos [--runs 5] [-k leader] [--verbose] [--logs]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from ovn_provider.ovn.daemons import run
from tests.ha.bed import HaBed
from tests.ha.faults import SCENARIOS, failures, scenario
from tests.ha.load import World
from tests.ha.verify import HEADER, Row

TABLE = ("| scenario | runs | requests | acknowledged | failed (502/503) | window min / median"
         " / max | after the fault ended, max | requests sent after the fault's moment: last"
         " failure, median / max | bad answers | lost | duplicated |\n"
         "|---|---|---|---|---|---|---|---|---|---|---|")


def table(rows: dict[str, list[Row]], fresh: dict[str, list[float]]) -> str:
    lines = [TABLE]
    for name, runs in rows.items():
        if not runs:
            continue
        windows = [r.window for r in runs]
        late = fresh[name]
        lines.append(
            f"| {name} | {len(runs)} | {sum(r.requests for r in runs)} | "
            f"{sum(r.acked for r in runs)} | {sum(r.failed for r in runs)} | "
            f"{min(windows):.2f} / {statistics.median(windows):.2f} / {max(windows):.2f} s | "
            f"{max(r.after_restore for r in runs):.2f} s | "
            f"{statistics.median(late):.2f} / {max(late):.2f} s | "
            f"{sum(len(r.bad) for r in runs)} | "
            f"{sum(r.lost for r in runs)} | {sum(r.duplicated for r in runs)} |")
    return "\n".join(lines)


def _log_tail(bed: HaBed, since_lines: dict[str, int]) -> None:
    """The NB members' and the providers' log lines written during the last run
    (--logs)."""
    assert bed.central is not None
    logs = [(s.name, os.path.join(bed.central.directory, f"{s.name}.log"))
            for s in bed.central.nb]
    logs += [(p.name, p.log) for p in bed.providers]
    for name, path in logs:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.readlines()
        except OSError:
            continue
        for line in lines[since_lines.get(path, 0):]:
            print(f"  {name}: {line.rstrip()}")
        since_lines[path] = len(lines)


def _election_timer(bed: HaBed, ms: int) -> None:
    """Set on the leader, which replicates it to the members (at most double the current
    value in one step, so larger values are reached by doubling)."""
    central = bed.central
    assert central is not None
    current = 1000
    while current != ms:
        current = min(ms, current * 2)
        run(["ovs-appctl", "-t", central.nb_leader().ctl, "cluster/change-election-timer",
             "OVN_Northbound", str(current)], env=central.env)
    print(f"NB election timer: {ms} ms", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-k", dest="keyword", default="",
                        help="only the scenarios whose name contains this")
    parser.add_argument("--verbose", action="store_true", help="print every failed request")
    parser.add_argument("--logs", action="store_true", help="print the NB logs of each run")
    parser.add_argument("--json", default="", help="also write the rows to this file")
    parser.add_argument("--election-timer", type=int, default=0, metavar="MS",
                        help="the NB cluster's RAFT election timer before the runs (ovs-appctl "
                             "cluster/change-election-timer; OVSDB's default is 1000 ms)")
    args = parser.parse_args(argv)
    names = [n for n in SCENARIOS if args.keyword.lower() in n.lower()]
    rows: dict[str, list[Row]] = {name: [] for name in names}
    fresh: dict[str, list[float]] = {name: [] for name in names}
    started = time.monotonic()
    bed = HaBed().start()
    log_lines: dict[str, int] = {}
    ok = True
    try:
        if args.election_timer:
            _election_timer(bed, args.election_timer)
        world = World(bed.base)
        print(HEADER)
        for run in range(args.runs):
            for name in names:
                row, records, since = scenario(bed, world, name, seed=run * 1000 + len(rows))
                rows[name].append(row)
                late = [r for r in records if not r.ok and r.start >= since]
                fresh[name].append(max((r.end - since for r in late), default=0.0))
                print(f"{row.line()} run {run + 1}; failed requests sent after the fault's "
                      f"moment: {len(late)}, the last ending {fresh[name][-1]:.2f} s after it",
                      flush=True)
                if args.verbose:
                    print("\n".join(failures(records, since)))
                if args.logs:
                    _log_tail(bed, log_lines)
                else:
                    log_lines.clear()
                if row.bad or row.problems or row.lost or row.duplicated:
                    ok = False
                    print(f"  PROBLEMS: {row.bad[:5]} {row.problems[:5]}")
    finally:
        bed.stop()
    print(f"\n{time.monotonic() - started:.0f} s; load average at the end "
          f"{os.getloadavg()[0]:.1f}\n")
    print(table(rows, fresh))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({name: [_plain(r) for r in runs] for name, runs in rows.items()},
                      handle, indent=1)
    return 0 if ok else 1


def _plain(row: Row) -> dict[str, Any]:
    return {k: v for k, v in vars(row).items() if k not in ("bad", "problems")}


if __name__ == "__main__":
    raise SystemExit(main())
