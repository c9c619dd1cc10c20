"""Schema-driven request generation from the served OpenAPI document (hypothesis), shared
by the fuzz test (tests/functional/test_fuzz.py) and the longer run (bench/fuzz.py).

Bodies mix values of the documented type and bounds with the values a careless client or
an attacker sends: nulls, wrong types, out-of-range numbers, over-long strings, NUL bytes,
whitespace around addresses, unknown keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

ADDRESSES = ["10.0.0.1", "10.0.0.0/24", "fe80::1", "2001:db8::/64", "0.0.0.0/0", "::/0",
             " 10.0.0.1", "10.0.0.0/255.255.255.0", "fe80::1%eth0", "300.1.1.1", "",
             "fa:16:3e:00:00:01", "00:00:00:00:00:00", "FA-16-3E-00-00-02", "x" * 300,
             "a\x00b", "10.0.0.0/33", "1.2.3.4/32"]
JUNK = st.one_of(st.none(), st.booleans(), st.integers(),
                 st.floats(allow_nan=False, allow_infinity=False),
                 st.text(max_size=8), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def pick(ids: list[str] | tuple[str, ...]) -> st.SearchStrategy[str]:
    """One of `ids`, read when drawn: the list may change between examples (objects are
    created and deleted), and hypothesis needs the same draws for the same choices
    whatever the list holds, so the draw is an index, not a `sampled_from`."""
    return st.integers(0, 1 << 16).map(
        lambda i: ids[i % len(ids)] if ids else f"{i:08x}-0000-4000-8000-000000000000")


@dataclass
class Route:
    method: str
    path: str  # with {id}, {tag}
    body: dict[str, Any] | None  # the request body's schema (resolved), if any
    root: str | None  # the body's root key
    query: list[str]  # documented query parameters


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return _resolve(doc, doc["components"]["schemas"][ref.rsplit("/", 1)[-1]])
    return schema


def routes(doc: dict[str, Any]) -> list[Route]:
    result = []
    for path, item in doc["paths"].items():
        for method in ("get", "post", "put", "delete"):
            op = item.get(method)
            if op is None:
                continue
            body = root = None
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                outer = _resolve(doc, content["schema"])
                props = outer.get("properties", {})
                if len(props) == 1 and "$ref" in next(iter(props.values())):
                    root = next(iter(props))
                    body = _resolve(doc, props[root])
                else:
                    body = outer
            query = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
            result.append(Route(method.upper(), path, body, root, query))
    return result


def value(schema: dict[str, Any], ids: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    """A value for one property: usually of its type, sometimes not; `ids`: existing
    resource ids for the properties that reference one."""
    kinds = schema.get("type")
    kind = kinds[0] if isinstance(kinds, list) else kinds
    fmt = schema.get("x-format")
    options: list[st.SearchStrategy[Any]] = []
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if fmt == "uuid":
        options += [pick(ids)] * 3
    elif fmt is not None:
        options.append(st.sampled_from(ADDRESSES))
    elif kind == "string":
        limit = schema.get("maxLength", 255)
        options += [st.text(max_size=12), st.text(min_size=limit - 1, max_size=limit + 2),
                    st.sampled_from(["a\x00b", "Default", "  ", "ü" * 3])]
    elif kind == "integer":
        low, high = schema.get("minimum", -10), schema.get("maximum", 70000)
        options += [st.integers(low, high), st.integers(low - 3, low), st.integers(high, high + 3),
                    st.sampled_from([2 ** 63, -(2 ** 63), "1500", "x"])]
    elif kind == "boolean":
        options += [st.booleans(), st.sampled_from(["true", 0, 1])]
    elif kind == "array":
        items = schema.get("items", {})
        inner = value(items, ids) if items else JUNK
        options += [st.lists(inner, max_size=3),
                    st.lists(inner, min_size=schema.get("maxItems", 50),
                             max_size=schema.get("maxItems", 50) + 1) if "maxItems" in schema
                    else st.lists(inner, max_size=1)]
    elif kind == "object":
        keys = list(schema.get("properties", {}))
        options.append(st.dictionaries(st.sampled_from(keys or ["x"]) | st.text(max_size=3),
                                       st.sampled_from(ADDRESSES) | JUNK, max_size=3))
    options.append(JUNK)
    return st.one_of(*options)


def body(route: Route, ids: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    schema = route.body or {}
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    fields = st.fixed_dictionaries(
        {k: value(v, ids) for k, v in props.items() if k in required},
        optional={k: value(v, ids) for k, v in props.items() if k not in required})
    extra = st.dictionaries(st.text(min_size=1, max_size=6), JUNK, max_size=2)
    inner = st.one_of(fields, st.builds(lambda a, b: {**a, **b}, fields, extra))
    if route.root is None:
        return st.one_of(inner, JUNK)
    return st.one_of(inner.map(lambda d: {route.root: d}), inner, JUNK)


def path(route: Route, ids: list[str]) -> st.SearchStrategy[str]:
    ident = pick(ids) | st.text(alphabet="abcdef0123456789-", max_size=40)
    tag = st.text(alphabet="abcxyz 0,", min_size=1, max_size=8)
    return st.builds(lambda i, t: re.sub(r"\{id\}", i, route.path).replace("{tag}", t)
                     .replace("{alias}", "router"), ident, tag)


def query(route: Route) -> st.SearchStrategy[list[tuple[str, str]]]:
    keys = st.sampled_from(route.query) if route.query else st.just("fields")
    return st.lists(st.tuples(keys | st.text(max_size=5),
                              st.text(max_size=6) | st.sampled_from(ADDRESSES)), max_size=3)
