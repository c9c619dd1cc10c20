"""vdsm `before_device_create` / `before_nic_hotplug` hook (docs/driver.md).

vdsm runs the hook with the vNIC's custom properties in the environment and the device
XML in the file named by `_hook_domxml`; the hook rewrites that file in place.

When `provider_type=EXTERNAL_NETWORK` and `plugin_type=OVIRT_PROVIDER_OVN`, the first
`<interface>` is attached to `br-int` as an Open vSwitch port whose `interfaceid` is the
`vnic_id` (libvirt then sets `external_ids:iface-id`, which ovn-controller binds):

1. every `<virtualport>` child is removed;
2. `<virtualport type="openvswitch"><parameters interfaceid="VNIC_ID"/></virtualport>` is
   added (after `<source>`);
3. `<source bridge="br-int">` is set, `<source>` created if missing.

Everything else (model, MAC, MTU, filterref, boot order, other interfaces) is kept. The
engine always sends `type="bridge"`; an interface of another type (`network`, `direct`...)
cannot carry an openvswitch virtualport with its own source, so it is turned into a
bridge interface with only `bridge="br-int"` as its source, and the hook says so.

minidom (what vdsm's own hooking module uses) keeps namespace prefixes, attribute
order and comments as they were, which ElementTree would not.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any
from xml.dom import minidom
from xml.parsers.expat import ExpatError

PROVIDER_TYPE = "EXTERNAL_NETWORK"
PLUGIN_TYPE = "OVIRT_PROVIDER_OVN"
INTEGRATION_BRIDGE = "br-int"
DOMXML_ENV = "_hook_domxml"
NAME = "10_ovirt_provider_ovn_hook"
# A minidom node. typeshed narrows child and parent types per node class, which generic
# tree edits (move any child before any sibling) cannot satisfy without casts everywhere.
Node = Any


class HookError(Exception):
    pass


def applies(environ: Mapping[str, str]) -> bool:
    return (environ.get("provider_type") == PROVIDER_TYPE
            and environ.get("plugin_type") == PLUGIN_TYPE)


def _children(element: Node, tag: str) -> list[Node]:
    return [node for node in element.childNodes
            if node.nodeType == node.ELEMENT_NODE and node.tagName == tag]


def _indent_before(node: Node) -> Node | None:
    previous = node.previousSibling
    return previous if _blank(previous) else None


def _remove(element: Node) -> None:
    parent = element.parentNode
    indent = _indent_before(element)
    if indent is not None:
        parent.removeChild(indent)
    parent.removeChild(element)


def rewrite(document: minidom.Document, vnic_id: str) -> list[str]:
    """Rewrite the first <interface> in place; what was done, [] if there was none."""
    interfaces = document.getElementsByTagName("interface")
    if not interfaces:
        return []
    iface = interfaces[0]
    notes: list[str] = []
    for virtualport in _children(iface, "virtualport"):
        _remove(virtualport)
    sources = _children(iface, "source")
    iface_type = iface.getAttribute("type")
    if iface_type not in ("", "bridge"):
        notes.append(f"interface type {iface_type!r} changed to 'bridge'")
        iface.setAttribute("type", "bridge")
        for source in sources:
            for attr in list(source.attributes.keys()):
                source.removeAttribute(attr)
            for child in list(source.childNodes):
                source.removeChild(child)
    if sources:
        source = sources[0]
    else:
        source = document.createElement("source")
        _insert_after(iface, source, None)
    source.setAttribute("bridge", INTEGRATION_BRIDGE)
    virtualport = document.createElement("virtualport")
    virtualport.setAttribute("type", "openvswitch")
    parameters = document.createElement("parameters")
    parameters.setAttribute("interfaceid", vnic_id)
    virtualport.appendChild(parameters)
    _insert_after(iface, virtualport, source)
    notes.append(f"attached to {INTEGRATION_BRIDGE} with interfaceid {vnic_id}")
    return notes


def _blank(node: Node | None) -> bool:
    return node is not None and node.nodeType == node.TEXT_NODE and not node.data.strip()


def _insert_after(parent: Node, new: Node, anchor: Node | None) -> None:
    """Insert `new` after `anchor` (first when None), with the same indentation."""
    document = parent.ownerDocument
    if anchor is None:
        first = parent.firstChild
        if first is not None and _blank(first):
            parent.insertBefore(new, first.nextSibling)
            parent.insertBefore(document.createTextNode(first.data), new.nextSibling)
        else:
            parent.insertBefore(new, first)
        return
    reference = anchor.nextSibling
    indent = _indent_before(anchor)
    if indent is not None:
        parent.insertBefore(document.createTextNode(indent.data), reference)
    parent.insertBefore(new, reference)


def rewrite_xml(xml: str, vnic_id: str) -> str:
    """The rewritten document as text (unchanged text when there is no interface)."""
    document = minidom.parseString(xml)
    if not rewrite(document, vnic_id):
        return xml
    return document.toxml()


def run(environ: Mapping[str, str]) -> int:
    if not applies(environ):
        return 0
    vnic_id = environ.get("vnic_id", "").strip()
    if not vnic_id:
        raise HookError("vnic_id is missing: the vNIC profile's OVN port id is required")
    path = environ.get(DOMXML_ENV)
    if not path:
        raise HookError(f"{DOMXML_ENV} is not set: not run by vdsm?")
    try:
        document = minidom.parse(path)
    except (OSError, ExpatError) as err:
        raise HookError(f"cannot read the device XML {path}: {err}") from None
    notes = rewrite(document, vnic_id)
    if not notes:
        return 0
    with open(path, "wb") as handle:
        handle.write(document.toxml(encoding="utf-8"))
    for note in notes:
        print(f"{NAME}: {note}", file=sys.stderr)
    return 0


def main() -> int:
    try:
        return run(os.environ)
    except HookError as err:
        print(f"{NAME}: {err}", file=sys.stderr)
        return 1
