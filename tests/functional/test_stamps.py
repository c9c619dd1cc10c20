"""Timestamps, revision numbers and If-Match over a real NB (docs/nb-layout.md,
"Timestamps and revisions"; neutron/stamps.py).

For each resource: created with revision 1 (rules 0) and both timestamps, stored in the
row's external_ids; every PUT that changes something bumps the revision (a no-op PUT
does not: test_noop_put.py); a PUT or DELETE with a stale `If-Match:
revision_number=N` is 412 and changes nothing; rows written by another NB writer without
the keys render revision 0 and null timestamps.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.support.nat import nat_api
from tests.support.nb import nb_row
from tests.support.net_checks import synced
from tests.support.provider import Api
from tests.support.snapshot import assert_error, nb_snapshot

SHOWN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ALIASES = ("standard-attr-timestamp", "standard-attr-revisions", "revision-if-match")


@pytest.fixture(scope="module")
def fip_api(central: Central) -> Iterator[Api]:
    with nat_api(central) as api:
        yield api


def _stamped(obj: dict[str, Any], revision: int) -> None:
    assert obj["revision_number"] == revision, obj
    assert SHOWN.match(obj["created_at"]) and SHOWN.match(obj["updated_at"]), obj
    assert obj["updated_at"] >= obj["created_at"]


def _if_match(api: Api, path: str, root: str, body: dict[str, Any], central: Central,
              obj: dict[str, Any]) -> dict[str, Any]:
    """Stale If-Match: 412, nothing written; current If-Match: the update goes through
    and bumps the revision by one."""
    current = obj["revision_number"]
    before = nb_snapshot(central)
    stale = {"If-Match": f"revision_number={current + 5}"}
    response = api.http.put(path, json={root: body}, headers=stale)
    assert_error(response, 412, f"Constrained to {current + 5}, but current revision is "
                                f"{current}")
    assert_error(api.http.delete(path, headers=stale), 412)
    assert nb_snapshot(central) == before
    response = api.http.put(path, json={root: body},
                            headers={"If-Match": f"revision_number={current}"})
    assert response.status_code == 200, response.text
    updated: dict[str, Any] = response.json()[root]
    _stamped(updated, current + 1)
    assert updated["created_at"] == obj["created_at"]
    return updated


def test_extensions_are_listed(api: Api) -> None:
    listed = {e["alias"] for e in api.get("/v2.0/extensions").json()["extensions"]}
    assert set(ALIASES) <= listed


def test_network_subnet_port(api: Api, central: Central) -> None:
    net = api.network(name="stamped")
    _stamped(net, 1)
    ext = nb_row(central, "Logical_Switch", net["id"])["external_ids"]
    assert ext["ovirt_revision_number"] == "1" and ext["ovirt_created_at"].startswith(
        net["created_at"][:-1])
    subnet = api.subnet(net["id"], "10.97.0.0/24")
    _stamped(subnet, 1)
    port = api.port(net["id"], name="p")
    _stamped(port, 1)
    assert nb_row(central, "DHCP_Options", subnet["id"])["external_ids"][
        "ovirt_revision_number"] == "1"
    assert nb_row(central, "Logical_Switch_Port", port["id"])["external_ids"][
        "ovirt_revision_number"] == "1"

    time.sleep(1.1)  # so that updated_at moves on (a second is its resolution)
    net2 = _if_match(api, f"/v2.0/networks/{net['id']}", "network", {"name": "n2"}, central,
                     net)
    assert net2["updated_at"] > net["updated_at"]
    _if_match(api, f"/v2.0/subnets/{subnet['id']}", "subnet", {"name": "s2"}, central, subnet)
    port2 = _if_match(api, f"/v2.0/ports/{port['id']}", "port", {"name": "p2"}, central, port)
    # Without If-Match every PUT that changes something bumps; tags count as a change too.
    response = api.put(f"/v2.0/ports/{port['id']}", {"port": {"description": "d"}})
    assert response.json()["port"]["revision_number"] == port2["revision_number"] + 1
    assert api.put(f"/v2.0/ports/{port['id']}/tags/red").status_code == 201
    assert api.show("ports", "port", port["id"])["revision_number"] == \
        port2["revision_number"] + 2
    # The list shows the same, and sorts and filters on the revision.
    listed = api.get("/v2.0/networks", params={"revision_number": 2, "name": "n2"}).json()
    assert [n["id"] for n in listed["networks"]] == [net["id"]]
    # DELETE with the current revision goes through.
    current = api.show("ports", "port", port["id"])["revision_number"]
    response = api.http.delete(f"/v2.0/ports/{port['id']}",
                               headers={"If-Match": f"revision_number={current}"})
    assert response.status_code == 204, response.text
    bad = api.http.put(f"/v2.0/networks/{net['id']}", json={"network": {"name": "x"}},
                       headers={"If-Match": "revision_number=abc"})
    assert_error(bad, 400)
    # a digit str.isdigit() knows and int() does not (latin-1 "²"): 400, not 500
    for value in (b"revision_number=\xb2", b"revision_number=1\xb9"):
        bad = api.http.put(f"/v2.0/networks/{net['id']}", json={"network": {"name": "x"}},
                           headers={"If-Match": value})
        assert_error(bad, 400)
    # Entity tags other than revision_number are ignored, as in Neutron.
    etag = api.http.put(f"/v2.0/networks/{net['id']}", json={"network": {"name": "n3"}},
                        headers={"If-Match": '"xyzzy"'})
    assert etag.status_code == 200, etag.text


def test_rows_of_other_writers_render_sensibly(api: Api, central: Central,
                                               provider: Provider) -> None:
    name = f"foreign{uuid.uuid4().hex[:8]}"
    central.nbctl("ls-add", name)
    ls_uuid = central.nbctl("--bare", "--columns=_uuid", "list", "Logical_Switch",
                            name).strip()
    synced(provider, central)
    shown = api.show("networks", "network", ls_uuid)
    assert shown["revision_number"] == 0
    assert shown["created_at"] is None and shown["updated_at"] is None
    response = api.put(f"/v2.0/networks/{ls_uuid}", {"network": {"description": "now"}},
                       headers={"If-Match": "revision_number=0"})
    assert response.status_code == 200, response.text
    assert response.json()["network"]["revision_number"] == 1
    assert SHOWN.match(response.json()["network"]["updated_at"])
    assert api.delete(f"/v2.0/networks/{ls_uuid}").status_code == 204


def test_router_floating_ip_group_rule(fip_api: Api, central: Central) -> None:
    api = fip_api
    ext = api.network(name="ext-stamps", **{"router:external": True})
    ext_sub = api.subnet(ext["id"], "172.29.0.0/24", gateway_ip="172.29.0.1")
    router = api.create("routers", "router", name="r-stamps",
                        external_gateway_info={"network_id": ext["id"],
                                               "external_fixed_ips": [
                                                   {"subnet_id": ext_sub["id"],
                                                    "ip_address": "172.29.0.5"}]})
    _stamped(router, 1)
    router2 = _if_match(api, f"/v2.0/routers/{router['id']}", "router", {"name": "r2"},
                        central, router)
    inner = api.network(name="in-stamps")
    sub = api.subnet(inner["id"], "10.98.0.0/24", gateway_ip="10.98.0.1")
    response = api.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                       {"subnet_id": sub["id"]})
    assert response.status_code == 200, response.text
    assert api.show("routers", "router", router["id"])["revision_number"] == \
        router2["revision_number"] + 1

    fip = api.create("floatingips", "floatingip", floating_network_id=ext["id"])
    _stamped(fip, 1)
    _if_match(api, f"/v2.0/floatingips/{fip['id']}", "floatingip", {"description": "d"},
              central, fip)

    group = api.create("security-groups", "security_group", name="g-stamps")
    _stamped(group, 1)
    rule = api.create("security-group-rules", "security_group_rule",
                      security_group_id=group["id"], direction="ingress", protocol="tcp",
                      port_range_min=80, port_range_max=80)
    _stamped(rule, 0)
    acl = nb_row(central, "ACL", rule["id"])
    assert acl["external_ids"]["ovirt_revision_number"] == "0"
    group = api.show("security-groups", "security_group", group["id"])
    assert group["revision_number"] == 2  # the rule changed the group
    group2 = _if_match(api, f"/v2.0/security-groups/{group['id']}", "security_group",
                       {"name": "g2"}, central, group)
    assert group2["name"] == "g2"
    response = api.http.delete(f"/v2.0/security-group-rules/{rule['id']}",
                               headers={"If-Match": "revision_number=3"})
    assert_error(response, 412)
    assert api.http.delete(f"/v2.0/security-group-rules/{rule['id']}",
                           headers={"If-Match": "revision_number=0"}).status_code == 204


