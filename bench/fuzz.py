"""A longer run of the schema-driven fuzz test (tests/functional/test_fuzz.py): every route
of the served OpenAPI document with generated valid and invalid requests against a real
NB; fails on any 5xx or on a 4xx that changed the NB.

    .venv/bin/python -m bench.fuzz                 # 2,000 requests
    .venv/bin/python -m bench.fuzz --examples 10000

Prints the requests sent, the answers by status and the rate; the figures go to
bench/results/fuzz-<time>.json as well."""

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
        counts = json.loads(report.read_text()) if report.exists() else {}
    sent = sum(counts.values())
    figures = {"examples": args.examples, "requests": sent, "seconds": round(elapsed, 1),
               "requests_per_s": round(sent / elapsed, 1) if elapsed else 0,
               "by_status": dict(sorted(counts.items())), "passed": result.returncode == 0}
    print(json.dumps(figures, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"fuzz-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(figures))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
