"""`status`: what this chassis looks like from the host."""

from __future__ import annotations

from typing import Any

from ovn_provider.driver import controller
from ovn_provider.driver.host import Host
from ovn_provider.driver.ovs import INTEGRATION_BRIDGE, TUNNEL_TYPES, Ovs
from ovn_provider.driver.plan import RECORD, parse_record
from ovn_provider.driver.settings import BRIDGE_MAPPINGS, ENCAP_IP, ENCAP_TYPE, OVN_REMOTE


def collect(host: Host) -> dict[str, Any]:
    state = Ovs(host).state()
    ids = state.external_ids
    tunnels = []
    for iface in state.interfaces_on(INTEGRATION_BRIDGE):
        if iface.type in TUNNEL_TYPES:
            chassis_id = iface.port_external_ids.get("ovn-chassis-id", "")
            tunnels.append({
                "name": iface.name,
                "type": iface.type,
                "remote_ip": iface.options.get("remote_ip"),
                "chassis": chassis_id.split("@", 1)[0] or None,
            })
    bound = []
    for iface in state.interfaces:
        iface_id = iface.external_ids.get("iface-id")
        if iface_id is None:
            continue
        bound.append({
            "interface": iface.name,
            "iface_id": iface_id,
            "bridge": iface.bridge,
            "attached_mac": iface.external_ids.get("attached-mac"),
            "ofport": iface.ofport,
            "ovn_installed": iface.external_ids.get("ovn-installed") == "true",
        })
    return {
        "chassis": ids.get("system-id"),
        "ovn_remote": ids.get(OVN_REMOTE.key),
        "encap": {"type": ids.get(ENCAP_TYPE.key), "ip": ids.get(ENCAP_IP.key)},
        "bridge_mappings": ids.get(BRIDGE_MAPPINGS.key),
        "sb_connection": controller.connection_status(host),
        "integration_bridge": INTEGRATION_BRIDGE in state.bridges,
        "tunnels": sorted(tunnels, key=lambda t: t["name"]),
        "bound_ports": sorted(bound, key=lambda p: p["interface"]),
        "configured_by_driver": parse_record(ids.get(RECORD.key)),
    }


def render(status: dict[str, Any]) -> list[str]:
    encap = status["encap"]
    lines = [
        f"chassis:        {status['chassis'] or '(no system-id)'}",
        f"ovn-remote:     {status['ovn_remote'] or '(unset)'}",
        f"encap:          {encap['type'] or '-'} {encap['ip'] or '-'}",
        f"SB connection:  {status['sb_connection']}",
        f"br-int:         {'present' if status['integration_bridge'] else 'missing'}",
        f"tunnels:        {len(status['tunnels'])}",
    ]
    for tunnel in status["tunnels"]:
        lines.append(f"  {tunnel['name']}  {tunnel['type']}  -> {tunnel['remote_ip']}"
                     f"  ({tunnel['chassis'] or '?'})")
    lines.append(f"bound ports:    {len(status['bound_ports'])}")
    for port in status["bound_ports"]:
        installed = "installed" if port["ovn_installed"] else "not installed"
        lines.append(f"  {port['interface']}  iface-id={port['iface_id']}"
                     f"  mac={port['attached_mac'] or '-'}  {installed}")
    return lines
