"""Listing controls (compat spec 3.5, 9.2): typed filters, fields, sorting, paging."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ovn_provider.errors import BadRequest

CONTROLS = {"fields", "limit", "marker", "page_reverse", "sort_key", "sort_dir"}


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
    return str(value) in wanted


def _fixed_ips_filter(item: dict[str, Any], wanted: list[str]) -> bool:
    """`fixed_ips=ip_address=X` / `fixed_ips=subnet_id=Y` (both may repeat)."""
    entries = item.get("fixed_ips") or []
    for spec in wanted:
        key, _, value = spec.partition("=")
        if key not in ("ip_address", "subnet_id", "ip_address_substr"):
            continue
        if key == "ip_address_substr":
            if not any(value in e.get("ip_address", "") for e in entries):
                return False
        elif not any(e.get(key) == value for e in entries):
            return False
    return True


def apply(items: list[dict[str, Any]], query: Sequence[tuple[str, str]], collection: str,
          exceptions: Sequence[str] = (), base_url: str = "") -> dict[str, Any]:
    """The response body of a list request."""
    filters: dict[str, list[str]] = {}
    fields: list[str] = []
    sort_keys: list[str] = []
    sort_dirs: list[str] = []
    limit: int | None = None
    marker: str | None = None
    page_reverse = False
    for key, value in query:
        if key == "fields":
            fields.extend(f for f in value.split(",") if f)
        elif key == "sort_key":
            sort_keys.append(value)
        elif key == "sort_dir":
            sort_dirs.append(value)
        elif key == "limit":
            try:
                limit = int(value)
            except ValueError:
                raise BadRequest(f"Invalid limit '{value}': must be an integer") from None
            if limit < 0:
                raise BadRequest(f"Invalid limit '{value}': must not be negative")
            limit = limit or None
        elif key == "marker":
            marker = value
        elif key == "page_reverse":
            page_reverse = value.strip().lower() == "true"
        elif key in exceptions or key in CONTROLS:
            continue
        else:
            filters.setdefault(key, []).append(value)
    result = items
    for key, wanted in filters.items():
        if key == "fixed_ips":
            result = [i for i in result if _fixed_ips_filter(i, wanted)]
        else:
            result = [i for i in result if key in i and _matches(i[key], wanted)]
    result = _sort(result, sort_keys, sort_dirs)
    links: list[dict[str, str]] = []
    if limit is not None or marker is not None:
        result, links = _page(result, limit, marker, page_reverse, collection, query,
                              base_url)
    if fields:
        keep = set(fields) | {"id"}
        result = [{k: v for k, v in i.items() if k in keep} for i in result]
    body: dict[str, Any] = {collection: result}
    if links:
        body[f"{collection}_links"] = links
    return body


def _sort(items: list[dict[str, Any]], keys: list[str], dirs: list[str]
          ) -> list[dict[str, Any]]:
    if not keys:
        return sorted(items, key=lambda i: str(i.get("id", "")))
    if dirs and len(dirs) != len(keys):
        raise BadRequest("The number of sort_keys and sort_dirs must be same")
    for d in dirs:
        if d not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort_dir '{d}': must be asc or desc")
    if items:
        sample = items[0]
        for key in keys:
            if key not in sample or isinstance(sample[key], (dict, list)):
                raise BadRequest(f"Invalid sort_key '{key}'")
    result = sorted(items, key=lambda i: str(i.get("id", "")))
    for key, direction in reversed(list(zip(keys, dirs or ["asc"] * len(keys), strict=True))):
        result.sort(key=_sort_key(key), reverse=direction == "desc")
    return result


def _sort_key(key: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda item: _sort_value(item.get(key))


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int):
        return (1, int(value))
    return (2, str(value))


def _page(items: list[dict[str, Any]], limit: int | None, marker: str | None, reverse: bool,
          collection: str, query: Sequence[tuple[str, str]], base_url: str
          ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    from urllib.parse import urlencode

    ordered = list(reversed(items)) if reverse else items
    start = 0
    if marker is not None:
        index = next((n for n, i in enumerate(ordered) if i.get("id") == marker), None)
        if index is None:
            raise BadRequest(f"Marker {marker} could not be found")
        start = index + 1
    end = len(ordered) if limit is None else start + limit
    page = ordered[start:end]
    links: list[dict[str, str]] = []
    base = [(k, v) for k, v in query if k not in ("marker", "page_reverse")]
    if page and end < len(ordered):
        q = urlencode([*base, ("marker", page[-1]["id"])] + ([("page_reverse", "True")]
                                                              if reverse else []))
        links.append({"rel": "next" if not reverse else "previous",
                      "href": f"{base_url}{collection}?{q}"})
    if page and start > 0:
        q = urlencode([*base, ("marker", page[0]["id"])] + ([] if reverse else
                                                           [("page_reverse", "True")]))
        links.append({"rel": "previous" if not reverse else "next",
                      "href": f"{base_url}{collection}?{q}"})
    if reverse:
        page = list(reversed(page))
    return page, links
