"""Ports: Logical_Switch_Port rows (docs/compatibility.md, "Networks, subnets, ports"; docs/nb-
layout.md; docs/compatibility.md, "Beyond the predecessor")."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any, TypedDict

from ovn_provider.errors import BadRequest, Conflict, NotFound
from ovn_provider.neutron import address_pairs as AP
from ovn_provider.neutron import (
    addressing,
    bulk,
    floating_ips,
    ipam,
    networks,
    port_groups,
    port_view,
    stamps,
    tags,
    view,
)
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.port_view import render_one
from ovn_provider.ovn.index import NbIdl, set_contains
from ovn_provider.ovn.nb import Writer
from ovn_provider.schema.ports import SCHEMA
from ovn_provider.schema.write import plan as write_plan

ROUTER_FIXED = ("mac_address", "fixed_ips", "device_owner", "device_id")


def find(idl: NbIdl, port_id: str) -> Any | None:
    return view.api_port(idl, port_id)


def _get(idl: NbIdl, port_id: str) -> Any:
    return view.require(find(idl, port_id), "Port", port_id)


def show(ctx: Ctx, port_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        return render_one(ctx, idl, _get(idl, port_id))


# -- validation -------------------------------------------------------------------------------
#: A validated port request: the attributes the schema's write plan (`WRITE`) does not
#: write, under their Neutron names, converted.
PortRequest = TypedDict("PortRequest", {
    "network_id": str, "binding:host_id": str | None, "mac_address": str,
    "port_security_enabled": bool, "security_groups": list[str] | None,
    "fixed_ips": list[Any], "allowed_address_pairs": list[AP.Pair]}, total=False)
#: The plain attributes' writes (name, admin_state_up, device_id, device_owner,
#: description), from the schema; port security also sets the addresses and groups.
WRITE = write_plan(SCHEMA, by_module=("port_security_enabled",))
#: A router port takes only a new name (`_update_router_port`).
NAME_ONLY = WRITE.only("name")


def _validate(data: dict[str, Any], creating: bool, max_pairs: int) -> PortRequest:
    """What the schema (schema/ports.py) cannot check: a missing network, the MAC's forms,
    the address pairs; types and bounds are checked already (schema/check.py)."""
    out: PortRequest = {}
    if data.get("network_id") is not None:
        out["network_id"] = data["network_id"]
    elif creating:
        raise BadRequest("Network_id is a required parameter")
    if "binding:host_id" in data:  # null: no binding (not recorded, or removed)
        out["binding:host_id"] = data["binding:host_id"]
    if data.get("mac_address") is not None:
        out["mac_address"] = V.mac(data["mac_address"])
    if data.get("port_security_enabled") is not None:
        out["port_security_enabled"] = data["port_security_enabled"]
    if "security_groups" in data:
        out["security_groups"] = data["security_groups"]
    if data.get("fixed_ips") is not None:
        out["fixed_ips"] = data["fixed_ips"]
    if "allowed_address_pairs" in data:
        out["allowed_address_pairs"] = AP.parse(data["allowed_address_pairs"], max_pairs)
    return out


def _unique_mac(idl: NbIdl) -> str:
    rng = random.SystemRandom()
    for _ in range(64):
        mac = "02:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5))
        if mac not in idl.addresses.by_mac and mac not in idl.addresses.by_pair_mac:
            return mac
    raise Conflict("Unable to generate a unique MAC address")


def _check_pairs(pairs: list[AP.Pair], mac: str, security: bool) -> None:
    """Pairs need port security and no duplicates. A pair's MAC may be any MAC, as in
    Neutron: another port's own MAC too (docs/nb-layout.md, "Allowed address pairs": OVN
    delivers that MAC to its owner while it exists, to the ports listing it after)."""
    AP.require_security(pairs, security)
    AP.check_duplicates(pairs, mac)


def _network(w: Writer, network_id: str) -> Any:

    ls = networks.find(w.idl, network_id)
    if ls is None:
        if view.parse_uuid(network_id) is None:
            raise BadRequest(f"Invalid input for network_id. Reason: '{network_id}' is not a "
                             "valid UUID.")
        raise NotFound(f"Network {network_id} could not be found.", "NetworkNotFound")
    return ls


# -- writes -----------------------------------------------------------------------------
def prepare_create(ctx: Ctx, data: dict[str, Any]) -> Callable[[Writer], Any]:
    """Validate a POST body; the returned write function inserts the object into an
    open transaction (a bulk create shares one, neutron/bulk.py) and returns its id
    (or a callable giving it after the commit)."""
    v = _validate(data, creating=True, max_pairs=ctx.cfg.max_address_pairs)
    tagged = tags.create_ext(data)
    cfg = ctx.cfg

    def write(w: Writer) -> str:
        ls = _network(w, v["network_id"])
        security = v.get("port_security_enabled", L.parse_bool(
            ls.external_ids.get(L.LS_PORT_SECURITY), cfg.port_security_default))
        mac = v.get("mac_address")
        claimed = w.idl.txn_claims.setdefault("mac", {})  # MACs of a bulk's earlier ports
        if mac is None:
            mac = _unique_mac(w.idl)
            while mac in claimed:
                mac = _unique_mac(w.idl)
        elif _mac_in_use(w.idl, ls, mac, None) or claimed.get(mac) == ls.uuid:
            raise Conflict(f"Unable to complete operation for network {ls.uuid}. The mac "
                           f"address {mac} is in use.", "MacAddressInUse")
        claimed[mac] = ls.uuid
        idents = v.get("security_groups")
        if idents is None:
            idents = [L.PG_DEFAULT] if security and w.has_table(L.PG) else []
        groups, idents = port_groups.resolve(w, idents)
        pairs = v.get("allowed_address_pairs", [])
        _check_pairs(pairs, mac, security)
        p = addressing.plan(w.idl, ls, mac, v.get("fixed_ips"))
        name = L.new_id()
        plain = WRITE.create(data)
        ext = {L.LSP_NETWORK_ID: str(ls.uuid), **tagged, **stamps.new(),
               **plain.pop("external_ids", {})}
        AP.record(ext, pairs)
        options: dict[str, str] = {}
        host = v.get("binding:host_id")
        if host is not None:
            ext[L.LSP_BINDING_HOST] = host
            if cfg.ovs_29 and host:
                options[L.LSP_REQUESTED_CHASSIS] = host
        lsp = w.insert(L.LSP, name=name, external_ids=ext, options=options, **plain)
        addressing.apply(lsp, p, security, pairs)
        ls.addvalue("ports", lsp)
        port_groups.set_membership(w, lsp, security, groups, idents, [])
        return name

    return write


def create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    # VM starts plug many vNICs at once (the engine storm): creates queued together share
    # one NB transaction (ovn/nb_txn.py `commit_together`)
    return bulk.create_one(ctx, prepare_create, show, data, group=True)


def _mac_in_use(idl: NbIdl, ls: Any, mac: str, ignore: uuid.UUID | None) -> bool:
    """Another port of `ls` has `mac` as its own (a MAC that allowed address pairs list
    stays free, as in Neutron)."""

    for owner in idl.addresses.by_mac.get(mac, ()):
        if owner != ignore and set_contains(ls, "ports", owner):
            return True
    return False


def update(ctx: Ctx, port_id: str, data: dict[str, Any]) -> dict[str, Any]:
    if "id" in data and data["id"] != port_id:
        raise BadRequest("The port id in the body does not match the path")
    v = _validate(data, creating=False, max_pairs=ctx.cfg.max_address_pairs)
    cfg = ctx.cfg

    def write(w: Writer) -> None:
        lsp = _get(w.idl, port_id)
        stamps.check(w, lsp)
        ls = view.network_of(w.idl, lsp)
        if ls is None:
            raise NotFound(f"Port {port_id} does not exist", "PortNotFound")
        if "network_id" in v and v["network_id"] != str(ls.uuid):
            raise BadRequest("Unable to change network of existing port")
        if lsp.type == "router":
            _update_router_port(w, ls, lsp, v, data)
            stamps.touch(w, lsp)
            return
        ext = dict(lsp.external_ids)
        pairs = v.get("allowed_address_pairs", AP.stored(ext))
        AP.record(ext, pairs)
        WRITE.update(lsp, data, maps={"external_ids": ext})
        if "binding:host_id" in v:
            host = v["binding:host_id"]
            if host is None:
                ext.pop(L.LSP_BINDING_HOST, None)
            else:
                ext[L.LSP_BINDING_HOST] = host
            options = dict(lsp.options)
            if cfg.ovs_29 and host:
                options[L.LSP_REQUESTED_CHASSIS] = host
            else:
                options.pop(L.LSP_REQUESTED_CHASSIS, None)
            if options != dict(lsp.options):
                lsp.options = options
        if ext != dict(lsp.external_ids):
            lsp.external_ids = ext
        old_mac, _, dynamic = ipam.parse_lsp_addresses(lsp.addresses)
        was_secure = bool(lsp.port_security)
        security = v.get("port_security_enabled", was_secure)
        mac = v.get("mac_address", old_mac)
        if mac is not None and mac != old_mac and _mac_in_use(w.idl, ls, mac, lsp.uuid):
            raise Conflict(f"Unable to complete operation for network {ls.uuid}. The mac "
                           f"address {mac} is in use.", "MacAddressInUse")
        if mac is not None:
            _check_pairs(pairs, mac, security)
            readdress = "fixed_ips" in v and not _same_fixed_ips(
                v["fixed_ips"], addressing.current_ips(w.idl, lsp, view.subnets_of(w.idl, ls)))
            if readdress or mac != old_mac:  # the addresses it has already: a no-op
                _readdress(w, ls, lsp, mac, v.get("fixed_ips"), security, pairs)
            elif "allowed_address_pairs" in v or security != was_secure:
                AP.apply(lsp, mac, pairs, security)
        elif pairs:
            raise Conflict(f"Port {port_id} has no MAC address: it cannot have allowed "
                           "address pairs")
        current = view.groups_of(w.idl, lsp)
        if "security_groups" in v:
            idents = v["security_groups"]
            if idents is None:
                idents = [L.PG_DEFAULT] if security and w.has_table(L.PG) else []
            groups, idents = port_groups.resolve(w, idents)
            port_groups.set_membership(w, lsp, security, groups, idents, current)
        elif security != was_secure:
            # Port security on/off: only DropAll changes, other groups stay.
            kept = [pg for pg in current if pg.name != L.PG_DROP_ALL]
            idents = lsp.external_ids.get(L.LSP_SECURITY_GROUPS, "").split()
            port_groups.set_membership(w, lsp, security, kept, idents, current)
        stamps.touch(w, lsp)

    ctx.nb.transact(write)
    return show(ctx, port_id)


def _update_router_port(w: Writer, ls: Any, lsp: Any, v: PortRequest,
                        data: dict[str, Any]) -> None:
    """A router port takes only a new name; its MAC, addresses and owner belong to the
    router (409 on a change). Values equal to what the port shows are no change, so
    a PUT echoing a GET is accepted."""
    owner, device_id = RC.router_port_device(w.idl, lsp)
    mac, fixed = port_view.router_port_addresses(w.idl, lsp, view.subnets_of(w.idl, ls))
    shown = {"device_owner": owner, "device_id": device_id}
    changed = []
    for key in ROUTER_FIXED:
        value = data.get(key)
        if value is None:
            continue
        if key in shown:
            same = value == shown[key]
        elif key == "mac_address":
            same = v.get("mac_address") == mac
        else:
            same = _same_fixed_ips(value, fixed)
        if not same:
            changed.append(key)
    if v.get("allowed_address_pairs"):
        changed.append("allowed_address_pairs")
    if changed:
        raise Conflict(f"Port {lsp.name} is owned by a router: {', '.join(changed)} cannot be "
                       "changed")
    if "name" in data and lsp.external_ids.get(L.LSP_NIC_NAME) != (data["name"] or ""):
        NAME_ONLY.update(lsp, data)


def _same_fixed_ips(requested: Any, shown: list[dict[str, str]]) -> bool:
    """`requested` names exactly the shown entries (each entry by the keys it gives)."""
    if not isinstance(requested, list) or len(requested) != len(shown):
        return False
    left = list(shown)
    for entry in requested:
        if not isinstance(entry, dict) or not entry:
            return False
        match = next((s for s in left if all(
            key in ("ip_address", "subnet_id") and _same_value(key, value, s[key])
            for key, value in entry.items())), None)
        if match is None:
            return False
        left.remove(match)
    return True


def _same_value(key: str, given: Any, shown: str) -> bool:
    if key == "ip_address" and isinstance(given, str):
        address = ipam.ip_of(given)
        return address is not None and str(address) == shown
    return bool(given == shown)


def _readdress(w: Writer, ls: Any, lsp: Any, mac: str, fixed_ips: list[Any] | None,
               security: bool, pairs: list[AP.Pair]) -> None:
    prefer = {ip["subnet_id"]: ip["ip_address"]
              for ip in addressing.current_ips(w.idl, lsp, view.subnets_of(w.idl, ls))}
    _, static, dynamic = ipam.parse_lsp_addresses(lsp.addresses)
    if fixed_ips is None and static and not dynamic:
        fixed_ips = [{"ip_address": ip} for ip in static]
    p = addressing.plan(w.idl, ls, mac, fixed_ips, port_uuid=lsp.uuid, prefer=prefer)
    addressing.apply(lsp, p, security, pairs)


def readdress(w: Writer, ls: Any, lsp: Any) -> None:
    """Re-plan a port's addresses after its network's subnets changed (keeps its IPs
    where they are still valid)."""
    mac, static, dynamic = ipam.parse_lsp_addresses(lsp.addresses)
    if mac is None:
        return
    prefer = {}
    for ip in ipam.parse_dynamic(lsp.dynamic_addresses) if dynamic else []:
        subnet = view.subnet_for_ip(view.subnets_of(w.idl, ls), ip)
        if subnet is not None:
            prefer[str(subnet.uuid)] = ip
    fixed = None
    if static and not dynamic:
        subnets = view.subnets_of(w.idl, ls)
        fixed = [{"ip_address": ip} for ip in static if view.subnet_for_ip(subnets, ip)]
    p = addressing.plan(w.idl, ls, mac, fixed, port_uuid=lsp.uuid, prefer=prefer)
    addressing.apply(lsp, p, bool(lsp.port_security), AP.stored(lsp.external_ids))


def delete(ctx: Ctx, port_id: str) -> None:
    def write(w: Writer) -> None:
        lsp = _get(w.idl, port_id)
        stamps.check(w, lsp)
        owner = lsp.external_ids.get(L.LSP_DEVICE_OWNER, "")
        if owner in L.ROUTER_OWNERS or lsp.type == "router":
            raise Conflict(f"Port {lsp.name} cannot be deleted directly via the port API: has "
                           f"device owner {owner}")
        # its floating IPs lose their NAT and stay allocated, as in Neutron
        floating_ips.release_port(w, ctx.cfg, lsp.name)
        for pg in view.groups_of(w.idl, lsp):
            pg.delvalue("ports", lsp)
        ls = view.network_of(w.idl, lsp)
        if ls is not None:
            ls.delvalue("ports", lsp)
        lsp.delete()

    ctx.nb.transact(write)
