"""Tags on networks, subnets, ports, routers, security groups and floating IPs (Neutron's
`standard-attr-tag` and `tag-creation` extensions; docs/tags.md).

A resource's tags live in its own row's `external_ids:ovirt_tags`, comma-joined in the
order they were given (a tag never holds a comma); the key is absent when there are none.
A floating IP has no row of its own: its tags sit next to its record on the floating
network's LS, under `ovirt_floating_ip_tags:<id>`. Each call below is one NB transaction
(or one locked read), and a rejected call writes nothing.

The resource modules import this one for `of` and `from_body`; this module reaches them
only inside functions, so the imports do not form a cycle at load time.
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

MAX_LEN = 255

#: URL path segment -> the resource name used in messages.
COLLECTIONS: dict[str, str] = {
    "networks": "network",
    "subnets": "subnet",
    "ports": "port",
    "routers": "router",
    "security-groups": "security_group",
    "floatingips": "floatingip",
}


# -- the stored form -------------------------------------------------------------------------
def decode(text: str | None) -> list[str]:
    if not text:
        return []
    return [item for item in text.split(",") if item]


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
    return value


def tag_list(value: Any) -> list[str]:
    """A list of distinct valid tags (duplicates are refused, as Neutron does)."""
    if not isinstance(value, list):
        raise BadRequest(f"Invalid input for tags. Reason: '{value}' is not a list.")
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
    change (a security group's revision bump)."""

    row: Any
    key: str
    touched: Callable[[Any], None] | None = None

    def tags(self) -> list[str]:
        return decode(self.row.external_ids.get(self.key))


def _find(idl: NbIdl, collection: str, ident: str) -> Target:
    from ovn_provider.neutron import (
        floating_ips,
        networks,
        ports,
        router_common,
        security_groups,
        subnets,
    )

    row: Any = None
    if collection == "networks":
        row = networks.find(idl, ident)
        missing = f"Network {ident} does not exist"
    elif collection == "subnets":
        row = subnets.find(idl, ident)
        missing = f"Subnet {ident} does not exist"
    elif collection == "ports":
        row = ports.find(idl, ident)
        missing = f"Port {ident} does not exist"
    elif collection == "routers":
        row = router_common.find_router(idl, ident)
        missing = f"Router {ident} does not exist"
    elif collection == "security-groups":
        row = security_groups.find(idl, ident)
        missing = f"Security Group {ident} does not exist"
        if row is not None:
            return Target(row, L.TAGS, security_groups.bump)
    elif collection == "floatingips":
        record = floating_ips.record(idl, ident)
        if record is None:
            raise NotFound(f"Floating IP {ident} could not be found")
        return Target(record.ls, L.LS_FIP_TAGS_PREFIX + record.id)
    else:
        raise NotFound(f"The resource {collection} does not support tags")
    if row is None:
        raise NotFound(missing)
    return Target(row, L.TAGS)


def _store(target: Target, tags: list[str]) -> None:
    if tags == target.tags():
        return
    if tags:
        target.row.setkey("external_ids", target.key, encode(tags))
    elif target.key in target.row.external_ids:
        target.row.delkey("external_ids", target.key)
    if target.touched is not None:
        target.touched(target.row)


def _absent(collection: str, ident: str, name: str) -> NotFound:
    return NotFound(f"Tag {name} could not be found for {COLLECTIONS[collection]} {ident}.")


# -- the calls -----------------------------------------------------------------------------------
def get(ctx: Ctx, collection: str, ident: str) -> list[str]:
    """GET /{collection}/{id}/tags."""
    with ctx.nb.read() as idl:
        return _find(idl, collection, ident).tags()


def check(ctx: Ctx, collection: str, ident: str, name: str) -> None:
    """GET /{collection}/{id}/tags/{tag}: NotFound unless the resource has the tag."""
    tag(name)
    with ctx.nb.read() as idl:
        if name not in _find(idl, collection, ident).tags():
            raise _absent(collection, ident, name)


def replace(ctx: Ctx, collection: str, ident: str, body: Any) -> list[str]:
    """PUT /{collection}/{id}/tags with `{"tags": [...]}`: the new complete set."""
    if not isinstance(body, dict) or "tags" not in body:
        raise BadRequest("Invalid tags body: a JSON object with the key 'tags' is required")
    wanted = tag_list(body["tags"])

    def write(w: Writer) -> None:
        _store(_find(w.idl, collection, ident), wanted)

    ctx.nb.transact(write)
    return get(ctx, collection, ident)


def add_many(ctx: Ctx, collection: str, ident: str, body: Any) -> list[str]:
    """POST /{collection}/{id}/tags with `{"tags": [...]}` (tag-creation): adds the tags
    the resource does not have yet, keeps the others; answers the resulting set."""
    if not isinstance(body, dict) or "tags" not in body:
        raise BadRequest("Invalid tags body: a JSON object with the key 'tags' is required")
    wanted = tag_list(body["tags"])

    def write(w: Writer) -> None:
        target = _find(w.idl, collection, ident)
        current = target.tags()
        added = [name for name in wanted if name not in current]
        if added:
            _store(target, [*current, *added])

    ctx.nb.transact(write)
    return get(ctx, collection, ident)


def add(ctx: Ctx, collection: str, ident: str, name: str) -> None:
    """PUT /{collection}/{id}/tags/{tag}: adds the tag (present already: no change)."""
    tag(name)

    def write(w: Writer) -> None:
        target = _find(w.idl, collection, ident)
        current = target.tags()
        if name not in current:
            _store(target, [*current, name])

    ctx.nb.transact(write)


def remove(ctx: Ctx, collection: str, ident: str, name: str) -> None:
    """DELETE /{collection}/{id}/tags/{tag}: NotFound when the tag is not there."""
    tag(name)

    def write(w: Writer) -> None:
        target = _find(w.idl, collection, ident)
        current = target.tags()
        if name not in current:
            raise _absent(collection, ident, name)
        _store(target, [item for item in current if item != name])

    ctx.nb.transact(write)


def clear(ctx: Ctx, collection: str, ident: str) -> None:
    """DELETE /{collection}/{id}/tags."""

    def write(w: Writer) -> None:
        _store(_find(w.idl, collection, ident), [])

    ctx.nb.transact(write)
