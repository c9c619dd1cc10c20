"""The gateway chassis plan (docs/routers.md, "Gateway chassis"): a pure function."""

from __future__ import annotations

from collections import Counter

from ovn_provider.neutron.gateway_scheduler import MAX_CHASSIS, plan
from ovn_provider.ovn.sb import is_gateway


def test_new_ports_spread_over_the_least_loaded_gateways() -> None:
    loads: Counter[str] = Counter()
    plans = [plan(f"lrp{i}", [], {"a", "b", "c"}, loads) for i in range(9)]
    assert Counter(p[0] for p in plans) == {"a": 3, "b": 3, "c": 3}
    assert loads == {"a": 3, "b": 3, "c": 3}
    assert all(sorted(p) == ["a", "b", "c"] for p in plans)


def test_a_port_keeps_its_chassis_and_gets_new_ones_appended() -> None:
    loads = Counter({"a": 5})
    assert plan("lrp1", ["a", "b"], {"a", "b", "c"}, loads) == ["a", "b", "c"]
    assert loads == {"a": 5}  # the active chassis did not change


def test_a_lost_chassis_hands_over_to_the_next_one() -> None:
    loads = Counter({"a": 2, "b": 1})
    assert plan("lrp1", ["a", "b"], {"b"}, loads) == ["b"]
    assert loads == {"a": 1, "b": 2}
    assert plan("lrp2", ["a"], set(), loads) == []


def test_plans_are_deterministic_and_capped() -> None:
    gateways = {f"gw{i}" for i in range(8)}
    first = plan("lrpX", [], gateways, Counter())
    assert first == plan("lrpX", [], gateways, Counter())  # every provider agrees
    assert len(first) == MAX_CHASSIS and len(set(first)) == MAX_CHASSIS


def test_gateway_mark_in_either_column() -> None:
    assert is_gateway({}, {"ovn-cms-options": "enable-chassis-as-gw"})
    assert is_gateway({"ovn-cms-options": "foo, enable-chassis-as-gw"}, {})
    assert not is_gateway({"ovn-cms-options": "enable-chassis-as-extport-host"}, {})
    assert not is_gateway({}, {})
