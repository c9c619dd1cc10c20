"""Writing plain attributes from the schema (docs/architecture.md, "How to add an
attribute"): the write side of schema/render.py.

A resource module builds one `WritePlan` at import time from its schema. Each step is an
attribute that POST or PUT accepts, is neither computed nor ignored, and names an `At`
with an encoder (schema/codec.py): (name, column, map key or None, default, create
encoder, update encoder, post, put). `create` gives the columns of a new row, with the
schema defaults for what the request leaves out; `update` changes an existing row (the
Writer's row object, so the write joins the request's one transaction) for the keys the
request has. A null value is "not given" (openstackclient's `unset` sends null for a
description), or in a PUT the default where the `At` says `null_resets`. Rules that span
rows, or need the configuration, stay in the resource module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ovn_provider.schema.codec import REMOVE
from ovn_provider.schema.types import UNSET, Schema


@dataclass(frozen=True)
class Step:
    name: str
    column: str
    key: str | None  # the key in a map column; None: the whole column
    default: Any  # UNSET: none (the key or column is not written on create)
    encode: Callable[[Any], Any]
    update_encode: Callable[[Any], Any]
    post: bool
    put: bool
    null_resets: bool  # a null in a PUT writes the default


@dataclass(frozen=True)
class WritePlan:
    steps: tuple[Step, ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(step.name for step in self.steps)

    def only(self, *names: str) -> WritePlan:
        """This plan with the steps of `names` only."""
        return WritePlan(tuple(step for step in self.steps if step.name in names))

    def create(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The columns of a new row for the validated POST body `data`: a map column as
        a dict of its keys, another column as its value. An attribute that is absent or
        null takes its default; a key the encoder answers REMOVE for is left out."""
        columns: dict[str, Any] = {}
        for step in self.steps:
            if not step.post:
                continue
            value = data.get(step.name)
            if value is None:
                if step.default is UNSET:
                    continue
                value = step.default
            stored = step.encode(value)
            if step.key is None:
                columns[step.column] = stored
            elif stored is not REMOVE:
                columns.setdefault(step.column, {})[step.key] = stored
        return columns

    def update(self, row: Any, data: Mapping[str, Any],
               maps: Mapping[str, dict[str, Any]] | None = None) -> None:
        """Write the attributes the validated PUT body `data` has (not null) to `row`.
        `maps`: map columns the caller edits as a whole (a dict it assigns after), changed
        in place instead of `row`'s."""
        for step in self.steps:
            if not step.put or step.name not in data:
                continue
            value = data[step.name]
            if value is None:
                if not step.null_resets or step.default is UNSET:
                    continue
                value = step.default
            stored = step.update_encode(value)
            if step.key is None:
                setattr(row, step.column, stored)
                continue
            edited = maps.get(step.column) if maps is not None else None
            if edited is not None:
                if stored is REMOVE:
                    edited.pop(step.key, None)
                else:
                    edited[step.key] = stored
            elif stored is REMOVE:
                if step.key in getattr(row, step.column):
                    row.delkey(step.column, step.key)
            else:
                row.setkey(step.column, step.key, stored)


def plan(schema: Schema, by_module: tuple[str, ...] = ()) -> WritePlan:
    """The write plan of `schema`. Raises at import when a writable attribute that is
    rendered from the NB (a decoder, not computed) has no encoder and is not named in
    `by_module` (the resource module writes it: a rule that spans rows): it would be
    accepted and never stored. Tags are written by neutron/tags.py."""
    steps = []
    for attr in schema.attrs.values():
        if attr.read_only or attr.ignored or attr.computed:
            continue
        at = attr.target
        if at is None or attr.name in by_module:
            if attr.source is not None and attr.name not in ("tags", *by_module):
                raise ValueError(f"{schema.collection}: {attr.name!r} is writable and "
                                 "decoded, but has no encoder")
            continue
        assert at.encode is not None
        steps.append(Step(attr.name, at.column, at.key, attr.default, at.encode,
                          at.update_encode or at.encode, attr.post, attr.put,
                          at.null_resets))
    return WritePlan(tuple(steps))
