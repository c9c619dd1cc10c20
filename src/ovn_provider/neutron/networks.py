"""Networks: Logical_Switch rows (docs/compatibility.md, "Networks, subnets, ports"; docs/nb-
layout.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from ovn_provider.errors import BadRequest, Conflict
from ovn_provider.neutron import addressing, bulk, ipam, network_view, stamps, tags, view
from ovn_provider.neutron import layout as L
from ovn_provider.neutron.context import Ctx
from ovn_provider.ovn.index import NbIdl, set_contains, set_size
from ovn_provider.ovn.nb import Writer
from ovn_provider.schema.networks import SCHEMA
from ovn_provider.schema.render import plan as render_plan
from ovn_provider.schema.write import plan as write_plan

PROVIDER_KEYS = ("provider:network_type", "provider:physical_network",
                 "provider:segmentation_id")


#: The answer's plain attributes, from the schema (docs/architecture.md, "How to add an
#: attribute"), in the order networks have always been shown.
PLAN_ORDER = (
    "id", "name", "tenant_id", "project_id", "status", "admin_state_up", "mtu",
    "port_security_enabled", "subnets", "shared", "router:external", "description", "tags",
    "created_at", "updated_at", "revision_number")
PLAN = render_plan(SCHEMA, PLAN_ORDER)
#: The plain attributes' writes (description, router:external), from the schema.
WRITE = write_plan(SCHEMA)


def render(ctx: Ctx, ls: Any, subnets: list[Any], localnet: Any | None) -> dict[str, Any]:
    cfg = ctx.cfg
    c = PLAN.read(ls)
    ext = c["external_ids"]
    result = PLAN.render(c)
    mtu = L.parse_int(ext.get(L.LS_MTU))
    result["name"] = ext.get(L.LS_NAME, ls.name)
    result["tenant_id"] = result["project_id"] = cfg.tenant_id
    result["mtu"] = mtu if mtu is not None and mtu > 0 else cfg.dhcp_mtu
    result["port_security_enabled"] = L.parse_bool(ext.get(L.LS_PORT_SECURITY),
                                                   cfg.port_security_default)
    result["subnets"] = [str(row.uuid) for row in subnets]
    if localnet is not None:
        tag = localnet.tag[0] if localnet.tag else None
        result["provider:network_type"] = "vlan" if tag is not None else "flat"
        result["provider:physical_network"] = localnet.options.get(L.LSP_NETWORK_NAME, "")
        if tag is not None:
            result["provider:segmentation_id"] = int(tag)
    else:
        result["provider:network_type"] = "geneve"  # an overlay network (Neutron's name)
    return result


def list_all(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.nb.read() as idl:
        subnets = view.subnets_by_ls(idl)
        localnets = view.localnet_by_ls(idl)
        return [render(ctx, ls, subnets.get(str(ls.uuid), []), localnets.get(ls.uuid))
                for ls in view.rows(idl, L.LS).values()]


def find(idl: NbIdl, network_id: str) -> Any | None:
    return view.by_uuid(idl, L.LS, network_id)


def _get(idl: NbIdl, network_id: str) -> Any:
    return view.require(find(idl, network_id), "Network", network_id)


def render_one(ctx: Ctx, idl: NbIdl, ls: Any) -> dict[str, Any]:
    return render(ctx, ls, view.subnets_of(idl, ls), view.localnet_of(idl, ls))


def show(ctx: Ctx, network_id: str) -> dict[str, Any]:
    with ctx.nb.read() as idl:
        shown = render_one(ctx, idl, _get(idl, network_id))
        network_view.keep(idl, network_id, shown)
        return shown


# -- validation ----------------------------------------------------------------------
def _mtu(ctx: Ctx, data: dict[str, Any]) -> int | None:
    if data.get("mtu") is None:
        return None
    # The schema took an integer in range, or its digits: openstackclient sends --mtu as
    # a string, as Neutron accepts.
    value = int(data["mtu"])
    limit = ctx.cfg.max_mtu
    if limit and value > limit:
        raise BadRequest(f"Requested MTU is too big, maximum is {limit}")
    return value


def _provider(data: dict[str, Any]) -> tuple[str, str, int | None] | None:
    """(type, physical network, vlan) from the provider:* keys, or None if no type."""
    net_type = data.get("provider:network_type")
    physnet = data.get("provider:physical_network")
    seg = data.get("provider:segmentation_id")
    if net_type == "geneve" and physnet is None and seg is None:
        net_type = None  # what overlay networks report: accepted back as "no provider"
    if net_type is None:
        if physnet is not None:
            raise BadRequest("provider:physical_network cannot be used without a specified "
                             "provider:network_type")
        if seg is not None:
            raise BadRequest("provider:segmentation_id cannot be used without a specified "
                             "provider:network_type")
        return None
    if net_type not in ("flat", "vlan"):
        raise BadRequest(f"provider:network_type [{net_type}] is not supported")
    if not physnet:
        raise BadRequest(f"provider:physical_network is mandatory for network type {net_type}")
    if net_type == "flat":
        if seg is not None:
            raise BadRequest("provider:segmentation_id can only be used with network type vlan")
        return net_type, physnet, None
    if seg is None:
        raise BadRequest("provider:segmentation_id is mandatory for network type vlan")
    vlan = int(seg)  # in range (the schema), maybe as digits
    if vlan == 0:
        # OVN's Logical_Switch_Port.tag column holds 1..4095: 0 cannot be stored.
        raise BadRequest("Invalid input for provider:segmentation_id. Reason: VLAN 0 is not "
                         "supported by OVN; use 1 to 4094.")
    return net_type, physnet, vlan


#: A validated network request: the attributes the schema's write plan (`WRITE`) does not
#: write, converted; `provider` is the localnet port the provider:* attributes ask for.
class NetworkRequest(TypedDict, total=False):
    name: str
    mtu: int
    port_security_enabled: bool
    provider: tuple[str, str, int | None] | None


def _validate(ctx: Ctx, data: dict[str, Any], creating: bool) -> NetworkRequest:
    """What the schema (schema/networks.py) cannot check: the MTU limit and the provider
    attributes together; types and bounds are checked already (schema/check.py)."""
    out: NetworkRequest = {}
    if data.get("name") is not None:
        out["name"] = data["name"]
    elif creating:
        out["name"] = ""
    mtu = _mtu(ctx, data)
    if mtu is not None:
        out["mtu"] = mtu
    if "port_security_enabled" in data:
        out["port_security_enabled"] = data["port_security_enabled"]
    elif creating:
        out["port_security_enabled"] = ctx.cfg.port_security_default
    if any(key in data for key in PROVIDER_KEYS):
        provider = _provider_change(data, creating)
        if provider is not KEEP:
            out["provider"] = provider
    return out


#: `_provider_change` result: leave the physical network as it is.
KEEP: Any = object()


def _provider_change(data: dict[str, Any], creating: bool
                     ) -> tuple[str, str, int | None] | None | Any:
    """The wanted physical network: a (type, physnet, vlan) triple, None for "none" (an
    overlay), or KEEP. Keys that are absent keep the current state; only an explicit
    null `provider:physical_network` or `provider:network_type` removes it."""
    given = {key: data[key] for key in PROVIDER_KEYS if key in data}
    if any(value is not None for value in given.values()):
        return _provider(data)
    if creating:
        return None
    if "provider:physical_network" in given or "provider:network_type" in given:
        return None
    return KEEP


def _set_localnet(w: Writer, ls: Any, existing: Any | None,
                  provider: tuple[str, str, int | None] | None) -> None:
    if provider is None:
        if existing is not None:
            ls.delvalue("ports", existing)
            existing.delete()
        return
    _, physnet, vlan = provider
    tag = [vlan] if vlan is not None else []
    if existing is None:
        lsp = w.insert(L.LSP, name=L.new_id(), type="localnet", addresses=["unknown"],
                       external_ids={L.LSP_NIC_NAME: L.NIC_NAME_LOCALNET},
                       options={L.LSP_NETWORK_NAME: physnet}, tag=tag)
        ls.addvalue("ports", lsp)
        return
    if existing.options.get(L.LSP_NETWORK_NAME) != physnet:
        existing.setkey("options", L.LSP_NETWORK_NAME, physnet)
    if list(existing.tag) != tag:
        existing.tag = tag


# -- writes ----------------------------------------------------------------------------
def prepare_create(ctx: Ctx, data: dict[str, Any]) -> Callable[[Writer], Any]:
    """Validate a POST body; the returned write function inserts the object into an
    open transaction (a bulk create shares one, neutron/bulk.py) and returns its id
    (or a callable giving it after the commit)."""
    values = _validate(ctx, data, creating=True)
    tagged = tags.create_ext(data)

    def write(w: Writer) -> Any:
        ext = {L.LS_NAME: values["name"],
               L.LS_PORT_SECURITY: L.true_text(values["port_security_enabled"]),
               **tagged, **stamps.new(), **WRITE.create(data).get("external_ids", {})}
        if "mtu" in values:
            ext[L.LS_MTU] = str(values["mtu"])
        ls = w.insert(L.LS, name=L.network_ls_name(values["name"]), external_ids=ext)
        provider = values.get("provider")
        if provider is not None:
            _set_localnet(w, ls, None, provider)
        return w.real_uuid(ls)

    return write


def create(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    return bulk.create_one(ctx, prepare_create, show, data)


def update(ctx: Ctx, network_id: str, data: dict[str, Any]) -> dict[str, Any]:
    values = _validate(ctx, data, creating=False)

    def write(w: Writer) -> None:
        ls = _get(w.idl, network_id)
        stamps.check(w, ls)
        ext = dict(ls.external_ids)
        if "name" in values:
            ext[L.LS_NAME] = values["name"]
        if "port_security_enabled" in values:
            ext[L.LS_PORT_SECURITY] = L.true_text(values["port_security_enabled"])
        WRITE.update(ls, data, maps={"external_ids": ext})
        if "mtu" in values:
            ext[L.LS_MTU] = str(values["mtu"])
            _apply_mtu(w, ls, values["mtu"])
        if ext != dict(ls.external_ids):
            ls.external_ids = ext
        if "provider" in values:
            _set_localnet(w, ls, view.localnet_of(w.idl, ls), values["provider"])
        stamps.touch(w, ls)

    ctx.nb.transact(write)
    return show(ctx, network_id)


def _apply_mtu(w: Writer, ls: Any, mtu: int) -> None:
    """Carry a new network MTU to the subnets: the DHCPv4 `mtu` option; for IPv6, the
    subnet's `external_ids:mtu` and `ipv6_ra_configs:mtu` of the router ports serving it."""
    subnets = view.subnets_of(w.idl, ls)
    v6 = [info for info in (addressing.subnet_info(row) for row in subnets)
          if info is not None and info.version == 6]
    for row in subnets:
        if row.external_ids.get(L.DHCP_IP_VERSION) == "6" or any(i.row is row for i in v6):
            row.setkey("external_ids", L.DHCP_MTU, str(mtu))
        else:
            row.setkey("options", "mtu", str(mtu))
    if not v6:
        return
    for _, lrp in router_ports(w.idl, ls):
        if not lrp.ipv6_ra_configs:
            continue
        addresses = [ipam.ip_of(network) for network in lrp.networks]
        if any(ip is not None and ip in info.net for ip in addresses for info in v6):
            lrp.setkey("ipv6_ra_configs", "mtu", str(mtu))


