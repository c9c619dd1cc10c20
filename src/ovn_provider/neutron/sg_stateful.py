"""Stateless security groups (stateful-security-group; docs/security-groups.md,
"Stateless groups"): a group with `stateful: false` records `ovirt_stateful=False` and
its rules' ACLs use `allow-stateless`, so OVN lets their packets through without
connection tracking (return traffic then needs rules of its own, as in Neutron)."""

from __future__ import annotations

from typing import Any

from ovn_provider.errors import Conflict
from ovn_provider.neutron import acl_match
from ovn_provider.neutron import layout as L
from ovn_provider.ovn.index import map_get, set_size


def is_stateful(pg: Any) -> bool:
    return map_get(pg, "external_ids", L.PG_STATEFUL) != "False"


def acl_action(stateful: bool) -> str:
    """The ACL action of a group's rules (stateful-security-group): a stateless group's
    rules allow packets one by one, without connection tracking."""
    return acl_match.RULE_ACTION if stateful else acl_match.STATELESS_ACTION


def set_stateful(pg: Any, stateful: bool) -> None:
    """Switch a group and all its rules' ACLs; refused while ports use it (Neutron)."""
    pg.verify("ports")
    if set_size(pg, "ports"):
        raise Conflict(f"Security Group {pg.uuid} in use: the stateful attribute of a "
                       "group with ports cannot change")
    if stateful:
        pg.delkey("external_ids", L.PG_STATEFUL)
    else:
        pg.setkey("external_ids", L.PG_STATEFUL, "False")
    for acl in pg.acls:
        if acl.action != "drop":
            acl.action = acl_action(stateful)
