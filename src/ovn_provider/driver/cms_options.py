"""`external_ids:ovn-cms-options`: a comma-separated option list that ovn-controller copies
to its SB Chassis row. `configure --gateway` adds `enable-chassis-as-gw` (the chassis
then hosts routers' gateway ports, docs/routers.md) and keeps every other option; the
record item `cms:<option>` lets unconfigure take back exactly that option.
"""

from __future__ import annotations

from ovn_provider.driver.settings import ext

CMS_OPTIONS = ext("ovn-cms-options")
GATEWAY = "enable-chassis-as-gw"
RECORD_PREFIX = "cms:"


def split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def with_option(value: str | None, option: str, present: bool) -> str | None:
    """`value` with `option` added or removed, other options in their order; None when
    no option is left (the key is then removed)."""
    items = [item for item in split(value) if item != option]
    if present:
        items.append(option)
    return ",".join(items) or None