def router_ports(idl: NbIdl, ls: Any) -> list[tuple[Any, Any]]:
    """(router LSP, its LRP) pairs on `ls`. Router ports are few, so this walks the
    LRP -> peer LSP index rather than the switch's (possibly 20,000) ports."""
    lsps = view.rows(idl, L.LSP)
    result = []
    for lrp_name, peer in list(idl.addresses.router_peer.items()):
        lsp = lsps.get(peer)
        if lsp is None or lsp.type != "router" or \
                lsp.options.get(L.LSP_ROUTER_PORT) != lrp_name or \
                not set_contains(ls, "ports", peer):
            continue
        lrp = view.lrp_by_name(idl, lrp_name)
        if lrp is not None:
            result.append((lsp, lrp))
    return result


def delete(ctx: Ctx, network_id: str) -> None:
    def write(w: Writer) -> None:
        ls = _get(w.idl, network_id)
        stamps.check(w, ls)
        localnet = view.localnet_of(w.idl, ls)
        ls.verify("ports")  # a port added meanwhile by another instance: TRY_AGAIN, recheck
        if set_size(ls, "ports") - (1 if localnet is not None else 0) > 0:
            raise Conflict(f"Unable to complete operation on network {network_id}. There are "
                           "one or more ports still in use on the network.", "NetworkInUse")
        for subnet in view.subnets_of(w.idl, ls):
            subnet.delete()
        if localnet is not None:
            localnet.delete()
        ls.delete()

    ctx.nb.transact(write)
