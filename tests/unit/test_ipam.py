"""IP address maths (neutron/ipam.py): pools, exclusions, address strings, picking."""

from __future__ import annotations

import ipaddress

import pytest

from ovn_provider.neutron import ipam


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def texts(pools: list[ipam.Pool]) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in pools]


# -- default pools (docs/compatibility.md, "Networks, subnets, ports")
# --------------------------------------------------
def test_ipv4_pool_excludes_network_and_broadcast() -> None:
    assert texts(ipam.default_pools(net("10.0.0.0/24"), None)) == [("10.0.0.1", "10.0.0.254")]


def test_ipv4_pool_is_split_around_the_gateway() -> None:
    pools = ipam.default_pools(net("10.0.0.0/24"), ip("10.0.0.1"))
    assert texts(pools) == [("10.0.0.2", "10.0.0.254")]
    pools = ipam.default_pools(net("10.0.0.0/24"), ip("10.0.0.100"))
    assert texts(pools) == [("10.0.0.1", "10.0.0.99"), ("10.0.0.101", "10.0.0.254")]
    pools = ipam.default_pools(net("10.0.0.0/24"), ip("10.0.0.254"))
    assert texts(pools) == [("10.0.0.1", "10.0.0.253")]


def test_gateway_outside_the_cidr_does_not_split() -> None:
    pools = ipam.default_pools(net("10.0.0.0/24"), ip("10.0.1.1"))
    assert texts(pools) == [("10.0.0.1", "10.0.0.254")]


@pytest.mark.parametrize("cidr", ["10.0.0.0/31", "10.0.0.1/32", "fd00::/127", "fd00::1/128"])
def test_tiny_cidrs_have_no_pool(cidr: str) -> None:
    assert ipam.default_pools(ipaddress.ip_network(cidr, strict=False), None) == []


def test_slash_30_has_two_addresses_and_gateway_leaves_one() -> None:
    assert texts(ipam.default_pools(net("10.0.0.0/30"), None)) == [("10.0.0.1", "10.0.0.2")]
    assert texts(ipam.default_pools(net("10.0.0.0/30"), ip("10.0.0.1"))) == [
        ("10.0.0.2", "10.0.0.2")]


def test_slash_30_whose_only_addresses_are_taken_by_gateway() -> None:
    # /30 with the gateway in the middle: the two usable addresses split into one each
    assert texts(ipam.default_pools(net("10.0.0.4/30"), ip("10.0.0.5"))) == [
        ("10.0.0.6", "10.0.0.6")]


def test_ipv6_pool_includes_the_last_address() -> None:
    pools = ipam.default_pools(net("fd00::/64"), ip("fd00::1"))
    assert texts(pools) == [("fd00::2", "fd00::ffff:ffff:ffff:ffff")]
    assert texts(ipam.default_pools(net("fd00::/126"), None)) == [("fd00::1", "fd00::3")]


def test_pools_text_round_trip() -> None:
    pools = ipam.default_pools(net("10.0.0.0/24"), ip("10.0.0.100"))
    text = ipam.pools_text(pools)
    assert text == "10.0.0.1-10.0.0.99,10.0.0.101-10.0.0.254"
    assert ipam.parse_pools(text) == pools
    assert ipam.parse_pools("") is None
    assert ipam.parse_pools(None) is None
    assert ipam.parse_pools("garbage") is None
    assert ipam.parse_pools("fd00::2-fd00::9") == [(ip("fd00::2"), ip("fd00::9"))]


# -- exclude_ips  ---------------------------------------------------------------------
def test_exclude_ips_singles_and_ranges() -> None:
    ranges = ipam.parse_exclude_ips("10.0.0.5 10.0.0.10..10.0.0.20  bogus 1..2 10.0.0.30")
    assert ranges == [(int(ip("10.0.0.5")),) * 2,
                      (int(ip("10.0.0.10")), int(ip("10.0.0.20"))),
                      (int(ip("10.0.0.30")),) * 2]
    assert ipam.excluded(ip("10.0.0.5"), ranges)
    assert ipam.excluded(ip("10.0.0.10"), ranges)
    assert ipam.excluded(ip("10.0.0.15"), ranges)
    assert ipam.excluded(ip("10.0.0.20"), ranges)
    assert not ipam.excluded(ip("10.0.0.21"), ranges)
    assert not ipam.excluded(ip("10.0.0.9"), ranges)
    assert ipam.parse_exclude_ips(None) == []
    assert ipam.parse_exclude_ips("") == []


