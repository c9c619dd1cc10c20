"""Tags over a real NB (Neutron's standard-attr-tag and tag-creation; docs/tags.md).

Every route, error and filter is checked on each taggable resource: networks, subnets,
ports, routers, security groups and floating IPs. The tags are read back from the NB
(`external_ids:ovirt_tags`, or `ovirt_floating_ip_tags:<id>` on the floating network) and
rejected requests are checked to leave the whole NB as it was. The module runs its own
provider with a gateway chassis configured, so floating IPs can be created.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.support.provider import Api, make_config, running

KINDS = ("networks", "subnets", "ports", "routers", "security-groups", "floatingips")
ROOT = {"networks": "network", "subnets": "subnet", "ports": "port", "routers": "router",
        "security-groups": "security_group", "floatingips": "floatingip"}
COLLECTION = {kind: ROOT[kind] + "s" for kind in KINDS}
_SEQ = itertools.count(1)


# -- NB helpers ----------------------------------------------------------------------------------
def nb_dump(central: Central) -> dict[str, Any]:
    """The whole NB in one consistent read, after ovn-northd has caught up."""
    central.nbctl("--wait=sb", "sync")
    out = subprocess.run(["ovsdb-client", "dump", "-f", "json", central.nb[0].remote,
                          "OVN_Northbound"], env=central.env, capture_output=True, text=True,
                         check=True, timeout=30).stdout
    tables: dict[str, Any] = {}
    decoder = json.JSONDecoder()
    pos = 0
    while pos < len(out):
        while pos < len(out) and out[pos].isspace():
            pos += 1
        if pos >= len(out):
            break
        doc, pos = decoder.raw_decode(out, pos)
        tables[doc["caption"]] = sorted(json.dumps(row) for row in doc["data"])
    tables.pop("NB_Global table", None)  # northd's sequence numbers
    return tables


def external_ids(central: Central, table: str, record: str) -> dict[str, str]:
    doc = json.loads(central.nbctl("--format=json", "--columns=external_ids", "list", table,
                                   record))
    [[raw]] = doc["data"]
    assert raw[0] == "map"
    return {key: value for key, value in raw[1]}


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tag_provider(central: Central) -> Iterator[Provider]:
    cfg = make_config(central.nb_remote, **{"NETWORK/gateway-chassis": "gw-tags-1"})
    with running(cfg) as prov:
        yield prov


@pytest.fixture(scope="module")
def tapi(tag_provider: Provider) -> Iterator[Api]:
    client = Api(tag_provider)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def floating_net(tapi: Api) -> str:
    net = tapi.network(name="tags-floating", **{"router:external": True})
    tapi.subnet(net["id"], "172.30.0.0/22", gateway_ip="172.30.0.1")
    return str(net["id"])


@pytest.fixture(scope="module")
def port_net(tapi: Api) -> str:
    return str(tapi.network(name="tags-ports")["id"])


Maker = Callable[..., dict[str, Any]]


@pytest.fixture()
def make(tapi: Api, floating_net: str, port_net: str) -> Maker:
    """`make(kind, **attrs)`: a new resource of `kind` (POST), as created."""

    def create(kind: str, **attrs: Any) -> dict[str, Any]:
        n = next(_SEQ)
        if kind == "networks":
            attrs.setdefault("name", f"tag-net-{n}")
        elif kind == "subnets":
            net = tapi.network(name=f"tag-sub-{n}")
            attrs.update(network_id=net["id"], cidr=f"10.77.{n % 250}.0/24", ip_version=4)
        elif kind == "ports":
            attrs.update(network_id=port_net)
        elif kind in ("routers", "security-groups"):
            attrs.setdefault("name", f"tag-{kind}-{n}")
        else:
            attrs.update(floating_network_id=floating_net)
        return tapi.create(kind, ROOT[kind], **attrs)

    return create


def stored(central: Central, kind: str, item: dict[str, Any], floating_net: str
           ) -> str | None:
    """The stored form of the item's tags, None when the key is absent."""
    table, record, key = {
        "networks": ("Logical_Switch", item["id"], "ovirt_tags"),
        "subnets": ("DHCP_Options", item["id"], "ovirt_tags"),
        "ports": ("Logical_Switch_Port", item["id"], "ovirt_tags"),
        "routers": ("Logical_Router", item["id"], "ovirt_tags"),
        "security-groups": ("Port_Group", item["id"], "ovirt_tags"),
        "floatingips": ("Logical_Switch", floating_net, f"ovirt_floating_ip_tags:{item['id']}"),
    }[kind]
    return external_ids(central, table, record).get(key)


