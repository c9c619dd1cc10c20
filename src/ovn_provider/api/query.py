"""Listing controls (docs/compatibility.md, "Listing"): typed filters, fields, sorting, paging.

- A query key naming a top-level attribute is an equality filter, compared by the
  attribute's JSON type (integers as integers, booleans case-insensitively, strings
  exactly); repeated keys match any value. A key that names no attribute of the resource
  is 400 "[<keys>] is invalid attribute for filtering" (Neutron's `filter-validation`).
  `fixed_ips=ip_address=X` / `fixed_ips=subnet_id=Y` filter ports.
- Tag filters (Neutron semantics; values are comma-separated, repeats add to the list):
  `tags` (has all), `tags-any` (has one), `not-tags` (lacks one), `not-tags-any` (has
  none). A resource without tags has `[]`; an empty value is no constraint.
- `fields`, `limit`, `marker`, `page_reverse`, `sort_key`, `sort_dir` and the configured
  `url_filter_exception` keys are controls, never filters.
- The default order is by `id`, so paging is stable; `id` is always the last tie-breaker.

The item dicts may be shared with a render cache: nothing here mutates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ovn_provider.errors import BadRequest
from ovn_provider.schema import SCHEMAS

Item = dict[str, Any]

CONTROLS = frozenset({"fields", "limit", "marker", "page_reverse", "sort_key", "sort_dir"})

#: Scalar attributes each collection reports (sort keys that are valid even on an empty
#: list, or when an optional attribute such as `binding:host_id` is absent from a row): the
#: sortable attributes of its schema.
KNOWN_SCALARS: dict[str, frozenset[str]] = {s.collection: s.sortable for s in SCHEMAS.values()}

FIXED_IP_KEYS = ("ip_address", "subnet_id", "ip_address_substr")
TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")

#: The filter keys each collection with a schema takes: the attributes it reports, and
#: the tag filters where it has tags (filter-validation; other collections take any key).
FILTER_KEYS: dict[str, frozenset[str]] = {
    s.collection: frozenset(
        [a.name for a in s.attrs.values() if a.returned]
        + (list(TAG_FILTERS) if "tags" in s.attrs else []))
    for s in SCHEMAS.values()}


@dataclass
class Controls:
    filters: dict[str, list[str]] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    sort_keys: list[str] = field(default_factory=list)
    sort_dirs: list[str] = field(default_factory=list)
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False


def _bool_param(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off", ""):
        return False
    raise BadRequest(f"Invalid value '{value}' for {name}: must be true or false")


def parse(query: Sequence[tuple[str, str]], exceptions: Iterable[str] = ()) -> Controls:
    """Split a query string into filters and controls, validating the controls."""
    skip = set(exceptions)
    c = Controls()
    for key, value in query:
        if key == "fields":
            c.fields.extend(f.strip() for f in value.split(",") if f.strip())
        elif key == "sort_key":
            c.sort_keys.append(value)
        elif key == "sort_dir":
            c.sort_dirs.append(value.strip().lower())
        elif key == "limit":
            try:
                limit = int(value)
            except ValueError:
                raise BadRequest(f"Limit must be an integer 0 or greater and not "
                                 f"'{value}'") from None
            if limit < 0:
                raise BadRequest(f"Limit must be an integer 0 or greater and not '{value}'")
            c.limit = limit or None  # 0: no limit
        elif key == "marker":
            c.marker = value
        elif key == "page_reverse":
            c.page_reverse = _bool_param("page_reverse", value)
        elif key in CONTROLS or key in skip:
            continue
        else:
            c.filters.setdefault(key, []).append(value)
    for direction in c.sort_dirs:
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort_dir '{direction}': must be asc or desc")
    if c.sort_dirs and len(c.sort_dirs) != len(c.sort_keys):
        raise BadRequest("The number of sort_keys and sort_dirs must be same")
    return c


# -- filters ---------------------------------------------------------------------------------
def check_filters(filters: dict[str, list[str]], collection: str) -> None:
    """Refuse filter keys the collection does not define, as Neutron with
    `filter-validation` does (the oVirt engine sends no filters)."""
    known = FILTER_KEYS.get(collection)
    if known is None:
        return
    unknown = [key for key in filters if key not in known]
    if unknown:
        raise BadRequest(f"[{', '.join(unknown)}] is invalid attribute for filtering")


def _matches(value: Any, wanted: list[str]) -> bool:
    if isinstance(value, bool):
        return any(w.strip().lower() == ("true" if value else "false") for w in wanted)
    if isinstance(value, int):
        for w in wanted:
            try:
                if int(w) == value:
                    return True
            except ValueError:
                continue
        return False
    if value is None:
        return any(w in ("", "None", "null") for w in wanted)
    if isinstance(value, list):
        return any(isinstance(v, str) and v in wanted for v in value)
    if isinstance(value, dict):
        return False
    return str(value) in wanted


def _fixed_ips_filter(item: Item, wanted: list[str]) -> bool:
    """`fixed_ips=ip_address=X` / `fixed_ips=subnet_id=Y` / `ip_address_substr=Z`: every
    kind given must match some entry; values of one kind are alternatives."""
    entries = item.get("fixed_ips")
    if not isinstance(entries, list):
        return False
    by_kind: dict[str, list[str]] = {}
    for spec in wanted:
        kind, sep, value = spec.partition("=")
        if not sep or kind not in FIXED_IP_KEYS:
            return False  # an unknown fixed_ips attribute matches nothing
        by_kind.setdefault(kind, []).append(value)
    for kind, values in by_kind.items():
        if kind == "ip_address_substr":
            ok = any(v in str(e.get("ip_address", "")) for e in entries for v in values)
        else:
            ok = any(e.get(kind) in values for e in entries)
        if not ok:
            return False
    return True


def _tag_filter(key: str, wanted: list[str]) -> Callable[[Item], bool]:
    names = {name for value in wanted for name in value.split(",") if name}
    if not names:
        return lambda item: True

    def has(item: Item) -> set[str]:
        value = item.get("tags")
        return set(value) if isinstance(value, list) else set()

    if key == "tags":
        return lambda item: names <= has(item)
    if key == "tags-any":
        return lambda item: bool(names & has(item))
    if key == "not-tags":
        return lambda item: not names <= has(item)
    return lambda item: not names & has(item)  # not-tags-any


def _test(key: str, wanted: list[str]) -> Callable[[Item], bool]:
    if key == "fixed_ips":
        return lambda item: _fixed_ips_filter(item, wanted)
    if key in TAG_FILTERS:
        return _tag_filter(key, wanted)
    return lambda item: key in item and _matches(item[key], wanted)


def filter_items(items: Iterable[Item], filters: dict[str, list[str]]) -> list[Item]:
    tests = [_test(key, wanted) for key, wanted in filters.items()]
    if not tests:
        return list(items)
    return [i for i in items if all(test(i) for test in tests)]


# -- sorting ---------------------------------------------------------------------------------
def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value))


def _by(key: str) -> Callable[[Item], tuple[int, Any]]:
    return lambda item: _sort_value(item.get(key))


def _check_sort_keys(items: list[Item], keys: list[str], collection: str) -> None:
    known = KNOWN_SCALARS.get(collection, frozenset())
    for key in keys:
        scalar_seen = False
        for item in items:
            if key in item:
                if isinstance(item[key], dict | list):
                    raise BadRequest(f"Attribute '{key}' cannot be used as sort_key")
                scalar_seen = True
                break
        if not scalar_seen and key not in known:
            raise BadRequest(f"'{key}' is an invalid attribute for sort_key")


def sort_items(items: list[Item], keys: list[str], dirs: list[str], collection: str = ""
               ) -> list[Item]:
    result = sorted(items, key=lambda i: str(i.get("id", "")))
    if not keys:
        return result
    _check_sort_keys(items, keys, collection)
    directions = dirs or ["asc"] * len(keys)
    for key, direction in reversed(list(zip(keys, directions, strict=True))):
        result.sort(key=_by(key), reverse=direction == "desc")
    return result


# -- fields ----------------------------------------------------------------------------------
def fields_of(query: Sequence[tuple[str, str]]) -> list[str]:
    return [f.strip() for k, v in query if k == "fields" for f in v.split(",") if f.strip()]


def select_fields(item: Item, fields: Sequence[str]) -> Item:
    """Only `fields` (plus `id`, always); all of `item` when `fields` is empty."""
    if not fields:
        return item
    keep = set(fields) | {"id"}
    return {k: v for k, v in item.items() if k in keep}


# -- paging ----------------------------------------------------------------------------------
def _page(ordered: list[Item], all_items: list[Item], c: Controls, collection: str,
          path: str, query: Sequence[tuple[str, str]], base_url: str
          ) -> tuple[list[Item], list[dict[str, str]]]:
    """One page of `ordered` (filtered and sorted). The marker may be any item of the
    collection, even one the filters exclude: its place in the sort order counts."""
    forward = list(reversed(ordered)) if c.page_reverse else ordered
    start = 0
    if c.marker is not None:
        index = next((n for n, i in enumerate(forward) if i.get("id") == c.marker), None)
        if index is None:
            marker_item = next((i for i in all_items if i.get("id") == c.marker), None)
            if marker_item is None:
                raise BadRequest(f"Marker {c.marker} could not be found")
            merged = sort_items([*ordered, marker_item], c.sort_keys, c.sort_dirs, collection)
            if c.page_reverse:
                merged.reverse()
            index = next(n for n, i in enumerate(merged) if i is marker_item)
            start = index  # items after the marker in `merged` are at index.. in forward
        else:
            start = index + 1
    end = len(forward) if c.limit is None else start + c.limit
    page = forward[start:end]
    links: list[dict[str, str]] = []
    base = [(k, v) for k, v in query if k not in ("marker", "page_reverse")]
    href = f"{base_url}{path}?"
    more_after = end < len(forward)
    more_before = start > 0
    if page and more_after:
        q = urlencode([*base, ("marker", str(page[-1]["id"]))]
                      + ([("page_reverse", "True")] if c.page_reverse else []))
        links.append({"rel": "previous" if c.page_reverse else "next", "href": href + q})
    if page and more_before:
        q = urlencode([*base, ("marker", str(page[0]["id"]))]
                      + ([] if c.page_reverse else [("page_reverse", "True")]))
        links.append({"rel": "next" if c.page_reverse else "previous", "href": href + q})
    if c.page_reverse:
        page.reverse()
    links.sort(key=lambda link: link["rel"])  # "next" before "previous"
    return page, links


def apply(items: list[Item], query: Sequence[tuple[str, str]], collection: str,
          exceptions: Sequence[str] = (), base_url: str = "", path: str | None = None
          ) -> dict[str, Any]:
    """The response body of a list request: `{collection: [...]}` plus, for a page cut
    short, `{collection}_links`. `path` is the URL segment (`security-groups`)."""
    c = parse(query, exceptions)
    check_filters(c.filters, collection)
    result = sort_items(filter_items(items, c.filters), c.sort_keys, c.sort_dirs, collection)
    links: list[dict[str, str]] = []
    if c.limit is not None or c.marker is not None:
        result, links = _page(result, items, c, collection, path or collection, query,
                              base_url)
    if c.fields:
        result = [select_fields(i, c.fields) for i in result]
    body: dict[str, Any] = {collection: result}
    if links:
        body[f"{collection}_links"] = links
    return body
