"""Drop-in compatibility: a provider started on an NB that the predecessor wrote reads it
as the spec says, and reading changes nothing (docs/compatibility.md "Drop-in goal", 3.7-3.9, 4).

The NB is written with ovn-nbctl only (tests/support/nb_seed.py), ovn-northd has seen it,
and only then does the provider start.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ovn_provider.ovn.central import Central
from tests.support import nb_seed
from tests.support.nb_seed import (
    A_DYNAMIC_IP,
    A_GATEWAY,
    A_STATIC_IP,
    B_GATEWAY,
    B_PREFIX,
    C_PREFIX,
    MACS,
    Seed,
    eui64,
)
from tests.support.provider import TOKEN, make_config, running

TENANT = "00000000000000000000000000000001"
PROVIDER_KEYS = ("provider:network_type", "provider:physical_network",
                 "provider:segmentation_id")


def expected_networks(s: Seed) -> dict[str, dict[str, Any]]:
    common = {"tenant_id": TENANT, "project_id": TENANT, "status": "ACTIVE",
              "admin_state_up": True, "shared": False, "router:external": False}
    return {
        # no localnet port: an overlay network, reported as Neutron names it
        s.ls["a"]: {**common, "id": s.ls["a"], "name": "net_a", "mtu": 1400,
                    "port_security_enabled": True, "subnets": [s.dhcp["a4"]],
                    "provider:network_type": "geneve"},
        # no mtu key: [DHCP] dhcp-mtu; a tagged localnet port: vlan
        s.ls["b"]: {**common, "id": s.ls["b"], "name": "net b", "mtu": 1442,
                    "port_security_enabled": False, "subnets": [s.dhcp["b6"]],
                    "provider:network_type": "vlan", "provider:physical_network": "physnet1",
                    "provider:segmentation_id": 10},
        # mtu "None" is unset; "true" in any case; an untagged localnet port: flat
        s.ls["c"]: {**common, "id": s.ls["c"], "name": "réseau-β", "mtu": 1442,
                    "port_security_enabled": True, "subnets": [s.dhcp["c6"]],
                    "provider:network_type": "flat", "provider:physical_network": "physnet2"},
        # a foreign switch : LS name, dhcp-mtu, the configured port-security default
        s.ls["foreign"]: {**common, "id": s.ls["foreign"], "name": "foreign-switch",
                          "mtu": 1442, "port_security_enabled": False, "subnets": [],
                          "provider:network_type": "geneve"},
    }


def expected_subnets(s: Seed) -> dict[str, dict[str, Any]]:
    common = {"tenant_id": TENANT, "project_id": TENANT, "enable_dhcp": True,
              "host_routes": []}
    return {
        s.dhcp["a4"]: {**common, "id": s.dhcp["a4"], "network_id": s.ls["a"], "name": "sub_a",
                       "cidr": "10.1.0.0/24", "ip_version": 4, "gateway_ip": A_GATEWAY,
                       "dns_nameservers": ["8.8.8.8"],
                       "allocation_pools": [{"start": "10.1.0.2", "end": "10.1.0.254"}]},
        s.dhcp["b6"]: {**common, "id": s.dhcp["b6"], "network_id": s.ls["b"], "name": "",
                       "cidr": B_PREFIX, "ip_version": 6, "gateway_ip": B_GATEWAY,
                       "dns_nameservers": ["fd00:b::53"],
                       "ipv6_address_mode": "dhcpv6-stateful",
                       "allocation_pools": [{"start": "fd00:b::2",
                                             "end": "fd00:b::ffff:ffff:ffff:ffff"}]},
        s.dhcp["c6"]: {**common, "id": s.dhcp["c6"], "network_id": s.ls["c"], "name": "sub_c",
                       "cidr": C_PREFIX, "ip_version": 6, "gateway_ip": None,
                       "dns_nameservers": [], "ipv6_address_mode": "dhcpv6-stateless",
                       "allocation_pools": [{"start": "fd00:c::1",
                                             "end": "fd00:c::ffff:ffff:ffff:ffff"}]},
    }


def expected_ports(s: Seed) -> dict[str, dict[str, Any]]:
    """Each API port: exact values; `security_groups` compared as a multiset."""
    p = s.ports
    a, a4 = s.ls["a"], s.dhcp["a4"]

    def port(key: str, network: str, **attrs: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "id": p[key].name, "network_id": network, "tenant_id": TENANT,
            "project_id": TENANT, "mac_address": MACS.get(key), "security_groups": [],
            "port_security_enabled": False, "admin_state_up": True, "status": "DOWN",
            "device_id": "", "device_owner": ""}
        return {**base, **attrs}

    return {
        p["static"].name: port(
            "static", a, name="nic1", fixed_ips=[{"ip_address": A_STATIC_IP, "subnet_id": a4}],
            security_groups=["Default"], port_security_enabled=True, device_id=s.device_id,
            device_owner="oVirt"),
        p["dynamic"].name: port(
            "dynamic", a, name="nic2",
            fixed_ips=[{"ip_address": A_DYNAMIC_IP, "subnet_id": a4}]),
        # memberships without recorded identifiers: PG UUID, or Default
        p["unrecorded"].name: port(
            "unrecorded", a, name="nic3", fixed_ips=[{"ip_address": "10.1.0.6", "subnet_id": a4}],
            security_groups=["Default", s.pg["web"]], port_security_enabled=True,
            device_owner="oVirt"),
        # identifiers as recorded, a PG name included; enabled=false
        p["old_names"].name: port(
            "old_names", a, name="nic4",
            fixed_ips=[{"ip_address": "10.1.0.11", "subnet_id": a4}],
            security_groups=[s.web_pg_name, "Default"], port_security_enabled=True,
            admin_state_up=False),
        p["blank"].name: port("blank", a, name="", fixed_ips=[]),
        # router port: the LRP MAC and networks; ovn-northd set its `up`
        p["router"].name: port(
            "router", a, name="router_port", mac_address=s.router_mac, status="ACTIVE",
            fixed_ips=[{"ip_address": A_GATEWAY, "subnet_id": a4}],
            device_owner="network:router_interface", device_id=s.router),
        p["v6"].name: port(
            "v6", s.ls["b"], name="nic-v6", device_owner="oVirt", device_id=s.v6_device_id,
            fixed_ips=[{"ip_address": eui64(B_PREFIX, MACS["v6"]), "subnet_id": s.dhcp["b6"]}]),
        # DropAll membership never shows as a group
        p["c6"].name: port(
            "c6", s.ls["c"], name="nic-c6", port_security_enabled=True,
            fixed_ips=[{"ip_address": eui64(C_PREFIX, MACS["c6"]), "subnet_id": s.dhcp["c6"]}]),
    }


def check_item(got: dict[str, Any], want: dict[str, Any], absent: tuple[str, ...] = ()) -> None:
    for key, value in want.items():
        assert key in got, f"{key} missing in {got}"
        if key == "security_groups":
            assert sorted(got[key]) == sorted(value), (key, got)
        else:
            assert got[key] == value, (key, got[key], value, got)
        # JSON types, exactly (bool is not an int, int is not a str)
        assert type(got[key]) is type(value), (key, got[key])
    for key in absent:
        assert key not in got, (key, got)


def rows_by_table(dump: str) -> dict[str, dict[str, dict[str, Any]]]:
    """ovsdb-client's JSON dump as {table caption: {row uuid: {column: value}}}."""
    result = {}
    for line in dump.splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        heads = doc["headings"]
        result[doc["caption"]] = {row[0][1]: dict(zip(heads, row, strict=True))
                                  for row in doc["data"]}
    return result


