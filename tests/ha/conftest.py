"""The HA bed for tests/ha (tests/ha/bed.py): one per module, torn down on failure."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.ha.bed import HaBed


@pytest.fixture(scope="module")
def ha_bed() -> Iterator[HaBed]:
    for tool in ("haproxy", "ovsdb-server", "ovn-northd"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run `make test` (it installs the Debian "
                        "packages of the Makefile's DEB_PKGS)")
    bed = HaBed().start()
    try:
        yield bed
    finally:
        bed.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The chaos table (tests/ha/test_chaos.py), printed at the end of every run."""
    from tests.ha import test_chaos
    from tests.ha.verify import summary

    if test_chaos.ROWS:
        terminalreporter.write_sep("-", "chaos under load (C = 8, through HAProxy)")
        terminalreporter.write_line(summary(test_chaos.ROWS))
