"""How plain attributes are read back from the NB, and written to it: one decoder per
stored form, and its encoder (docs/architecture.md, "How to add an attribute").

A decoder takes the raw value (a map column's value for the attribute's key, None when the
key is absent; or a whole column) and returns the attribute's value as the API shows it.
An encoder is its inverse: it takes a validated, non-null request value and returns what
the NB stores (`REMOVE`: the map key is removed, or left out on create).
`At(..., decode=..., encode=...)` name them in the schema; `schema/render.py` applies the
decoders, `schema/write.py` the encoders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ovn_provider.neutron import layout as L

Decode = Callable[[Any], Any]
Encode = Callable[[Any], Any]


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


#: An encoder's answer for "no key" (the map key is deleted, or not written on create).
REMOVE: Any = _Remove()

SHOWN_TS = "%Y-%m-%dT%H:%M:%SZ"


class Text:
    """The stored string; `default` when the key is absent (schema/render.py reads these
    with one `get(key, default)`)."""

    def __init__(self, default: Any) -> None:
        self.default = default

    def __call__(self, raw: str | None) -> Any:
        return self.default if raw is None else raw


def text(default: Any = "") -> Text:
    return Text(default)


def text_or_none(raw: str | None) -> str | None:
    """The stored string; None when absent or empty."""
    return raw or None


def uuid_text(raw: Any) -> str:
    return str(raw)


def flag(default: bool) -> Decode:
    """"True"/"False" (and the other spellings layout.parse_bool reads); `default` when
    absent or unreadable."""
    def decode(raw: str | None) -> bool:
        return L.parse_bool(raw, default)
    return decode


def revision(raw: str | None) -> int:
    """A revision number: 0 when absent, unreadable or negative."""
    value = L.parse_int(raw)
    return value if value is not None and value >= 0 else 0


def port_number(raw: str | None) -> int | None:
    """A rule's port bound: None when absent, unreadable or -1 (any port)."""
    value = L.parse_int(raw)
    return value if value is not None and value >= 0 else None


def timestamp(raw: str | None) -> str | None:
    """A stored timestamp (with or without microseconds or a trailing `Z`) as
    `YYYY-MM-DDTHH:MM:SSZ`; None when unset or unreadable."""
    if not raw:
        return None
    value = raw.strip()
    if value.endswith("Z"):
        value = value[:-1]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.year >= 1000 and len(value) >= 19 and value[10] == "T" and \
            value[4] == value[7] == "-" and value[13] == value[16] == ":":
        # What strftime would give (it costs ~10x the parse; every list shows two per row).
        return value[:19] + "Z"
    return parsed.strftime(SHOWN_TS)


def tag_list(raw: str | None) -> list[str]:
    """Comma-joined tags (a tag never holds a comma; docs/tags.md); [] when absent."""
    if not raw:
        return []
    return [item for item in raw.split(",") if item]


def enabled(raw: list[bool]) -> bool:
    """An optional boolean column (`enabled` of an LSP or LR): [] and [true] are up."""
    return raw != [False]


def non_empty(raw: Any) -> bool:
    """A set column that is set (`port_security` of an LSP) as a boolean."""
    return bool(raw)


def one_of(values: dict[Any, Any]) -> Decode:
    """The value `values` maps the stored one to; the stored one when not listed."""
    def decode(raw: Any) -> Any:
        return values.get(raw, raw)
    return decode


def status_of(up: str, down: str, when: Any) -> Decode:
    """`up` when the column holds `when`, else `down` (a port's or a router's status)."""
    def decode(raw: Any) -> str:
        return up if raw == when else down
    return decode


def is_not(stored: str) -> Decode:
    """True unless the key holds `stored` (absent is True)."""
    def decode(raw: str | None) -> bool:
        return raw != stored
    return decode


# -- encoders (the inverses, for schema/write.py) ----------------------------------------------
def as_is(value: Any) -> Any:
    """The value as given (a string column, or a string kept even when empty)."""
    return value


def text_or_absent(value: str) -> Any:
    """A string in a map key; the key is absent when the string is empty."""
    return value if value else REMOVE


def enabled_set(value: bool) -> list[bool]:
    """A boolean in an optional boolean column (`enabled` of an LSP or LR): [value]."""
    return [value]


def true_or_absent(value: bool) -> Any:
    """True as "True"; False: the key is absent (codec.flag(False) reads both back)."""
    return "True" if value else REMOVE
