"""Revisions and If-Match beyond PUT and DELETE of a resource (docs/nb-layout.md,
"Timestamps and revisions"; neutron/stamps.py): the tag routes and the router actions.

As in Neutron, a tag change and a router interface or extra route change are changes of
the resource (its revision moves on), and a stale `If-Match: revision_number=N` on them
is 412 with nothing written; the port that becomes a router interface moves on too, and
the router port the provider creates carries its own stamps.
"""

from __future__ import annotations

from typing import Any

from ovn_provider.ovn.central import Central
from tests.functional.test_stamps import SHOWN, fip_api  # noqa: F401 (fixture)
from tests.support.provider import Api
from tests.support.snapshot import assert_error, nb_snapshot


def _stale(revision: int) -> dict[str, str]:
    return {"If-Match": f"revision_number={revision + 7}"}


def _current(revision: int) -> dict[str, str]:
    return {"If-Match": f"revision_number={revision}"}


def _revision(api: Api, path: str, root: str, ident: str) -> int:
    value: int = api.show(path, root, ident)["revision_number"]
    return value


def _tag_routes(api: Api, central: Central, path: str, root: str, ident: str) -> None:
    """Every tag route: stale If-Match -> 412 and no NB change; current -> done, +1."""
    base = f"/v2.0/{path}/{ident}/tags"
    rev = _revision(api, path, root, ident)
    before = nb_snapshot(central)
    for response in (api.http.put(f"{base}/a", headers=_stale(rev)),
                     api.http.put(base, json={"tags": ["x"]}, headers=_stale(rev)),
                     api.http.post(base, json={"tags": ["y"]}, headers=_stale(rev)),
                     api.http.delete(base, headers=_stale(rev))):
        assert_error(response, 412, f"Constrained to {rev + 7}, but current revision is "
                                    f"{rev}")
    assert nb_snapshot(central) == before
    assert api.http.put(f"{base}/a", headers=_current(rev)).status_code == 201
    assert _revision(api, path, root, ident) == rev + 1
    response = api.http.put(base, json={"tags": ["a", "b"]}, headers=_current(rev + 1))
    assert response.status_code == 200, response.text
    response = api.http.post(base, json={"tags": ["c"]}, headers=_current(rev + 2))
    assert response.status_code == 201, response.text
    assert_error(api.http.delete(f"{base}/b", headers=_stale(rev + 3)), 412)
    assert api.http.delete(f"{base}/b", headers=_current(rev + 3)).status_code == 204
    assert api.http.delete(base, headers=_current(rev + 4)).status_code == 204
    shown = api.show(path, root, ident)
    assert shown["revision_number"] == rev + 5 and shown["tags"] == []
    # Reading tags never bumps, and ignores If-Match.
    assert api.http.get(base, headers=_stale(rev)).status_code == 200
    assert _revision(api, path, root, ident) == rev + 5


def test_tag_routes_honour_if_match(fip_api: Api, central: Central) -> None:  # noqa: F811
    api = fip_api
    net = api.network(name="tags-if-match")
    subnet = api.subnet(net["id"], "10.91.0.0/24")
    port = api.port(net["id"], name="tp")
    router = api.create("routers", "router", name="tr")
    group = api.create("security-groups", "security_group", name="tg")
    ext = api.network(name="tags-ext", **{"router:external": True})
    api.subnet(ext["id"], "172.30.0.0/24", gateway_ip="172.30.0.1")
    fip = api.create("floatingips", "floatingip", floating_network_id=ext["id"])
    for path, root, ident in (("networks", "network", net["id"]),
                              ("subnets", "subnet", subnet["id"]),
                              ("ports", "port", port["id"]),
                              ("routers", "router", router["id"]),
                              ("security-groups", "security_group", group["id"]),
                              ("floatingips", "floatingip", fip["id"])):
        _tag_routes(api, central, path, root, ident)


def _action(api: Api, router: str, action: str, body: dict[str, Any],
            headers: dict[str, str] | None = None) -> Any:
    return api.http.put(f"/v2.0/routers/{router}/{action}", json=body, headers=headers or {})


def test_router_actions_honour_if_match_and_bump(api: Api, central: Central) -> None:
    net = api.network(name="actions-if-match")
    sub = api.subnet(net["id"], "10.92.0.0/24", gateway_ip="10.92.0.1")
    net2 = api.network(name="actions-if-match-2")
    sub2 = api.subnet(net2["id"], "10.93.0.0/24", gateway_ip="10.93.0.1")
    port = api.port(net2["id"], name="will-be-interface")
    router = api.create("routers", "router", name="ra")
    rid, rev = router["id"], router["revision_number"]

    before = nb_snapshot(central)
    route = {"router": {"routes": [{"destination": "10.200.0.0/24",
                                    "nexthop": "10.92.0.9"}]}}
    for response in (_action(api, rid, "add_router_interface", {"subnet_id": sub["id"]},
                             _stale(rev)),
                     _action(api, rid, "add_router_interface", {"port_id": port["id"]},
                             _stale(rev)),
                     _action(api, rid, "add_extraroutes", route, _stale(rev))):
        assert_error(response, 412, f"Constrained to {rev + 7}, but current revision is "
                                    f"{rev}")
    assert nb_snapshot(central) == before

    # By subnet: the router moves on, the new router port has its own stamps.
    response = _action(api, rid, "add_router_interface", {"subnet_id": sub["id"]},
                       _current(rev))
    assert response.status_code == 200, response.text
    made = api.show("ports", "port", response.json()["port_id"])
    assert made["revision_number"] == 1 and SHOWN.match(made["created_at"]), made
    assert _revision(api, "routers", "router", rid) == rev + 1
    # By port: the router and the port both move on.
    port_rev = port["revision_number"]
    response = _action(api, rid, "add_router_interface", {"port_id": port["id"]},
                       _current(rev + 1))
    assert response.status_code == 200, response.text
    assert _revision(api, "routers", "router", rid) == rev + 2
    assert _revision(api, "ports", "port", port["id"]) == port_rev + 1
    # Extra routes, atomically added and removed: each a change of the router.
    response = _action(api, rid, "add_extraroutes", route, _current(rev + 2))
    assert response.status_code == 200, response.text
    assert response.json()["router"]["revision_number"] == rev + 3
    response = _action(api, rid, "remove_extraroutes", route, _current(rev + 3))
    assert response.status_code == 200, response.text
    assert response.json()["router"]["revision_number"] == rev + 4
    # Removal: stale -> 412 and nothing changed; current -> removed and +1.
    before = nb_snapshot(central)
    assert_error(_action(api, rid, "remove_router_interface", {"subnet_id": sub2["id"]},
                         _stale(rev + 4)), 412)
    assert nb_snapshot(central) == before
    response = _action(api, rid, "remove_router_interface", {"subnet_id": sub2["id"]},
                       _current(rev + 4))
    assert response.status_code == 200, response.text
    assert _revision(api, "routers", "router", rid) == rev + 5
    response = _action(api, rid, "remove_router_interface", {"subnet_id": sub["id"]})
    assert response.status_code == 200, response.text
    assert _revision(api, "routers", "router", rid) == rev + 6
    bad = _action(api, rid, "add_router_interface", {"subnet_id": sub["id"]},
                  {"If-Match": "revision_number=x"})
    assert_error(bad, 400)
