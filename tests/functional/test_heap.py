"""The replica and the garbage collector (src/ovn_provider/ovn/heap.py): a synced replica
is frozen out of the collector's full walks, and its rows are still freed when they leave
the NB (by reference counting: frozen objects are never collected as cycles)."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.heap import GROWTH_MIN, Settler
from ovn_provider.ovn.nb import Nb
from tests.support.nb import connected_nb


@pytest.fixture()
def nb(central: Central) -> Iterator[Nb]:
    try:
        with connected_nb(central) as replica:
            yield replica
    finally:
        gc.unfreeze()  # the rest of the test process is not the provider's


def _switch(nb: Nb, name: str) -> Any:
    with nb.read() as idl:
        return next((row for row in idl.tables["Logical_Switch"].rows.values()
                     if row.name == name), None)


def _until(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_the_synced_replica_is_frozen_and_its_rows_are_still_freed(nb: Nb,
                                                                    central: Central) -> None:
    central.nbctl("ls-add", "heap-probe")
    _until("the switch in the replica", lambda: _switch(nb, "heap-probe") is not None)
    row = weakref.ref(_switch(nb, "heap-probe"))
    # the connection thread froze the heap when this session synced
    assert gc.get_freeze_count() > 0
    gc.freeze()  # and the row is frozen too, as rows synced before a freeze are
    assert row() is not None
    central.nbctl("ls-del", "heap-probe")
    _until("the switch leaves the replica", lambda: _switch(nb, "heap-probe") is None)
    _until("the frozen row freed without a collection", lambda: row() is None)


class _Table:
    def __init__(self, rows: int) -> None:
        self.rows = dict.fromkeys(range(rows))


class _Idl:
    def __init__(self, rows: int) -> None:
        self.tables = {"T": _Table(rows)}


def test_freezes_once_per_connection_and_on_growth() -> None:
    settler = Settler()
    try:
        assert settler.synced(1, _Idl(100)) is True  # first sync
        assert settler.synced(1, _Idl(100)) is False
        assert settler.synced(1, _Idl(100 + GROWTH_MIN - 1)) is False  # < GROWTH_MIN more
        assert settler.synced(2, _Idl(100)) is True  # a new connection: a new replica
        big = 4 * GROWTH_MIN
        assert settler.synced(2, _Idl(big)) is True  # grew by >= 25% and GROWTH_MIN
        assert settler.synced(2, _Idl(big + GROWTH_MIN - 1)) is False  # < 25%
        assert settler.synced(2, _Idl(big * 5 // 4 + GROWTH_MIN)) is True
    finally:
        gc.unfreeze()
