"""Read helpers over the NB replica: relations that lists need, built once per replica
change (keyed by the IDL's change_seqno), never per row inside a list.

All functions take the IDL (or a Writer's IDL) and must be called with the replica
locked, i.e. inside `Nb.read()` or inside a write function.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from ovn_provider.errors import NotFound
from ovn_provider.neutron import layout as L
from ovn_provider.ovn.index import NbIdl, map_get, set_contains, set_uuids

T = TypeVar("T")


def rows(idl: NbIdl, table: str) -> dict[uuid.UUID, Any]:
    if table not in idl.tables:
        return {}
    return idl.tables[table].rows


def cached(idl: NbIdl, name: str, build: Callable[[NbIdl], T],
           tables: tuple[str, ...] | None = None) -> T:
    """`build(idl)`, reused until a row of one of `tables` changes (None: until anything
    in the replica changes). `build` must read nothing but those tables. Built inside a
    write transaction (whose pending rows it may see), the value is kept for that
    transaction only (`txn_cache`)."""
    stamp = idl.stamp(tables)
    in_txn = idl.txn is not None
    hit = txn_cache(idl).get(name) if in_txn else None
    if hit is None:
        hit = _committed_cache(idl).get(name)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    value = build(idl)
    (txn_cache(idl) if in_txn else _committed_cache(idl))[name] = (stamp, value)
    return value


def published(idl: NbIdl, name: str) -> Any | None:
    """The whole-replica `cached(idl, name, ...)` value if it is still valid, read WITHOUT
    the replica lock (docs/architecture.md, "Reads while a write waits"), else None.
    python-ovs bumps change_seqno after an update's rows are applied, and the (stamp,
    value) pair is replaced as one: a value found for the current change_seqno was built
    from committed state that holds every write acknowledged so far."""
    cache = idl.kept.objects.get("view_cache")
    hit = cache.get(name) if cache is not None else None
    if hit is not None and hit[0] == idl.change_seqno:
        return hit[1]
    return None


def _committed_cache(idl: NbIdl) -> dict[str, tuple[Any, Any]]:
    """`cached` values built from committed state: name -> (stamp, value); dropped on a
    full resync (the stamps would tell them stale anyway)."""
    return idl.kept.keep("view_cache", dict, on_resync=dict.clear)


def txn_cache(idl: NbIdl) -> dict[str, tuple[Any, Any]]:
    """`cached` values built inside the running write function (they may hold its pending
    rows): dropped after it (NbIdl.write_ended), and by neutron/bulk.py between the
    write functions of one transaction."""
    return idl.kept.keep("txn_cache", dict, on_write_end=dict.clear)


def _lsp_to_ls(idl: NbIdl) -> dict[uuid.UUID, Any]:
    result: dict[uuid.UUID, Any] = {}
    for ls in rows(idl, L.LS).values():
        for member in set_uuids(ls, "ports"):
            result[member] = ls
    return result


def lsp_to_ls(idl: NbIdl) -> dict[uuid.UUID, Any]:
    return cached(idl, "lsp_to_ls", _lsp_to_ls, (L.LS,))


def network_of(idl: NbIdl, lsp: Any) -> Any | None:
    """The LS holding `lsp`: via the port's own hint key (O(1)), else the full map."""
    hint = lsp.external_ids.get(L.LSP_NETWORK_ID)
    if hint:
        try:
            ls = rows(idl, L.LS).get(uuid.UUID(hint))
        except ValueError:
            ls = None
        if ls is not None and set_contains(ls, "ports", lsp.uuid):
            return ls
    return lsp_to_ls(idl).get(lsp.uuid)


def _subnets_by_ls(idl: NbIdl) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = defaultdict(list)
    for row in rows(idl, L.DHCP).values():
        net = map_get(row, "external_ids", L.DHCP_NETWORK_ID)  # without building the map
        if net is not None:
            result[net].append(row)
    for subnets in result.values():
        subnets.sort(key=lambda r: str(r.uuid))
    return dict(result)


def subnets_by_ls(idl: NbIdl) -> dict[str, list[Any]]:
    """LS UUID (text) -> its oVirt subnets (DHCP_Options rows), sorted by id; inside a
    write, with the networks whose subnets it set (`set_subnets`)."""
    value = _cached_subnets(idl)
    if idl.txn is not None:
        written = _txn_subnets(idl)
        if written:
            return {**value, **written}
    return value


def set_subnets(idl: NbIdl, ls_key: str, subnets: list[Any]) -> None:
    """`subnets` as the network `ls_key`'s for the rest of the running transaction (also
    for the later write functions of a bulk). Never written into the cached value: inside a
    write `cached` may answer the one readers share, and a refused or retried write must
    leave no pending row there (the stamps would not tell it stale)."""
    _txn_subnets(idl)[ls_key] = subnets


