"""One `make deb` (wheel, sdist, .debs) per test session, into a temporary directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("dpkg-deb") is None:
        pytest.fail("dpkg-deb missing: these tests need Debian (`make test` runs on it)")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(["make", "-C", str(REPO), "--no-print-directory", "deb",
                           f"DIST={out}", f"VENV={sys.prefix}"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out
