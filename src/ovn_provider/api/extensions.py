"""`/v2.0/extensions`: exactly the aliases this provider implements (compat spec 3.13)."""

from __future__ import annotations

from typing import Any

UPDATED = "2026-11-24T00:00:00-00:00"

# alias -> (Neutron name, description)
IMPLEMENTED: dict[str, tuple[str, str]] = {
    "extraroute": ("Neutron Extra Route", "Extra routes configuration for L3 router"),
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
}


def document(alias: str) -> dict[str, Any]:
    name, description = IMPLEMENTED[alias]
    return {"alias": alias, "name": name, "description": description, "updated": UPDATED,
            "links": []}


def listing() -> dict[str, Any]:
    return {"extensions": [document(alias) for alias in sorted(IMPLEMENTED)]}
