"""Listing queries over HTTP (docs/compatibility.md, "Listing") and `/v2.0/extensions`
(its "Extensions")."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from ovn_provider.ovn.central import Central
from tests.support.provider import Api, make_config, running

OPTIONAL = ("routers", "security-groups", "security-group-rules", "floatingips")


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


def ids(response: Any, collection: str) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()[collection]]


def tag() -> str:
    return f"q-{uuid.uuid4().hex[:10]}"


@pytest.fixture()
def nets(api: Api) -> dict[str, Any]:
    """Five networks sharing a unique name, with varied typed attributes."""
    name = tag()
    made = [
        api.network(name=name, mtu=1400, port_security_enabled=True),
        api.network(name=name, mtu=1500, port_security_enabled=False),
        api.network(name=name, mtu=1400, port_security_enabled=False,
                    **{"provider:network_type": "vlan", "provider:physical_network": "ph",
                       "provider:segmentation_id": 10}),
        api.network(name=name, port_security_enabled=True,
                    **{"provider:network_type": "flat", "provider:physical_network": "ph"}),
        api.network(name=name, mtu=9000),
    ]
    return {"name": name, "nets": made, "ids": sorted(n["id"] for n in made)}


def _get(api: Api, path: str, params: list[tuple[str, str]]) -> Any:
    return api.get(path, params=params)


# -- typed filters --------------------------------------------------------------------------
def test_network_filters_by_type(api: Api, nets: dict[str, Any]) -> None:
    name, made = nets["name"], nets["nets"]
    base = [("name", name)]

    def q(*extra: tuple[str, str]) -> list[str]:
        return ids(_get(api, "/v2.0/networks", [*base, *extra]), "networks")

    assert q() == nets["ids"]
    assert q(("mtu", "1400")) == sorted([made[0]["id"], made[2]["id"]])
    assert q(("mtu", "1400"), ("mtu", "9000")) == sorted(
        [made[0]["id"], made[2]["id"], made[4]["id"]])
    assert q(("mtu", "x")) == []
    assert q(("port_security_enabled", "TRUE")) == sorted([made[0]["id"], made[3]["id"]])
    assert q(("port_security_enabled", "false")) == sorted(
        [made[1]["id"], made[2]["id"], made[4]["id"]])
    assert q(("provider:segmentation_id", "10")) == [made[2]["id"]]
    assert q(("provider:network_type", "flat")) == [made[3]["id"]]
    assert q(("provider:network_type", "FLAT")) == []  # strings are exact
    assert q(("id", made[1]["id"]), ("id", made[3]["id"])) == sorted(
        [made[1]["id"], made[3]["id"]])
    assert q(("admin_state_up", "True")) == nets["ids"]
    assert ids(_get(api, "/v2.0/networks", [("name", name), ("name", tag())]),
               "networks") == nets["ids"]


def test_unknown_filter_keys_are_400(api: Api, nets: dict[str, Any]) -> None:
    """filter-validation, as Neutron: a key that names no attribute of the resource is a
    400 (the predecessor matched nothing); every attribute, the tag filters and the
    controls stay accepted."""
    for path, params in (("networks", [("no_such_attribute", "x")]),
                         ("networks", [("name", nets["name"]), ("invalid_filter", "x"),
                                       ("colour", "red")]),
                         ("security-group-rules", [("tags", "a")]),
                         ("ports", [("ip_address", "10.0.0.1")])):
        answer = api.get(f"/v2.0/{path}", params=params)
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        unknown = [k for k, _ in params if k not in ("name",)]
        assert error["message"] == f"[{', '.join(unknown)}] is invalid attribute for filtering"
        assert error["type"] == "HTTPBadRequest"
    for path, params in (("networks", [("name", nets["name"]), ("tags", "x"),
                                       ("not-tags-any", "y"), ("router:external", "false"),
                                       ("subnets", "z")]),
                         ("ports", [("fixed_ips", "ip_address=10.0.0.1"),
                                    ("security_groups", "x"), ("device_owner", "")]),
                         ("floatingips", [("floating_network_id", nets["ids"][0])])):
        answer = api.get(f"/v2.0/{path}", params=params)
        assert answer.status_code == 200, (path, answer.text)


def test_controls_are_never_filters(api: Api, nets: dict[str, Any]) -> None:
    name = nets["name"]
    for extra in ([("fields", "id")], [("fields", "name"), ("fields", "mtu")],
                  [("sort_key", "id"), ("sort_dir", "asc")], [("limit", "0")],
                  [("page_reverse", "False")], [("next", "whatever")],
                  [("previous", "whatever")]):
        body = _get(api, "/v2.0/networks", [("name", name), *extra])
        assert sorted(ids(body, "networks")) == nets["ids"], extra


def test_fields_are_repeatable_and_id_is_always_included(api: Api,
                                                        nets: dict[str, Any]) -> None:
    body = _get(api, "/v2.0/networks", [("name", nets["name"]), ("fields", "mtu"),
                                        ("fields", "name")]).json()["networks"]
    assert all(set(item) == {"id", "mtu", "name"} for item in body)
    body = _get(api, "/v2.0/networks", [("name", nets["name"]),
                                        ("fields", "id")]).json()["networks"]
    assert [set(item) for item in body] == [{"id"}] * 5
    one = nets["nets"][0]
    shown = api.get(f"/v2.0/networks/{one['id']}", params=[("fields", "mtu")])
    assert shown.json() == {"network": {"id": one["id"], "mtu": 1400}}


def test_sorting(api: Api, nets: dict[str, Any]) -> None:
    made = nets["nets"]
    base = [("name", nets["name"])]
    by_mtu = ids(_get(api, "/v2.0/networks", [*base, ("sort_key", "mtu"),
                                              ("sort_dir", "desc")]), "networks")
    assert by_mtu[0] == made[4]["id"] and by_mtu[1] == made[1]["id"]
    mtus = [n["mtu"] for n in _get(api, "/v2.0/networks", [*base, ("sort_key", "mtu")]
                                   ).json()["networks"]]
    assert mtus == sorted(mtus)
    two = _get(api, "/v2.0/networks", [*base, ("sort_key", "port_security_enabled"),
                                       ("sort_dir", "desc"), ("sort_key", "mtu"),
                                       ("sort_dir", "asc")]).json()["networks"]
    assert [(n["port_security_enabled"], n["mtu"]) for n in two] == [
        (True, 1400), (True, 1442), (False, 1400), (False, 1500), (False, 9000)]


@pytest.mark.parametrize("params", [[("sort_key", "no_such_key")],
                                    [("sort_key", "subnets")],
                                    [("sort_key", "name"), ("sort_dir", "sideways")],
                                    [("sort_key", "name"), ("sort_key", "mtu"),
                                     ("sort_dir", "asc")],
                                    [("limit", "many")], [("limit", "-3")],
                                    [("marker", "no-such-marker")]])
def test_bad_controls_are_400(api: Api, params: list[tuple[str, str]]) -> None:
    response = _get(api, "/v2.0/networks", params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 400 and error["title"] == "Bad Request" and error["message"]


def _follow(api: Api, href: str) -> Any:
    parts = urlsplit(href)
    assert parts.path == "/v2.0/networks"
    return api.get(f"{parts.path}?{parts.query}")


def test_paging_with_links(api: Api, nets: dict[str, Any]) -> None:
    first = _get(api, "/v2.0/networks", [("name", nets["name"]), ("limit", "2")])
    seen = ids(first, "networks")
    assert len(seen) == 2
    links = {link["rel"]: link["href"] for link in first.json()["networks_links"]}
    assert set(links) == {"next"}
    page = first
    while "next" in links:
        page = _follow(api, links["next"])
        seen += ids(page, "networks")
        links = {link["rel"]: link["href"] for link in page.json().get("networks_links", [])}
    assert seen == nets["ids"]
    assert len(ids(page, "networks")) == 1
    # and back again
    back: list[str] = []
    while "previous" in links:
        page = _follow(api, links["previous"])
        back = ids(page, "networks") + back
        links = {link["rel"]: link["href"] for link in page.json().get("networks_links", [])}
    assert back == nets["ids"][:4]
    full = _get(api, "/v2.0/networks", [("name", nets["name"]), ("limit", "5")])
    assert "networks_links" not in full.json()


def test_marker_with_page_reverse(api: Api, nets: dict[str, Any]) -> None:
    every = nets["ids"]
    page = _get(api, "/v2.0/networks", [("name", nets["name"]), ("limit", "2"),
                                        ("marker", every[3]), ("page_reverse", "True")])
    assert ids(page, "networks") == every[1:3]


def test_port_fixed_ips_filters(api: Api) -> None:
    net = api.network(name=tag())
    subnet = api.subnet(net["id"], "10.77.0.0/24", gateway_ip="10.77.0.1")
    a = api.port(net["id"], fixed_ips=[{"ip_address": "10.77.0.10"}], device_owner="oVirt",
                 admin_state_up=False)
    b = api.port(net["id"], fixed_ips=[{"ip_address": "10.77.0.11"}],
                 mac_address="00:1a:4a:77:00:11")

    def q(*params: tuple[str, str]) -> list[str]:
        return ids(_get(api, "/v2.0/ports", [("network_id", net["id"]), *params]), "ports")

    assert q() == sorted([a["id"], b["id"]])
    assert q(("fixed_ips", "ip_address=10.77.0.10")) == [a["id"]]
    assert q(("fixed_ips", "ip_address=10.77.0.10"), ("fixed_ips", "ip_address=10.77.0.11")
             ) == sorted([a["id"], b["id"]])
    assert q(("fixed_ips", f"subnet_id={subnet['id']}")) == sorted([a["id"], b["id"]])
    assert q(("fixed_ips", f"subnet_id={subnet['id']}"),
             ("fixed_ips", "ip_address=10.77.0.11")) == [b["id"]]
    assert q(("fixed_ips", "ip_address=10.77.0.99")) == []
    assert q(("fixed_ips", "ip_address_substr=77.0.1")) == sorted([a["id"], b["id"]])
    assert q(("device_owner", "oVirt")) == [a["id"]]
    assert q(("admin_state_up", "false")) == [a["id"]]
    assert q(("mac_address", "00:1a:4a:77:00:11")) == [b["id"]]
    assert q(("status", "DOWN")) == sorted([a["id"], b["id"]])
    assert q(("port_security_enabled", "False")) == sorted([a["id"], b["id"]])
    assert q(("fields", "id"), ("fixed_ips", "ip_address=10.77.0.11")) == [b["id"]]


def test_subnet_filters(api: Api) -> None:
    net = api.network(name=tag())
    v4 = api.subnet(net["id"], "10.78.0.0/24", name="four")
    v6 = api.subnet(net["id"], "fd00:78::/64", name="six")

    def q(*params: tuple[str, str]) -> list[str]:
        return ids(_get(api, "/v2.0/subnets", [("network_id", net["id"]), *params]),
                   "subnets")

    assert q() == sorted([v4["id"], v6["id"]])
    assert q(("ip_version", "4")) == [v4["id"]]
    assert q(("ip_version", "6")) == [v6["id"]]
    assert q(("cidr", "10.78.0.0/24")) == [v4["id"]]
    assert q(("enable_dhcp", "True")) == sorted([v4["id"], v6["id"]])
    assert q(("name", "six")) == [v6["id"]]
    sorted_by_version = ids(_get(api, "/v2.0/subnets", [
        ("network_id", net["id"]), ("sort_key", "ip_version"), ("sort_dir", "desc")]),
        "subnets")
    assert sorted_by_version == [v6["id"], v4["id"]]


@pytest.mark.parametrize("path", ["networks", "subnets", "ports", *OPTIONAL])
def test_every_collection_supports_the_controls(api: Api, path: str) -> None:
    listing = api.get(f"/v2.0/{path}")
    if path in OPTIONAL and listing.status_code == 404:
        pytest.skip(f"/v2.0/{path} is not served")
    assert listing.status_code == 200
    collection = path.replace("-", "_")
    items = listing.json()[collection]
    everything = sorted(i["id"] for i in items)
    assert [i["id"] for i in items] == everything  # default order is by id
    assert sorted(ids(api.get(f"/v2.0/{path}", params={"fields": "id"}), collection)
                  ) == everything
    assert api.get(f"/v2.0/{path}", params={"no_such_attribute": "x"}).status_code == 400
    assert ids(api.get(f"/v2.0/{path}", params=[("sort_key", "id"), ("sort_dir", "desc")]),
               collection) == everything[::-1]
    assert api.get(f"/v2.0/{path}", params={"sort_key": "no_such_key"}).status_code == 400
    if everything:
        one = api.get(f"/v2.0/{path}", params={"limit": "1"})
        assert ids(one, collection) == everything[:1]
        if len(everything) > 1:
            link = one.json()[f"{collection}_links"][0]
            assert link["rel"] == "next"
            assert urlsplit(link["href"]).path == f"/v2.0/{path}"
        by_id = api.get(f"/v2.0/{path}", params={"id": everything[-1]})
        assert ids(by_id, collection) == everything[-1:]


def test_tech_is_never_filtered(api: Api, nets: dict[str, Any]) -> None:
    body = api.get("/v2.0/tech", params={"name": "nothing-has-this-name"}).json()
    assert {"networks", "subnets", "ports"} <= set(body)
    assert set(nets["ids"]) <= {n["id"] for n in body["networks"]}


# -- extensions (docs/compatibility.md, "Extensions") ----------------------------------------------
ALWAYS = {"extraroute", "provider", "net-mtu", "port-security", "binding", "pagination",
          "sorting", "fields", "project-id", "ip-substring-filtering",
          "standard-attr-tag", "tag-creation", "allowed-address-pairs",
          "standard-attr-timestamp", "standard-attr-revisions", "revision-if-match",
          "standard-attr-description", "net-mtu-writable", "network-ip-availability",
          "quotas", "filter-validation"}


def test_extensions_list_exactly_what_is_implemented(api: Api) -> None:
    body = api.get("/v2.0/extensions").json()
    aliases = [e["alias"] for e in body["extensions"]]
    assert len(aliases) == len(set(aliases))
    expected = set(ALWAYS)
    if api.get("/v2.0/routers").status_code == 200:
        expected |= {"router", "external-net", "extraroute-atomic"}
    if api.get("/v2.0/security-groups").status_code == 200:
        expected |= {"security-group", "stateful-security-group"}
    assert expected <= set(aliases)
    assert set(aliases) - expected <= {"ext-gw-mode"}
    for ext in body["extensions"]:
        assert set(ext) == {"alias", "name", "description", "updated", "links"}
        assert ext["name"] and ext["description"]
        one = api.get(f"/v2.0/extensions/{ext['alias']}")
        assert one.status_code == 200
        assert one.json() == {"extension": ext}
    extraroute = next(e for e in body["extensions"] if e["alias"] == "extraroute")
    assert extraroute["name"] == "Neutron Extra Route"


@pytest.mark.parametrize("alias", ["no-such-ext", "dvr", "router-x"])
def test_unknown_extension_is_404(api: Api, alias: str) -> None:
    response = api.get(f"/v2.0/extensions/{alias}")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"Cannot find extension with alias {alias}"


def test_configured_url_filter_exceptions_are_never_filters(central: Central) -> None:
    cfg = make_config(central.nb_remote,
                      **{"PROVIDER/url_filter_exception": "limit,colour,name"})
    with running(cfg) as prov:
        client = Api(prov)
        try:
            made = client.network(name=tag())
            everything = ids(client.get("/v2.0/networks"), "networks")
            assert made["id"] in everything
            assert ids(client.get("/v2.0/networks", params={"colour": "red"}),
                       "networks") == everything
            assert ids(client.get("/v2.0/networks", params={"name": "nobody"}),
                       "networks") == everything
            # limit stays a paging control (docs/compatibility.md, "Listing"), never a filter
            assert len(ids(client.get("/v2.0/networks", params={"limit": "1"}),
                           "networks")) == 1
            assert ids(client.get("/v2.0/networks", params={"id": made["id"]}),
                       "networks") == [made["id"]]
        finally:
            client.close()
