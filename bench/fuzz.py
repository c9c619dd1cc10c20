"""A longer run of the schema-driven fuzz test (tests/functional/test_fuzz.py): every route
of the served OpenAPI document with generated valid and invalid requests against a real
NB; fails on any 5xx or on a 4xx that changed the NB.

    .venv/bin/python -m bench.fuzz                 # 2,000 requests
    .venv/bin/python -m bench.fuzz --examples 10000

Prints the requests sent, the answers by status, by method and by route (2xx / 4xx / 5xx
and the share of 2xx), how many refused writes were followed by an NB comparison, and the
rate; the figures go to bench/results/fuzz-<time>.json as well."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def classes(per_status: dict[str, int]) -> dict[str, float]:
    """Answers by class, and the share of 2xx among them; 501 apart (floating IPs and
    SNAT without a gateway chassis: a documented refusal, not a failure)."""
    out = {"2xx": 0, "4xx": 0, "5xx": 0, "501": 0}
    for status, n in per_status.items():
        key = status if status == "501" else f"{status[0]}xx"
        if key in out:
            out[key] += n
    total = sum(per_status.values())
    return {**out, "2xx_share": round(out["2xx"] / total, 3) if total else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ovnp-fuzz-report-") as tmp:
        report = Path(tmp) / "counts.json"
        env = {**os.environ, "OVNP_FUZZ_EXAMPLES": str(args.examples),
               "OVNP_FUZZ_REPORT": str(report)}
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "tests/functional/test_fuzz.py"], cwd=ROOT, env=env, check=False)
        elapsed = time.monotonic() - started
        found = json.loads(report.read_text()) if report.exists() else {}
    counts = found.get("by_status", {})
    sent = sum(counts.values())
    by_route = {route: classes(per) for route, per in found.get("by_route", {}).items()}
    by_method: dict[str, dict[str, int]] = {}
    for route, per in found.get("by_route", {}).items():
        method = by_method.setdefault(route.split()[0], {})
        for status, n in per.items():
            method[status] = method.get(status, 0) + n
    figures = {"examples": args.examples, "requests": sent, "seconds": round(elapsed, 1),
               "requests_per_s": round(sent / elapsed, 1) if elapsed else 0,
               "by_status": dict(sorted(counts.items())),
               "by_method": {m: classes(per) for m, per in sorted(by_method.items())},
               "nb_checked_after_4xx": found.get("nb_checked_after_4xx", 0),
               "passed": result.returncode == 0, "by_route": by_route}
    print(json.dumps({k: v for k, v in figures.items() if k != "by_route"}, indent=2))
    print(f"{'route':58} {'2xx':>5} {'4xx':>5} {'5xx':>4} {'501':>4} {'2xx %':>6}")
    for route, c in by_route.items():
        print(f"{route:58} {c['2xx']:5} {c['4xx']:5} {c['5xx']:4} {c['501']:4} "
              f"{c['2xx_share']:6.0%}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"fuzz-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(figures))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
