"""Network IP availability (Neutron's network-ip-availability; docs/compatibility.md,
"Extensions"): per network and subnet, how many addresses the allocation pools hold and
how many the ports (router ports included) and floating IPs use. Computed from the NB
replica on each request, from the cached port list: no per-row lookups.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Any

from ovn_provider.neutron import addressing, floating_ips, port_view, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.index import NbIdl


def _pool_size(info: addressing.SubnetInfo) -> int:
    return sum(int(end) - int(start) + 1 for start, end in addressing.subnet_pools(info))


def _used(ctx: Ctx, idl: NbIdl, infos: dict[str, addressing.SubnetInfo]) -> Counter[str]:
    used: Counter[str] = Counter()
    for port in port_view.rendered(ctx, idl):
        for fixed in port.get("fixed_ips") or []:
            subnet_id = fixed.get("subnet_id")
            if subnet_id in infos:
                used[subnet_id] += 1
    by_ls: dict[str, list[addressing.SubnetInfo]] = {}
    for info in infos.values():
        by_ls.setdefault(info.row.external_ids.get(L.DHCP_NETWORK_ID, ""), []).append(info)
    for rec in floating_ips.records(idl).values():
        try:
            ip = ipaddress.ip_address(rec.ip)
        except ValueError:
            continue
        for info in by_ls.get(str(rec.ls.uuid), []):
            if ip in info.net:
                used[str(info.row.uuid)] += 1
                break
    return used


def _render_all(ctx: Ctx, idl: NbIdl) -> list[dict[str, Any]]:
    subnets_by_ls = view.subnets_by_ls(idl)
    infos: dict[str, addressing.SubnetInfo] = {}
    for rows in subnets_by_ls.values():
        for row in rows:
            info = addressing.subnet_info(row)
            if info is not None and L.is_ovirt_subnet(row):
                infos[str(row.uuid)] = info
    used = _used(ctx, idl, infos)
    result = []
    for ls in view.rows(idl, L.LS).values():
        subnets = []
        for row in subnets_by_ls.get(str(ls.uuid), []):
            info = infos.get(str(row.uuid))
            if info is None:
                continue
            subnets.append({
                "subnet_id": str(row.uuid), "subnet_name": row.external_ids.get(L.DHCP_NAME, ""),
                "cidr": str(info.net), "ip_version": info.version,
                "total_ips": _pool_size(info), "used_ips": used[str(row.uuid)]})
        result.append({
            "network_id": str(ls.uuid),
            "network_name": ls.external_ids.get(L.LS_NAME, ls.name),
            "tenant_id": ctx.cfg.tenant_id, "project_id": ctx.cfg.tenant_id,
            "total_ips": sum(s["total_ips"] for s in subnets),
            "used_ips": sum(s["used_ips"] for s in subnets),
            "subnet_ip_availability": subnets})
    return result


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        return _render_all(ctx, idl)


def show(ctx: Ctx, network_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        ls = view.require(view.by_uuid(idl, L.LS, network_id), "Network", network_id)
        return next(item for item in _render_all(ctx, idl) if item["network_id"] == str(ls.uuid))
