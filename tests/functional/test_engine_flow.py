"""The oVirt engine's conversation with the provider, replayed with its exact bodies and
in its order (docs/compatibility.md, "What the oVirt engine sends").

`Engine` below behaves like ovirt-engine's external network provider proxy: it
authenticates with a Keystone v2 `passwordCredentials` body posted to `<auth_url>/tokens`
(auth_url ends in `/v2.0/`, hence `/v2.0//tokens`), sends `X-Auth-Token` on every call,
omits null fields from bodies (except `security_groups: null` in a port update),
re-authenticates and retries once on 401, and reads only the fields listed in
docs/compatibility.md, "What the oVirt engine sends",
whose JSON types its typed model requires.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ovn_provider.server import Provider

Body = dict[str, Any]
OWNER = "oVirt"


class Engine:
    def __init__(self, provider: Provider) -> None:
        neutron, keystone = provider.ports
        self.auth_url = f"http://127.0.0.1:{keystone}/v2.0/"
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{neutron}", timeout=30)
        self.token: str | None = None
        self.logins = 0

    def close(self) -> None:
        self.http.close()

    def login(self) -> str:
        response = self.http.post(f"{self.auth_url}/tokens", json={"auth": {
            "passwordCredentials": {"username": "admin@internal", "password": "123456"}}})
        assert str(response.url).endswith("/v2.0//tokens")
        assert response.status_code == 200, response.text
        token = response.json()["access"]["token"]["id"]
        assert isinstance(token, str) and token
        self.token = token
        self.logins += 1
        return token

    def call(self, method: str, path: str, body: Body | None = None) -> httpx.Response:
        """One engine call: token attached, a 401 answered by one re-login and retry."""
        if self.token is None:
            self.login()
        for attempt in (1, 2):
            assert self.token is not None
            response = self.http.request(method, f"/v2.0{path}", json=body,
                                         headers={"X-Auth-Token": self.token})
            if response.status_code != 401 or attempt == 2:
                return response
            self.login()
        raise AssertionError("unreachable")


def wrap(root: str, fields: Body) -> Body:
    """The engine's JSON client: root key, null fields omitted."""
    return {root: {k: v for k, v in fields.items() if v is not None}}


def check_types(item: Body, spec: dict[str, type | tuple[type, ...]]) -> None:
    """Every field the engine reads is present with its Neutron JSON type."""
    for key, kind in spec.items():
        assert key in item, f"{key} missing in {item}"
        value = item[key]
        if kind is int:
            assert type(value) is int, (key, value)
        elif kind is bool:
            assert type(value) is bool, (key, value)
        elif kind is list:
            assert type(value) is list and all(type(x) is str for x in value), (key, value)
        else:
            assert isinstance(value, kind), (key, value)


NETWORK_READ: dict[str, type | tuple[type, ...]] = {
    "id": str, "name": str, "mtu": int, "port_security_enabled": bool, "tenant_id": str,
    "admin_state_up": bool, "shared": bool, "router:external": bool, "subnets": list}
SUBNET_READ: dict[str, type | tuple[type, ...]] = {
    "id": str, "cidr": str, "ip_version": int, "name": str, "network_id": str,
    "gateway_ip": (str, type(None)), "dns_nameservers": list, "enable_dhcp": bool}
PORT_READ: dict[str, type | tuple[type, ...]] = {
    "id": str, "device_owner": str, "device_id": str, "security_groups": list,
    "binding:host_id": str, "admin_state_up": bool, "port_security_enabled": bool}


def locate(engine: Engine, vnic: str) -> Body | None:
    """Step 1 of the vNIC flow: the full port list, no filter."""
    response = engine.call("GET", "/ports")
    assert response.status_code == 200, response.text
    found = [p for p in response.json()["ports"]
             if p.get("device_owner") == OWNER and p.get("device_id") == vnic]
    assert len(found) <= 1
    return found[0] if found else None


def needs_update(port: Body, desired: list[str] | None, host: str, migrating: bool) -> bool:
    """The engine's PUT decision (docs/compatibility.md, "What the oVirt engine sends"); `desired`
    None = profile default."""
    reported = port["security_groups"]
    if migrating:
        groups_changed = False
    elif desired is None:
        groups_changed = not reported
    else:
        groups_changed = Counter(desired) != Counter(reported)
    return groups_changed or port.get("binding:host_id") != host


@pytest.fixture()
def engine(provider: Provider) -> Iterator[Engine]:
    client = Engine(provider)
    try:
        yield client
    finally:
        client.close()