def check(response: httpx.Response, status: int, message: str | None = None) -> None:
    assert response.status_code == status, response.text
    if status >= 400:
        error = response.json()["error"]
        assert error["code"] == status and error["message"] and error["title"]
        if message is not None:
            assert message in error["message"], error["message"]


# -- routes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_tag_routes(kind: str, tapi: Api, central: Central, make: Maker,
                    floating_net: str) -> None:
    item = make(kind)
    path = f"/v2.0/{kind}/{item['id']}"
    assert item["tags"] == []
    assert tapi.get(f"{path}/tags").json() == {"tags": []}
    assert stored(central, kind, item, floating_net) is None
    # replace all: 200 with the tags, in the given order
    wanted = ["red", "b lue", "x/y", "ü" * 255]
    response = tapi.put(f"{path}/tags", {"tags": wanted})
    check(response, 200)
    assert response.json() == {"tags": wanted}
    assert stored(central, kind, item, floating_net) == ",".join(wanted)
    assert tapi.show(kind, ROOT[kind], item["id"])["tags"] == wanted
    listed = tapi.get(f"/v2.0/{kind}", params={"id": item["id"]}).json()[COLLECTION[kind]]
    assert [i["tags"] for i in listed] == [wanted]
    # one tag: confirm, add (201, idempotent), remove (204, then 404)
    check(tapi.get(f"{path}/tags/red"), 204)
    check(tapi.get(f"{path}/tags/{quote('b lue')}"), 204)
    check(tapi.get(f"{path}/tags/{quote('x/y', safe='')}"), 204)
    check(tapi.get(f"{path}/tags/x/y"), 204)  # the rest of the path is the tag
    check(tapi.get(f"{path}/tags/green"), 404, "Tag green could not be found")
    added = tapi.put(f"{path}/tags/green")
    check(added, 201)
    assert added.content == b""
    check(tapi.put(f"{path}/tags/green"), 201)
    assert tapi.get(f"{path}/tags").json() == {"tags": [*wanted, "green"]}
    check(tapi.get(f"{path}/tags/green"), 204)
    check(tapi.delete(f"{path}/tags/red"), 204)
    check(tapi.delete(f"{path}/tags/red"), 404, "Tag red could not be found")
    check(tapi.delete(f"{path}/tags/{quote('x/y', safe='')}"), 204)
    assert tapi.show(kind, ROOT[kind], item["id"])["tags"] == ["b lue", "ü" * 255, "green"]
    assert stored(central, kind, item, floating_net) == f"b lue,{'ü' * 255},green"
    # replace with an empty list, and remove all
    check(tapi.put(f"{path}/tags", {"tags": []}), 200)
    assert stored(central, kind, item, floating_net) is None
    check(tapi.put(f"{path}/tags/one"), 201)
    check(tapi.delete(f"{path}/tags"), 204)
    assert tapi.get(f"{path}/tags").json() == {"tags": []}
    assert stored(central, kind, item, floating_net) is None
    check(tapi.delete(f"{path}/tags"), 204)  # nothing to remove: still 204
    # POST adds tags (tag-creation, as openstacksdk sends it): 201 with the whole set
    check(tapi.put(f"{path}/tags/one"), 201)
    added = tapi.post(f"{path}/tags", {"tags": ["two", "one", "three"]})
    check(added, 201)
    assert added.json() == {"tags": ["one", "two", "three"]}
    assert stored(central, kind, item, floating_net) == "one,two,three"
    check(tapi.delete(path), 204)


