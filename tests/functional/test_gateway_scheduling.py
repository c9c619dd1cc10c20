"""Automatic gateway chassis over a real NB and SB (docs/routers.md, "Gateway chassis").

With `[NETWORK] gateway-chassis` empty, the provider schedules distributed gateway ports
on the SB chassis marked `ovn-cms-options=enable-chassis-as-gw`. SB Chassis rows are made
with ovn-sbctl (no ovn-controller needed to be scheduled on). Each test module runs its
own central, so the chassis and routers seen here are only these tests'.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.functional.test_routers import (
    add_interface,
    as_list,
    eventually,
    gateway_info,
    lrp_named,
    nb_row,
    net_with_subnet,
    router,
)
from tests.support.nb import nb_rows
from tests.support.provider import Api, make_config, running

TOP = 32767


@pytest.fixture(scope="module")
def gw_central() -> Iterator[Central]:
    bed = Central(tempfile.mkdtemp(prefix="ovnp-gwsched-"))
    try:
        bed.start()
        yield bed
    finally:
        bed.stop(remove=True)


def auto_config(central: Central) -> Any:
    return make_config(central.nb_remote, **{"OVN REMOTE/ovn-sb-remote": central.sb_remote})


@pytest.fixture(scope="module")
def gw_provider(gw_central: Central) -> Iterator[Provider]:
    with running(auto_config(gw_central)) as prov:
        yield prov


@pytest.fixture()
def gapi(gw_provider: Provider) -> Iterator[Api]:
    client = Api(gw_provider)
    try:
        yield client
    finally:
        client.close()


_ENCAP = iter(range(10, 250))


def add_chassis(central: Central, name: str, column: str = "other_config") -> None:
    central.sbctl("chassis-add", name, "geneve", f"127.0.1.{next(_ENCAP)}")
    central.sbctl("set", "Chassis", name, f'{column}:ovn-cms-options="enable-chassis-as-gw"')


def unmark(central: Central, name: str, column: str = "other_config") -> None:
    central.sbctl("remove", "Chassis", name, column, "ovn-cms-options")


def wait_gateways(provider: Provider, names: set[str]) -> None:
    assert eventually(lambda: provider.nb.gateways.names == names), \
        (provider.nb.gateways.names, names)


def chassis_of(central: Central, router_id: str) -> list[tuple[str, int]]:
    name = nb_row(central, "Logical_Router", router_id)["external_ids"]["ovirt_gateway_port"]
    lrp = lrp_named(central, f"lrp{name}")
    assert lrp is not None
    # one listing, not a read per reference: a reschedule may delete rows meanwhile (a
    # reference without its row then just drops out, and the caller's wait goes on)
    by_uuid = {row["_uuid"]: row for row in nb_rows(central, "Gateway_Chassis")}
    rows = [by_uuid[ref] for ref in as_list(lrp["gateway_chassis"]) if ref in by_uuid]
    for row in rows:
        assert row["external_ids"] == {"ovirt_gateway_chassis": "True"}
        assert row["name"] == f"{lrp['name']}_{row['chassis_name']}"
    return sorted(((r["chassis_name"], r["priority"]) for r in rows), key=lambda c: -c[1])


def snat_router(api: Api, ext: dict[str, Any], esub: dict[str, Any], internal: str
                ) -> dict[str, Any]:
    """A router with a gateway (SNAT by default) and one interface, so it has NAT."""
    r = router(api, external_gateway_info={"network_id": ext["id"],
                                           "external_fixed_ips": [{"subnet_id": esub["id"]}]})
    _, sub = net_with_subnet(api, internal)
    add_interface(api, r["id"], subnet_id=sub["id"])
    return r


def wait_chassis(central: Central, router_ids: list[str], done: Any) -> dict[str, Any]:
    def state() -> dict[str, Any] | None:
        value = {rid: chassis_of(central, rid) for rid in router_ids}
        return value if done(value) else None

    result = eventually(state, timeout=20)
    assert result, {rid: chassis_of(central, rid) for rid in router_ids}
    return result


def test_no_gateway_chassis_means_no_snat_or_fips(gapi: Api, gw_central: Central,
                                                  gw_provider: Provider) -> None:
    wait_gateways(gw_provider, set())
    assert gw_provider.nb.gateways.synced
    ext, esub = net_with_subnet(gapi, "172.30.0.0/24", external=True)
    r = router(gapi, external_gateway_info=gateway_info(ext, esub))
    assert r["external_gateway_info"]["enable_snat"] is False
    response = gapi.post("/v2.0/floatingips", {"floatingip": {"floating_network_id": ext["id"]}})
    assert response.status_code == 501, response.text
    assert "enable-chassis-as-gw" in response.text
    assert gapi.delete(f"/v2.0/routers/{r['id']}").status_code == 204


def test_schedule_spread_and_reschedule(gapi: Api, gw_central: Central,
                                        gw_provider: Provider) -> None:
    add_chassis(gw_central, "gw-a")
    add_chassis(gw_central, "gw-b", column="external_ids")  # older OVN keeps it there
    add_chassis(gw_central, "not-a-gateway")
    gw_central.sbctl("set", "Chassis", "not-a-gateway",
                     'other_config:ovn-cms-options="enable-chassis-as-extport-host"')
    wait_gateways(gw_provider, {"gw-a", "gw-b"})
    ext, esub = net_with_subnet(gapi, "172.30.1.0/24", external=True)
    routers = [snat_router(gapi, ext, esub, f"10.40.{i}.0/24") for i in range(4)]
    ids = [r["id"] for r in routers]
    assert all(r["external_gateway_info"]["enable_snat"] is True for r in routers)
    plans = {rid: chassis_of(gw_central, rid) for rid in ids}
    for plan in plans.values():
        assert sorted(name for name, _ in plan) == ["gw-a", "gw-b"]
        assert [prio for _, prio in plan] == [TOP, TOP - 1]
    # priorities spread: each gateway is the active one for half of the routers
    assert Counter(plan[0][0] for plan in plans.values()) == {"gw-a": 2, "gw-b": 2}

    # a floating IP works now that gateways exist
    created = gapi.post("/v2.0/floatingips",
                        {"floatingip": {"floating_network_id": ext["id"]}})
    assert created.status_code == 201, created.text

    # gw-a stops being a gateway: every router keeps a gateway, gw-b, and only the
    # routers that were active on gw-a changed their active chassis
    unmark(gw_central, "gw-a")
    wait_gateways(gw_provider, {"gw-b"})
    after = wait_chassis(gw_central, ids, lambda v: all(p == [("gw-b", TOP)]
                                                         for p in v.values()))
    assert set(after) == set(ids)

    # a new gateway is appended below the active one (working routers do not move) ...
    add_chassis(gw_central, "gw-c")
    wait_gateways(gw_provider, {"gw-b", "gw-c"})
    wait_chassis(gw_central, ids, lambda v: all(p == [("gw-b", TOP), ("gw-c", TOP - 1)]
                                                for p in v.values()))
    # ... and new routers go to the least loaded gateway
    fresh = snat_router(gapi, ext, esub, "10.40.9.0/24")
    assert chassis_of(gw_central, fresh["id"]) == [("gw-c", TOP), ("gw-b", TOP - 1)]

    # a chassis deleted from the SB altogether goes the same way
    gw_central.sbctl("chassis-del", "gw-b")
    wait_gateways(gw_provider, {"gw-c"})
    wait_chassis(gw_central, [*ids, fresh["id"]],
                 lambda v: all(p == [("gw-c", TOP)] for p in v.values()))

    # with no gateway at all, routers keep their last chassis (nothing better exists)
    unmark(gw_central, "gw-c")
    wait_gateways(gw_provider, set())
    response = gapi.post("/v2.0/floatingips",
                         {"floatingip": {"floating_network_id": ext["id"]}})
    assert response.status_code == 501
    runs = gw_provider.rescheduler.runs if gw_provider.rescheduler else 0
    assert eventually(lambda: gw_provider.rescheduler is not None
                      and gw_provider.rescheduler.runs > runs, timeout=20)
    assert all(chassis_of(gw_central, rid) == [("gw-c", TOP)] for rid in ids)


def test_two_providers_converge(gapi: Api, gw_central: Central, gw_provider: Provider) -> None:
    add_chassis(gw_central, "gw-d")
    add_chassis(gw_central, "gw-e")
    wait_gateways(gw_provider, {"gw-d", "gw-e"})
    ext, esub = net_with_subnet(gapi, "172.30.2.0/24", external=True)
    routers = [snat_router(gapi, ext, esub, f"10.41.{i}.0/24") for i in range(6)]
    ids = [r["id"] for r in routers]
    with running(auto_config(gw_central)) as second:
        wait_gateways(second, {"gw-d", "gw-e"})
        before = {id(p): p.rescheduler.runs for p in (gw_provider, second) if p.rescheduler}
        # both providers see the same SB change and reschedule at about the same time
        unmark(gw_central, "gw-d")
        add_chassis(gw_central, "gw-f")
        result = wait_chassis(
            gw_central, ids,
            lambda v: all(sorted(n for n, _ in p) == ["gw-e", "gw-f"] for p in v.values()))
        for p in (gw_provider, second):
            assert p.rescheduler is not None
            assert eventually(lambda p=p: p.rescheduler.runs > before[id(p)], timeout=20)
        # converged, not fought over: the same state after both ran, one row per chassis,
        # routers that were active on gw-e stayed there
        assert {rid: chassis_of(gw_central, rid) for rid in ids} == result
        for plan in result.values():
            assert [prio for _, prio in plan] == [TOP, TOP - 1]
    gc_names = [row["name"] for row in _all_gateway_chassis(gw_central)]
    assert len(gc_names) == len(set(gc_names))


def _all_gateway_chassis(central: Central) -> list[dict[str, Any]]:
    return nb_rows(central, "Gateway_Chassis")
