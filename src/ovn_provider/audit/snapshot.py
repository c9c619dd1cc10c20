"""Maps over the NB replica that every check needs, built once per audit run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ovn_provider.audit.findings import by_uuid, rows
from ovn_provider.neutron import layout as L


@dataclass
class Snapshot:
    ls: dict[str, Any]  # LS UUID -> row
    lsp: dict[str, Any]  # LSP UUID -> row
    lsp_by_name: dict[str, Any]
    lrp_by_name: dict[str, Any]
    lr: dict[str, Any]  # LR UUID -> row
    dhcp: dict[str, Any]  # DHCP_Options UUID -> row
    pg_by_name: dict[str, Any]
    pg: dict[str, Any]  # PG UUID -> row
    switches_of: dict[str, list[Any]] = field(default_factory=dict)  # LSP UUID -> LSs
    router_of: dict[str, list[Any]] = field(default_factory=dict)  # LRP UUID -> LRs
    groups_of: dict[str, list[Any]] = field(default_factory=dict)  # LSP UUID -> PGs
    address_sets: set[str] = field(default_factory=set)


def take(idl: Any) -> Snapshot:
    snap = Snapshot(
        ls=by_uuid(idl, L.LS), lsp=by_uuid(idl, L.LSP),
        lsp_by_name={row.name: row for row in rows(idl, L.LSP)},
        lrp_by_name={row.name: row for row in rows(idl, L.LRP)},
        lr=by_uuid(idl, L.LR), dhcp=by_uuid(idl, L.DHCP),
        pg_by_name={row.name: row for row in rows(idl, L.PG)}, pg=by_uuid(idl, L.PG))
    snap.address_sets = {row.name for row in rows(idl, "Address_Set")}
    for ls in snap.ls.values():
        for port in ls.ports:
            snap.switches_of.setdefault(str(port.uuid), []).append(ls)
    for lr in snap.lr.values():
        for port in lr.ports:
            snap.router_of.setdefault(str(port.uuid), []).append(lr)
    for pg in snap.pg.values():
        for port in pg.ports:
            snap.groups_of.setdefault(str(port.uuid), []).append(pg)
    return snap


def is_subnet(row: Any) -> bool:
    return L.DHCP_NETWORK_ID in row.external_ids


def is_group(pg: Any) -> bool:
    """An oVirt security group (docs/security-groups.md): Default or a named PG."""
    return pg.name == L.PG_DEFAULT or L.PG_NAME in pg.external_ids


def group_named(snap: Snapshot, ident: str) -> Any | None:
    """The PG an identifier names: a PG UUID or a PG name (old data records names)."""
    return snap.pg.get(ident) or snap.pg_by_name.get(ident)