@pytest.mark.parametrize("kind", KINDS)
def test_tag_errors_change_nothing(kind: str, tapi: Api, central: Central,
                                   make: Maker, floating_net: str) -> None:
    item = make(kind, tags=["keep"])
    path = f"/v2.0/{kind}/{item['id']}"
    missing = f"/v2.0/{kind}/{uuid.uuid4()}"
    create_body = _body(kind, item, tapi)
    before = nb_dump(central)
    for body in ({"tags": "a"}, {"tags": ["a,b"]}, {"tags": [""]}, {"tags": ["x" * 256]},
                 {"tags": [1]}, {"tags": [None]}, {"tags": ["a", "b", "a"]}, {"tags": None},
                 {}, {"tag": ["a"]}, ["a"], "a"):
        check(tapi.put(f"{path}/tags", body), 400)
    check(tapi.put(f"{path}/tags", {"tags": ["a", "a"]}), 400, "Duplicate items")
    check(tapi.put(f"{path}/tags", {"tags": ["x" * 256]}), 400, "maximum length of 255")
    check(tapi.put(f"{path}/tags", {"tags": ["a,b"]}), 400, "comma")
    check(tapi.http.put(f"{path}/tags", content=b"{not json"), 400)
    check(tapi.http.put(f"{path}/tags", content=b""), 400)
    limit = "request: The number of tags exceed the per-resource limit of 50."
    check(tapi.put(f"{path}/tags", {"tags": [f"t{i}" for i in range(51)]}), 400,
          f"Bad {COLLECTION[kind]} {limit}")
    # POST adds to the resource's tags: the sum counts (one tag is there already)
    check(tapi.post(f"{path}/tags", {"tags": [f"t{i}" for i in range(50)]}), 400, limit)
    for method in (tapi.put, tapi.get, tapi.delete):
        check(method(f"{path}/tags/{'x' * 256}"), 400)
        check(method(f"{path}/tags/a,b"), 400)
    check(tapi.delete(f"{path}/tags/absent"), 404)
    for method, suffix in ((tapi.get, "/tags"), (tapi.put, "/tags/a"), (tapi.get, "/tags/a"),
                           (tapi.delete, "/tags"), (tapi.delete, "/tags/a")):
        check(method(f"{missing}{suffix}"), 404)
    check(tapi.put(f"{missing}/tags", {"tags": ["a"]}), 404)
    check(tapi.post(f"{missing}/tags", {"tags": ["a"]}), 404)
    for body in ({"tags": "a"}, {"tags": ["a", "a"]}, {"tags": ["a,b"]}, {}, ["a"]):
        check(tapi.post(f"{path}/tags", body), 400)
    check(tapi.post(f"{path}/tags/a"), 405)
    # tags on create are validated like the rest of the body: 400, nothing created
    for bad in ("a", ["a,b"], [""], ["a", "a"], [7]):
        check(tapi.post(f"/v2.0/{kind}", {ROOT[kind]: {**create_body, "tags": bad}}), 400,
              "Invalid input for tags")
    assert nb_dump(central) == before
    assert tapi.get(f"{path}/tags").json() == {"tags": ["keep"]}
    assert stored(central, kind, item, floating_net) == "keep"
    check(tapi.delete(path), 204)


def _body(kind: str, like: dict[str, Any], api: Api) -> dict[str, Any]:
    """A valid create body for another resource of `kind` (next to `like`)."""
    if kind == "subnets":
        net = api.network(name="tags-bad-subnet")
        return {"network_id": net["id"], "cidr": "10.78.0.0/24", "ip_version": 4}
    if kind == "ports":
        return {"network_id": like["network_id"]}
    if kind == "floatingips":
        return {"floating_network_id": like["floating_network_id"]}
    return {"name": "tagged-create"}


@pytest.mark.parametrize("kind", KINDS)
def test_tags_on_create_and_filters(kind: str, tapi: Api, central: Central, make: Maker,
                                    floating_net: str) -> None:
    label = f"t{uuid.uuid4().hex[:6]}"
    a, b, c = f"{label}a", f"{label}b", f"{label}c"
    items = {"ab": make(kind, tags=[a, b]), "bc": make(kind, tags=[b, c]),
             "b": make(kind, tags=[b]), "none": make(kind), "null": make(kind, tags=None)}
    assert items["ab"]["tags"] == [a, b] and items["none"]["tags"] == []
    assert items["null"]["tags"] == []
    assert stored(central, kind, items["bc"], floating_net) == f"{b},{c}"
    assert stored(central, kind, items["none"], floating_net) is None
    ours = {item["id"]: name for name, item in items.items()}

    def listed(*query: tuple[str, str]) -> set[str]:
        params = [("fields", "id"), ("fields", "tags"), *query]
        response = tapi.get(f"/v2.0/{kind}", params=params)
        assert response.status_code == 200, response.text
        found = response.json()[COLLECTION[kind]]
        assert all(set(i) == {"id", "tags"} for i in found)
        return {ours[i["id"]] for i in found if i["id"] in ours}

    everything = set(items)
    assert listed() == everything
    assert listed(("tags", a)) == {"ab"}
    assert listed(("tags", b)) == {"ab", "bc", "b"}
    assert listed(("tags", f"{a},{b}")) == {"ab"}  # all of them
    assert listed(("tags", a), ("tags", c)) == set()  # repeats add to the list
    assert listed(("tags-any", f"{a},{c}")) == {"ab", "bc"}  # any of them
    assert listed(("tags-any", a), ("tags-any", c)) == {"ab", "bc"}
    assert listed(("not-tags", f"{a},{b}")) == everything - {"ab"}  # lacks one of them
    assert listed(("not-tags", b)) == {"none", "null"}
    assert listed(("not-tags-any", f"{a},{c}")) == {"b", "none", "null"}  # has none
    assert listed(("tags", b), ("not-tags-any", a)) == {"bc", "b"}  # filters combine
    assert listed(("tags-any", f"{a},{c}"), ("not-tags", f"{b},{c}")) == {"ab"}
    assert listed(("tags", f"{label}zzz")) == set()
    assert listed(("tags", "")) == everything  # an empty filter is no constraint
    for item in items.values():
        check(tapi.delete(f"/v2.0/{kind}/{item['id']}"), 204)
    if kind == "floatingips":  # the record and its tags go with the floating IP
        ext = external_ids(central, "Logical_Switch", floating_net)
        assert not any(key.endswith(tuple(ours)) for key in ext)