def test_exclude_text_keeps_dynamic_allocation_inside_pools() -> None:
    pools = [(ip("10.0.0.10"), ip("10.0.0.20")), (ip("10.0.0.100"), ip("10.0.0.100"))]
    text = ipam.exclude_text_for_pools(net("10.0.0.0/24"), pools)
    assert text == "10.0.0.1..10.0.0.9 10.0.0.21..10.0.0.99 10.0.0.101..10.0.0.254"
    ranges = ipam.parse_exclude_ips(text)
    usable = [a for a in net("10.0.0.0/24").hosts() if not ipam.excluded(a, ranges)]
    assert [str(a) for a in usable] == [f"10.0.0.{n}" for n in range(10, 21)] + ["10.0.0.100"]
    whole = ipam.exclude_text_for_pools(net("10.0.0.0/24"),
                                        [(ip("10.0.0.1"), ip("10.0.0.254"))])
    assert whole == ""


# -- LSP address strings -------------------------------------------------------------------
def test_parse_lsp_addresses() -> None:
    assert ipam.parse_lsp_addresses(["02:AA:bb:cc:dd:ee"]) == ("02:aa:bb:cc:dd:ee", [], False)
    assert ipam.parse_lsp_addresses(["02:aa:bb:cc:dd:ee dynamic"]) == (
        "02:aa:bb:cc:dd:ee", [], True)
    assert ipam.parse_lsp_addresses(["02:aa:bb:cc:dd:ee 10.0.0.5 fd00::5"]) == (
        "02:aa:bb:cc:dd:ee", ["10.0.0.5", "fd00::5"], False)
    assert ipam.parse_lsp_addresses(["router"]) == (None, [], False)
    assert ipam.parse_lsp_addresses(["unknown"]) == (None, [], False)
    assert ipam.parse_lsp_addresses([]) == (None, [], False)
    assert ipam.parse_lsp_addresses(["", "02:aa:bb:cc:dd:ee"]) == (
        "02:aa:bb:cc:dd:ee", [], False)


def test_parse_dynamic() -> None:
    assert ipam.parse_dynamic(None) == []
    assert ipam.parse_dynamic([]) == []
    assert ipam.parse_dynamic("") == []
    assert ipam.parse_dynamic(["0a:00:00:00:00:01 10.0.0.2"]) == ["10.0.0.2"]
    assert ipam.parse_dynamic("0a:00:00:00:00:01 10.0.0.2 fd00::1") == ["10.0.0.2", "fd00::1"]


def test_ip_of() -> None:
    assert ipam.ip_of("10.0.0.1/24") == ip("10.0.0.1")
    assert ipam.ip_of("fd00::1/64") == ip("fd00::1")
    assert ipam.ip_of("x") is None


# -- picking a free address ----------------------------------------------------------------
def test_pick_free_first_free_in_order() -> None:
    pools = [(ip("10.0.0.10"), ip("10.0.0.12")), (ip("10.0.0.2"), ip("10.0.0.3"))]
    taken = {ip("10.0.0.2")}
    assert ipam.pick_free(pools, taken.__contains__) == ip("10.0.0.3")
    taken.add(ip("10.0.0.3"))
    assert ipam.pick_free(pools, taken.__contains__) == ip("10.0.0.10")


def test_pick_free_starts_after_cursor_and_wraps_around() -> None:
    pools = [(ip("10.0.0.2"), ip("10.0.0.5"))]
    never = set[object]()
    assert ipam.pick_free(pools, never.__contains__, start_after=ip("10.0.0.3")) == ip(
        "10.0.0.4")
    assert ipam.pick_free(pools, never.__contains__, start_after=ip("10.0.0.5")) == ip(
        "10.0.0.2")  # wrapped
    taken = {ip("10.0.0.5")}
    assert ipam.pick_free(pools, taken.__contains__, start_after=ip("10.0.0.4")) == ip(
        "10.0.0.2")
    # a cursor outside every pool (e.g. pools changed) still finds an address
    assert ipam.pick_free(pools, never.__contains__, start_after=ip("10.0.0.200")) == ip(
        "10.0.0.2")
    assert ipam.pick_free(pools, never.__contains__, start_after=ip("10.0.0.0")) == ip(
        "10.0.0.2")


