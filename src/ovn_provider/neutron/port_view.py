"""Ports as the API shows them: the REST view of a Logical_Switch_Port and the relations it
needs (networks, subnets, groups), built once per list (docs/architecture.md, "Reads").

Lists keep each port's view until ovn/views.py drops it: anything render() reads besides
the LSP row must be listed there."""

from __future__ import annotations

import ipaddress
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

from ovn_provider.json_encode import encode_json
from ovn_provider.neutron import address_pairs as AP
from ovn_provider.neutron import addressing, ipam, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron import router_common as RC
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.validate import IPNetwork
from ovn_provider.ovn.index import NbIdl, committed_data
from ovn_provider.ovn.views import LspViews
from ovn_provider.schema.ports import SCHEMA
from ovn_provider.schema.render import plan as render_plan


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
    data = committed_data(row)
    if data is None:
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
    `ovirt_security_groups`, in recorded order; DropAll is never shown."""
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


#: The answer's plain attributes, from the schema (docs/architecture.md, "How to add an
#: attribute"), in the order ports have always been shown.
PLAN = render_plan(SCHEMA, (
    "id", "name", "network_id", "tenant_id", "project_id", "mac_address", "fixed_ips",
    "security_groups", "port_security_enabled", "admin_state_up", "status", "device_id",
    "device_owner", "description", "binding:vnic_type", "allowed_address_pairs", "tags",
    "created_at", "updated_at", "revision_number", "binding:host_id", "binding:vif_type",
    "binding:vif_details"))
if not set(PLAN.columns) <= set(LSP_COLUMNS):
    raise ValueError("port_view.PLAN reads a column LSP_COLUMNS does not")


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
    pairs: list[dict[str, str]] = []
    owner = device_id = ""
    if lsp_type == "router":
        mac, fixed = router_port_addresses(rel.idl, lsp, subnets)
        # Stored owner/id, else derived from the LR holding the LRP (a gateway port
        # created together with its router cannot record the router's UUID).
        owner, device_id = RC.router_port_device(rel.idl, lsp)
    else:
        address, static, dynamic = ipam.parse_lsp_addresses(c["addresses"])
        mac = address or ""
        ips = ipam.parse_dynamic(c["dynamic_addresses"]) if dynamic else static
        fixed = addressing.fixed_ips(rel.idl, lsp, ips,
                                     lambda ip: rel.subnet_for_ip(ls_key, ip), rel.key)
        if L.LSP_ADDRESS_PAIRS in ext:
            pairs = AP.render(AP.stored(ext), mac)
    result = PLAN.render(c)  # the plain attributes; the computed ones follow
    result["network_id"] = ls_key
    result["tenant_id"] = result["project_id"] = ctx.cfg.tenant_id
    result["mac_address"] = mac
    result["fixed_ips"] = fixed
    result["security_groups"] = security_group_ids(
        ext.get(L.LSP_SECURITY_GROUPS, "").split(), rel.groups(lsp))
    if lsp_type == "router":
        result["device_id"] = device_id
        result["device_owner"] = owner
    result["allowed_address_pairs"] = pairs
    # The predecessor recorded the host only in options:requested-chassis (with
    # ovs-version-2.9); ports it wrote still report it.
    # Always present, as in Neutron: "" and vif_type "unbound" while no host is set.
    host = ext.get(L.LSP_BINDING_HOST, c["options"].get(L.LSP_REQUESTED_CHASSIS)) or ""
    result["binding:host_id"] = host
    result["binding:vif_type"] = "ovs" if host else "unbound"
    result["binding:vif_details"] = {"port_filter": bool(c["port_security"])} if host else {}
    return result


def router_port_addresses(idl: NbIdl, lsp: Any, subnets: list[Any]
                           ) -> tuple[str, list[dict[str, str]]]:
    """A router port's MAC and fixed_ips, as shown: those of its LRP."""
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
        return rendered(ctx, idl)


def rendered(ctx: Ctx, idl: NbIdl) -> list[dict[str, Any]]:
    """Every API port as listed (the replica locked by the caller); do not change them."""
    return view.cached(idl, "ports_rendered", lambda i: _render_all(ctx, i))


