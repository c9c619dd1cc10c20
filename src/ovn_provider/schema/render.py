"""Rendering plain attributes from the schema (docs/architecture.md, "How to add an
attribute").

A resource module builds one `Plan` at import time from its schema and the order its
answers list the attributes in. Per row, `Plan.render` copies a template that holds every
key in that order (and the `fixed` values), then fills each plain attribute from the
row's columns with its decoder: one pass over a tuple of (key, column, map key, decoder),
no lookup of schema metadata per row. The resource module then sets the computed
attributes (`Attr.computed`): their keys are already in place, so the order holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ovn_provider.schema.codec import Text
from ovn_provider.schema.types import UNSET, Schema

#: (answer key, column, key in a map column or None, decoder)
Step = tuple[str, str, str | None, Callable[[Any], Any]]
#: (answer key, map column, key, default): a string kept as it is stored (codec.Text)
TextStep = tuple[str, str, str, Any]


@dataclass(frozen=True)
class Plan:
    template: dict[str, Any]  # every key shown in order: fixed values, None for the others
    texts: tuple[TextStep, ...]
    steps: tuple[Step, ...]
    columns: tuple[str, ...]  # the columns the steps read
    computed: frozenset[str]

    def render(self, columns: Mapping[str, Any]) -> dict[str, Any]:
        """The answer with its plain and fixed attributes; `columns`: the row's `columns`
        (`read` gives them, or the caller's own read of the row)."""
        out = self.template.copy()
        for name, column, key, default in self.texts:
            out[name] = columns[column].get(key, default)
        for name, column, at_key, decode in self.steps:
            out[name] = decode(columns[column] if at_key is None
                               else columns[column].get(at_key))
        return out

    def read(self, row: Any) -> dict[str, Any]:
        """The columns the steps read from `row` (`_uuid` is the row's UUID), each read
        once (python-ovs rebuilds a map column on every access)."""
        return {column: row.uuid if column == "_uuid" else getattr(row, column)
                for column in self.columns}

    def row(self, row: Any) -> dict[str, Any]:
        return self.render(self.read(row))


def plan(schema: Schema, order: tuple[str, ...] | None = None) -> Plan:
    """The plan of `schema`'s answers: the keys of `order` first (as clients have always
    seen them; None: every returned attribute in schema order), then every other plain
    or fixed attribute in schema order; computed
    attributes not in `order` are added by the resource module where it wants them (a key
    shown only for some rows). Raises at import when `order` names an unknown or
    unreturned attribute, or a returned attribute is neither computed, fixed nor plain."""
    attrs = schema.attrs
    if order is None:
        order = tuple(a.name for a in attrs.values() if a.returned)
    for name in order:
        if name not in attrs or not attrs[name].returned:
            raise ValueError(f"{schema.collection}: {name!r} is not a returned attribute")
    rest = tuple(a.name for a in attrs.values()
                 if a.returned and not a.computed and a.name not in order)
    template: dict[str, Any] = {}
    texts: list[TextStep] = []
    steps: list[Step] = []
    for name in (*order, *rest):
        attr = attrs[name]
        template[name] = None if attr.fixed is UNSET else attr.fixed
        if attr.computed or attr.fixed is not UNSET:
            continue
        at = attr.source
        if at is None or at.decode is None:
            raise ValueError(f"{schema.collection}: {name!r} is neither computed, fixed nor "
                             "decoded from the NB")
        if isinstance(at.decode, Text) and at.key is not None:
            texts.append((name, at.column, at.key, at.decode.default))
        else:
            steps.append((name, at.column, at.key, at.decode))
    columns = tuple(dict.fromkeys(step[1] for step in (*texts, *steps)))
    computed = frozenset(a.name for a in attrs.values() if a.computed)
    return Plan(template, tuple(texts), tuple(steps), columns, computed)
