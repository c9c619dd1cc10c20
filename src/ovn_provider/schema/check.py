"""Request validation from a schema, the same for every resource (docs/compatibility.md,
"Request bodies"):

- a key the resource does not define is 400 "Unrecognized attribute(s) '<keys>'";
- a read-only attribute, or one the operation does not accept, is 400; `id` is accepted in
  a PUT when it equals the path id (the oVirt engine sends it);
- `null` only where the attribute allows it; every value is type-checked and bounded
  (lengths, ranges, list sizes, the keys of objects), and IPs, CIDRs and MACs are parsed
  strictly.

The resource modules then convert the checked values and apply the rules that span rows.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ovn_provider.errors import BadRequest
from ovn_provider.neutron import validate as V
from ovn_provider.schema.types import Attr, Schema

_INT_TEXT = re.compile(r"-?[0-9]+")
_PREFIX = re.compile(r"[0-9]{1,3}")


def _bad(name: str, value: Any, reason: str) -> BadRequest:
    shown = "None" if value is None else value
    return BadRequest(f"Invalid input for {name}. Reason: '{shown}' {reason}")


def strict_ip(value: Any, name: str) -> None:
    """An IPv4/IPv6 address as text: no whitespace, prefix or zone id."""
    if V.unpadded(value) is None or "%" in value or "/" in value:
        raise _bad(name, value, "is not a valid IP address.")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise _bad(name, value, "is not a valid IP address.") from None


def strict_cidr(value: Any, name: str) -> None:
    """A network as address/prefix-length: no whitespace, netmask notation or zone id
    (a bare address is a host route, as Neutron takes it)."""
    error = _bad(name, value, "is not a valid CIDR.")
    if V.unpadded(value) is None or "%" in value:
        raise error
    address, slash, prefix = value.partition("/")
    if slash and not _PREFIX.fullmatch(prefix):
        raise error
    try:
        ipaddress.ip_network(value, strict=False)
        ipaddress.ip_address(address)
    except ValueError:
        raise error from None


def strict_mac(value: Any, name: str) -> None:
    if not V.unpadded(value):
        raise _bad(name, value, "is not a valid MAC address.")


def value(attr: Attr, item: Any, name: str | None = None, kind: str | None = None) -> None:
    """Check one value against the attribute's type and bounds."""
    name = name or attr.name
    kind = kind or attr.type
    if item is None:
        if attr.required:
            return  # the resource module names what is missing
        if not attr.nullable:
            raise _bad(name, item, "is not allowed: the attribute cannot be null.")
        return
    if attr.model_checks:
        return
    if attr.enforce_enum and item not in attr.enum and kind != "array":
        allowed = ", ".join(str(v) for v in attr.enum if v is not None)
        raise _bad(name, item, f"is not in [{allowed}].")
    if kind in ("string", "uuid"):
        if not isinstance(item, str):
            raise _bad(name, item, "is not a valid string.")
        if attr.max_len is not None and len(item) > attr.max_len:
            raise _bad(name, item[:40] + "...", f"exceeds maximum length of {attr.max_len}.")
    elif kind == "integer":
        number = item
        if isinstance(item, str) and _INT_TEXT.fullmatch(item):
            number = int(item)  # openstackclient sends some integers as text, as Neutron takes
        if isinstance(number, bool) or not isinstance(number, int):
            raise _bad(name, item, "is not an integer.")
        if (attr.minimum is not None and number < attr.minimum) or (
                attr.maximum is not None and number > attr.maximum):
            raise _bad(name, item, f"is out of range ({attr.minimum} to {attr.maximum}).")
    elif kind == "boolean":
        if not isinstance(item, bool):
            raise BadRequest(f"{name} must be of type bool")
    elif kind == "ip":
        strict_ip(item, name)
    elif kind == "cidr":
        strict_cidr(item, name)
    elif kind == "mac":
        strict_mac(item, name)
    elif kind == "object":
        if not isinstance(item, dict):
            raise _bad(name, item, "is not a dictionary.")
        if attr.item_keys:
            extra = sorted(set(item) - set(attr.item_keys))
            if extra:
                raise _bad(name, item, f"has unexpected keys: {', '.join(extra)}.")
    elif kind == "array":
        if not isinstance(item, list):
            raise BadRequest(f"{name} must be of type: list")
        if attr.max_items is not None and len(item) > attr.max_items:
            raise _bad(name, f"{len(item)} items", f"exceeds the maximum of {attr.max_items}.")
        for element in item:
            if element is None and attr.items is not None:
                raise _bad(name, element, "is not allowed in the list.")
            if attr.items == "object" and not isinstance(element, dict):
                continue  # the resource module says what an entry must look like
            value(attr, element, name, attr.items or "any")


def body(schema: Schema, data: dict[str, Any], method: str, path_id: str | None = None
         ) -> dict[str, Any]:
    """Check a request body (the object under the root key) for POST or PUT; returns it
    without the keys that only echo the path (`id` in a PUT)."""
    unknown = sorted(key for key in data if key not in schema.attrs)
    if unknown:
        raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    result = dict(data)
    for key, item in data.items():
        attr = schema.attrs[key]
        if key == "id" and method == "PUT" and path_id is not None:
            if item != path_id:
                raise BadRequest("Cannot update read-only attribute id")
            del result[key]
            continue
        allowed = attr.post if method == "POST" else attr.put
        if not allowed:
            if method == "POST":
                raise BadRequest(f"Attribute '{key}' not allowed in POST")
            raise BadRequest(f"Cannot update read-only attribute {key}")
        if attr.too_many and isinstance(item, list) and attr.max_items is not None \
                and len(item) > attr.max_items:
            raise BadRequest(attr.too_many.format(id=path_id or f"new {schema.root}",
                                                  limit=attr.max_items))
        value(attr, item)
    return result
