"""Ports: Logical_Switch_Port rows (compat spec 3.9, 4.6, 8 D1/D9/D14/D17-D19/D33/D37)."""

from __future__ import annotations

import ipaddress
import random
import socket
import uuid
from collections.abc import Iterator
from typing import Any

from ovn_provider.errors import BadRequest, Conflict, NotFound
from ovn_provider.neutron import address_pairs as AP
from ovn_provider.neutron import addressing, default_groups, floating_ips, ipam, tags, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron import validate as V
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.validate import IPNetwork
from ovn_provider.ovn.index import NbIdl, verify
from ovn_provider.ovn.nb import Writer

ROUTER_FIXED = ("mac_address", "fixed_ips", "device_owner", "device_id")


# -- reading --------------------------------------------------------------------------------
def col(row: Any, column: str) -> Any:
    """`getattr(row, column)` for a column of strings, integers or booleans (maps and sets
    of them included), read straight from the replica's datum. python-ovs rebuilds and
    re-validates a datum on every attribute access (~50 us), which made listing 5,000
    ports take seconds. Rows with pending changes take the exact, slow path. Reference
    columns must not be read this way (they would give UUIDs, not rows)."""
    return columns(row, (column,))[column]


def columns(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Several columns at once, as `col` reads them."""
    data = row._data
    if data is None or row._changes or row._mutations:
        return {name: getattr(row, name) for name in names}
    out: dict[str, Any] = {}
    for name in names:
        datum = data.get(name)
        if datum is None:
            out[name] = getattr(row, name)
            continue
        values = datum.values
        kind = datum.type
        if kind.value is not None:  # a map
            out[name] = {k.value: v.value for k, v in values.items()}
        elif kind.n_min == 1 and kind.n_max == 1:  # a scalar
            out[name] = next(iter(values)).value if values else kind.key.default()
        elif len(values) < 2:
            out[name] = [atom.value for atom in values]
        else:
            out[name] = sorted(atom.value for atom in values)
    return out


LSP_COLUMNS = ("external_ids", "type", "name", "addresses", "dynamic_addresses",
               "port_security", "enabled", "up", "options")


def _ipv4_int(text: str) -> int | None:
    """A dotted-quad IPv4 address as an integer, ~50x faster than ipaddress."""
    if text.count(".") != 3:
        return None
    try:
        return int.from_bytes(socket.inet_aton(text), "big")
    except OSError:
        return None


class Relations:
    """What rendering a port needs besides its own row, computed once per list."""

    def __init__(self, idl: NbIdl, single: Any | None = None) -> None:
        self.idl = idl
        self.owners: dict[uuid.UUID, Any] | None
        if single is None:
            self.groups_by_lsp: dict[uuid.UUID, list[Any]] = view.groups_by_lsp(idl)
            self.owners = view.lsp_to_ls(idl)
        else:
            self.groups_by_lsp = {single.uuid: view.groups_of(idl, single)}
            self.owners = None
        self.subnets = view.subnets_by_ls(idl)
        self._nets: dict[str, tuple[list[tuple[int, int, Any]],
                                    list[tuple[IPNetwork, Any]]]] = {}
        self._pgs: dict[uuid.UUID, tuple[str, str]] = {}
        self._ids: dict[uuid.UUID, str] = {}

    def network(self, lsp: Any) -> Any | None:
        if self.owners is not None:
            return self.owners.get(lsp.uuid)
        return view.network_of(self.idl, lsp)

    def key(self, row: Any) -> str:
        """str(row.uuid), converted once per list."""
        text = self._ids.get(row.uuid)
        if text is None:
            text = self._ids[row.uuid] = str(row.uuid)
        return text

    def groups(self, lsp: Any) -> list[tuple[str, str]]:
        """(PG uuid text, PG name) of every group the port belongs to."""
        result = []
        for pg in self.groups_by_lsp.get(lsp.uuid, []):
            known = self._pgs.get(pg.uuid)
            if known is None:
                known = self._pgs[pg.uuid] = (str(pg.uuid), col(pg, "name"))
            result.append(known)
        return result

    def subnet_for_ip(self, ls_key: str, ip: str) -> Any | None:
        """The subnet of the network `ls_key` whose CIDR holds `ip` (CIDRs parsed once)."""
        nets = self._nets.get(ls_key)
        if nets is None:
            v4: list[tuple[int, int, Any]] = []
            other: list[tuple[IPNetwork, Any]] = []
            for row in self.subnets.get(ls_key, []):
                try:
                    net = ipaddress.ip_network(col(row, "cidr"), strict=False)
                except ValueError:
                    continue
                if net.version == 4:
                    v4.append((int(net.network_address), int(net.netmask), row))
                else:
                    other.append((net, row))
            nets = self._nets[ls_key] = (v4, other)
        value = _ipv4_int(ip)
        if value is not None:
            return next((row for base, mask, row in nets[0] if value & mask == base), None)
        address = ipam.ip_of(ip)
        if address is None:
            return None
        return next((row for net, row in nets[1] if address in net), None)


def security_group_ids(recorded: list[str], groups: list[tuple[str, str]]) -> list[str]:
    """The port's groups, (PG uuid, name) pairs, shown under the identifiers recorded in
    `ovirt_security_groups` (Q25), in recorded order; DropAll is never shown."""
    result = []
    for pg_id, pg_name in groups:
        if pg_name == L.PG_DROP_ALL:
            continue
        match = next((ident for ident in recorded if ident == pg_id or ident == pg_name),
                     None)
        if match is None:
            match = L.PG_DEFAULT if pg_name == L.PG_DEFAULT else pg_id
        result.append(match)
    if len(result) > 1:
        order = {ident: i for i, ident in enumerate(recorded)}
        result.sort(key=lambda ident: order.get(ident, len(order)))
    return result


def render(ctx: Ctx, rel: Relations, lsp: Any, c: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    """The REST view of an API port; `c`: its LSP_COLUMNS, when already read.

    Lists keep this view until ovn/views.py drops it: anything read here besides the
    LSP row must be listed there (today: LS / PG membership, PG names, DHCP_Options,
    and LRP / LR rows for router ports)."""
    if c is None:
        c = columns(lsp, LSP_COLUMNS)
    ext: dict[str, str] = c["external_ids"]
    lsp_type = c["type"]
    ls = rel.network(lsp)
    ls_key = rel.key(ls) if ls is not None else ""
    subnets = rel.subnets.get(ls_key, [])
    owner = ext.get(L.LSP_DEVICE_OWNER, "")
    pairs: list[dict[str, str]] = []
    if lsp_type == "router":
        mac, fixed = _router_port_addresses(rel.idl, lsp, subnets)
        # Stored owner/id, else derived from the LR holding the LRP (a gateway port
        # created together with its router cannot record the router's UUID).
        owner, device_id = RC.router_port_device(rel.idl, lsp)
        ext = {**ext, L.LSP_DEVICE_ID: device_id}
    else:
        address, static, dynamic = ipam.parse_lsp_addresses(c["addresses"])
        mac = address or ""
        ips = ipam.parse_dynamic(c["dynamic_addresses"]) if dynamic else static
        fixed = addressing.fixed_ips(rel.idl, lsp, ips,
                                     lambda ip: rel.subnet_for_ip(ls_key, ip), rel.key)
        if L.LSP_ADDRESS_PAIRS in ext:
            pairs = AP.render(AP.stored(ext), mac)
    result: dict[str, Any] = {
        "id": c["name"],
        "name": ext.get(L.LSP_NIC_NAME, ""),
        "network_id": ls_key,
        "tenant_id": ctx.cfg.tenant_id,
        "project_id": ctx.cfg.tenant_id,
        "mac_address": mac,
        "fixed_ips": fixed,
        "security_groups": security_group_ids(
            ext.get(L.LSP_SECURITY_GROUPS, "").split(), rel.groups(lsp)),
        "port_security_enabled": bool(c["port_security"]),
        "admin_state_up": c["enabled"] != [False],
        "status": "ACTIVE" if c["up"] == [True] else "DOWN",
        "device_id": ext.get(L.LSP_DEVICE_ID, ""),
        "device_owner": owner,
        "description": ext.get(L.LSP_DESCRIPTION, ""),
        "binding:vnic_type": "normal",
        "allowed_address_pairs": pairs,
        "tags": tags.of(ext),
    }
    # The predecessor recorded the host only in options:requested-chassis (with
    # ovs-version-2.9); ports it wrote still report it.
    # Always present, as in Neutron: "" and vif_type "unbound" while no host is set.
    host = ext.get(L.LSP_BINDING_HOST, c["options"].get(L.LSP_REQUESTED_CHASSIS)) or ""
    result["binding:host_id"] = host
    result["binding:vif_type"] = "ovs" if host else "unbound"
    result["binding:vif_details"] = {"port_filter": bool(c["port_security"])} if host else {}
    return result


def _router_port_addresses(idl: NbIdl, lsp: Any, subnets: list[Any]
                           ) -> tuple[str, list[dict[str, str]]]:
    """A router port's MAC and fixed_ips, as shown: those of its LRP (Q17, D17)."""
    lrp = view.lrp_by_name(idl, lsp.options.get(L.LSP_ROUTER_PORT, ""))
    if lrp is None:
        return "", []
    fixed = [{"ip_address": str(ipam.ip_of(n)),
              "subnet_id": str(getattr(view.subnet_for_ip(subnets, n.split("/")[0]),
                                       "uuid", ""))}
             for n in lrp.networks]
    return lrp.mac, fixed


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        return view.cached(idl, "ports_rendered", lambda i: _render_all(ctx, i))


def _render_all(ctx: Ctx, idl: NbIdl) -> list[dict[str, Any]]:
    """Each port is rendered once and kept in `idl.lsp_views` until an IDL notification
    drops it (ovn/views.py lists what `render` may read). Callers must not change the
    returned dicts: later lists share them."""
    lsps = view.rows(idl, L.LSP)
    if not idl.can_keep_views:  # inside a write: keep nothing built from pending changes
        return [shown for _, shown, _ in _render_rows(ctx, idl, list(lsps.values()))
                if shown is not None]
    return idl.lsp_views.collect(lsps, lambda missing: _render_rows(ctx, idl, missing))


def _render_rows(ctx: Ctx, idl: NbIdl, lsps: list[Any]
                 ) -> Iterator[tuple[Any, dict[str, Any] | None, bool]]:
    """(LSP, its REST view or None if it is no API port, whether it is a router port)
    for each of `lsps`."""
    rel = Relations(idl) if len(lsps) > 64 else None  # whole-list maps pay off
    for lsp in lsps:
        c = columns(lsp, LSP_COLUMNS)
        shown = None
        # the same test as layout.is_api_port
        if L.LSP_NIC_NAME in c["external_ids"] and c["type"] != "localnet":
            shown = render(ctx, rel or Relations(idl, single=lsp), lsp, c)
        yield lsp, shown, c["type"] == "router"


def find(idl: NbIdl, port_id: str) -> Any | None:
    lsp = view.lsp_by_name(idl, port_id)
    return lsp if lsp is not None and L.is_api_port(lsp) else None


def _get(idl: NbIdl, port_id: str) -> Any:
    return view.require(find(idl, port_id), "Port", port_id)


def render_one(ctx: Ctx, idl: NbIdl, lsp: Any) -> dict[str, Any]:
    return render(ctx, Relations(idl, single=lsp), lsp)


def show(ctx: Ctx, port_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        return render_one(ctx, idl, _get(idl, port_id))


# -- validation -------------------------------------------------------------------------------
def _validate(data: dict[str, Any], creating: bool, max_pairs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if creating:
        if data.get("network_id") is None:
            raise BadRequest("Network_id is a required parameter")
        out["network_id"] = V.string(data["network_id"], "network_id")
    elif data.get("network_id") is not None:
        out["network_id"] = V.string(data["network_id"], "network_id")
    for key, attr in (("name", "name"), ("device_id", "device_id"),
                      ("device_owner", "device_owner"), ("description", "description")):
        if key in data:
            out[attr] = V.string(data[key], key) if data[key] is not None else ""
    if "binding:host_id" in data:
        # null: no binding (not recorded on create, removed on update)
        host = data["binding:host_id"]
        out["host"] = V.string(host, "binding:host_id") if host is not None else None
    if data.get("mac_address") is not None:
        out["mac"] = V.mac(data["mac_address"])
    if "admin_state_up" in data and data["admin_state_up"] is not None:
        out["enabled"] = V.boolean(data["admin_state_up"], "admin_state_up")
    if "port_security_enabled" in data and data["port_security_enabled"] is not None:
        out["security"] = V.boolean(data["port_security_enabled"], "port_security_enabled")
    if "security_groups" in data:
        groups = data["security_groups"]
        if groups is not None:
            groups = V.list_of(groups, "security_groups")
            for group in groups:
                V.string(group, "security_groups")
        out["groups"] = groups
    if "fixed_ips" in data and data["fixed_ips"] is not None:
        out["fixed_ips"] = V.list_of(data["fixed_ips"], "fixed_ips")
    if "allowed_address_pairs" in data:
        out["pairs"] = AP.parse(data["allowed_address_pairs"], max_pairs)
    return out


def _resolve_groups(w: Writer, idents: list[str]) -> tuple[list[Any], list[str]]:
    """PG rows for the requested identifiers (PG UUID, `Default`, or a PG name), and the
    identifiers to record: one per group, as first given (two names for one group would
    make the recorded list differ from the membership, D9)."""
    result: list[Any] = []
    kept: list[str] = []
    if not w.has_table(L.PG):
        return result, kept
    pgs = view.rows(w.idl, L.PG)
    for ident in dict.fromkeys(idents):
        pg = None
        if ident == L.PG_DEFAULT:
            pg = default_groups.ensure(w)[1]
        else:
            key = view.parse_uuid(ident)
            pg = pgs.get(key) if key is not None else view.pg_by_name(w.idl, ident)
            if pg is not None and not _is_security_group(pg):
                pg = None
        if pg is None:
            raise NotFound(f"Security group {ident} does not exist")
        if all(pg.uuid != other.uuid for other in result):
            result.append(pg)
            kept.append(ident)
    return result, kept


def _is_security_group(pg: Any) -> bool:
    """oVirt groups only (compat spec 4.1): never DropAll or a foreign Port_Group."""
    return pg.name == L.PG_DEFAULT or L.PG_NAME in pg.external_ids


def _unique_mac(idl: NbIdl) -> str:
    rng = random.SystemRandom()
    for _ in range(64):
        mac = "02:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5))
        if mac not in idl.addresses.by_mac and mac not in idl.addresses.by_pair_mac:
            return mac
    raise Conflict("Unable to generate a unique MAC address")


def _set_membership(w: Writer, lsp: Any, security: bool, groups: list[Any],
                    idents: list[str], current: list[Any]) -> None:
    """Make the LSP's PG membership exactly `groups` (+ DropAll with port security) and
    record `idents` (D9)."""
    wanted: list[Any] = list(groups)
    if security:
        drop, _ = default_groups.ensure(w)
        if drop is not None:
            wanted.append(drop)
    wanted_ids = {pg.uuid for pg in wanted}
    current_ids = {pg.uuid for pg in current}
    for pg in current:
        if pg.uuid not in wanted_ids:
            pg.delvalue("ports", lsp)
    for pg in wanted:
        if pg.uuid not in current_ids:
            # a group deleted meanwhile by another writer: TRY_AGAIN, then "not found"
            # (a mutation of a deleted row would be dropped without an error)
            verify(pg, "name")
            pg.addvalue("ports", lsp)
    if idents:
        lsp.setkey("external_ids", L.LSP_SECURITY_GROUPS, " ".join(dict.fromkeys(idents)))
    elif L.LSP_SECURITY_GROUPS in lsp.external_ids:
        lsp.delkey("external_ids", L.LSP_SECURITY_GROUPS)


def _check_pairs(w: Writer, ls: Any, lsp_uuid: uuid.UUID | None, mac: str,
                 pairs: list[AP.Pair], security: bool) -> None:
    """Pairs need port security; a foreign MAC must not be another port's own MAC on the
    network (OVN delivers a known MAC to its port only). Ports may share a foreign MAC
    (a VRRP virtual MAC): frames for it reach each of them."""
    AP.require_security(pairs, security)
    AP.check_duplicates(pairs, mac)
    others = AP.foreign(pairs, mac)
    if others:
        addressing.lock_switch(w.idl, ls)
    for other in others:
        if _mac_in_use(w.idl, ls, other, lsp_uuid, pair_macs=False):
            raise Conflict(f"Unable to complete operation for network {ls.uuid}. The mac "
                           f"address {other} of an allowed address pair is in use.")


def _network(w: Writer, network_id: str) -> Any:
    from ovn_provider.neutron import networks

    ls = networks.find(w.idl, network_id)
    if ls is None:
        if view.parse_uuid(network_id) is None:
            raise BadRequest(f"Invalid input for network_id. Reason: '{network_id}' is not a "
                             "valid UUID.")
        raise NotFound(f"Network {network_id} could not be found.")
    return ls


# -- writes -----------------------------------------------------------------------------
def create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    v = _validate(data, creating=True, max_pairs=ctx.cfg.max_address_pairs)
    tagged = tags.create_ext(data)
    cfg = ctx.cfg

    def write(w: Writer) -> str:
        ls = _network(w, v["network_id"])
        security = v.get("security", L.parse_bool(ls.external_ids.get(L.LS_PORT_SECURITY),
                                                 cfg.port_security_default))
        mac = v.get("mac")
        if mac is None:
            mac = _unique_mac(w.idl)
        elif _mac_in_use(w.idl, ls, mac, None):
            raise Conflict(f"Unable to complete operation for network {ls.uuid}. The mac "
                           f"address {mac} is in use.")
        idents = v.get("groups")
        if idents is None:
            idents = [L.PG_DEFAULT] if security and w.has_table(L.PG) else []
        groups, idents = _resolve_groups(w, idents)
        pairs = v.get("pairs", [])
        _check_pairs(w, ls, None, mac, pairs, security)
        p = addressing.plan(w.idl, ls, mac, v.get("fixed_ips"))
        name = L.new_id()
        ext = {L.LSP_NIC_NAME: v.get("name", ""), L.LSP_NETWORK_ID: str(ls.uuid), **tagged}
        AP.record(ext, pairs)
        for attr, key in (("device_id", L.LSP_DEVICE_ID), ("device_owner", L.LSP_DEVICE_OWNER),
                          ("description", L.LSP_DESCRIPTION)):
            if v.get(attr):
                ext[key] = v[attr]
        options: dict[str, str] = {}
        if v.get("host") is not None:
            ext[L.LSP_BINDING_HOST] = v["host"]
            if cfg.ovs_29 and v["host"]:
                options[L.LSP_REQUESTED_CHASSIS] = v["host"]
        lsp = w.insert(L.LSP, name=name, external_ids=ext, options=options,
                       enabled=[v.get("enabled", True)])
        addressing.apply(lsp, p, security, pairs)
        ls.addvalue("ports", lsp)
        _set_membership(w, lsp, security, groups, idents, [])
        return name

    name = ctx.nb.transact(write)
    return show(ctx, name)


def _mac_in_use(idl: NbIdl, ls: Any, mac: str, ignore: uuid.UUID | None,
                pair_macs: bool = True) -> bool:
    """Another port of `ls` has `mac` as its own, or (`pair_macs`) as the foreign MAC of
    an allowed address pair: OVN would deliver that MAC to the port owning it only."""
    from ovn_provider.ovn.index import set_contains

    owners = idl.addresses.by_mac.get(mac, ())
    if pair_macs:
        owners = (*owners, *idl.addresses.by_pair_mac.get(mac, ()))
    for owner in owners:
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
        ls = view.network_of(w.idl, lsp)
        if ls is None:
            raise NotFound(f"Port {port_id} does not exist")
        if "network_id" in v and v["network_id"] != str(ls.uuid):
            raise BadRequest("Unable to change network of existing port")
        if lsp.type == "router":
            _update_router_port(w, ls, lsp, v, data)
            return
        ext = dict(lsp.external_ids)
        pairs = v.get("pairs", AP.stored(ext))
        AP.record(ext, pairs)
        if "name" in v:
            ext[L.LSP_NIC_NAME] = v["name"]
        for attr, key in (("device_id", L.LSP_DEVICE_ID), ("device_owner", L.LSP_DEVICE_OWNER),
                          ("description", L.LSP_DESCRIPTION)):
            if attr in v:
                if v[attr]:
                    ext[key] = v[attr]
                else:
                    ext.pop(key, None)
        if "host" in v:
            if v["host"] is None:
                ext.pop(L.LSP_BINDING_HOST, None)
            else:
                ext[L.LSP_BINDING_HOST] = v["host"]
            options = dict(lsp.options)
            if cfg.ovs_29 and v["host"]:
                options[L.LSP_REQUESTED_CHASSIS] = v["host"]
            else:
                options.pop(L.LSP_REQUESTED_CHASSIS, None)
            if options != dict(lsp.options):
                lsp.options = options
        if ext != dict(lsp.external_ids):
            lsp.external_ids = ext
        if "enabled" in v:
            lsp.enabled = [v["enabled"]]
        old_mac, _, dynamic = ipam.parse_lsp_addresses(lsp.addresses)
        was_secure = bool(lsp.port_security)
        security = v.get("security", was_secure)
        mac = v.get("mac", old_mac)
        if mac is not None and mac != old_mac and _mac_in_use(w.idl, ls, mac, lsp.uuid):
            raise Conflict(f"Unable to complete operation for network {ls.uuid}. The mac "
                           f"address {mac} is in use.")
        if mac is not None:
            _check_pairs(w, ls, lsp.uuid, mac, pairs, security)
            if "fixed_ips" in v or mac != old_mac:
                _readdress(w, ls, lsp, mac, v.get("fixed_ips"), security, pairs)
            elif "pairs" in v or security != was_secure:
                AP.apply(lsp, mac, pairs, security)
        elif pairs:
            raise Conflict(f"Port {port_id} has no MAC address: it cannot have allowed "
                           "address pairs")
        current = view.groups_of(w.idl, lsp)
        if "groups" in v:
            idents = v["groups"]
            if idents is None:
                idents = [L.PG_DEFAULT] if security and w.has_table(L.PG) else []
            _set_membership(w, lsp, security, *_resolve_groups(w, idents), current)
        elif security != was_secure:
            # Port security on/off: only DropAll changes, other groups stay (D9).
            kept = [pg for pg in current if pg.name != L.PG_DROP_ALL]
            idents = lsp.external_ids.get(L.LSP_SECURITY_GROUPS, "").split()
            _set_membership(w, lsp, security, kept, idents, current)

    ctx.nb.transact(write)
    return show(ctx, port_id)


def _update_router_port(w: Writer, ls: Any, lsp: Any, v: dict[str, Any],
                        data: dict[str, Any]) -> None:
    """A router port takes only a new name; its MAC, addresses and owner belong to the
    router (409 on a change, D18). Values equal to what the port shows are no change, so
    a PUT echoing a GET is accepted."""
    owner, device_id = RC.router_port_device(w.idl, lsp)
    mac, fixed = _router_port_addresses(w.idl, lsp, view.subnets_of(w.idl, ls))
    shown = {"device_owner": owner, "device_id": device_id}
    changed = []
    for key in ROUTER_FIXED:
        value = data.get(key)
        if value is None:
            continue
        if key in shown:
            same = value == shown[key]
        elif key == "mac_address":
            same = v.get("mac") == mac
        else:
            same = _same_fixed_ips(value, fixed)
        if not same:
            changed.append(key)
    if v.get("pairs"):
        changed.append("allowed_address_pairs")
    if changed:
        raise Conflict(f"Port {lsp.name} is owned by a router: {', '.join(changed)} cannot be "
                       "changed")
    if "name" in v:
        lsp.setkey("external_ids", L.LSP_NIC_NAME, v["name"])


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
