"""docs/attributes.md, generated from the resource schemas: for each resource and
attribute, its type, what POST/PUT accept, bounds, and where it lives in the NB.

Regenerate with `python -m ovn_provider.schema.doc > docs/attributes.md`; a test fails when
the file is stale (tests/unit/test_schema.py)."""

from __future__ import annotations

from ovn_provider.schema import SCHEMAS
from ovn_provider.schema.types import UNSET, Attr


def _flags(attr: Attr) -> str:
    ops = [op for op, ok in (("POST", attr.post), ("PUT", attr.put)) if ok]
    parts = ["/".join(ops) if ops else "read-only"]
    if attr.required:
        parts.append("required")
    if attr.nullable:
        parts.append("null ok")
    if not attr.returned:
        parts.append("not returned")
    if attr.ignored:
        parts.append("ignored")
    if attr.computed:
        parts.append("computed")
    return ", ".join(parts)


def _bounds(attr: Attr) -> str:
    parts = []
    if attr.max_len is not None:
        parts.append(f"≤ {attr.max_len} chars")
    if attr.minimum is not None or attr.maximum is not None:
        parts.append(f"{attr.minimum}..{attr.maximum}")
    if attr.max_items is not None:
        parts.append(f"≤ {attr.max_items} items")
    if attr.item_keys:
        parts.append("keys " + ", ".join(attr.item_keys))
    values = [str(v) for v in attr.enum if v is not None]
    if values:
        parts.append("one of " + ", ".join(values))
    if attr.default is not UNSET:
        parts.append(f"default {attr.default!r}")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    out = ["# Attributes and where they live in the NB", "",
           "Generated from src/ovn_provider/schema/ by `python -m ovn_provider.schema.doc > "
           "docs/attributes.md`; do not edit by hand (a test compares). The layout of the "
           "rows themselves is in docs/nb-layout.md; validation rules are in "
           "docs/compatibility.md.", ""]
    for schema in SCHEMAS.values():
        out += [f"## {schema.collection} (`/v2.0/{schema.path}`, root key `{schema.root}`)",
                "", "| attribute | type | accepted | bounds, default | NB | notes |",
                "|---|---|---|---|---|---|"]
        for attr in schema.attrs.values():
            kind = attr.type + (f" of {attr.items}" if attr.items else "")
            where = "<br>".join(_cell(at.describe()) for at in attr.at) or "–"
            out.append(f"| `{attr.name}` | {kind} | {_flags(attr)} | {_cell(_bounds(attr))} "
                       f"| {where} | {_cell(attr.doc)} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
