"""What the layers above the replica keep per replica (rendered views, read caches,
allocation cursors), by name: each object is made and owned by the module that defines its
meaning; the replica only runs the hooks each owner registered (docs/architecture.md, "The
replica and its caches")."""
from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

K = TypeVar("K")

LOG = logging.getLogger(__name__)


class Kept:
    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}
        self._on_change: list[Callable[[str, Any, Any, str], None]] = []
        self._on_resync: list[Callable[[], None]] = []
        self._on_write_end: list[Callable[[], None]] = []
        self._on_settle: list[Callable[[], None]] = []

    def keep(self, name: str, make: Callable[[], K], *,
             on_change: Callable[[K, str, Any, Any, str], None] | None = None,
             on_resync: Callable[[K], None] | None = None,
             on_write_end: Callable[[K], None] | None = None,
             on_settle: Callable[[K], None] | None = None) -> K:
        """The object kept under `name`, made by `make()` on first use. Its hooks run, with
        the object, on every change notification (event, row, updates, table: in the
        connection thread, the replica locked), on a full resync, after each write
        function (ovn/nb.py), and once the replica has taken the updates the NB sent
        (`settled`)."""
        found = self.objects.get(name)
        if found is None:
            found = self.objects[name] = make()
            if on_change is not None:
                self._on_change.append(partial(on_change, found))
            if on_resync is not None:
                self._on_resync.append(partial(on_resync, found))
            if on_write_end is not None:
                self._on_write_end.append(partial(on_write_end, found))
            if on_settle is not None:
                self._on_settle.append(partial(on_settle, found))
        return found

    def changed(self, event: str, row: Any, updates: Any, table: str) -> None:
        for hook in self._on_change:
            hook(event, row, updates, table)

    def resynced(self) -> None:
        for hook in self._on_resync:
            hook()

    def write_ended(self) -> None:
        for hook in self._on_write_end:
            hook()

    def settled(self) -> None:
        """After the connection thread applied the updates it had (the replica locked,
        no transaction open), before it answers the write in flight, if any: the place
        to refresh what readers will ask for next. A failing hook is logged: it must not
        fail the write or stop the thread."""
        for hook in self._on_settle:
            try:
                hook()
            except Exception:  # a defect in a cache refresh: the readers rebuild it
                LOG.exception("refreshing a kept object after an NB update")
