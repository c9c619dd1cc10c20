"""Tags on networks, subnets, ports, routers, security groups and floating IPs (Neutron's
`standard-attr-tag` and `tag-creation` extensions; docs/tags.md).

A resource's tags live in its own row's `external_ids:ovirt_tags`, comma-joined in the
order they were given (a tag never holds a comma); the key is absent when there are none.
A floating IP has no row of its own: its tags sit next to its record on the floating
network's LS, under `ovirt_floating_ip_tags:<id>`. Each call below is one NB transaction
(or one locked read), and a rejected call writes nothing.

The resource modules import this one for `of` and `from_body`; which row holds a
resource's tags is told by the caller (a `Finder` from neutron/tag_targets.py), so this
module imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ovn_provider.errors import BadRequest, NotFound
from ovn_provider.neutron import layout as L
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.index import NbIdl
from ovn_provider.ovn.nb import Writer
from ovn_provider.schema import codec

MAX_LEN = 255
#: Tags per resource, as in Neutron.
MAX_TAGS = 50

# -- the stored form -------------------------------------------------------------------------
decode = codec.tag_list


def encode(tags: list[str]) -> str:
    return ",".join(tags)


def of(ext: Mapping[str, str], key: str = L.TAGS) -> list[str]:
    """The tags recorded in an `external_ids` map (always a list)."""
    return decode(ext.get(key))


# -- validation ------------------------------------------------------------------------------
def tag(value: Any) -> str:
    """One tag: a non-empty string of at most 255 characters, without a comma (a comma
    separates tags in the filters and in the stored form)."""
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for tags. Reason: '{value}' is not a valid string.")
    if not value:
        raise BadRequest("Invalid input for tags. Reason: a tag cannot be empty.")
    if len(value) > MAX_LEN:
        raise BadRequest(f"Invalid input for tags. Reason: '{value[:40]}...' exceeds maximum "
                         f"length of {MAX_LEN}.")
    if "," in value:
        raise BadRequest(f"Invalid input for tags. Reason: '{value}' contains a comma, "
                         "which cannot be part of a tag.")
    if "\x00" in value:
        raise BadRequest("Invalid input for tags. Reason: NUL characters are not allowed "
                         "in strings.")
    return value


def too_many(kind: str = "") -> BadRequest:
    """More than MAX_TAGS tags on one resource, in Neutron's words (`kind`: "network")."""
    reason = f"The number of tags exceed the per-resource limit of {MAX_TAGS}"
    return BadRequest(f"Bad {kind}s request: {reason}." if kind else f"{reason}.")


def tag_list(value: Any, limit: bool = True) -> list[str]:
    """A list of distinct valid tags (duplicates are refused, as Neutron does); `limit`:
    at most MAX_TAGS of them (otherwise the caller counts what the resource ends up with)."""
    if not isinstance(value, list):
        raise BadRequest(f"Invalid input for tags. Reason: '{value}' is not a list.")
    if limit and len(value) > MAX_TAGS:
        raise too_many()
    result = [tag(item) for item in value]
    duplicates = [item for n, item in enumerate(result) if item in result[:n]]
    if duplicates:
        listed = ", ".join(f"'{item}'" for item in dict.fromkeys(duplicates))
        raise BadRequest(f"Invalid input for tags. Reason: Duplicate items in the list: "
                         f"{listed}.")
    return result


def from_body(data: Mapping[str, Any]) -> list[str]:
    """`tags` of a POST body (tag-creation): validated; `[]` when absent or null."""
    value = data.get("tags")
    return [] if value is None else tag_list(value)


def create_ext(data: Mapping[str, Any]) -> dict[str, str]:
    """The external_ids entry a create writes for the body's `tags` (none if empty)."""
    tags = from_body(data)
    return {L.TAGS: encode(tags)} if tags else {}


# -- the tagged resource -------------------------------------------------------------------
@dataclass
class Target:
    """Where a resource keeps its tags: `row.external_ids[key]`; `touched` runs after a
    change (the resource's revision bump); `check` before any change (the request's
    `If-Match`, revision-if-match: 412 when stale, neutron/stamps.py)."""

    row: Any
    key: str
    kind: str  # the resource, for messages: "network"
    touched: Callable[[Any], None] | None = None
    check: Callable[[Writer], None] | None = None

    def tags(self) -> list[str]:
        return decode(self.row.external_ids.get(self.key))


