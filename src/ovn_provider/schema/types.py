"""The vocabulary of the resource schemas: one `Attr` per Neutron attribute.

Each attribute says what its JSON type is, whether POST and PUT accept it, its default,
its bounds, whether responses return it, whether lists filter and sort by it, and where it
lives in the NB (`At`: table, column, `external_ids`/`options` key, and how it is encoded).
docs/architecture.md ("The resource schemas") explains how the rest of the provider uses
them; docs/attributes.md is generated from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ovn_provider.schema import codec

#: JSON types: the OpenAPI type of each, and the strict string formats checked on top.
JSON_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean",
              "array": "array", "object": "object", "uuid": "string", "mac": "string",
              "ip": "string", "cidr": "string", "any": None}

NAME_LEN = 255
DESCRIPTION_LEN = 255


class _Unset:
    def __repr__(self) -> str:
        return "unset"


#: `Attr.default` when the attribute has none.
UNSET: Any = _Unset()


@dataclass(frozen=True)
class At:
    """Where an attribute lives in the NB. `key`: the key in a map column; `how`: the
    encoding, in words (docs/attributes.md shows it); `decode`: for a plain attribute,
    how its value is read back (schema/codec.py; the raw value is the column's, or the
    key's in a map column, None when absent), and schema/render.py renders it from
    here; `encode`: its inverse, how a request value is stored (schema/write.py writes
    it); `update_encode`: another encoder for PUT, where the stored form of an update
    differs from a create's (a layout kept as the predecessor wrote it); `null_resets`: a
    null in a PUT writes the attribute's default (otherwise null is "not given")."""

    table: str
    column: str
    key: str | None = None
    how: str = ""
    decode: Callable[[Any], Any] | None = field(default=None, compare=False)
    encode: Callable[[Any], Any] | None = field(default=None, compare=False)
    update_encode: Callable[[Any], Any] | None = field(default=None, compare=False)
    null_resets: bool = False

    def describe(self) -> str:
        where = f"{self.table}.{self.column}" + (f":{self.key}" if self.key else "")
        return f"{where} ({self.how})" if self.how else where


@dataclass(frozen=True)
class Attr:
    name: str
    type: str
    post: bool = False
    put: bool = False
    required: bool = False
    default: Any = UNSET
    nullable: bool = False
    returned: bool = True
    filterable: bool = True
    sortable: bool = False
    max_len: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_items: int | None = None
    #: Neutron's message for more than `max_items` items, with {id} (the path id, or
    #: "new <resource>" in a POST) and {limit}; empty: the generic message.
    too_many: str = ""
    items: str | None = None  # the JSON type of array items
    item_keys: tuple[str, ...] = ()  # the keys objects (or array items) may have
    enum: tuple[Any, ...] = ()
    #: Whether the schema check refuses values outside `enum` (otherwise the resource
    #: module checks them, with its own message, and `enum` documents them).
    enforce_enum: bool = False
    #: Where the value lives in the NB; None for attributes with a fixed answer.
    at: tuple[At, ...] = ()
    #: The attribute is accepted for compatibility but has no effect (docs/compatibility.md).
    ignored: bool = False
    doc: str = ""
    #: The resource module checks the value's type itself, with its own message (the
    #: schema check then only refuses unknown, read-only and null values).
    model_checks: bool = False
    #: The answer's value is built by the resource module (it spans rows or needs the
    #: configuration); otherwise it is `fixed`, or read from the `at` with a `decode`.
    computed: bool = False
    #: The attribute's value in every answer.
    fixed: Any = UNSET

    @property
    def read_only(self) -> bool:
        return not self.post and not self.put

    @property
    def source(self) -> At | None:
        """Where a plain attribute is rendered from: its first `at` with a decoder."""
        return next((at for at in self.at if at.decode is not None), None)

    @property
    def target(self) -> At | None:
        """Where a plain attribute is written to: its first `at` with an encoder."""
        return next((at for at in self.at if at.encode is not None), None)


@dataclass(frozen=True)
class Schema:
    """One collection: its root key, its attributes, and the extensions that added some."""

    collection: str  # "security_groups"
    root: str  # "security_group"
    path: str  # "security-groups"
    attrs: dict[str, Attr] = field(default_factory=dict)

    def extend(self, *attrs: Attr) -> Schema:
        """This schema with `attrs` added (an extension adds its attributes this way)."""
        merged = dict(self.attrs)
        for attr in attrs:
            merged[attr.name] = attr
        return replace(self, attrs=merged)

    @property
    def sortable(self) -> frozenset[str]:
        return frozenset(a.name for a in self.attrs.values() if a.sortable and a.returned)

    @property
    def filterable(self) -> frozenset[str]:
        return frozenset(a.name for a in self.attrs.values() if a.filterable and a.returned)


def schema(collection: str, root: str, path: str, *attrs: Attr) -> Schema:
    return Schema(collection, root, path).extend(*attrs)


# -- the attributes every resource shares ------------------------------------------------------
def ident(table: str, how: str = "the row's UUID", column: str = "_uuid") -> Attr:
    return Attr("id", "uuid", sortable=True,
                at=(At(table, column, how=how, decode=codec.uuid_text),),
                doc="The resource's id. A PUT body may repeat it if it equals the path id.")


def tenant() -> tuple[Attr, Attr]:
    doc = ("Always the configured tenant; accepted on POST and PUT (the oVirt engine sends "
           "it) and not stored.")
    return (Attr("tenant_id", "string", post=True, put=True, max_len=NAME_LEN, sortable=True,
                 ignored=True, computed=True, doc=doc),
            Attr("project_id", "string", post=True, put=True, max_len=NAME_LEN, sortable=True,
                 ignored=True, computed=True, doc=doc))


def name(at: At, put: bool = True, computed: bool = False) -> Attr:
    return Attr("name", "string", post=True, put=put, default="", max_len=NAME_LEN,
                sortable=True, computed=computed,
                at=(at if computed or at.decode else replace(at, decode=codec.text("")),))


def description(at: At, computed: bool = False) -> Attr:
    return Attr("description", "string", post=True, put=True, default="", nullable=True,
                max_len=DESCRIPTION_LEN, sortable=True, computed=computed,
                at=(at if computed or at.decode else replace(at, decode=codec.text("")),),
                doc="null is taken as absent (openstackclient's `unset` sends it)")


def tagged(at: At, computed: bool = False) -> Attr:
    return Attr("tags", "array", post=True, put=True, nullable=True, items="string",
                max_items=50, max_len=255, filterable=False, model_checks=True,
                computed=computed,
                at=(at if computed or at.decode else replace(at, decode=codec.tag_list),),
                doc="standard-attr-tag / tag-creation; null: none; ignored in a PUT: tags "
                    "change through /tags (docs/tags.md)")


def stamped(table: str, created: str, updated: str, revision: str, how: str = "",
            computed: bool = False) -> tuple[Attr, Attr, Attr]:
    """created_at, updated_at, revision_number (standard-attr-timestamp/-revisions; read
    only; null/0 on rows written without them: neutron/stamps.py). `computed`: not one
    key each (a floating IP's three share one)."""
    note = how or "ISO 8601 UTC; null when the row was written without it"
    ts = None if computed else codec.timestamp
    return (Attr("created_at", "string", sortable=True, computed=computed,
                 at=(At(table, "external_ids", created, note, decode=ts),)),
            Attr("updated_at", "string", sortable=True, computed=computed,
                 at=(At(table, "external_ids", updated, note, decode=ts),)),
            Attr("revision_number", "integer", sortable=True, computed=computed,
                 at=(At(table, "external_ids", revision, "decimal; +1 on every change",
                        decode=None if computed else codec.revision),)))


def status(*values: str, doc: str = "", at: tuple[At, ...] = (), fixed: Any = UNSET,
           computed: bool = False) -> Attr:
    return Attr("status", "string", sortable=True, enum=values, doc=doc, at=at, fixed=fixed,
                computed=computed)
