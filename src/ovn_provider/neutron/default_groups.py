"""The `Default` and `DropAll` port groups and their standard ACLs (docs/security-groups.md).

They must exist before the first port with port security is written; existing groups are
never rewritten. `ensure(w)` creates whichever is missing inside the caller's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ovn_provider.neutron import layout as L
from ovn_provider.neutron import view
from ovn_provider.ovn.nb import Writer

EGRESS_DESC = "automatically added allow all egress ip traffic"


def acl(w: Writer, direction: str, priority: int, match: str, action: str,
        external_ids: dict[str, str]) -> Any:
    return w.insert(L.ACL, direction=direction, priority=priority, match=match, action=action,
                    log=False, severity=["alert"], name=[L.new_id()], external_ids=external_ids)


def egress_acls(w: Writer, pg_name: str) -> list[Any]:
    """The two automatic egress rules every group gets."""
    return [acl(w, "from-lport", 1001, f"inport == @{pg_name} && {eth}", "allow-related",
                {L.ACL_GROUP: pg_name, L.ACL_ETHERTYPE: ether, L.ACL_DESCRIPTION: EGRESS_DESC})
            for eth, ether in (("ip4", "IPv4"), ("ip6", "IPv6"))]


def _drop_all(w: Writer) -> Any:
    acls = [
        acl(w, "to-lport", 1000, f"outport == @{L.PG_DROP_ALL} && ip", "drop",
            {L.ACL_OLD_DESCRIPTION: "drop all ingress ip traffic"}),
        acl(w, "from-lport", 1000, f"inport == @{L.PG_DROP_ALL} && ip", "drop",
            {L.ACL_OLD_DESCRIPTION: "drop all egress ip traffic"}),
    ]
    return w.insert(L.PG, name=L.PG_DROP_ALL, acls=acls)


def _default(w: Writer) -> Any:
    pg = L.PG_DEFAULT
    acls = egress_acls(w, pg)
    for eth, ether in (("ip4", "IPv4"), ("ip6", "IPv6")):
        acls.append(acl(w, "to-lport", 1001,
                        f"outport == @{pg} && {eth} && {eth}.src == ${pg}_{eth}",
                        "allow-related",
                        {L.ACL_GROUP: pg, L.ACL_REMOTE_GROUP: pg, L.ACL_ETHERTYPE: ether}))
    # Shown like a group created through the API: name, timestamps, revision 1.
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return w.insert(L.PG, name=pg, acls=acls, external_ids={
        L.PG_NAME: pg, L.PG_CREATED: when, L.PG_UPDATED: when, L.PG_REVISION: "1"})


def ensure(w: Writer) -> tuple[Any | None, Any | None]:
    """(DropAll, Default) rows, created if missing; (None, None) without Port_Group."""
    if not w.has_table(L.PG):
        return None, None
    drop = view.pg_by_name(w.idl, L.PG_DROP_ALL) or w.pending.get(L.PG_DROP_ALL)
    if drop is None:
        drop = w.pending[L.PG_DROP_ALL] = _drop_all(w)
    default = view.pg_by_name(w.idl, L.PG_DEFAULT) or w.pending.get(L.PG_DEFAULT)
    if default is None:
        default = w.pending[L.PG_DEFAULT] = _default(w)
    return drop, default
