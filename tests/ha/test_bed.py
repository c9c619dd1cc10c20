"""The HA bed itself: clients talk only to HAProxy, both providers serve, and each sees
the other's writes through the clustered NB.

Across provider instances without affinity (docs/concurrency.md, "Across provider
instances"): a client that keeps no cookie writes on one provider and its next request
reaches the other one, whose replica may be a few milliseconds behind. A rejection that
depends on the replica (404 for the id just created, 409 for the MAC just freed) is
checked again once the replica has caught up, so the client never sees one."""

from __future__ import annotations

import time

import httpx

from tests.ha.bed import HEADERS, HaBed


def test_both_providers_serve_through_haproxy(ha_bed: HaBed) -> None:
    assert ha_bed.central is not None and len(ha_bed.central.nb) == 3
    assert len(ha_bed.central.sbs) == 3
    assert ha_bed.haproxy is not None
    print(f"health check: {ha_bed.describe_check()}")
    with httpx.Client(base_url=ha_bed.base, headers=HEADERS, timeout=20) as client:
        net = client.post("/v2.0/networks", json={"network": {"name": "ha-bed"}})
        assert net.status_code == 201, net.text
        net_id = net.json()["network"]["id"]
        sub = client.post("/v2.0/subnets", json={"subnet": {
            "network_id": net_id, "cidr": "10.80.0.0/24", "ip_version": 4}})
        assert sub.status_code == 201, sub.text
        assert client.cookies.get("OVNP") in {p.name for p in ha_bed.providers}  # affinity
        ports = []
        for i in range(6):  # new clients (no cookie): round robin, both providers create
            with httpx.Client(base_url=ha_bed.base, headers=HEADERS, timeout=20) as fresh:
                response = fresh.post("/v2.0/ports", json={"port": {
                    "network_id": net_id, "name": f"ha-bed-{i}"}})
            assert response.status_code == 201, response.text
            ports.append(response.json()["port"])
    sessions = {row["svname"]: int(row["stot"]) for row in ha_bed.haproxy.stat()}
    assert len(sessions) == 2 and all(count > 0 for count in sessions.values()), sessions
    ips = [p["fixed_ips"][0]["ip_address"] for p in ports]
    assert len(set(ips)) == len(ips) and len({p["mac_address"] for p in ports}) == len(ports)
    for provider in ha_bed.providers:  # each provider reads every port, as answered
        with httpx.Client(base_url=provider.base, headers=HEADERS, timeout=20) as direct:
            for port in ports:
                shown = direct.get(f"/v2.0/ports/{port['id']}")
                assert shown.status_code == 200, shown.text
                assert shown.json()["port"]["fixed_ips"] == port["fixed_ips"]

ROUNDS = 60


def _net(client: httpx.Client) -> str:
    net = client.post("/v2.0/networks", json={"network": {"name": "across"}})
    assert net.status_code == 201, net.text
    sub = client.post("/v2.0/subnets", json={"subnet": {
        "network_id": net.json()["network"]["id"], "cidr": "10.81.0.0/24", "ip_version": 4}})
    assert sub.status_code == 201, sub.text
    return str(net.json()["network"]["id"])


def test_write_on_one_provider_then_act_on_the_other(ha_bed: HaBed) -> None:
    """The bed's two providers, called directly: both follow the RAFT leader only (the
    default, docs/ha.md), so the catch-up is exact (docs/concurrency.md: it was not with
    the two on two different followers)."""
    assert ha_bed.central is not None
    one, other = ha_bed.providers
    leader = ha_bed.central.nb_leader()
    members = {p.name: [s.name for s in ha_bed.nb_members_of(p)] for p in (one, other)}
    print(f"\nNB members: {members}, leader {leader.name}")
    assert all(names == [leader.name] for names in members.values()), members
    a = httpx.Client(base_url=one.base, headers=HEADERS, timeout=20)
    b = httpx.Client(base_url=other.base, headers=HEADERS, timeout=20)
    spurious: list[str] = []
    started = time.monotonic()
    try:
        net = _net(a)
        for i in range(ROUNDS):
            mac = f"fa:16:3e:81:{i // 256:02x}:{i % 256:02x}"
            created = a.post("/v2.0/ports", json={"port": {
                "network_id": net, "name": f"across-{i}", "mac_address": mac}})
            assert created.status_code == 201, created.text
            port = created.json()["port"]["id"]
            for method, answer in (
                    ("GET", b.get(f"/v2.0/ports/{port}")),
                    ("PUT", b.put(f"/v2.0/ports/{port}",
                                  json={"port": {"name": f"across-{i}-b"}}))):
                if answer.status_code != 200:
                    spurious.append(f"{i} {method} on the other: {answer.status_code} "
                                    f"{answer.text[:120]}")
            deleted = b.delete(f"/v2.0/ports/{port}")
            if deleted.status_code != 204:
                spurious.append(f"{i} DELETE on the other: {deleted.status_code}")
                continue
            # the MAC the other provider just freed, taken again on the first one
            again = a.post("/v2.0/ports", json={"port": {
                "network_id": net, "name": f"across-{i}-again", "mac_address": mac}})
            if again.status_code != 201:
                spurious.append(f"{i} create with the freed MAC: {again.status_code} "
                                f"{again.text[:120]}")
                continue
            gone = a.delete(f"/v2.0/ports/{again.json()['port']['id']}")
            assert gone.status_code == 204, gone.text
        print(f"{ROUNDS} rounds in {time.monotonic() - started:.1f} s; spurious: {spurious}")
        assert not spurious
        # a real rejection stays one (the catch-up does not turn it into something else)
        missing = b.get("/v2.0/ports/00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404, missing.text
    finally:
        a.close()
        b.close()
