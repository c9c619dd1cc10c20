"""Floating IPs (docs/routers.md).

Layout (docs/routers.md):
- the floating IP itself is a record on the floating network's LS,
  `external_ids:ovirt_floating_ip:<id>=<address>`, and the address is reserved in that
  LS's `other_config:exclude_ips`, so neither OVN nor the provider hands it out again;
- while it is associated, the router that connects the port's subnet to the floating
  network carries a NAT row of type `dnat_and_snat` (`external_ip` = the floating address,
  `logical_ip` = the port's fixed IP) whose `external_ids` record the floating IP id and
  the port id. The NAT is centralised on the router's gateway chassis, so a router with
  floating IPs has a distributed gateway port (router_common.refresh_nat).
Without configured gateway chassis, listing works (always `[]` then) and creating answers
501, as the predecessor did.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, TypedDict

from ovn_provider.config import Config
from ovn_provider.errors import BadRequest, Conflict, NotFound, NotImplementedFeature
from ovn_provider.neutron import addressing, ipam, networks, scan_hint, stamps, tags, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.index import NbIdl, changed, verify
from ovn_provider.ovn.nb import Writer


@dataclass
class Record:
    id: str
    ls: Any
    ip: str

    @property
    def description(self) -> str:
        return str(self.ls.external_ids.get(L.LS_FIP_DESCRIPTION_PREFIX + self.id, ""))


# -- reading ---------------------------------------------------------------------------------
def _records(idl: NbIdl) -> dict[str, Record]:
    result: dict[str, Record] = {}
    for ls in view.rows(idl, L.LS).values():
        for key, value in ls.external_ids.items():
            if key.startswith(L.LS_FIP_PREFIX):
                fid = key[len(L.LS_FIP_PREFIX):]
                result[fid] = Record(fid, ls, value)
    return result


def _nats(idl: NbIdl) -> dict[str, tuple[Any, Any]]:
    """FIP id -> (NAT row, LR)."""
    result: dict[str, tuple[Any, Any]] = {}
    for lr in view.rows(idl, L.LR).values():
        for nat in lr.nat:
            fid = nat.external_ids.get(L.NAT_FIP_ID)
            if fid and nat.type == "dnat_and_snat":
                result[fid] = (nat, lr)
    return result


def render(ctx: Ctx, rec: Record, assoc: tuple[Any, Any] | None) -> dict[str, Any]:
    nat, lr = assoc if assoc is not None else (None, None)
    return {
        "id": rec.id,
        "floating_ip_address": rec.ip,
        "floating_network_id": str(rec.ls.uuid),
        "router_id": str(lr.uuid) if lr is not None else None,
        "port_id": nat.external_ids.get(L.NAT_FIP_PORT) if nat is not None else None,
        "fixed_ip_address": nat.logical_ip if nat is not None else None,
        "status": "ACTIVE" if nat is not None else "DOWN",
        "tenant_id": ctx.cfg.tenant_id,
        "project_id": ctx.cfg.tenant_id,
        "description": rec.description,
        "tags": tags.of(rec.ls.external_ids, L.LS_FIP_TAGS_PREFIX + rec.id),
        **stamps.fip_shown(rec.ls.external_ids, rec.id),
    }


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        records = view.cached(idl, "fip_records", _records)
        nats = view.cached(idl, "fip_nats", _nats)
        return [render(ctx, rec, nats.get(fid)) for fid, rec in sorted(records.items())]


def _get(idl: NbIdl, fip_id: str) -> Record:
    rec = _records(idl).get(fip_id) if isinstance(fip_id, str) else None
    if rec is None:
        raise NotFound(f"Floating IP {fip_id} could not be found", "FloatingIPNotFound")
    return rec


def records(idl: NbIdl) -> dict[str, Record]:
    """Every floating IP by id (the replica locked by the caller)."""
    return view.cached(idl, "fip_records", _records)


def record(idl: NbIdl, fip_id: str) -> Record | None:
    """The floating IP `fip_id`, or None (for tags.py)."""
    return _records(idl).get(fip_id) if isinstance(fip_id, str) else None


def show(ctx: Ctx, fip_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        return render(ctx, _get(idl, fip_id), _nats(idl).get(fip_id))


# -- validation ------------------------------------------------------------------------------
#: A validated floating IP request: the body's attributes under their Neutron names,
#: converted.
class FipRequest(TypedDict, total=False):
    floating_network_id: str
    floating_ip_address: ipaddress.IPv4Address | None
    subnet_id: str
    port_id: str | None
    fixed_ip_address: str
    description: str


def _validate(data: dict[str, Any], creating: bool) -> FipRequest:
    """What the schema (schema/floating_ips.py) cannot check; types are checked already
    (schema/check.py)."""
    out: FipRequest = {}
    if creating:
        if data.get("floating_network_id") is None:
            raise BadRequest("floating_network_id is a required parameter")
        out["floating_network_id"] = data["floating_network_id"]
        if data.get("floating_ip_address") is not None:
            ip = V.ip_address(data["floating_ip_address"], "floating_ip_address")
            if not isinstance(ip, ipaddress.IPv4Address):
                raise BadRequest(f"Invalid input for floating_ip_address. Reason: '{ip}' is "
                                 "not an IPv4 address.")
            out["floating_ip_address"] = ip
        if data.get("subnet_id") is not None:
            out["subnet_id"] = data["subnet_id"]
    elif data.get("floating_network_id") is not None or \
            data.get("floating_ip_address") is not None:
        raise BadRequest("floating_network_id and floating_ip_address cannot be updated")
    if "port_id" in data:
        out["port_id"] = data["port_id"]
    if data.get("fixed_ip_address") is not None:
        out["fixed_ip_address"] = str(V.ip_address(data["fixed_ip_address"],
                                                   "fixed_ip_address"))
    if "description" in data:
        out["description"] = data["description"] or ""
    return out


# -- association ---------------------------------------------------------------------------
def _disassociate(ctx: Ctx, w: Writer, fip_id: str) -> None:
    for lr in list(view.rows(w.idl, L.LR).values()):
        mine = [nat for nat in lr.nat if nat.external_ids.get(L.NAT_FIP_ID) == fip_id]
        for nat in mine:
            lr.delvalue("nat", nat)
            nat.delete()
        if mine:
            RC.refresh_nat(w, ctx.cfg, lr)


def release_port(w: Writer, cfg: Config, port_id: str) -> None:
    """Disassociate every floating IP of a port that is being deleted (as Neutron does),
    inside the caller's transaction. For ports.delete; the floating IPs stay allocated."""
    for lr in list(view.rows(w.idl, L.LR).values()):
        mine = [nat for nat in lr.nat if nat.type == "dnat_and_snat"
                and L.NAT_FIP_ID in nat.external_ids
                and nat.external_ids.get(L.NAT_FIP_PORT) == port_id]
        for nat in mine:
            lr.delvalue("nat", nat)
            nat.delete()
        if mine:
            RC.refresh_nat(w, cfg, lr)