def _store(target: Target, tags: list[str]) -> None:
    """Tags are a set (Neutron): the same tags in another order change nothing and bump
    no revision."""
    current = target.tags()
    if len(tags) == len(current) and set(tags) == set(current):
        return
    if tags:
        target.row.setkey("external_ids", target.key, encode(tags))
    elif target.key in target.row.external_ids:
        target.row.delkey("external_ids", target.key)
    if target.touched is not None:
        target.touched(target.row)


#: How a collection finds the tagged row of one of its resources (neutron/tag_targets.py).
Finder = Callable[[NbIdl, str], Target]


def _target(w: Writer, find: Finder, ident: str) -> Target:
    """The resource to change in this transaction, after its If-Match check."""
    target = find(w.idl, ident)
    if target.check is not None:
        target.check(w)
    return target


def _absent(target: Target, ident: str, name: str) -> NotFound:
    return NotFound(f"Tag {name} could not be found for {target.kind} {ident}.")


# -- the calls -----------------------------------------------------------------------------------
def get(ctx: Ctx, find: Finder, ident: str) -> list[str]:
    """GET /{collection}/{id}/tags."""
    with ctx.nb.read() as idl:
        return find(idl, ident).tags()


def check(ctx: Ctx, find: Finder, ident: str, name: str) -> None:
    """GET /{collection}/{id}/tags/{tag}: NotFound unless the resource has the tag."""
    tag(name)
    with ctx.nb.read() as idl:
        target = find(idl, ident)
        if name not in target.tags():
            raise _absent(target, ident, name)


def replace(ctx: Ctx, find: Finder, ident: str, body: Any) -> list[str]:
    """PUT /{collection}/{id}/tags with `{"tags": [...]}`: the new complete set."""
    if not isinstance(body, dict) or "tags" not in body:
        raise BadRequest("Invalid tags body: a JSON object with the key 'tags' is required")
    wanted = tag_list(body["tags"], limit=False)

    def write(w: Writer) -> None:
        target = _target(w, find, ident)
        if len(wanted) > MAX_TAGS:
            raise too_many(target.kind)
        _store(target, wanted)

    ctx.nb.transact(write)
    return get(ctx, find, ident)


def add_many(ctx: Ctx, find: Finder, ident: str, body: Any) -> list[str]:
    """POST /{collection}/{id}/tags with `{"tags": [...]}` (tag-creation): adds the tags
    the resource does not have yet, keeps the others; answers the resulting set."""
    if not isinstance(body, dict) or "tags" not in body:
        raise BadRequest("Invalid tags body: a JSON object with the key 'tags' is required")
    wanted = tag_list(body["tags"], limit=False)

    def write(w: Writer) -> None:
        target = _target(w, find, ident)
        current = target.tags()
        added = [name for name in wanted if name not in current]
        if len(current) + len(added) > MAX_TAGS:
            raise too_many(target.kind)
        if added:
            _store(target, [*current, *added])

    ctx.nb.transact(write)
    return get(ctx, find, ident)


def add(ctx: Ctx, find: Finder, ident: str, name: str) -> None:
    """PUT /{collection}/{id}/tags/{tag}: adds the tag (present already: no change)."""
    tag(name)

    def write(w: Writer) -> None:
        target = _target(w, find, ident)
        current = target.tags()
        if name not in current:
            if len(current) >= MAX_TAGS:
                raise too_many(target.kind)
            _store(target, [*current, name])

    ctx.nb.transact(write)


def remove(ctx: Ctx, find: Finder, ident: str, name: str) -> None:
    """DELETE /{collection}/{id}/tags/{tag}: NotFound when the tag is not there."""
    tag(name)

    def write(w: Writer) -> None:
        target = _target(w, find, ident)
        current = target.tags()
        if name not in current:
            raise _absent(target, ident, name)
        _store(target, [item for item in current if item != name])

    ctx.nb.transact(write)


def clear(ctx: Ctx, find: Finder, ident: str) -> None:
    """DELETE /{collection}/{id}/tags."""

    def write(w: Writer) -> None:
        _store(_target(w, find, ident), [])

    ctx.nb.transact(write)