def test_security_group_revision_follows_tag_changes(tapi: Api, make: Maker) -> None:
    group = make("security-groups")
    path = f"/v2.0/security-groups/{group['id']}"
    assert group["revision_number"] == 1
    check(tapi.put(f"{path}/tags/a"), 201)
    assert tapi.show("security-groups", "security_group", group["id"])["revision_number"] == 2
    check(tapi.put(f"{path}/tags/a"), 201)  # no change, no new revision
    check(tapi.put(f"{path}/tags", {"tags": ["a"]}), 200)
    assert tapi.show("security-groups", "security_group", group["id"])["revision_number"] == 2
    check(tapi.post(f"{path}/tags", {"tags": ["b"]}), 201)
    assert tapi.show("security-groups", "security_group", group["id"])["revision_number"] == 3
    check(tapi.put(f"{path}/tags", {"tags": ["b", "a"]}), 200)  # the same set: no change
    shown = tapi.show("security-groups", "security_group", group["id"])
    assert shown["revision_number"] == 3 and sorted(shown["tags"]) == ["a", "b"]
    check(tapi.delete(f"{path}/tags"), 204)
    shown = tapi.show("security-groups", "security_group", group["id"])
    assert shown["revision_number"] == 4 and shown["tags"] == []
    check(tapi.delete(path), 204)


def test_default_group_by_name_and_rules_have_no_tags(tapi: Api, central: Central) -> None:
    default = tapi.show("security-groups", "security_group", "Default")
    try:
        check(tapi.put("/v2.0/security-groups/Default/tags/dflt"), 201)
        assert "dflt" in tapi.show("security-groups", "security_group", default["id"])["tags"]
        assert external_ids(central, "Port_Group", "Default")["ovirt_tags"].split(",")[-1] \
            == "dflt"
    finally:
        check(tapi.delete(f"/v2.0/security-groups/{default['id']}/tags/dflt"), 204)
    rule = default["security_group_rules"][0]["id"]
    check(tapi.get(f"/v2.0/security-group-rules/{rule}/tags"), 404)
    check(tapi.put(f"/v2.0/security-group-rules/{rule}/tags/x"), 404)


def test_updates_keep_tags(tapi: Api, make: Maker) -> None:
    """A resource PUT never drops the tags (they change only through /tags)."""
    net = make("networks", tags=["n"])
    updated = tapi.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "renamed",
                                                                     "tags": ["ignored"]}})
    check(updated, 200)
    assert updated.json()["network"]["tags"] == ["n"]
    port = make("ports", tags=["p"])
    moved = tapi.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "p2",
                                                            "binding:host_id": "h"}})
    assert moved.json()["port"]["tags"] == ["p"]
    router = make("routers", tags=["r"])
    renamed = tapi.put(f"/v2.0/routers/{router['id']}", {"router": {"name": "r2"}})
    assert renamed.json()["router"]["tags"] == ["r"]
    group = make("security-groups", tags=["g"])
    described = tapi.put(f"/v2.0/security-groups/{group['id']}",
                         {"security_group": {"description": "d"}})
    assert described.json()["security_group"]["tags"] == ["g"]
    fip = make("floatingips", tags=["f"])
    again = tapi.put(f"/v2.0/floatingips/{fip['id']}", {"floatingip": {"description": "d"}})
    assert again.json()["floatingip"]["tags"] == ["f"]
    for kind, item in (("ports", port), ("networks", net), ("routers", router),
                       ("security-groups", group), ("floatingips", fip)):
        check(tapi.delete(f"/v2.0/{kind}/{item['id']}"), 204)


def test_extensions_announce_tags(tapi: Api) -> None:
    aliases = {e["alias"] for e in tapi.get("/v2.0/extensions").json()["extensions"]}
    assert {"standard-attr-tag", "tag-creation"} <= aliases
    check(tapi.get("/v2.0/extensions/standard-attr-tag"), 200)
