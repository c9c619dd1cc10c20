"""One declarative schema per resource (docs/architecture.md, "The resource schemas").

`SCHEMAS` maps a collection's URL path segment to its schema; `check` validates a request
body against one.
"""

from __future__ import annotations

from ovn_provider.schema import (
    agents,
    floating_ips,
    ip_availability,
    networks,
    ports,
    routers,
    rules,
    security_groups,
    subnets,
)
from ovn_provider.schema.types import Attr, Schema

SCHEMAS: dict[str, Schema] = {s.path: s for s in (
    networks.SCHEMA, subnets.SCHEMA, ports.SCHEMA, routers.SCHEMA, floating_ips.SCHEMA,
    security_groups.SCHEMA, rules.SCHEMA, ip_availability.SCHEMA, agents.SCHEMA)}

__all__ = ["SCHEMAS", "Attr", "Schema"]
