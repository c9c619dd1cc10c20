"""Request attribute validators (neutron/validate.py): every one gives a clear 400."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from ovn_provider.errors import BadRequest
from ovn_provider.neutron import validate as V


# -- MAC addresses --------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("00:1a:4a:16:01:51", "00:1a:4a:16:01:51"),
    ("00:1A:4A:16:01:51", "00:1a:4a:16:01:51"),
    ("00-1A-4A-16-01-51", "00:1a:4a:16:01:51"),
    ("001a4a160151", "00:1a:4a:16:01:51"),
    ("001A.4A16.0151", "00:1a:4a:16:01:51"),
    ("0:1a:4a:16:1:51", "00:1a:4a:16:01:51"),
    ("0-1a-4a-16-1-51", "00:1a:4a:16:01:51"),
    ("001a4a:160151", "00:1a:4a:16:01:51"),
    ("001a4a-160151", "00:1a:4a:16:01:51"),
])
def test_normalize_mac_accepts_eui48_forms(text: str, expected: str) -> None:
    assert V.normalize_mac(text) == expected
    assert V.mac(text) == expected


@pytest.mark.parametrize("text", [
    "", "00:1a:4a:16:01", "00:1a:4a:16:01:51:00", "00:1a-4a:16:01:51", "0g:1a:4a:16:01:51",
    "001a4a16015", "001a.4a16.015", "001a:4a16:0151", "00::1a:4a:16:01:51", "000:1a:4a:16:1:51",
    "00:1a:4a:16:01:51\n00", "banana",
    # whitespace around it: refused, as every address of a request (validate.unpadded)
    " 02:00:00:00:00:01 ", "02:00:00:00:00:01\n", "\t02:00:00:00:00:01",
])
def test_normalize_mac_rejects_others(text: str) -> None:
    assert V.normalize_mac(text) is None
    with pytest.raises(BadRequest) as info:
        V.mac(text)
    assert info.value.message == (f"Invalid input for mac_address. Reason: '{text}' is not a "
                                  "valid MAC address.")


@pytest.mark.parametrize("value", [None, 12, ["00:1a:4a:16:01:51"], b"00:1a:4a:16:01:51"])
def test_normalize_mac_non_strings(value: Any) -> None:
    assert V.normalize_mac(value) is None
    with pytest.raises(BadRequest, match="mac_address"):
        V.mac(value)


@pytest.mark.parametrize("text", ["00:00:00:00:00:00", "FF:FF:FF:FF:FF:FF", "ffffffffffff"])
def test_port_mac_refuses_zero_and_broadcast(text: str) -> None:
    assert V.normalize_mac(text) is not None  # a well-formed EUI-48 ...
    with pytest.raises(BadRequest, match="not a valid MAC address"):
        V.mac(text)  # ... but never a port's MAC


# -- booleans, strings, integers -----------------------------------------------------------------
@pytest.mark.parametrize("value", [True, False])
def test_boolean_accepts_json_booleans(value: bool) -> None:
    assert V.boolean(value, "enable_dhcp") is value


@pytest.mark.parametrize("value", ["true", "True", 1, 0, None, [], "false"])
def test_boolean_refuses_everything_else(value: Any) -> None:
    with pytest.raises(BadRequest) as info:
        V.boolean(value, "port_security_enabled")
    assert info.value.message == "port_security_enabled must be of type bool"
    assert info.value.status == 400


def test_string() -> None:
    assert V.string("", "name") == ""
    assert V.string("réseau ネット", "name") == "réseau ネット"
    assert V.string("x" * 255, "name") == "x" * 255
    assert V.string("abc", "x", max_len=3) == "abc"


@pytest.mark.parametrize("value", [1, None, True, ["a"], {"a": 1}, 1.5])
def test_string_refuses_non_strings(value: Any) -> None:
    with pytest.raises(BadRequest) as info:
        V.string(value, "name")
    assert info.value.message == f"Invalid input for name. Reason: '{value}' is not a valid " \
                                 "string."


def test_string_too_long() -> None:
    with pytest.raises(BadRequest, match="exceeds maximum length of 255"):
        V.string("x" * 256, "name")
    with pytest.raises(BadRequest, match="description.*maximum length of 4"):
        V.string("abcde", "description", max_len=4)


@pytest.mark.parametrize(("value", "expected"), [
    (0, 0), (10, 10), (4094, 4094), ("10", 10), (" 7 ", 7), ("-3", -3), (-3, -3),
])
def test_integer_accepts_ints_and_numeric_strings(value: Any, expected: int) -> None:
    assert V.integer(value, "n") == expected


@pytest.mark.parametrize("value", [True, False, 1.0, 1.5, "1.0", "ten", "", None, [1],
                                   "١٢", "0x10"])
def test_integer_refuses_others(value: Any) -> None:
    with pytest.raises(BadRequest) as info:
        V.integer(value, "provider:segmentation_id")
    assert info.value.message == ("Invalid input for provider:segmentation_id. Reason: "
                                  f"'{value}' is not an integer.")


@pytest.mark.parametrize(("value", "low", "high", "bounds"), [
    (4095, 0, 4094, "0 to 4094"), (-1, 0, 4094, "0 to 4094"), (-1, 0, None, "0 to inf"),
    (70000, None, 65535, "-inf to 65535"),
])
def test_integer_range(value: int, low: int | None, high: int | None, bounds: str) -> None:
    with pytest.raises(BadRequest) as info:
        V.integer(value, "x", low, high)
    assert info.value.message == f"Invalid input for x. Reason: '{value}' is out of range " \
                                 f"({bounds})."
    assert V.integer(low if low is not None else high, "x", low, high) in (low, high)


# -- IP addresses and networks ------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("10.0.0.1", "10.0.0.1"), ("fd00::1", "fd00::1"),
    ("FD00:0:0::1", "fd00::1"), ("::ffff:10.0.0.1", "::ffff:a00:1"), ("0.0.0.0", "0.0.0.0"),
])
def test_ip_address(text: str, expected: str) -> None:
    assert str(V.ip_address(text, "gateway_ip")) == expected


@pytest.mark.parametrize("value", ["10.0.0.256", "10.0.0", "010.0.0.1", "10.0.0.1/24",
                                   "fe80::1%eth0", "fd00:::1", "host.example", "", None, 167772161,
                                   ["10.0.0.1"], " 10.0.0.1", "10.0.0.1 ", "fd00::1\n",
                                   "\t10.0.0.1", "\u00a010.0.0.1"])
def test_ip_address_refuses(value: Any) -> None:
    with pytest.raises(BadRequest) as info:
        V.ip_address(value, "gateway_ip")
    assert info.value.message == f"Invalid input for gateway_ip. Reason: '{value}' is not a " \
                                 "valid IP address."


@pytest.mark.parametrize(("text", "expected"), [
    ("10.0.0.0/24", "10.0.0.0/24"), ("10.0.0.77/24", "10.0.0.0/24"),
    ("fd00:1::/64", "fd00:1::/64"), ("FD00:1::5/64", "fd00:1::/64"), ("0.0.0.0/0", "0.0.0.0/0"),
    ("10.0.0.1", "10.0.0.1/32"), ("fd00::1", "fd00::1/128"),
])
def test_cidr(text: str, expected: str) -> None:
    assert str(V.cidr(text)) == expected


@pytest.mark.parametrize("value", ["10.0.0.0/33", "10.0.0.0/-1", "fd00::/129", "10.0.0/24",
                                   "banana", "", "fe80::%eth0/64", None, 10, ["10.0.0.0/8"],
                                   " 10.1.0.0/16", "10.1.0.0/16 ", "fd00::/64\n"])
def test_cidr_refuses(value: Any) -> None:
    with pytest.raises(BadRequest) as info:
        V.cidr(value)
    assert info.value.message == f"Invalid input for cidr. Reason: '{value}' is not a valid " \
                                 "CIDR."


def test_cidr_can_require_a_prefix() -> None:
    assert V.cidr("10.0.0.0/8", require_prefix=True) == ipaddress.ip_network("10.0.0.0/8")
    with pytest.raises(BadRequest, match="'10.0.0.0' is not a valid CIDR"):
        V.cidr("10.0.0.0", require_prefix=True)
    with pytest.raises(BadRequest, match="Invalid input for destination"):
        V.cidr("x", "destination")


# -- containers ----------------------------------------------------------------------------
def test_list_of() -> None:
    assert V.list_of([], "fixed_ips") == []
    assert V.list_of([1, "a"], "fixed_ips") == [1, "a"]
    for value in ({"ip_address": "10.0.0.1"}, "10.0.0.1", None, (1,)):
        with pytest.raises(BadRequest) as info:
            V.list_of(value, "fixed_ips")
        assert info.value.message == "fixed_ips must be of type: list"


def test_body_root() -> None:
    assert V.body_root({"network": {"name": "a"}, "other": 1}, "network") == {"name": "a"}
    assert V.body_root({"network": {}}, "network") == {}
    for body in ({"name": "a"}, [], None, "network", {"networks": {}}):
        with pytest.raises(BadRequest, match="root key 'network'"):
            V.body_root(body, "network")
    for inner in (None, [], "x", 1):
        with pytest.raises(BadRequest, match="'network' must be a JSON object"):
            V.body_root({"network": inner}, "network")

