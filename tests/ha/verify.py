"""After a fault: the NB holds every acknowledged write exactly as answered, an
unacknowledged write is either absent or whole, the audit finds nothing (no IP or MAC
twice on a switch, every reference intact), and every failed request was a clean 502/503.
Also the figures of the chaos table."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import httpx

from ovn_provider import config
from ovn_provider.audit.run import audit_remote
from tests.ha.bed import HEADERS
from tests.ha.load import CLIENT_TIMEOUT, LISTS, ROOTS, Rec, World, shown


@dataclass
class Row:
    """One line of the chaos table."""
    scenario: str
    requests: int
    acked: int
    failed: int
    window: float  # seconds during which some request was failing (merged intervals)
    span: float  # seconds from the first failed request's start to the last one's end
    after_restore: float  # seconds from the end of the fault to the last failure's end
    lost: int
    duplicated: int
    unacked_written: int = 0
    bad: list[str] = field(default_factory=list)  # failures other than a clean 502/503
    problems: list[str] = field(default_factory=list)  # NB checks that failed
    p50_ms: float = 0.0

    def line(self) -> str:
        return (f"| {self.scenario} | {self.requests} | {self.acked} | {self.failed} | "
                f"{self.window:.2f} s | {self.span:.2f} s | {self.after_restore:.2f} s | "
                f"{self.lost} | "
                f"{self.duplicated} | {self.unacked_written} | {self.p50_ms:.0f} ms |")


HEADER = ("| scenario | requests | acknowledged | failed (502/503) | failing time | "
          "first to last failure | last failure after the fault ended | lost | duplicated | "
          "unacked but whole | p50 ok |\n|---|---|---|---|---|---|---|---|---|---|---|")


def failing_time(records: list[Rec]) -> float:
    """Total seconds covered by at least one failed request."""
    total, end = 0.0, float("-inf")
    for rec in sorted(records, key=lambda r: r.start):
        if rec.end <= end:
            continue
        total += rec.end - max(rec.start, end)
        end = rec.end
    return total


def figures(scenario: str, records: list[Rec], restored_at: float) -> Row:
    failed = [r for r in records if not r.ok]
    clean = [r for r in failed if r.clean_failure]
    span = (max(r.end for r in clean) - min(r.start for r in clean)) if clean else 0.0
    after = max((r.end - restored_at for r in clean), default=0.0)
    bad = [f"{r.op}: {r.status} {r.error}" for r in failed if not r.clean_failure]
    p50 = statistics.median([r.end - r.start for r in records if r.ok] or [0.0]) * 1000
    return Row(scenario, len(records), sum(1 for r in records if r.ok), len(clean),
               failing_time(clean), span, max(after, 0.0), 0, 0, bad=bad, p50_ms=p50)


def check_nb(world: World, nb_remote: str, row: Row) -> Row:
    with httpx.Client(base_url=world.base, headers=HEADERS, timeout=CLIENT_TIMEOUT) as c:
        for tracked in list(world.tracked.values()):
            response = c.get(f"/v2.0/{tracked.collection}/{tracked.id}")
            what = f"{tracked.collection} {tracked.id}"
            if response.status_code == 404:
                if not tracked.deleted:
                    row.lost += 1
                    row.problems.append(f"{what}: acknowledged but gone")
                continue
            if response.status_code != 200:
                row.problems.append(f"{what}: GET answered {response.status_code}")
                continue
            if tracked.deleted == "acked":
                row.problems.append(f"{what}: deletion acknowledged but still there")
                continue
            state = shown(tracked.collection, response.json()[ROOTS[tracked.collection]])
            if state not in tracked.states:
                row.lost += 1
                row.problems.append(f"{what}: NB shows {state}, answered {tracked.states}")
        for unacked in world.unacked:
            response = c.get(f"/v2.0/{unacked.collection}", params=unacked.query)
            if response.status_code != 200:
                row.problems.append(f"list {unacked.collection}: {response.status_code}")
                continue
            found = response.json()[LISTS[unacked.collection]]
            if len(found) > 1:
                row.duplicated += len(found) - 1
                row.problems.append(f"unacknowledged create {unacked.query} made "
                                    f"{len(found)} objects")
            for item in found:
                row.unacked_written += 1
                if unacked.collection == "ports" and not (item["fixed_ips"]
                                                          and item["mac_address"]):
                    row.problems.append(f"unacknowledged port {item['id']} is half-written")
    findings = audit_remote(config.load([], overrides=[("OVN REMOTE", "ovn-remote",
                                                        nb_remote)]), 30)
    for finding in findings:
        if finding.check.startswith("duplicate-"):
            row.duplicated += 1
        row.problems.append(f"audit: {finding.line()}")
    return row


def summary(rows: list[Any]) -> str:
    return "\n".join([HEADER, *(row.line() for row in rows)])