def describe_changes(before: str, after: str) -> str:
    old, new = rows_by_table(before), rows_by_table(after)
    lines = []
    for table in sorted(set(old) | set(new)):
        a, b = old.get(table, {}), new.get(table, {})
        for ident in sorted(set(a) | set(b)):
            if ident not in b:
                lines.append(f"{table}: row {ident} deleted")
            elif ident not in a:
                lines.append(f"{table}: row {ident} added: {b[ident]}")
            elif a[ident] != b[ident]:
                was, now = a[ident], b[ident]
                cols = {c: (was.get(c), now.get(c))
                        for c in set(was) | set(now) if was.get(c) != now.get(c)}
                lines.append(f"{table}: row {ident} changed: {cols}")
    return "\n".join(lines) or "(same rows, different text)"


def test_predecessor_nb_reads_as_specified_and_stays_untouched(
        fresh_central: Central) -> None:
    s = nb_seed.seed(fresh_central)
    before = nb_seed.dump(fresh_central)
    nets, subs, ports = expected_networks(s), expected_subnets(s), expected_ports(s)
    hidden = [s.ports[k].name for k in ("localnet_vlan", "localnet_flat", "foreign",
                                         "foreign_on_a")]
    with running(make_config(fresh_central.nb_remote)) as prov:
        neutron = prov.ports[0]
        with httpx.Client(base_url=f"http://127.0.0.1:{neutron}/v2.0",
                          headers={"X-Auth-Token": TOKEN}, timeout=30) as http:

            def get(path: str, status: int = 200) -> Any:
                response = http.get(path)
                assert response.status_code == status, (path, response.text)
                return response.json()

            # networks (docs/compatibility.md, "Networks, subnets, ports"): every LS, ids
            # stable, provider:* only for physnets
            listed = {n["id"]: n for n in get("/networks")["networks"]}
            assert set(listed) == set(nets)
            for ident, want in nets.items():
                absent = tuple(k for k in PROVIDER_KEYS if k not in want)
                check_item(listed[ident], want, absent)
                check_item(get(f"/networks/{ident}")["network"], want, absent)
            assert get(f"/networks?name={s.ls_name['foreign']}")["networks"][0]["id"] == \
                s.ls["foreign"]

            # subnets: only rows with ovirt_network_id; both mode spellings read
            listed = {n["id"]: n for n in get("/subnets")["subnets"]}
            assert set(listed) == set(subs)
            for ident, want in subs.items():
                absent = ("ipv6_address_mode",) if want["ip_version"] == 4 else ()
                check_item(listed[ident], want, absent)
                check_item(get(f"/subnets/{ident}")["subnet"], want, absent)
            get(f"/subnets/{s.dhcp['foreign']}", 404)

            # ports: oVirt ports only, never localnet, foreign ones 404
            listed = {n["id"]: n for n in get("/ports")["ports"]}
            assert set(listed) == set(ports)
            for ident, want in ports.items():
                if ident != s.ports["static"].name:  # binding attributes always present
                    want = {**want, "binding:host_id": "", "binding:vif_type": "unbound",
                            "binding:vif_details": {}}
                check_item(listed[ident], want)
                check_item(get(f"/ports/{ident}")["port"], want)
            for name in hidden:
                error = get(f"/ports/{name}", 404)["error"]
                assert error["code"] == 404 and error["message"]
            on_b = get(f"/ports?network_id={s.ls['b']}")["ports"]
            assert [port["id"] for port in on_b] == [s.ports["v6"].name]
            owned = get(f"/ports?device_id={s.router}")["ports"]
            assert [port["id"] for port in owned] == [s.ports["router"].name]

            # Everything else that reads these rows must not fail on them either.
            for path in ("/", "/tech", "/routers", "/security-groups",
                         "/security-group-rules", "/floatingips", "/extensions"):
                assert http.get(path).status_code in (200, 404), path
    after = nb_seed.dump(fresh_central)
    assert after == before, "reading changed the NB:\n" + describe_changes(before, after)