def _associate(ctx: Ctx, w: Writer, rec: Record, port_id: str, wanted: str | None) -> None:
    lsp = view.api_port(w.idl, port_id)
    if lsp is None:
        raise BadRequest(f"Port {port_id} does not exist")
    if lsp.type == "router":
        raise BadRequest(f"Port {port_id} is a router port and cannot have a floating IP")
    port_ls = view.network_of(w.idl, lsp)
    fixed_ips = [entry for entry in addressing.current_ips(
        w.idl, lsp, view.subnets_of(w.idl, port_ls) if port_ls is not None else [])
        if ipaddress.ip_address(entry["ip_address"]).version == 4]
    if wanted is not None:
        match = [entry for entry in fixed_ips if entry["ip_address"] == wanted]
        if not match:
            raise BadRequest(f"Port {port_id} does not have fixed ip {wanted}")
        fixed_ips = match
    if not fixed_ips or port_ls is None:
        raise BadRequest(f"Bad floatingip request: Cannot add floating IP to port {port_id} "
                         "that has no fixed IPv4 addresses.")
    fixed = fixed_ips[0]
    lr = _router_for(w, rec.ls, port_ls, ipaddress.ip_address(fixed["ip_address"]))
    if lr is None:
        raise NotFound(f"External network {rec.ls.uuid} is not reachable from subnet "
                       f"{fixed['subnet_id']}. Therefore, cannot associate Port {port_id} "
                       "with a Floating IP.", "ExternalGatewayForFloatingIPNotFound")
    # Another writer's association of the same fixed IP (on this router, the one both
    # would pick) or removal of the interface that makes the port reachable: TRY_AGAIN.
    verify(lr, "nat", "ports")
    records = _records(w.idl)
    for other_lr in view.rows(w.idl, L.LR).values():
        for nat in other_lr.nat:
            other = nat.external_ids.get(L.NAT_FIP_ID)
            if other and other != rec.id and nat.logical_ip == fixed["ip_address"] and \
                    other in records and records[other].ls.uuid == rec.ls.uuid:
                raise Conflict(f"Cannot associate floating IP {rec.ip} ({rec.id}) with port "
                               f"{port_id} using fixed IP {fixed['ip_address']}, as that "
                               "fixed IP already has a floating IP on external network "
                               f"{rec.ls.uuid}.")
    nat = w.insert(L.NAT, type="dnat_and_snat", external_ip=rec.ip,
                   logical_ip=fixed["ip_address"],
                   external_ids={L.NAT_FIP_ID: rec.id, L.NAT_FIP_PORT: port_id})
    lr.addvalue("nat", nat)
    RC.refresh_nat(w, ctx.cfg, lr)


