"""The SB monitor (ovn/sb.py) outlives an unexpected error: it logs it and reads the SB
again on a new session, so gateway scheduling and /v2.0/agents do not stop for good after
one bad update. The error is injected into the monitor's own code (its gateway-name
pass), once; the SB is real."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.sb import GatewayChassis, SbMonitor


def test_monitor_reads_on_after_an_error(fresh_central: Central,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    failures = {"left": 1}
    names_of = SbMonitor._gateway_names

    def failing_once(idl: Any) -> frozenset[str]:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("injected: one bad update")
        return names_of(idl)

    monkeypatch.setattr(SbMonitor, "_gateway_names", staticmethod(failing_once))
    fresh_central.sbctl("chassis-add", "gw-after-error", "geneve", "127.0.1.9")
    fresh_central.sbctl("set", "Chassis", "gw-after-error",
                        'other_config:ovn-cms-options="enable-chassis-as-gw"')
    gateways = GatewayChassis()
    monitor = SbMonitor(fresh_central.sb_remote, gateways)
    monitor.start()
    try:
        deadline = time.monotonic() + 15
        while gateways.names != {"gw-after-error"} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert failures["left"] == 0, "the injected error never happened"
        assert gateways.names == {"gw-after-error"}, "the monitor stopped at the error"
    finally:
        monitor.stop()
