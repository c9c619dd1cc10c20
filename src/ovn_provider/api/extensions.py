"""`/v2.0/extensions`: exactly the aliases this provider implements (docs/compatibility.md,
"Paths").

An alias tied to a collection (`router`, `security-group`, ...) is listed only while that
collection is served, so the list follows the registry in api/resources.py. `extraroute`
is always listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

UPDATED = "2026-11-24T00:00:00-00:00"

Served = Mapping[str, Any]  # URL path segment -> api.resources.Resource

# alias -> (Neutron name, description)
ALIASES: dict[str, tuple[str, str]] = {
    "extraroute": ("Neutron Extra Route", "Extra routes configuration for L3 router"),
    "router": ("Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 "
               "Neutron networks and access to external networks via a NAT gateway."),
    "ext-gw-mode": ("Neutron L3 Configurable external gateway mode", "Extension of the "
                    "router abstraction for specifying whether SNAT should occur on the "
                    "external gateway"),
    "external-net": ("Neutron external network", "Adds external network attribute to "
                     "network resource."),
    "security-group": ("security-group", "The security groups extension."),
    "allowed-address-pairs": ("Allowed Address Pairs", "Provides allowed address pairs"),
    "provider": ("Provider Network", "Expose mapping of virtual networks to physical "
                 "networks"),
    "net-mtu": ("Network MTU", "Provides MTU attribute for a network resource."),
    "port-security": ("Port Security", "Provides port security"),
    "binding": ("Port Binding", "Expose port bindings of a virtual port to external "
                "application"),
    "pagination": ("Pagination support", "Extension that indicates that pagination is "
                   "enabled."),
    "sorting": ("Sorting support", "Extension that indicates that sorting is enabled."),
    "fields": ("Fields", "Extension that indicates that fields filtering is enabled."),
    "project-id": ("project_id field enabled", "Extension that indicates that project_id "
                   "field is enabled."),
    "ip-substring-filtering": ("IP address substring filtering", "Provides IP address "
                               "substring filtering when listing ports"),
    "standard-attr-tag": ("Tag support for resources with standard attribute: subnet, "
                          "router, network, port, security_group, floatingip",
                          "Enables to set tag on resources with standard attribute."),
    "tag-creation": ("Tag support for resource creation", "Allows to set tags on a "
                     "resource when it is created."),
    "standard-attr-timestamp": ("Resource timestamps", "Adds created_at and updated_at "
                                "fields to all Neutron resources that have Neutron "
                                "standard attributes."),
    "standard-attr-revisions": ("Resource revision numbers", "This extension will display "
                                "the revision number of neutron resources."),
    "revision-if-match": ("If-Match constraints based on revision_number", "Extension "
                          "indicating that If-Match based on revision_number is supported."),
    "network-ip-availability": ("Network IP Availability", "Provides IP availability data "
                                "for each network and subnet."),
    "extraroute-atomic": ("Atomically add/remove extra routes", "Edit extra routes of a "
                          "router on server side by atomically adding/removing extra routes"),
    "standard-attr-description": ("standard-attr-description", "Extension to add "
                                  "descriptions to standard attributes"),
    "net-mtu-writable": ("Network MTU (writable)", "Provides a writable MTU attribute for "
                         "a network resource."),
    "stateful-security-group": ("Stateful security group", "Indicates if the security "
                                "group is stateful or not"),
    "filter-validation": ("Filter parameters validation", "Provides validation on filter "
                          "parameters."),
    "quotas": ("Quota management support", "Expose functions for quotas management per "
               "project"),
}


def _serves(path: str, *operations: str) -> Callable[[Served], bool]:
    def check(served: Served) -> bool:
        resource = served.get(path)
        return resource is not None and all(
            getattr(resource, op, None) is not None for op in operations)
    return check


def _always(served: Served) -> bool:
    return True


#: When each alias is implemented; aliases missing here are never listed.
REQUIRES: dict[str, Callable[[Served], bool]] = {
    "extraroute": _always,
    "router": _serves("routers", "create"),
    "ext-gw-mode": _serves("floatingips", "create"),
    "external-net": _serves("routers", "create"),
    "security-group": _serves("security-groups", "create"),
    "provider": _always,
    "net-mtu": _always,
    "port-security": _always,
    "allowed-address-pairs": _always,
    "binding": _always,
    "pagination": _always,
    "sorting": _always,
    "fields": _always,
    "project-id": _always,
    "ip-substring-filtering": _always,
    "standard-attr-tag": _always,
    "tag-creation": _always,
    "standard-attr-timestamp": _always,
    "standard-attr-revisions": _always,
    "revision-if-match": _always,
    "network-ip-availability": _serves("network-ip-availabilities", "list_all"),
    "quotas": _always,
    "filter-validation": _always,
    "extraroute-atomic": _serves("routers", "create"),
    "standard-attr-description": _always,
    "net-mtu-writable": _always,
    "stateful-security-group": _serves("security-groups", "create"),
}


def available(served: Served) -> list[str]:
    return sorted(alias for alias, check in REQUIRES.items()
                  if alias in ALIASES and check(served))


def document(alias: str) -> dict[str, Any]:
    name, description = ALIASES[alias]
    return {"alias": alias, "name": name, "description": description, "updated": UPDATED,
            "links": []}


def listing(served: Served) -> dict[str, Any]:
    return {"extensions": [document(alias) for alias in available(served)]}
