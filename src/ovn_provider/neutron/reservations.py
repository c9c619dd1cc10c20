"""Addresses a Logical_Switch keeps out of OVN's own allocation (`other_config:exclude_ips`):
router gateway and floating IP addresses (docs/routers.md)."""

from __future__ import annotations

from typing import Any

from ovn_provider.neutron import layout as L


def exclude_add(ls: Any, ip: str) -> None:
    text = ls.other_config.get(L.LS_EXCLUDE_IPS, "")
    tokens = text.split()
    if ip in tokens:
        return
    ls.setkey("other_config", L.LS_EXCLUDE_IPS, " ".join([*tokens, ip]))


def exclude_remove(ls: Any, ip: str) -> None:
    tokens = ls.other_config.get(L.LS_EXCLUDE_IPS, "").split()
    kept = [token for token in tokens if token != ip]
    if kept == tokens:
        return
    if kept:
        ls.setkey("other_config", L.LS_EXCLUDE_IPS, " ".join(kept))
    else:
        ls.delkey("other_config", L.LS_EXCLUDE_IPS)
