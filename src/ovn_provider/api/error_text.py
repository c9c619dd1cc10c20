"""Error messages as plain text, with the client's own input escaped (docs/clients.md,
"Error messages").

The provider's own words stay as written (`port_range_min must be <= port_range_max`,
`'Default'`), as Neutron clients expect. Every string the client sent (path segments,
query keys and values, JSON body keys and string values) that could carry markup is
HTML-escaped wherever the message repeats it: the guard against script injection in the
oVirt engine's UI. As a second line of defence, any remaining `<` that could open a tag
and any `&` that could start an entity reference are escaped too (a truncated or
reformatted echo of the input cannot slip through that way).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

_MARKUP = re.compile(r"[<>&\"']")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=[A-Za-z#])")
_MAX_STRINGS = 256  # a hostile body with many strings costs no more than this


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def client_strings(segments: Iterable[str], query: Iterable[tuple[str, str]], body: bytes
                   ) -> set[str]:
    """The request's strings (path segments, query, JSON body) that contain a character
    HTML would interpret."""
    found: list[str] = [*segments, *(part for pair in query for part in pair)]
    if body:
        try:
            found.extend(_strings(orjson.loads(body)))
        except orjson.JSONDecodeError:
            found.append(body.decode("utf-8", "replace"))
    risky = {text for text in found if _MARKUP.search(text)}
    return set(sorted(risky, key=len, reverse=True)[:_MAX_STRINGS])


def _neutralise(text: str) -> str:
    return _TAG_OPEN.sub("&lt;", _ENTITY.sub("&amp;", text))


def render(message: str, echoed: Iterable[str]) -> str:
    """`message` with each occurrence of an `echoed` client string HTML-escaped and the
    rest kept as plain text (tag openers and entity starts excepted)."""
    needles = sorted({text for text in echoed if text}, key=len, reverse=True)
    if not needles:
        return _neutralise(message)
    pattern = re.compile("|".join(re.escape(text) for text in needles))
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(message):
        parts.append(_neutralise(message[last:match.start()]))
        parts.append(html.escape(match.group(0), quote=True))
        last = match.end()
    parts.append(_neutralise(message[last:]))
    return "".join(parts)
