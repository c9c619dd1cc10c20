"""Security groups: Port_Group rows (docs/security-groups.md; docs/nb-layout.md).

A PG is an oVirt security group when it has `ovirt_sec_group_name` or is named
`Default`; `DropAll` and foreign PGs are never shown and never break a listing. The REST
id is the PG row UUID; `Default` is accepted wherever an id is expected. ACLs name
their group (and any remote group) by PG name, so PG names are never changed after
creation. Reading the rules of a group (its non-`drop` ACLs) lives here too, since a
group renders its rules; creating and deleting rules is in security_group_rules.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ovn_provider.errors import BadRequest, Conflict, NotFound, NotImplementedFeature
from ovn_provider.neutron import acl_match, bulk, default_groups, stamps, tags, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.sg_stateful import acl_action, is_stateful, set_stateful
from ovn_provider.neutron.stamps import now_text
from ovn_provider.ovn.index import NbIdl, changed, map_get, set_size, set_uuids
from ovn_provider.ovn.nb import Writer
from ovn_provider.schema.render import plan as render_plan
from ovn_provider.schema.rules import SCHEMA as RULES
from ovn_provider.schema.security_groups import SCHEMA
from ovn_provider.schema.write import plan as write_plan

NO_SCHEMA = "Security groups are not supported by this OVN Northbound schema"


# -- names, timestamps, revisions ----------------------------------------------------------
def pg_name_for_new_group() -> str:
    """`ovirt_` + a uuid4 with `-` replaced by `_` (PG names must match
    `[a-zA-Z_.][a-zA-Z_.0-9]*`)."""
    return "ovirt_" + str(uuid.uuid4()).replace("-", "_")


DEFAULT_EXISTS = "Default security group already exists."


def is_default_name(name: str) -> bool:
    """`Default` (the predecessor's group) or any spelling of Neutron's `default`: a second
    group under that name would make clients pick the wrong one."""
    return name.lower() == L.PG_DEFAULT_SHOWN


def is_group(pg: Any) -> bool:
    """An oVirt security group (docs/nb-layout.md); DropAll never is."""
    if pg.name == L.PG_DROP_ALL:
        return False
    return pg.name == L.PG_DEFAULT or map_get(pg, "external_ids", L.PG_NAME) is not None


def bump(pg: Any, when: str | None = None) -> None:
    """+1 revision and a new `updated_at` on a group whose rules or fields changed. The
    verify makes a concurrent bump by another provider retry instead of being lost."""
    pg.verify("external_ids")
    revision = L.parse_int(pg.external_ids.get(L.PG_REVISION)) or 0
    pg.setkey("external_ids", L.PG_REVISION, str(max(revision, 0) + 1))
    pg.setkey("external_ids", L.PG_UPDATED, when or now_text())


def require_schema(idl: NbIdl) -> None:
    if L.PG not in idl.tables:
        raise NotImplementedFeature(NO_SCHEMA)


# -- the groups of a replica, computed once per change ----------------------------------------
class _Resolver:
    """PG names or UUIDs stored on ACLs, to rows (`resolve`) and to REST ids."""

    def resolve(self, ident: str | None) -> Any | None:
        raise NotImplementedError

    def rest_id(self, ident: str | None) -> str | None:
        """The REST id (PG UUID) for a PG name or UUID stored on an ACL; the stored text
        itself when that PG no longer exists."""
        if not ident:
            return None
        pg = self.resolve(ident)
        return str(pg.uuid) if pg is not None else ident


@dataclass
class Groups(_Resolver):
    """Every PG by UUID and name, and which of them are listed security groups."""

    by_uuid: dict[uuid.UUID, Any] = field(default_factory=dict)
    by_name: dict[str, Any] = field(default_factory=dict)
    listed: list[Any] = field(default_factory=list)
    #: ACL UUID -> the listed group whose `acls` holds it.
    acl_owner: dict[uuid.UUID, Any] = field(default_factory=dict)

    def resolve(self, ident: str | None) -> Any | None:
        """A PG named by UUID or name (ACL keys hold either); None if unknown."""
        if not ident:
            return None
        key = view.parse_uuid(ident)
        if key is not None and key in self.by_uuid:
            return self.by_uuid[key]
        return self.by_name.get(ident)


class GroupLookup(_Resolver):
    """`Groups.resolve` and `rest_id` answered from the replica in O(1) (the NB schema
    keeps PG names unique), to render one rule without rebuilding the index of every
    group's ACLs after each change."""

    def __init__(self, idl: NbIdl) -> None:
        self.idl = idl

    def resolve(self, ident: str | None) -> Any | None:
        if not ident:
            return None
        key = view.parse_uuid(ident)
        if key is not None:
            pg = view.rows(self.idl, L.PG).get(key)
            if pg is not None:
                return pg
        return view.pg_by_name(self.idl, ident)


def _build_groups(idl: NbIdl) -> Groups:
    groups = Groups()
    for pg in view.rows(idl, L.PG).values():
        groups.by_uuid[pg.uuid] = pg
        groups.by_name.setdefault(pg.name, pg)
        if is_group(pg):
            groups.listed.append(pg)
            for acl_uuid in set_uuids(pg, "acls"):
                groups.acl_owner.setdefault(acl_uuid, pg)
    groups.listed.sort(key=lambda pg: str(pg.uuid))
    return groups


def groups(idl: NbIdl) -> Groups:
    return view.cached(idl, "security_groups_index", _build_groups, (L.PG,))


def find(idl: NbIdl, ident: str) -> Any | None:
    """A listed group by PG UUID, `Default`, or PG name (old port data records names)."""
    if L.PG not in idl.tables:
        return None
    if ident == L.PG_DEFAULT_SHOWN:
        ident = L.PG_DEFAULT
    key = view.parse_uuid(ident)
    pg = view.rows(idl, L.PG).get(key) if key is not None else view.pg_by_name(idl, ident)
    return pg if pg is not None and is_group(pg) else None


def _get(idl: NbIdl, ident: str) -> Any:
    require_schema(idl)
    pg = find(idl, ident)
    if pg is None:
        raise NotFound(f"Security Group {ident} does not exist", "SecurityGroupNotFound")
    return pg


def resolve_for_write(w: Writer, ident: str) -> Any | None:
    """The group `ident` names, creating Default (and DropAll) if `ident` is `Default`
    and they are missing (docs/security-groups.md)."""
    if ident in (L.PG_DEFAULT, L.PG_DEFAULT_SHOWN):
        return default_groups.ensure(w)[1]
    return find(w.idl, ident)


# -- rendering ---------------------------------------------------------------------------------
def tenant_of(ctx: Ctx, pg: Any) -> tuple[str, str]:
    ext = pg.external_ids
    tenant = ext.get(L.PG_TENANT) or ext.get(L.PG_PROJECT) or ctx.cfg.tenant_id
    project = ext.get(L.PG_PROJECT) or ext.get(L.PG_TENANT) or ctx.cfg.tenant_id
    return tenant, project


def _ethertype(acl: Any) -> str:
    stored = acl.external_ids.get(L.ACL_ETHERTYPE)
    if stored in (acl_match.IPV4, acl_match.IPV6):
        return str(stored)
    terms = {term.strip() for term in acl.match.split("&&")}
    return acl_match.IPV6 if "ip6" in terms else acl_match.IPV4


#: The answers' plain attributes, from the schemas (docs/architecture.md, "How to add an
#: attribute"); a rule's keys are in schema order, a group's in the order always shown.
RULE_PLAN = render_plan(RULES)
PLAN = render_plan(SCHEMA, (
    "id", "name", "description", "tenant_id", "project_id", "revision_number", "tags",
    "created_at", "updated_at", "stateful", "security_group_rules"))
#: The plain attributes' writes (description), from the schema; `stateful` changes the
#: group's ACLs too (neutron/sg_stateful.py).
WRITE = write_plan(SCHEMA, by_module=("stateful",))


def render_rule(ctx: Ctx, index: _Resolver, acl: Any, owner: Any
                ) -> dict[str, Any]:
    """A rule from its ACL; `owner` is the listed group whose `acls` holds it."""
    c = RULE_PLAN.read(acl)
    ext = c["external_ids"]
    group = index.resolve(ext.get(L.ACL_GROUP)) or owner
    result = RULE_PLAN.render(c)
    result["security_group_id"] = str(group.uuid)
    result["ethertype"] = _ethertype(acl)
    result["remote_group_id"] = index.rest_id(ext.get(L.ACL_REMOTE_GROUP))
    result["description"] = ext.get(L.ACL_DESCRIPTION, ext.get(L.ACL_OLD_DESCRIPTION))
    result["tenant_id"], result["project_id"] = tenant_of(ctx, group)
    return result


def rules_of(ctx: Ctx, index: Groups, pg: Any) -> list[dict[str, Any]]:
    """The rules of a group: its ACLs except `drop` ones, by id."""
    result = [render_rule(ctx, index, acl, pg) for acl in pg.acls if acl.action != "drop"]
    result.sort(key=lambda rule: rule["id"])
    return result


def render(ctx: Ctx, index: Groups, pg: Any) -> dict[str, Any]:
    c = PLAN.read(pg)
    result = PLAN.render(c)
    name = pg.name
    result["name"] = (L.PG_DEFAULT_SHOWN if name == L.PG_DEFAULT
                      else c["external_ids"].get(L.PG_NAME, name))
    result["tenant_id"], result["project_id"] = tenant_of(ctx, pg)
    result["security_group_rules"] = rules_of(ctx, index, pg)
    return result


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        if L.PG not in idl.tables:
            return []
        return view.cached(idl, "security_groups_rendered", lambda i: _render_all(ctx, i))


def _render_all(ctx: Ctx, idl: NbIdl) -> list[dict[str, Any]]:
    index = groups(idl)
    return [render(ctx, index, pg) for pg in index.listed]


def show(ctx: Ctx, ident: str) -> dict[str, Any]:
    if ident in (L.PG_DEFAULT, L.PG_DEFAULT_SHOWN):
        with ctx.nb.read() as idl:
            missing = L.PG in idl.tables and find(idl, ident) is None
        if missing:  # docs/security-groups.md: Default exists before any call that refers to it
            ctx.nb.transact(lambda w: default_groups.ensure(w) and None)
    with ctx.nb.read() as idl:
        return render(ctx, groups(idl), _get(idl, ident))


# -- writes ---------------------------------------------------------------------------------------
def prepare_create(ctx: Ctx, data: dict[str, Any]) -> Callable[[Writer], Any]:
    """Validate a POST body; the returned write function inserts the object into an
    open transaction (a bulk create shares one, neutron/bulk.py) and returns its id
    (or a callable giving it after the commit)."""
    # Types and lengths are checked already (schema/security_groups.py, schema/check.py).
    if data.get("name") is None:
        raise BadRequest("Mandatory data name is missing")
    name: str = data["name"]
    if name == L.PG_DROP_ALL:
        raise BadRequest(f"Security group name {L.PG_DROP_ALL} is reserved")
    owners = {key: data[key] for key in ("tenant_id", "project_id")
              if data.get(key) is not None}
    tagged = tags.create_ext(data)
    stateful: bool = data.get("stateful", True)

    def write(w: Writer) -> Any:
        require_schema(w.idl)
        when = now_text()
        ext = {L.PG_NAME: name, L.PG_CREATED: when, L.PG_UPDATED: when, L.PG_REVISION: "1",
               **tagged, **WRITE.create(data).get("external_ids", {})}
        if "tenant_id" in owners:
            ext[L.PG_TENANT] = owners["tenant_id"]
        if "project_id" in owners:
            ext[L.PG_PROJECT] = owners["project_id"]
        if not stateful:
            ext[L.PG_STATEFUL] = "False"
        if is_default_name(name):
            if view.pg_by_name(w.idl, L.PG_DEFAULT) is not None:
                raise Conflict(DEFAULT_EXISTS)
            if not stateful:
                raise BadRequest("The default security group is stateful")
            ext[L.PG_NAME] = L.PG_DEFAULT  # the predecessor's layout (docs/nb-layout.md)
            pg = default_groups.ensure(w)[1]
            assert pg is not None  # the schema has Port_Group
            pg.external_ids = {**pg.external_ids, **ext}
            return w.real_uuid(pg)
        pg = w.insert(L.PG, name=pg_name_for_new_group(), external_ids=ext)
        pg.acls = default_groups.egress_acls(w, pg.name)
        for acl in pg.acls:
            acl.action = acl_action(stateful)
        return w.real_uuid(pg)

    return write


def create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    return bulk.create_one(ctx, prepare_create, show, data)


def update(ctx: Ctx, ident: str, data: dict[str, Any]) -> dict[str, Any]:
    # Types and lengths are checked already (schema/security_groups.py, schema/check.py).
    name = data.get("name")
    if name is not None:
        if is_default_name(name):
            raise Conflict(DEFAULT_EXISTS)
        if name == L.PG_DROP_ALL:
            raise BadRequest(f"Security group name {name} is reserved")
    stateful = data.get("stateful")

    def write(w: Writer) -> str:
        require_schema(w.idl)
        if ident in (L.PG_DEFAULT, L.PG_DEFAULT_SHOWN):
            raise BadRequest("Updating default security group not allowed.")
        pg = _get(w.idl, ident)
        if pg.name == L.PG_DEFAULT:
            raise BadRequest("Updating default security group not allowed.")
        stamps.check(w, pg)
        if name is not None:  # no name keeps the name
            pg.setkey("external_ids", L.PG_NAME, name)
        WRITE.update(pg, data)
        if stateful is not None and stateful != is_stateful(pg):
            set_stateful(pg, stateful)
        if changed(pg):  # a PUT that changes nothing keeps the revision, as in Neutron
            bump(pg)
        return str(pg.uuid)

    return show(ctx, ctx.nb.transact(write))


def delete(ctx: Ctx, ident: str) -> None:
    def write(w: Writer) -> None:
        require_schema(w.idl)
        if ident in (L.PG_DEFAULT, L.PG_DEFAULT_SHOWN):
            raise BadRequest("Cannot delete the 'Default' security group")
        pg = _get(w.idl, ident)
        if pg.name == L.PG_DEFAULT:
            raise BadRequest("Cannot delete the 'Default' security group")
        stamps.check(w, pg)
        pg.verify("ports")
        if set_size(pg, "ports"):
            raise Conflict(f"Security Group {ident} in use", "SecurityGroupInUse")
        _drop_rules_naming(w, pg)
        pg.delete()  # its ACLs go with it (strong, non-root references)

    ctx.nb.transact(write)


def _drop_rules_naming(w: Writer, gone: Any) -> None:
    """Rules of other groups whose remote group is `gone` are deleted with it, as in
    Neutron: their `$<pg>_ip4` address set disappears with the PG, so they could never
    match again (and ovn-northd would log a parse error for each)."""
    names = {gone.name, str(gone.uuid)}
    when = now_text()
    for pg in groups(w.idl).listed:
        if pg.uuid == gone.uuid:
            continue
        doomed = [acl for acl in pg.acls
                  if acl.external_ids.get(L.ACL_REMOTE_GROUP) in names]
        for acl in doomed:
            pg.delvalue("acls", acl)
            acl.delete()
        if doomed:
            bump(pg, when)
