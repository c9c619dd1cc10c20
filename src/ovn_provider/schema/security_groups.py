"""Security groups: one Port_Group each; its rules are ACLs of that group (see
schema/rules.py and docs/security-groups.md)."""

from __future__ import annotations

from ovn_provider.neutron import layout as L
from ovn_provider.schema import codec
from ovn_provider.schema.types import At, Attr, description, schema, tagged

EXT = "external_ids"

_TENANT_DOC = "as given on create, else the configured tenant"

SCHEMA = schema(
    "security_groups", "security_group", "security-groups",
    Attr("id", "uuid", sortable=True, at=(At(L.PG, "_uuid", decode=codec.uuid_text),),
         doc="the automatic groups also answer to their names"),
    Attr("name", "string", post=True, put=True, required=True, max_len=255, sortable=True,
         computed=True,
         at=(At(L.PG, EXT, L.PG_NAME, "PG.name is pg_<uuid> (Default, DropAll fixed)"),)),
    description(At(L.PG, EXT, L.PG_DESCRIPTION, "absent when empty; null in a PUT clears it",
                   encode=codec.text_or_absent, null_resets=True)),
    Attr("tenant_id", "string", post=True, max_len=255, sortable=True, computed=True,
         at=(At(L.PG, EXT, L.PG_TENANT),), doc=_TENANT_DOC),
    Attr("project_id", "string", post=True, max_len=255, sortable=True, computed=True,
         at=(At(L.PG, EXT, L.PG_PROJECT),), doc=_TENANT_DOC),
    Attr("revision_number", "integer", sortable=True,
         at=(At(L.PG, EXT, L.PG_REVISION, "decimal; +1 on any change", decode=codec.revision),)),
    Attr("created_at", "string", sortable=True,
         at=(At(L.PG, EXT, L.PG_CREATED, "ISO 8601", decode=codec.timestamp),)),
    Attr("updated_at", "string", sortable=True,
         at=(At(L.PG, EXT, L.PG_UPDATED, "ISO 8601", decode=codec.timestamp),)),
    Attr("stateful", "boolean", post=True, put=True, default=True, sortable=True,
         at=(At(L.PG, EXT, L.PG_STATEFUL, "'False' when stateless, absent otherwise",
                decode=codec.is_not("False")),
             At(L.ACL, "action", how="allow-related, or allow-stateless when stateless")),
         doc="stateful-security-group; a PUT is 409 while ports use the group"),
    Attr("security_group_rules", "array", items="object", filterable=False, computed=True,
         at=(At(L.ACL, EXT, L.ACL_GROUP, "the ACLs of the group"),)),
    tagged(At(L.PG, EXT, L.TAGS, "comma-joined, absent when none")),
)
