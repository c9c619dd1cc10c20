"""Pure validators for request attributes. Each raises BadRequest with a clear message."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ovn_provider.errors import BadRequest

_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$")
_MAC_DOTTED = re.compile(r"^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$")
# Unix style with single-digit groups (0:1b:77:49:54:fd) and PostgreSQL's xxxxxx:xxxxxx.
_MAC_SHORT = re.compile(r"^[0-9a-fA-F]{1,2}([:-])[0-9a-fA-F]{1,2}(\1[0-9a-fA-F]{1,2}){4}$")
_MAC_HALVES = re.compile(r"^[0-9a-fA-F]{6}[:-][0-9a-fA-F]{6}$")
#: Never a port's MAC (as in Neutron).
INVALID_MACS = ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def unpadded(value: Any) -> str | None:
    """`value` when it is a string without whitespace around it, else None. Every IP
    address, CIDR and MAC of a request passes here first: one written with whitespace
    (" 10.0.0.5") is 400, wherever it sits (docs/compatibility.md, "Request bodies")."""
    if isinstance(value, str) and value == value.strip():
        return value
    return None


def normalize_mac(text: Any) -> str | None:
    """Any EUI-48 form (colons, dashes, none, Cisco dots) in lower case with colons; None
    for anything else, whitespace around it included."""
    value = unpadded(text)
    if value is None:
        return None
    if _MAC_RE.match(value) or _MAC_HALVES.match(value):
        digits = re.sub(r"[:-]", "", value)
    elif _MAC_DOTTED.match(value):
        digits = value.replace(".", "")
    elif _MAC_SHORT.match(value):
        digits = "".join(part.zfill(2) for part in re.split(r"[:-]", value))
    else:
        return None
    digits = digits.lower()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def mac(value: Any) -> str:
    """A port's MAC: any EUI-48 form, but not all-zero or broadcast."""
    result = normalize_mac(value)
    if result is None or result in INVALID_MACS:
        raise BadRequest(f"Invalid input for mac_address. Reason: '{value}' is not a valid MAC "
                         "address.")
    return result


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"{name} must be of type bool")
    return value


def string(value: Any, name: str, max_len: int = 255) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for {name}. Reason: '{value}' is not a valid string.")
    if len(value) > max_len:
        raise BadRequest(f"Invalid input for {name}. Reason: '{value[:40]}...' exceeds maximum "
                         f"length of {max_len}.")
    return value


def integer(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool):
        raise BadRequest(f"Invalid input for {name}. Reason: '{value}' is not an integer.")
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise BadRequest(f"Invalid input for {name}. Reason: '{value}' is not an integer.")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{low if low is not None else '-inf'} to {high if high is not None else 'inf'}"
        raise BadRequest(f"Invalid input for {name}. Reason: '{value}' is out of range "
                         f"({bounds}).")
    return value


def ip_address(value: Any, name: str) -> IPAddress:
    """An IPv4 or IPv6 address, without a prefix or an IPv6 zone (`%eth0`)."""
    error = BadRequest(f"Invalid input for {name}. Reason: '{value}' is not a valid IP "
                       "address.")
    text = unpadded(value)
    if text is None or "%" in text:
        raise error
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise error from None


def cidr(value: Any, name: str = "cidr", require_prefix: bool = False) -> IPNetwork:
    """A network in CIDR form, host bits cleared (`10.0.0.5/24` is `10.0.0.0/24`). A bare
    address is a /32 or /128 unless `require_prefix`."""
    error = BadRequest(f"Invalid input for {name}. Reason: '{value}' is not a valid CIDR.")
    text = unpadded(value)
    if text is None or "%" in text or (require_prefix and "/" not in text):
        raise error
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise error from None


def list_of(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadRequest(f"{name} must be of type: list")
    return value


def body_root(body: Any, root: str) -> dict[str, Any]:
    """The object under the request's root key (`network`, `port`, ...)."""
    if not isinstance(body, dict) or root not in body:
        raise BadRequest(f"Resource body required: missing root key '{root}'")
    inner = body[root]
    if not isinstance(inner, dict):
        raise BadRequest(f"Resource body '{root}' must be a JSON object")
    return inner


def body_list(body: dict[str, Any], collection: str) -> list[dict[str, Any]]:
    """The objects of a bulk request (`{"ports": [...]}`)."""
    items = body[collection]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise BadRequest(f"Resource body '{collection}' must be a list of JSON objects")
    if not items:
        raise BadRequest(f"Resource body required: '{collection}' is empty")
    return items
