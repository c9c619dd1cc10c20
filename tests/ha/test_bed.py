"""The HA bed itself: clients talk only to HAProxy, both providers serve, and each sees
the other's writes through the clustered NB."""

from __future__ import annotations

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
        ports = []
        for i in range(6):  # round robin: both providers create ports
            response = client.post("/v2.0/ports", json={"port": {
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
