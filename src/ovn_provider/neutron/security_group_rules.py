"""Security group rules: one ACL per rule on its group's PG (docs/security-groups.md; docs/nb-
layout.md).

Creating or deleting a rule also bumps the group's revision and `updated_at`, in the
same transaction. The REST id is the ACL row UUID; group ids are PG UUIDs resolved from
the PG names the ACL stores. Validation and the match grammar are in acl_match.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ovn_provider.errors import Conflict, NotFound
from ovn_provider.neutron import acl_match, bulk, stamps, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import security_groups as SG
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.sg_stateful import acl_action, is_stateful
from ovn_provider.ovn.index import (
    NbIdl,
    committed,
    map_get,
    set_contains,
    set_uuids,
    strings,
    verify,
)
from ovn_provider.ovn.nb import Writer


# -- reading ------------------------------------------------------------------------------------
def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        if L.PG not in idl.tables:
            return []
        return view.cached(idl, "security_group_rules_rendered",
                           lambda i: _render_all(ctx, i))


def _render_all(ctx: Ctx, idl: NbIdl) -> list[dict[str, Any]]:
    index = SG.groups(idl)
    result: list[dict[str, Any]] = []
    for pg in index.listed:
        result.extend(SG.rules_of(ctx, index, pg))
    result.sort(key=lambda rule: rule["id"])
    return result


def find(idl: NbIdl, rule_id: str) -> tuple[Any, Any] | None:
    """(ACL, the listed group holding it) for a rule id; None for unknown ids, `drop`
    ACLs and ACLs outside listed groups."""
    key = view.parse_uuid(rule_id)
    if key is None or L.PG not in idl.tables:
        return None
    acl = view.rows(idl, L.ACL).get(key)
    if acl is None or acl.action == "drop":
        return None
    owner = _owner(idl, acl, key)
    return None if owner is None else (acl, owner)


def _owner(idl: NbIdl, acl: Any, key: Any) -> Any | None:
    """The listed group whose `acls` holds the ACL: the group its external_ids name,
    checked in O(1), else the index of every group's ACLs (rebuilt after each change,
    O(all ACLs): the cost that made a rule delete slow in a 1,000-rule NB)."""
    hint = map_get(acl, "external_ids", L.ACL_GROUP)
    if hint:
        pg = SG.find(idl, hint)
        if pg is not None and committed(pg) and set_contains(pg, "acls", key):
            return pg
    return SG.groups(idl).acl_owner.get(key)


def _duplicate(w: Writer, pg: Any, direction: str, match: str) -> Any | None:
    """The ACL of `pg` with this direction, the rule priority and this match, if any.
    Reads the replica's datums (python-ovs would build a row object for every member of
    `acls` and convert each compared column: most of a rule create's cost in a group
    with 100 rules); a group changed in this transaction is read the slow way."""
    if committed(pg):
        table = view.rows(w.idl, L.ACL)
        candidates = [table[k] for k in set_uuids(pg, "acls") if k in table]
    else:
        candidates = list(pg.acls)
    for acl in candidates:
        if (strings(acl, "match") == [match] and strings(acl, "direction") == [direction]
                and strings(acl, "priority") == [acl_match.RULE_PRIORITY]):
            return acl
    return None


def _get(idl: NbIdl, rule_id: str) -> tuple[Any, Any]:
    SG.require_schema(idl)
    found = find(idl, rule_id)
    if found is None:
        raise NotFound(f"Security Group Rule {rule_id} does not exist",
                       "SecurityGroupRuleNotFound")
    return found


def show(ctx: Ctx, rule_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        acl, owner = _get(idl, rule_id)
        return SG.render_rule(ctx, SG.GroupLookup(idl), acl, owner)


# -- writes -------------------------------------------------------------------------------------
def _group(w: Writer, ident: str) -> Any:
    pg = SG.resolve_for_write(w, ident)
    if pg is None:
        raise NotFound(f"Security group {ident} does not exist", "SecurityGroupNotFound")
    return pg


def external_ids(rule: acl_match.Rule, pg_name: str, remote_name: str | None
                 ) -> dict[str, str]:
    """The ACL keys of docs/nb-layout.md: names of the groups, and the request as supplied."""
    ext = {L.ACL_GROUP: pg_name, L.ACL_ETHERTYPE: rule.ethertype}
    optional = ((L.ACL_REMOTE_GROUP, remote_name), (L.ACL_PROTOCOL, rule.protocol),
                (L.ACL_MIN_PORT, rule.port_min), (L.ACL_MAX_PORT, rule.port_max),
                (L.ACL_IP_PREFIX, rule.remote_ip_prefix),
                (L.ACL_DESCRIPTION, rule.description))
    for key, value in optional:
        if value is not None:
            ext[key] = str(value)
    return ext


def prepare_create(ctx: Ctx, data: dict[str, Any]) -> Callable[[Writer], Any]:
    """Validate a POST body; the returned write function inserts the object into an
    open transaction (a bulk create shares one, neutron/bulk.py) and returns its id
    (or a callable giving it after the commit)."""
    rule = acl_match.parse_rule(data)

    def write(w: Writer) -> Any:
        SG.require_schema(w.idl)
        pg = _group(w, rule.group)
        remote_name = None
        if rule.remote_group is not None:
            remote = _group(w, rule.remote_group)
            # deleted meanwhile by another writer: TRY_AGAIN, then "does not exist"
            verify(remote, "name")
            remote_name = remote.name
        match = rule.match(pg.name, remote_name)
        direction = acl_match.ACL_DIRECTION[rule.direction]
        pg.verify("acls")
        same = _duplicate(w, pg, direction, match)
        if same is not None and not committed(same):  # an earlier element of this bulk
            raise Conflict("Duplicate Security Group Rule in POST.",
                           "DuplicateSecurityGroupRuleInPost")
        if same is not None:
            raise Conflict(f"Security group rule already exists. Rule id is {same.uuid}.",
                           "SecurityGroupRuleExists")
        acl = w.insert(L.ACL, direction=direction, priority=acl_match.RULE_PRIORITY,
                       match=match, action=acl_action(is_stateful(pg)), log=False,
                       severity=["alert"], name=[L.new_id()],
                       external_ids={**external_ids(rule, pg.name, remote_name),
                                     **stamps.new(revision=0)})
        pg.addvalue("acls", acl)
        SG.bump(pg)
        return w.real_uuid(acl)

    return write


def create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    return bulk.create_one(ctx, prepare_create, show, data)


def delete(ctx: Ctx, rule_id: str) -> None:
    def write(w: Writer) -> None:
        acl, owner = _get(w.idl, rule_id)
        stamps.check(w, acl)
        owner.delvalue("acls", acl)
        acl.delete()
        SG.bump(owner)

    ctx.nb.transact(write)