def test_engine_flow(engine: Engine) -> None:
    tag = uuid.uuid4().hex[:8]

    # -- token, then "Test connection" (docs/compatibility.md, "What the oVirt engine sends")
    # ------------------------------------
    engine.login()
    response = engine.call("GET", "/")
    assert response.status_code == 200 and isinstance(response.json(), dict)

    # -- a stale token gets 401 (never 403), and the retry with a new one works  -----
    engine.token = "expired-token"
    logins = engine.logins
    response = engine.call("GET", "/networks")
    assert response.status_code == 200 and engine.logins == logins + 1
    assert isinstance(response.json()["networks"], list)

    # -- add networks: overlay with port security, and a VLAN one ---------------------------
    response = engine.call("POST", "/networks", wrap("network", {
        "admin_state_up": True, "name": f"ovirt-net-{tag}", "port_security_enabled": True,
        "tenant_id": "oVirt"}))
    assert response.status_code == 201, response.text
    net_id = response.json()["network"]["id"]
    assert isinstance(net_id, str)
    response = engine.call("POST", "/networks", wrap("network", {
        "admin_state_up": True, "name": f"ovirt-vlan-{tag}", "mtu": 1400,
        "provider:physical_network": "ovirtmgmt", "provider:network_type": "vlan",
        "provider:segmentation_id": 30, "port_security_enabled": None, "tenant_id": "oVirt"}))
    assert response.status_code == 201, response.text
    vlan_id = response.json()["network"]["id"]

    # -- show network (the engine copies its tenant_id into subnet and port requests) ------
    response = engine.call("GET", f"/networks/{net_id}")
    assert response.status_code == 200
    network = response.json()["network"]
    check_types(network, NETWORK_READ)
    assert network["name"] == f"ovirt-net-{tag}" and network["mtu"] == 1442
    assert network["port_security_enabled"] is True
    # an overlay: Neutron's type name, no physical network (a string the engine ignores)
    assert {k: v for k, v in network.items() if k.startswith("provider:")} == {
        "provider:network_type": "geneve"}
    tenant = network["tenant_id"]
    assert tenant != "oVirt" and network["project_id"] == tenant

    # -- add subnet (no ipv6_address_mode, gateway given) then read the subnets ------------
    response = engine.call("POST", "/subnets", wrap("subnet", {
        "cidr": "10.77.0.0/24", "ip_version": 4, "name": f"ovirt-sub-{tag}",
        "network_id": net_id, "enable_dhcp": True, "gateway_ip": "10.77.0.1",
        "dns_nameservers": ["8.8.8.8"], "tenant_id": tenant}))
    assert response.status_code == 201, response.text
    # A subnet without a gateway: the engine omits the null (no gateway added).
    response = engine.call("POST", "/subnets", wrap("subnet", {
        "cidr": "10.78.0.0/24", "ip_version": 4, "name": f"ovirt-sub2-{tag}",
        "network_id": vlan_id, "enable_dhcp": True, "gateway_ip": None,
        "dns_nameservers": [], "tenant_id": tenant}))
    assert response.status_code == 201, response.text
    response = engine.call("GET", "/subnets")
    assert response.status_code == 200
    mine = {s["network_id"]: s for s in response.json()["subnets"]
            if s["network_id"] in (net_id, vlan_id)}
    assert set(mine) == {net_id, vlan_id}
    for subnet in mine.values():
        check_types(subnet, SUBNET_READ)
    subnet_id = mine[net_id]["id"]
    assert mine[net_id]["cidr"] == "10.77.0.0/24" and mine[net_id]["ip_version"] == 4
    assert mine[net_id]["gateway_ip"] == "10.77.0.1"
    assert mine[net_id]["dns_nameservers"] == ["8.8.8.8"]
    assert mine[vlan_id]["gateway_ip"] is None and mine[vlan_id]["dns_nameservers"] == []

    # -- VM start: locate the vNIC port, then show network, then create the port ------------
    vnic_a, vnic_b = str(uuid.uuid4()), str(uuid.uuid4())
    mac_a, mac_b = "56:6f:1a:2b:00:01", "56:6f:1a:2b:00:02"
    assert locate(engine, vnic_a) is None
    assert engine.call("GET", f"/networks/{net_id}").status_code == 200
    # Profile without the SecurityGroups property: the key is omitted (Default).
    response = engine.call("POST", "/ports", wrap("port", {
        "admin_state_up": True, "name": "nic1", "mac_address": mac_a, "network_id": net_id,
        "device_owner": OWNER, "device_id": vnic_a, "security_groups": None,
        "binding:host_id": "host-a.example", "tenant_id": tenant}))
    assert response.status_code == 201, response.text
    created = response.json()["port"]
    check_types(created, PORT_READ)
    port_a = created["id"]
    assert created["security_groups"] == ["Default"]
    # Profile with SecurityGroups = Default on the VLAN network.
    response = engine.call("POST", "/ports", wrap("port", {
        "admin_state_up": True, "name": "nic2", "mac_address": mac_b, "network_id": vlan_id,
        "device_owner": OWNER, "device_id": vnic_b, "security_groups": ["Default"],
        "binding:host_id": "host-a.example", "tenant_id": tenant}))
    assert response.status_code == 201, response.text
    port_b = response.json()["port"]["id"]
    assert response.json()["port"]["security_groups"] == ["Default"]

    # -- the next VM start finds both ports and needs no PUT (host reported) -------------
    found = locate(engine, vnic_a)
    assert found is not None and found["id"] == port_a
    check_types(found, PORT_READ)
    assert found["device_owner"] == OWNER and found["device_id"] == vnic_a
    assert found["binding:host_id"] == "host-a.example"
    assert not needs_update(found, None, "host-a.example", migrating=False)
    found_b = locate(engine, vnic_b)
    assert found_b is not None and found_b["id"] == port_b
    assert not needs_update(found_b, ["Default"], "host-a.example", migrating=False)

    # -- migration to host B: PUT with id, host and the same MAC  ------------------------
    found = locate(engine, vnic_a)
    assert found is not None
    assert needs_update(found, None, "host-b.example", migrating=True)
    response = engine.call("PUT", f"/ports/{port_a}", wrap("port", {
        "id": port_a, "binding:host_id": "host-b.example", "mac_address": mac_a}))
    assert response.status_code == 200, response.text
    updated = response.json()["port"]
    assert updated["id"] == port_a and updated["security_groups"] == ["Default"]
    found = locate(engine, vnic_a)
    assert found is not None and found["binding:host_id"] == "host-b.example"
    assert found["mac_address"] == mac_a
    assert not needs_update(found, None, "host-b.example", migrating=False)

    # -- the profile's groups changed: a list, then back to the default with explicit null ----
    response = engine.call("PUT", f"/ports/{port_a}", {"port": {
        "id": port_a, "security_groups": []}})
    assert response.status_code == 200, response.text
    assert response.json()["port"]["security_groups"] == []
    found = locate(engine, vnic_a)
    assert found is not None and found["security_groups"] == []
    # A "default" profile counts as changed exactly when the reported list is empty.
    assert needs_update(found, None, "host-b.example", migrating=False)
    response = engine.call("PUT", f"/ports/{port_a}", {"port": {
        "id": port_a, "security_groups": None}})
    assert response.status_code == 200, response.text
    assert response.json()["port"]["security_groups"] == ["Default"]  # port security on
    found = locate(engine, vnic_a)
    assert found is not None and found["security_groups"] == ["Default"]
    assert found["binding:host_id"] == "host-b.example"  # a groups PUT keeps the host
    assert not needs_update(found, None, "host-b.example", migrating=False)
    # Groups and host changed together, on a port without port security: its default
    # set is empty.
    assert found_b["port_security_enabled"] is False
    response = engine.call("PUT", f"/ports/{port_b}", {"port": {
        "id": port_b, "security_groups": None, "binding:host_id": "host-c.example",
        "mac_address": mac_b}})
    assert response.status_code == 200, response.text
    assert response.json()["port"]["security_groups"] == []
    found_b = locate(engine, vnic_b)
    assert found_b is not None and found_b["binding:host_id"] == "host-c.example"
    assert found_b["security_groups"] == [] and found_b["mac_address"] == mac_b

    # -- auto-sync: the network list with the fields the engine reads -------------------------
    response = engine.call("GET", "/networks")
    assert response.status_code == 200
    listed = {n["id"]: n for n in response.json()["networks"]}
    for item in listed.values():
        check_types(item, NETWORK_READ)
        if item.get("provider:network_type") == "vlan":
            assert type(item["provider:segmentation_id"]) is int
    assert listed[net_id] == network | {"subnets": [subnet_id]}
    vlan = listed[vlan_id]
    assert vlan["name"] == f"ovirt-vlan-{tag}" and vlan["mtu"] == 1400
    assert vlan["provider:network_type"] == "vlan"
    assert vlan["provider:physical_network"] == "ovirtmgmt"
    assert vlan["provider:segmentation_id"] == 30
    assert vlan["port_security_enabled"] is False  # configured default, stored

    # -- release: list, then delete each vNIC's port ---------------------------------------------
    for vnic in (vnic_a, vnic_b):
        found = locate(engine, vnic)
        assert found is not None
        response = engine.call("DELETE", f"/ports/{found['id']}")
        assert response.status_code == 204 and response.content == b""
        assert locate(engine, vnic) is None

    # -- remove the subnets, then the networks ----------------------------------------------------
    for subnet in mine.values():
        response = engine.call("DELETE", f"/subnets/{subnet['id']}")
        assert response.status_code == 204, response.text
    for ident in (net_id, vlan_id):
        response = engine.call("DELETE", f"/networks/{ident}")
        assert response.status_code == 204, response.text
    response = engine.call("GET", "/networks")
    assert not {net_id, vlan_id} & {n["id"] for n in response.json()["networks"]}
    response = engine.call("GET", "/subnets")
    assert not {s["id"] for s in mine.values()} & {s["id"] for s in response.json()["subnets"]}
    assert engine.logins == logins + 1  # the token stayed valid throughout
