"""Run by Tempest's own venv: a subunit v2 stream on stdin -> JSON {test id: [status,
reason]} on stdout (reason: the skip reason, or the first line of a failure)."""

from __future__ import annotations

import json
import sys
from typing import Any

import subunit
import testtools


def main() -> int:
    results: dict[str, list[str]] = {}

    def on_test(test: dict[str, Any]) -> None:
        test_id = test["id"]  # class fixtures fail as "setUpClass (module.Class)"
        reason = ""
        details = test.get("details") or {}
        for key in ("reason", "traceback"):
            if key in details:
                text = details[key].as_text().strip()
                lines = [line for line in text.splitlines() if line.strip()]
                reason = lines[-1] if key == "traceback" and lines else text
                break
        results[test_id] = [test["status"], reason]

    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    result = testtools.StreamToDict(on_test)
    result.startTestRun()
    try:
        stream.run(result)
    finally:
        result.stopTestRun()
    json.dump(results, sys.stdout, indent=0, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
