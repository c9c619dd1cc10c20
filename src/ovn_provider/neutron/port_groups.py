"""A port's security groups: resolving the ids a request names into Port_Group rows, and
keeping the port's membership and recorded ids in step (docs/security-groups.md)."""

from __future__ import annotations

from typing import Any

from ovn_provider.errors import BadRequest, NotFound
from ovn_provider.neutron import default_groups, view
from ovn_provider.neutron import layout as L
from ovn_provider.ovn.index import verify
from ovn_provider.ovn.nb import Writer


def resolve(w: Writer, idents: list[str]) -> tuple[list[Any], list[str]]:
    """PG rows for the requested identifiers (PG UUID, `Default`, or a PG name), and the
    identifiers to record: one per group, as first given (two names for one group would
    make the recorded list differ from the membership)."""
    result: list[Any] = []
    kept: list[str] = []
    if not w.has_table(L.PG):
        return result, kept
    pgs = view.rows(w.idl, L.PG)
    for ident in dict.fromkeys(idents):
        pg = None
        key = None
        if ident in (L.PG_DEFAULT, L.PG_DEFAULT_SHOWN):
            pg = default_groups.ensure(w)[1]
        else:
            key = view.parse_uuid(ident)
            pg = pgs.get(key) if key is not None else view.pg_by_name(w.idl, ident)
            if pg is not None and not is_security_group(pg):
                pg = None
        if pg is None and key is None and view.pg_by_name(w.idl, ident) is None:
            raise BadRequest(f"Invalid input for security_groups. Reason: '{ident}' is not "
                             "a valid UUID nor the name of a security group.")
        if pg is None:
            raise NotFound(f"Security group {ident} does not exist", "SecurityGroupNotFound")
        if all(pg.uuid != other.uuid for other in result):
            result.append(pg)
            kept.append(ident)
    return result, kept


def is_security_group(pg: Any) -> bool:
    """oVirt groups only (docs/nb-layout.md): never DropAll or a foreign Port_Group."""
    return pg.name == L.PG_DEFAULT or L.PG_NAME in pg.external_ids


def set_membership(w: Writer, lsp: Any, security: bool, groups: list[Any],
                    idents: list[str], current: list[Any]) -> None:
    """Make the LSP's PG membership exactly `groups` (+ DropAll with port security) and
    record `idents`."""
    wanted: list[Any] = list(groups)
    if security:
        drop, _ = default_groups.ensure(w)
        if drop is not None:
            wanted.append(drop)
    wanted_ids = {pg.uuid for pg in wanted}
    current_ids = {pg.uuid for pg in current}
    for pg in current:
        if pg.uuid not in wanted_ids:
            pg.delvalue("ports", lsp)
    for pg in wanted:
        if pg.uuid not in current_ids:
            # a group deleted meanwhile by another writer: TRY_AGAIN, then "not found"
            # (a mutation of a deleted row would be dropped without an error)
            verify(pg, "name")
            pg.addvalue("ports", lsp)
    if idents:
        lsp.setkey("external_ids", L.LSP_SECURITY_GROUPS, " ".join(dict.fromkeys(idents)))
    elif L.LSP_SECURITY_GROUPS in lsp.external_ids:
        lsp.delkey("external_ids", L.LSP_SECURITY_GROUPS)
