"""Listing controls (api/query.py): typed filters, fields, sorting, paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from ovn_provider.api import query
from ovn_provider.errors import BadRequest

BASE = "http://h:9696/v2.0/"


def items() -> list[dict[str, Any]]:
    return [
        {"id": "c", "name": "gamma", "mtu": 1500, "admin_state_up": True, "tags": ["x"],
         "nested": {"a": 1}, "gateway_ip": None},
        {"id": "a", "name": "alpha", "mtu": 1442, "admin_state_up": False, "tags": [],
         "nested": {"a": 2}, "gateway_ip": "10.0.0.1"},
        {"id": "b", "name": "beta", "mtu": 1442, "admin_state_up": True, "tags": ["x", "y"],
         "nested": {}, "gateway_ip": None},
        {"id": "d", "name": "alpha", "mtu": 9000, "admin_state_up": True, "tags": ["y"],
         "nested": {}, "gateway_ip": "10.0.0.2"},
    ]


def ids(body: dict[str, Any], collection: str = "networks") -> list[str]:
    return [i["id"] for i in body[collection]]


def run(q: list[tuple[str, str]], collection: str = "networks",
        data: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    return query.apply(items() if data is None else data, q, collection,
                       ("limit", "page_reverse", "next", "previous"), BASE, **kw)


def test_default_order_is_by_id() -> None:
    assert ids(run([])) == ["a", "b", "c", "d"]


def test_string_filters_are_exact_and_repeats_are_alternatives() -> None:
    assert ids(run([("name", "alpha")])) == ["a", "d"]
    assert ids(run([("name", "Alpha")])) == []
    assert ids(run([("name", "alp")])) == []
    assert ids(run([("name", "alpha"), ("name", "beta")])) == ["a", "b", "d"]
    assert ids(run([("id", "c"), ("id", "b")])) == ["b", "c"]


def test_integer_filters_compare_as_integers() -> None:
    assert ids(run([("mtu", "1442")])) == ["a", "b"]
    assert ids(run([("mtu", "01442")])) == ["a", "b"]
    assert ids(run([("mtu", "1442"), ("mtu", "9000")])) == ["a", "b", "d"]
    assert ids(run([("mtu", "abc")])) == []


@pytest.mark.parametrize("text", ["true", "True", "TRUE", " true "])
def test_boolean_filters_are_case_insensitive(text: str) -> None:
    assert ids(run([("admin_state_up", text)])) == ["b", "c", "d"]


def test_boolean_false_and_garbage() -> None:
    assert ids(run([("admin_state_up", "FaLsE")])) == ["a"]
    assert ids(run([("admin_state_up", "1")])) == []


def test_several_filters_all_apply() -> None:
    assert ids(run([("name", "alpha"), ("mtu", "9000")])) == ["d"]


def test_unknown_filter_keys_are_400_where_the_collection_has_a_schema() -> None:
    """filter-validation: keys the schema does not define are refused, all named."""
    with pytest.raises(BadRequest) as caught:
        run([("colour", "red"), ("name", "alpha"), ("size", "1")])
    assert caught.value.message == "[colour, size] is invalid attribute for filtering"
    with pytest.raises(BadRequest):
        run([("tags", "x")], "security_group_rules")  # rules have no tags
    # a collection without a schema takes any key; one its items lack matches nothing
    assert ids(run([("colour", "red")], "things"), "things") == []


def test_list_and_null_and_dict_values() -> None:
    def got(q: list[tuple[str, str]]) -> list[str]:
        return ids(run(q, "things"), "things")

    assert got([("tags", "x")]) == ["b", "c"]
    assert got([("gateway_ip", "10.0.0.1")]) == ["a"]
    assert got([("gateway_ip", "null")]) == ["b", "c"]
    assert got([("nested", "{}")]) == []


def test_controls_and_url_filter_exceptions_are_never_filters() -> None:
    everything = ["a", "b", "c", "d"]
    assert ids(run([("fields", "id")])) == everything
    assert ids(run([("sort_key", "id"), ("sort_dir", "asc")])) == everything
    assert ids(run([("next", "x"), ("previous", "y")])) == everything
    assert ids(run([("page_reverse", "false")])) == everything
    # a key configured as exception is dropped, whatever its name
    body = query.apply(items(), [("name", "nobody")], "networks", ("name",), BASE)
    assert ids(body) == everything


def test_fields_select_attributes_and_always_keep_id() -> None:
    body = run([("fields", "name")])
    assert body["networks"][0] == {"id": "a", "name": "alpha"}
    body = run([("fields", "name"), ("fields", "mtu")])
    assert body["networks"][0] == {"id": "a", "name": "alpha", "mtu": 1442}
    body = run([("fields", "name,mtu")])
    assert body["networks"][1] == {"id": "b", "name": "beta", "mtu": 1442}
    body = run([("fields", "nothing")])
    assert body["networks"] == [{"id": i} for i in "abcd"]


def test_fields_never_mutates_the_input() -> None:
    data = items()
    query.apply(data, [("fields", "id")], "networks", (), BASE)
    assert "name" in data[0]


def test_select_fields_helper() -> None:
    item = {"id": "1", "a": 1, "b": 2}
    assert query.select_fields(item, []) is item
    assert query.select_fields(item, ["b"]) == {"id": "1", "b": 2}
    assert query.fields_of([("fields", "a, b"), ("x", "y"), ("fields", "c")]) == ["a", "b", "c"]


def test_sorting_typed_and_multi_key() -> None:
    assert ids(run([("sort_key", "mtu")])) == ["a", "b", "c", "d"]
    assert ids(run([("sort_key", "mtu"), ("sort_dir", "desc")])) == ["d", "c", "a", "b"]
    assert ids(run([("sort_key", "name"), ("sort_key", "mtu"), ("sort_dir", "asc"),
                    ("sort_dir", "desc")])) == ["d", "a", "b", "c"]
    assert ids(run([("sort_key", "admin_state_up"), ("sort_dir", "desc")])) == [
        "b", "c", "d", "a"]
    # integers sort numerically, not as text
    data = [{"id": "1", "mtu": 900}, {"id": "2", "mtu": 10000}]
    assert ids(run([("sort_key", "mtu")], data=data)) == ["1", "2"]


def test_sorting_errors() -> None:
    with pytest.raises(BadRequest, match="sort_key"):
        run([("sort_key", "colour")])
    with pytest.raises(BadRequest):
        run([("sort_key", "tags")])  # a list
    with pytest.raises(BadRequest):
        run([("sort_key", "nested")])  # an object
    with pytest.raises(BadRequest, match="sort_dir"):
        run([("sort_key", "name"), ("sort_dir", "up")])
    with pytest.raises(BadRequest, match="same"):
        run([("sort_key", "name"), ("sort_key", "mtu"), ("sort_dir", "asc")])
    with pytest.raises(BadRequest):
        run([("sort_dir", "asc")])


def test_sort_key_known_to_the_collection_is_valid_on_an_empty_list() -> None:
    assert run([("sort_key", "mtu")], data=[]) == {"networks": []}
    with pytest.raises(BadRequest):
        run([("sort_key", "colour")], data=[])
    # an optional attribute absent from every row is still a valid sort key
    data = [{"id": "1"}, {"id": "2", "binding:host_id": "h"}]
    assert ids(query.apply(data, [("sort_key", "binding:host_id"), ("sort_dir", "desc")],
                           "ports", (), BASE), "ports") == ["2", "1"]


def _links(body: dict[str, Any], collection: str = "networks") -> dict[str, dict[str, str]]:
    return {link["rel"]: dict(parse_qsl(urlsplit(link["href"]).query))
            for link in body.get(f"{collection}_links", [])}


def test_limit_and_marker_walk_forward() -> None:
    first = run([("limit", "2")])
    assert ids(first) == ["a", "b"]
    links = _links(first)
    assert set(links) == {"next"}
    assert links["next"] == {"limit": "2", "marker": "b"}
    href = first["networks_links"][0]["href"]
    assert href.startswith(BASE + "networks?")
    second = run([("limit", "2"), ("marker", "b")])
    assert ids(second) == ["c", "d"]
    assert set(_links(second)) == {"previous"}
    assert _links(second)["previous"] == {"limit": "2", "marker": "c",
                                          "page_reverse": "True"}
    middle = run([("limit", "1"), ("marker", "a")])
    assert ids(middle) == ["b"]
    assert set(_links(middle)) == {"next", "previous"}


def test_page_reverse_walks_backwards_in_normal_order() -> None:
    page = run([("limit", "2"), ("marker", "d"), ("page_reverse", "True")])
    assert ids(page) == ["b", "c"]
    links = _links(page)
    assert links["previous"] == {"limit": "2", "marker": "b", "page_reverse": "True"}
    assert links["next"] == {"limit": "2", "marker": "c"}
    last = run([("limit", "2"), ("page_reverse", "true")])
    assert ids(last) == ["c", "d"]
    assert set(_links(last)) == {"previous"}


def test_a_full_list_has_no_links() -> None:
    body = run([("limit", "4")])
    assert ids(body) == ["a", "b", "c", "d"] and "networks_links" not in body
    body = run([("limit", "0")])
    assert ids(body) == ["a", "b", "c", "d"] and "networks_links" not in body


def test_paging_follows_the_sort_order_and_filters() -> None:
    q = [("sort_key", "mtu"), ("sort_dir", "desc"), ("limit", "2")]
    first = run(q)
    assert ids(first) == ["d", "c"]
    assert ids(run([*q, ("marker", "c")])) == ["a", "b"]
    filtered = run([("name", "alpha"), ("limit", "1")])
    assert ids(filtered) == ["a"]
    assert _links(filtered)["next"]["name"] == "alpha"
    assert ids(run([("name", "alpha"), ("limit", "1"), ("marker", "a")])) == ["d"]


def test_marker_filtered_out_still_positions_the_page() -> None:
    # "b" is not an alpha, but the page starts after it
    assert ids(run([("name", "alpha"), ("marker", "b")])) == ["d"]
    assert ids(run([("name", "alpha"), ("marker", "b"), ("page_reverse", "true")])) == ["a"]


def test_paging_errors() -> None:
    with pytest.raises(BadRequest):
        run([("limit", "x")])
    with pytest.raises(BadRequest):
        run([("limit", "-1")])
    with pytest.raises(BadRequest, match="Marker"):
        run([("marker", "nope")])
    with pytest.raises(BadRequest):
        run([("limit", "1"), ("page_reverse", "maybe")])


def test_links_use_the_url_path_and_fields_survive() -> None:
    data = [{"id": "1"}, {"id": "2"}]
    body = query.apply(data, [("limit", "1"), ("fields", "name")], "security_groups", (),
                       BASE, "security-groups")
    href = body["security_groups_links"][0]["href"]
    assert href.startswith(BASE + "security-groups?")
    assert ("fields", "name") in parse_qsl(urlsplit(href).query)


def test_fixed_ips_filters() -> None:
    ports = [
        {"id": "1", "fixed_ips": [{"ip_address": "10.0.0.5", "subnet_id": "s1"}]},
        {"id": "2", "fixed_ips": [{"ip_address": "10.0.0.6", "subnet_id": "s1"},
                                  {"ip_address": "fd00::6", "subnet_id": "s2"}]},
        {"id": "3", "fixed_ips": []},
    ]

    def f(*specs: str) -> list[str]:
        return ids(query.apply(ports, [("fixed_ips", s) for s in specs], "ports"), "ports")

    assert f("ip_address=10.0.0.5") == ["1"]
    assert f("ip_address=10.0.0.5", "ip_address=fd00::6") == ["1", "2"]
    assert f("subnet_id=s1") == ["1", "2"]
    assert f("subnet_id=s2") == ["2"]
    assert f("subnet_id=s1", "ip_address=10.0.0.6") == ["2"]
    assert f("subnet_id=s2", "ip_address=10.0.0.5") == []
    assert f("ip_address_substr=0.0.") == ["1", "2"]
    assert f("mac=x") == []
    assert f("nonsense") == []
