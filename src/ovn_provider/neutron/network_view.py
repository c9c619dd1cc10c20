"""The JSON answer of a plain `GET /v2.0/networks/{id}` (no query), kept per network, so
that the engine's read of the network before each vNIC plug is answered on the event loop
(`Networking.quick`; docs/architecture.md, "The engine's reads").

A body is kept until a change that can alter how a network is shown (`networks.render`):
- any change of a Logical_Switch row, except its `ports` and its address serial: every
  port create or delete changes those, and they are not shown;
- a localnet port (`provider:*`) created, deleted, changed, or moved between switches;
- any DHCP_Options change (the network's `subnets`);
- a full resync.
A body is kept only from committed state with the replica locked (a read, never a write
function), and the change notifications that drop them run with the same lock held,
after the update is applied: a kept body is never older than the replica as a locked
read sees it. The event loop reads the kept dict without the lock; dropping replaces the
dict as a whole, so it sees either every body of before the change or none.
"""

from __future__ import annotations

from typing import Any

from ovn_provider.json_encode import encode_json
from ovn_provider.neutron import layout as L
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.index import NbIdl, strings
from ovn_provider.ovn.views import changed_columns, changed_members, old_value

NAME = "network_bodies"
#: LS external_ids keys a port create or delete changes and no network answer shows
_UNSHOWN_KEYS = frozenset({L.LS_ADDRESS_SERIAL})


class NetworkBodies:
    """network id -> the JSON of `{"network": ...}` as a plain show answers it."""

    def __init__(self, idl: NbIdl) -> None:
        self.idl = idl
        self.bodies: dict[str, bytes] = {}

    def drop_all(self) -> None:
        if self.bodies:
            self.bodies = {}  # a new dict: the event loop may be reading the old one

    def notify(self, event: str, row: Any, updates: Any, table: str) -> None:
        if not self.bodies:
            return
        if table == L.DHCP or (table == L.LS and _switch_change_shown(self.idl, event, row,
                                                                      updates)) \
                or (table == L.LSP and _localnet_change(self.idl, event, row, updates)):
            self.drop_all()


def _switch_change_shown(idl: NbIdl, event: str, row: Any, updates: Any) -> bool:
    if event != "update" or updates is None:
        return True
    changed = changed_columns(updates)
    if "ports" in changed:
        changed.discard("ports")
        before = old_value(updates, "ports")
        if before is not None and any(member in idl.localnets
                                      for member in changed_members(row, before)):
            return True
    if "external_ids" in changed:
        changed.discard("external_ids")
        if _changed_keys(old_value(updates, "external_ids"), row) - _UNSHOWN_KEYS:
            return True
    return bool(changed)


def _changed_keys(before: Any, row: Any) -> set[str]:
    old = {key.value: value.value for key, value in before.values.items()} \
        if before is not None else {}
    new = dict(row.external_ids)
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def _localnet_change(idl: NbIdl, event: str, row: Any, updates: Any) -> bool:
    """A change of a localnet port: it is one after the change, or was one before it
    (the index learns of this change after the kept objects do, ovn/index.py). A change
    of `up` alone is none: no network shows it, and ovn-northd writes it back once on
    every new port."""
    if event == "update" and updates is not None and changed_columns(updates) == {"up"}:
        return False
    return row.uuid in idl.localnets or (event != "delete"
                                          and strings(row, "type") == ["localnet"])


def kept(idl: NbIdl) -> NetworkBodies:
    return idl.kept.keep(NAME, lambda: NetworkBodies(idl), on_change=NetworkBodies.notify,
                         on_resync=NetworkBodies.drop_all)


def keep(idl: NbIdl, network_id: str, shown: dict[str, Any]) -> None:
    """Keeps the answer `networks.show` rendered, with the replica locked; nothing inside
    a write function (its pending rows are not committed). Only under the id as the
    network shows it: uuid.UUID also takes other cases, braces, no hyphens and any number
    of "urn:" prefixes, and a body per spelling would grow without bound (those take the
    request thread). Encoded as the request thread encodes an answer (json_encode.py)."""
    if idl.can_keep_views and network_id == shown.get("id"):
        kept(idl).bodies[network_id] = encode_json({"network": shown})


def published(ctx: Ctx, network_id: str) -> bytes | None:
    """The kept answer for the network, without the replica's lock and without waiting;
    None when there is none (the show then runs in a request thread)."""
    idl = ctx.nb.replica()
    bodies = None if idl is None else idl.kept.objects.get(NAME)
    return None if bodies is None else bodies.bodies.get(network_id)