def list_serialized(ctx: Ctx) -> tuple[bytes, ...]:
    """The whole JSON body of the plain `GET /v2.0/ports` (no query), `{"ports": [...]}` with
    the ports sorted by id, as list_all + query.apply would send it, in pieces to be
    sent one after the other (api/http.py Pieces). Each kept view's
    JSON is made once and dropped with the view (ovn/views.py), so a list after a write
    encodes only the ports that changed (encoding 20,000 ports costs ~50 ms) and joins
    again only the block of the list they are in (ovn/rope.py)."""
    body = list_published(ctx)
    if body is not None:
        return body
    with ctx.nb.read() as idl:
        idl.kept.keep(Refresh.NAME, lambda: Refresh(ctx, idl),
                      on_settle=lambda refresh: refresh.settled()).read()
        return _serialized(ctx, idl)


def _serialized(ctx: Ctx, idl: NbIdl) -> tuple[bytes, ...]:
    return view.cached(idl, "ports_serialized", lambda i: _serialize_all(ctx, i))


def list_published(ctx: Ctx) -> tuple[bytes, ...] | None:
    """`list_serialized`'s body if the replica has not changed since it was made, taken
    without the replica's lock and without waiting (api/network.py answers it on the
    event loop); else None."""
    idl = ctx.nb.replica()
    if idl is None:
        return None
    refresh = idl.kept.objects.get(Refresh.NAME)
    if refresh is not None:
        refresh.read()
    body = view.published(idl, "ports_serialized")
    return body if isinstance(body, tuple) else None


class Refresh:
    """Makes the plain list's body again in the connection thread, after each change of
    the replica and before the write in flight is answered (ovn/kept.py `settled`),
    while the list is being read: the engine lists before every vNIC plug, so during a
    VM-start storm every list would otherwise find the body stale after the last plug's
    create and wait for a request thread to make it (docs/architecture.md, "The port
    list"). Once no list was asked for HOT_S, changes are left for the next list.

    Only the ports whose view a change dropped are rendered here: meanwhile the
    connection thread neither serves the NB session nor answers the write, and a render
    of every port (after a subnet write or a resync drops every view) takes seconds at
    20,000 ports on a busy host, past the server's inactivity probe (ovn/keepalive.py).
    That one is left to the next list, in a request thread, while the connection thread
    serves the session."""

    NAME = "port_list_refresh"
    HOT_S = 10.0

    def __init__(self, ctx: Ctx, idl: NbIdl) -> None:
        self.ctx, self.idl = ctx, idl
        self.last_read = 0.0

    def read(self) -> None:
        self.last_read = time.monotonic()  # one attribute store: safe on the event loop

    def settled(self) -> None:
        if time.monotonic() - self.last_read < self.HOT_S and self.idl.can_keep_views \
                and kept_views(self.idl).incremental:
            _serialized(self.ctx, self.idl)


def _serialize_all(ctx: Ctx, idl: NbIdl) -> tuple[bytes, ...]:
    """One body shared by every list until the replica changes, in pieces sent as they
    are (13 MB at 20,000 ports: never joined, never copied per request)."""
    if not idl.can_keep_views:
        items = sorted(_render_all(ctx, idl), key=lambda item: str(item["id"]))
        return (encode_json({"ports": items}),)
    lsps = view.rows(idl, L.LSP)
    views = kept_views(idl)
    views.refresh(lsps, lambda missing: _render_rows(ctx, idl, missing))
    return (b'{"ports":[', *views.encoded(encode_json), b"]}")


def _render_all(ctx: Ctx, idl: NbIdl) -> list[dict[str, Any]]:
    """Each port is rendered once and kept (`kept_views`) until an IDL notification
    drops it (ovn/views.py lists what `render` may read). Callers must not change the
    returned dicts: later lists share them."""
    lsps = view.rows(idl, L.LSP)
    if not idl.can_keep_views:  # inside a write: keep nothing built from pending changes
        return [shown for _, shown, _ in _render_rows(ctx, idl, list(lsps.values()))
                if shown is not None]
    return kept_views(idl).collect(lsps, lambda missing: _render_rows(ctx, idl, missing))


def kept_views(idl: NbIdl) -> LspViews:
    """The rendered ports of this replica: each change notification drops the views it
    may affect (ovn/views.py lists what `render` may read), a full resync all of them."""
    return idl.kept.keep("lsp_views", LspViews, on_change=LspViews.notify,
                    on_resync=LspViews.clear)


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


def render_one(ctx: Ctx, idl: NbIdl, lsp: Any) -> dict[str, Any]:
    return render(ctx, Relations(idl, single=lsp), lsp)