def _router_for(w: Writer, ext_ls: Any, port_ls: Any,
                fixed: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Any | None:
    """A router with its gateway on the floating network and an interface on the port's
    network whose subnet holds the fixed IP."""
    for lr in sorted(view.rows(w.idl, L.LR).values(), key=lambda r: str(r.uuid)):
        gw = RC.gateway_of(w.idl, lr, w)
        if gw is None or gw.ls is None or gw.ls.uuid != ext_ls.uuid:
            continue
        for lrp in RC.interface_lrps(w.idl, lr, w):
            ls = RC.lrp_ls(w.idl, lrp, w)
            if ls is None or ls.uuid != port_ls.uuid:
                continue
            if any(fixed in iface.network for iface in RC.networks_of_lrps([lrp])):
                return lr
    return None


def _pick(alloc: addressing.Allocator, info: addressing.SubnetInfo) -> V.IPAddress | None:
    def taken(candidate: V.IPAddress) -> bool:
        return alloc.taken(candidate, info.gateway)

    return ipam.pick_free(addressing.subnet_pools(info), taken,
                          held=scan_hint.held(alloc.idl, alloc.ls, info.version))


# -- writes ------------------------------------------------------------------------------------
def create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    v = _validate(data, creating=True)
    tag_list = tags.from_body(data)
    if not RC.nat_available(ctx):
        raise NotImplementedFeature(f"Floating IPs are not available: {RC.NO_CHASSIS}")
    if v.get("fixed_ip_address") is not None and not v.get("port_id"):
        raise BadRequest("fixed_ip_address cannot be specified without a port_id")

    def write(w: Writer) -> str:

        ls = networks.find(w.idl, v["floating_network_id"])
        if ls is None:
            raise BadRequest(f"Network {v['floating_network_id']} does not exist")
        if not L.parse_bool(ls.external_ids.get(L.LS_ROUTER_EXTERNAL), False):
            raise BadRequest(f"Bad floatingip request: Network {ls.uuid} is not a valid "
                             "external network.")  # Neutron's wording
        infos = [i for i in (addressing.subnet_info(r) for r in view.subnets_of(w.idl, ls))
                 if i is not None and i.version == 4]
        if "subnet_id" in v:
            infos = [i for i in infos if str(i.row.uuid) == v["subnet_id"]]
            if not infos:
                raise BadRequest(f"Subnet {v['subnet_id']} is not an IPv4 subnet of network "
                                 f"{ls.uuid}")
        if not infos:
            raise BadRequest(f"Bad floatingip request: network {ls.uuid} has no IPv4 subnet "
                             "to allocate floating IPs from")
        alloc = addressing.Allocator(w.idl, ls, None)
        ip: V.IPAddress | None = v.get("floating_ip_address")
        if ip is not None:
            info = next((i for i in infos if ip in i.net), None)
            if info is None:
                raise BadRequest(f"Bad floatingip request: IP address {ip} is not in a subnet "
                                 f"of network {ls.uuid}")
            if alloc.taken(ip, info.gateway):
                raise Conflict(f"IP address {ip} already allocated in subnet {info.row.uuid}",
                               "IpAddressAlreadyAllocated")
        else:
            for info in infos:
                ip = _pick(alloc, info)
                if ip is not None:
                    break
            if ip is None:
                raise Conflict(f"No more IP addresses available on network {ls.uuid}",
                               "IpAddressGenerationFailure")
        fid = L.new_id()
        rec = Record(fid, ls, str(ip))
        ls.setkey("external_ids", L.LS_FIP_PREFIX + fid, rec.ip)
        if v.get("description"):
            ls.setkey("external_ids", L.LS_FIP_DESCRIPTION_PREFIX + fid, v["description"])
        if tag_list:
            ls.setkey("external_ids", L.LS_FIP_TAGS_PREFIX + fid, tags.encode(tag_list))
        for key, value in stamps.fip_new(fid).items():
            ls.setkey("external_ids", key, value)
        RC.exclude_add(ls, rec.ip)
        port_id = v.get("port_id")
        if port_id:
            _associate(ctx, w, rec, port_id, v.get("fixed_ip_address"))
        return fid

    fid = ctx.nb.transact(write)
    return show(ctx, fid)


def update(ctx: Ctx, fip_id: str, data: dict[str, Any]) -> dict[str, Any]:
    v = _validate(data, creating=False)

    def write(w: Writer) -> None:
        rec = _get(w.idl, fip_id)
        verify(rec.ls, "external_ids")  # the floating IP deleted meanwhile: TRY_AGAIN
        stamps.fip_check(w, rec.ls, fip_id)
        current = _nats(w.idl).get(fip_id)
        moved = False  # whether the association changes
        current_port = current[0].external_ids.get(L.NAT_FIP_PORT) if current else None
        if "port_id" in v:
            port_id = v["port_id"]
            if port_id is None:
                if v.get("fixed_ip_address") is not None:
                    raise BadRequest("fixed_ip_address cannot be specified without a port_id")
                moved = current is not None
                _disassociate(ctx, w, fip_id)
            else:
                unchanged = (current is not None and current_port == port_id and
                             v.get("fixed_ip_address") in (None, current[0].logical_ip))
                if not unchanged:
                    if not RC.nat_available(ctx):
                        raise NotImplementedFeature(
                            f"Floating IPs are not available: {RC.NO_CHASSIS}")
                    moved = True
                    _disassociate(ctx, w, fip_id)
                    _associate(ctx, w, rec, port_id, v.get("fixed_ip_address"))
        elif v.get("fixed_ip_address") is not None:
            if current is None or not current_port:
                raise BadRequest("fixed_ip_address cannot be specified without a port_id")
            if v["fixed_ip_address"] != current[0].logical_ip:
                moved = True
                _disassociate(ctx, w, fip_id)
                _associate(ctx, w, rec, current_port, v["fixed_ip_address"])
        if "description" in v:
            key = L.LS_FIP_DESCRIPTION_PREFIX + fip_id
            if v["description"]:
                rec.ls.setkey("external_ids", key, v["description"])
            elif key in rec.ls.external_ids:
                rec.ls.delkey("external_ids", key)
        if moved or changed(rec.ls):  # a PUT that changes nothing keeps the revision
            stamps.fip_touch(w, rec.ls, fip_id)

    ctx.nb.transact(write)
    return show(ctx, fip_id)


def delete(ctx: Ctx, fip_id: str) -> None:
    def write(w: Writer) -> None:
        rec = _get(w.idl, fip_id)
        stamps.fip_check(w, rec.ls, fip_id)
        _disassociate(ctx, w, fip_id)
        RC.exclude_remove(rec.ls, rec.ip)
        rec.ls.delkey("external_ids", L.LS_FIP_PREFIX + fip_id)
        for prefix in (L.LS_FIP_DESCRIPTION_PREFIX, L.LS_FIP_TAGS_PREFIX,
                       L.LS_FIP_STAMP_PREFIX):
            if prefix + fip_id in rec.ls.external_ids:
                rec.ls.delkey("external_ids", prefix + fip_id)

    ctx.nb.transact(write)
