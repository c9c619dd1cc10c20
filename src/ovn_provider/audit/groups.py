"""Security groups: port memberships, ACLs and the address sets their matches name
(docs/security-groups.md). OVN derives `$<pg>_ip4` / `$<pg>_ip6` from each Port_Group."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ovn_provider.audit.findings import Findings
from ovn_provider.audit.snapshot import Snapshot, group_named, is_group
from ovn_provider.neutron import layout as L

_PG_REF = re.compile(r"@([A-Za-z_][A-Za-z0-9_.]*)")
_SET_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_.]*)")


def memberships(snap: Snapshot, out: Findings) -> None:
    """Recorded groups are memberships, and port security means DropAll membership."""
    drop = snap.pg_by_name.get(L.PG_DROP_ALL)
    for key, lsp in snap.lsp.items():
        if not L.is_api_port(lsp) or lsp.type == "router":
            continue
        groups = snap.groups_of.get(key, [])
        for ident in lsp.external_ids.get(L.LSP_SECURITY_GROUPS, "").split():
            pg = group_named(snap, ident)
            if pg is None or not is_group(pg):
                out.add("lsp-security-group", [lsp.name, ident],
                        f"{L.LSP_SECURITY_GROUPS} names no security group")
            elif pg not in groups:
                out.add("lsp-security-group", [lsp.name, ident],
                        "recorded security group does not hold the port")
        if drop is not None and bool(lsp.port_security) != (drop in groups):
            state = "on" if lsp.port_security else "off"
            out.add("lsp-drop-all", [lsp.name], f"port security is {state} but the port is "
                    f"{'not ' if lsp.port_security else ''}in {L.PG_DROP_ALL}")


def acls(snap: Snapshot, out: Findings) -> None:
    names = set(snap.pg_by_name)
    sets = {f"{name}_{family}" for name in names for family in ("ip4", "ip6")}
    for key, pg in snap.pg.items():
        if not is_group(pg) and pg.name != L.PG_DROP_ALL:
            continue
        for acl in pg.acls:
            ids = [key, str(acl.uuid)]
            ext = acl.external_ids
            owner = ext.get(L.ACL_GROUP)
            if owner is not None and owner not in (pg.name, key):
                out.add("acl-group", ids, f"{L.ACL_GROUP}={owner} but the ACL is on "
                        f"{pg.name}")
            remote = ext.get(L.ACL_REMOTE_GROUP)
            if remote and group_named(snap, remote) is None:
                out.add("acl-remote-group", ids, f"{L.ACL_REMOTE_GROUP}={remote} names no "
                        "group")
            for name in _PG_REF.findall(acl.match):
                if name not in names:
                    out.add("acl-match-group", ids, f"match names port group @{name}, "
                            "which does not exist")
            for name in _SET_REF.findall(acl.match):
                if name not in sets and not _address_set(snap, name):
                    out.add("acl-match-address-set", ids, f"match names address set "
                            f"${name}, which no port group provides")
            ether = ext.get(L.ACL_ETHERTYPE)
            if ether is not None and ether not in ("IPv4", "IPv6"):
                out.add("acl-ethertype", ids, f"{L.ACL_ETHERTYPE}={ether}")
            if owner is not None and f"@{pg.name}" not in acl.match:
                out.add("acl-match-group", ids, f"a rule of {pg.name} whose match does not "
                        f"name @{pg.name}")


def _address_set(snap: Snapshot, name: str) -> bool:
    """An Address_Set row of that name (foreign data may use them)."""
    return name in snap.address_sets


def group_keys(snap: Snapshot, out: Findings) -> None:
    for key, pg in snap.pg.items():
        if not is_group(pg):
            continue
        revision = pg.external_ids.get(L.PG_REVISION)
        if revision is not None and not revision.isdigit():
            out.add("pg-revision", [key], f"{L.PG_REVISION}={revision!r} is not a number")
        _timestamp(pg, key, out)


def _timestamp(pg: Any, key: str, out: Findings) -> None:

    for name in (L.PG_CREATED, L.PG_UPDATED):
        text = pg.external_ids.get(name)
        if text is None:
            continue
        try:
            dt.datetime.fromisoformat(text.rstrip("Z"))
        except ValueError:
            out.add("pg-timestamp", [key], f"{name}={text!r} is not an ISO-8601 time")