def _txn_subnets(idl: NbIdl) -> dict[str, list[Any]]:
    """The subnets the running transaction set, by network: dropped when its write ends
    (NbIdl.write_ended), committed or not."""
    return idl.kept.keep("txn_subnets", dict, on_write_end=dict.clear)


def subnets_of(idl: NbIdl, ls: Any) -> list[Any]:
    key = str(ls.uuid)
    if idl.txn is not None:  # without merging the whole map (once per port of a relink)
        written = _txn_subnets(idl).get(key)
        if written is not None:
            return written
    return _cached_subnets(idl).get(key, [])


def _cached_subnets(idl: NbIdl) -> dict[str, list[Any]]:
    """The subnets by network as the replica holds them (no `set_subnets` overlay)."""
    return cached(idl, "subnets_by_ls", _subnets_by_ls, (L.DHCP,))


def _localnet_by_ls(idl: NbIdl) -> dict[uuid.UUID, Any]:
    lsps = rows(idl, L.LSP)
    owners = lsp_to_ls(idl) if idl.localnets else {}
    result: dict[uuid.UUID, Any] = {}
    for member in idl.localnets:
        lsp = lsps.get(member)
        ls = owners.get(member)
        if lsp is not None and ls is not None and lsp.type == "localnet":
            result.setdefault(ls.uuid, lsp)
    return result


def localnet_of(idl: NbIdl, ls: Any) -> Any | None:
    lsps = rows(idl, L.LSP)
    for member in idl.localnets:
        lsp = lsps.get(member)
        if lsp is not None and lsp.type == "localnet" and set_contains(ls, "ports", member):
            return lsp
    return None


def localnet_by_ls(idl: NbIdl) -> dict[uuid.UUID, Any]:
    return cached(idl, "localnet_by_ls", _localnet_by_ls, (L.LS, L.LSP))


def _groups_by_lsp(idl: NbIdl) -> dict[uuid.UUID, list[Any]]:
    result: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for pg in rows(idl, L.PG).values():
        for member in set_uuids(pg, "ports"):
            result[member].append(pg)
    return dict(result)


def groups_by_lsp(idl: NbIdl) -> dict[uuid.UUID, list[Any]]:
    return cached(idl, "groups_by_lsp", _groups_by_lsp, (L.PG,))


def groups_of(idl: NbIdl, lsp: Any) -> list[Any]:
    """The Port_Groups `lsp` belongs to, each checked in O(1)."""
    return [pg for pg in rows(idl, L.PG).values() if set_contains(pg, "ports", lsp.uuid)]


def pg_by_name(idl: NbIdl, name: str) -> Any | None:
    return by_name(idl, L.PG, name)


def by_name(idl: NbIdl, table_name: str, name: str) -> Any | None:
    """A row by its `name`, through the IDL's name index (see ovn/nb.py)."""
    table = idl.tables.get(table_name)
    if table is None:
        return None
    index = table.rows.indexes.get("name")
    if index is None:
        return next((row for row in table.rows.values() if row.name == name), None)
    probe = table.rows.IndexEntry(name=name)
    return next(iter(index.irange(probe, probe)), None)


def api_port(idl: NbIdl, port_id: str) -> Any | None:
    """The LSP of the API port `port_id` (its LSP name), or None."""
    lsp = lsp_by_name(idl, port_id)
    return lsp if lsp is not None and L.is_api_port(lsp) else None


def lsp_by_name(idl: NbIdl, name: str) -> Any | None:
    return by_name(idl, L.LSP, name)


def lrp_by_name(idl: NbIdl, name: str) -> Any | None:
    return by_name(idl, L.LRP, name)


def subnet_for_ip(subnets: list[Any], ip: str) -> Any | None:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    for row in subnets:
        try:
            if address in ipaddress.ip_network(row.cidr, strict=False):
                return row
        except ValueError:
            continue
    return None


def by_uuid(idl: NbIdl, table: str, ident: str) -> Any | None:
    """The row of `table` whose UUID is the text `ident`, or None (also for non-UUIDs)."""
    key = parse_uuid(ident)
    return rows(idl, table).get(key) if key is not None else None


def require(row: T | None, kind: str, ident: str) -> T:
    """`row`, or a 404 "<kind> <ident> does not exist"."""
    if row is None:
        raise NotFound(f"{kind} {ident} does not exist", not_found_type(kind))
    return row


def not_found_type(kind: str) -> str:
    """Neutron's exception name for a missing `kind` ("Security Group" ->
    "SecurityGroupNotFound")."""
    return "".join(word[:1].upper() + word[1:] for word in kind.split()) + "NotFound"


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return None