def test_pick_free_wrap_covers_every_address_once() -> None:
    pools = [(ip("10.0.0.2"), ip("10.0.0.4")), (ip("10.0.0.8"), ip("10.0.0.9"))]
    seen: list[str] = []

    def taken(candidate: object) -> bool:
        seen.append(str(candidate))
        return True

    assert ipam.pick_free(pools, taken, start_after=ip("10.0.0.3")) is None
    assert seen == ["10.0.0.4", "10.0.0.8", "10.0.0.9", "10.0.0.2", "10.0.0.3"]


def test_pick_free_full_and_empty_and_limit() -> None:
    pools = [(ip("10.0.0.2"), ip("10.0.0.3"))]
    assert ipam.pick_free(pools, lambda _: True) is None
    assert ipam.pick_free([], lambda _: False) is None
    big = [(ip("10.0.0.0"), ip("10.255.255.255"))]
    calls = []

    def taken(candidate: object) -> bool:
        calls.append(candidate)
        return True

    assert ipam.pick_free(big, taken, limit=100) is None
    assert len(calls) == 100


def test_pick_free_ipv6() -> None:
    pools = [(ip("fd00::2"), ip("fd00::ffff"))]
    taken = {ip("fd00::2")}
    assert ipam.pick_free(pools, taken.__contains__) == ip("fd00::3")


# -- EUI-64 ----------------------------------------------------------------------------------
def test_eui64_matches_rfc4291_derivation() -> None:
    assert ipam.eui64(net("fd00:1::/64"), "00:1a:4a:16:01:51") == ip(
        "fd00:1::21a:4aff:fe16:151")
    # the universal/local bit flips back for locally administered addresses
    assert ipam.eui64(net("2001:db8::/64"), "02:00:00:00:00:01") == ip("2001:db8::ff:fe00:1")


def test_pool_end_is_inclusive_and_can_be_handed_out() -> None:
    pools = ipam.default_pools(net("10.0.0.0/29"), ip("10.0.0.1"))
    assert texts(pools) == [("10.0.0.2", "10.0.0.6")]
    start, end = pools[0]
    taken = {ip(f"10.0.0.{n}") for n in range(2, 6)}
    assert ipam.pick_free(pools, taken.__contains__) == end
    assert ipam.pick_free(pools, lambda c: c != start) == start


def test_pick_free_passes_over_held_addresses_after_its_first_exact_checks() -> None:
    first = int(ip("10.0.0.0"))
    pools = [(ip("10.0.0.2"), ip("10.0.3.254"))]
    taken = {first + n for n in range(2, 700)}
    checked: list[int] = []
    asked: list[int] = []

    def is_taken(candidate: ipaddress.IPv4Address) -> bool:
        checked.append(int(candidate))
        return int(candidate) in taken

    def held() -> set[int]:
        asked.append(len(checked))
        return taken

    assert ipam.pick_free(pools, is_taken, held=held) == ip("10.0.2.188")  # first + 700
    assert asked == [ipam.EXACT_FIRST], "held is asked once, after the exact checks"
    assert len(checked) == ipam.EXACT_FIRST + 1


def test_pick_free_checks_exactly_what_held_does_not_hold() -> None:
    """`held` is a hint: an address it misses is checked, and one it holds is never
    returned unchecked; a search that ends early never asks for it."""
    pools = [(ip("10.0.0.2"), ip("10.0.0.254"))]
    first = int(ip("10.0.0.0"))
    taken = {first + n for n in range(2, 100)}
    hint = {first + n for n in range(2, 100) if n != 60}  # misses .60, which is taken
    checked: list[int] = []

    def is_taken(candidate: ipaddress.IPv4Address) -> bool:
        checked.append(int(candidate))
        return int(candidate) in taken

    assert ipam.pick_free(pools, is_taken, held=lambda: hint) == ip("10.0.0.100")
    assert first + 60 in checked and first + 61 not in checked
    assert ipam.pick_free(pools, lambda _: False, held=lambda: 1 / 0) == ip("10.0.0.2")
    # the limit counts addresses passed over too
    assert ipam.pick_free(pools, is_taken, held=lambda: hint, limit=50) is None
    # a held run that reaches the end of a segment goes on in the next one (wrapping)
    full = {first + n for n in range(2, 255) if n != 30}
    assert ipam.pick_free(pools, lambda c: int(c) in full, start_after=ip("10.0.0.50"),
                          held=lambda: full) == ip("10.0.0.30")
