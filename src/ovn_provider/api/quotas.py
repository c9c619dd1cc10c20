"""`/v2.0/quotas` (Neutron's quotas extension), read only: the provider enforces no
quotas, so every project's limit is -1 (unlimited) for every resource
(docs/compatibility.md, "Extensions")."""

from __future__ import annotations

from typing import Any

from ovn_provider.errors import MethodNotAllowed, NotFound

#: The resources Neutron reports quotas for, all unlimited here.
RESOURCES = ("network", "subnet", "port", "router", "floatingip", "security_group",
             "security_group_rule", "subnetpool", "rbac_policy")


def unlimited() -> dict[str, int]:
    return {name: -1 for name in RESOURCES}


def handle(method: str, rest: list[str], raw_path: str) -> dict[str, Any]:
    """GET /quotas (no project has quotas of its own), /quotas/{project} and
    /quotas/{project}/default. Changing quotas is not supported: 405."""
    if method not in ("GET", "HEAD"):
        raise MethodNotAllowed(f"Method {method} is not allowed on {raw_path}: quotas are "
                               "read-only (unlimited)")
    if not rest:
        return {"quotas": []}
    if len(rest) == 1 or (len(rest) == 2 and rest[1] == "default"):
        return {"quota": unlimited()}
    raise NotFound(f"The resource {raw_path} could not be found")
