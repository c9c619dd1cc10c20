"""Schema-driven fuzzing against a real NB (docs/architecture.md, "The OpenAPI document"):
requests generated from the served OpenAPI document on every route, writes more often
than reads. A request is valid (a body a client would send, with the ids of live objects:
tests/support/fuzz_valid.py), valid with one attribute spoiled, or schema-typed junk
(tests/support/fuzz.py), with junk query strings and ids too. No answer is a 5xx, and
every 4xx leaves the NB exactly as it was; objects created are used, updated and deleted
by later requests. Bounded by OVNP_FUZZ_EXAMPLES (default 150); bench/fuzz.py runs it
longer and reports the answers per route."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovn_provider.ovn.central import Central
from tests.support import fuzz, fuzz_valid
from tests.support.provider import Api, make_config, running
from tests.support.snapshot import nb_snapshot

EXAMPLES = int(os.environ.get("OVNP_FUZZ_EXAMPLES", "150"))


class Bed:
    def __init__(self, central: Central, api: Api) -> None:
        self.central = central
        self.api = api
        self.doc: dict[str, Any] = api.get("/v2.0/openapi.json").json()
        self.routes = fuzz.routes(self.doc)
        self.writes = [r for r in self.routes if r.method != "GET"]
        net = api.network(name="fuzz-net")
        sub = api.subnet(net["id"], cidr="10.90.0.0/24", gateway_ip="10.90.0.1")
        port = api.port(net["id"], name="fuzz-port")
        router = api.create("routers", "router", name="fuzz-router")
        response = api.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                           {"subnet_id": sub["id"]})  # extraroutes via 10.90.0.x reach it
        assert response.status_code == 200, response.text
        group = api.create("security-groups", "security_group", name="fuzz-sg")
        self.pool = fuzz_valid.Pool()
        for name, item in (("networks", net), ("subnets", sub), ("ports", port),
                           ("routers", router), ("security-groups", group)):
            self.pool.add(name, item["id"], base=True)
        self.pool.add("security-groups", "Default", base=True)
        self.snapshot = self.settled()
        self.counts: dict[int, int] = {}
        #: "POST /v2.0/networks" -> status -> answers
        self.by_route: dict[str, dict[int, int]] = {}
        self.checked = 0  # 4xx answers to writes after which the NB was compared

    @property
    def ids(self) -> list[str]:
        return self.pool.all()

    def settled(self) -> dict[str, list[str]]:
        self.central.nbctl("--wait=sb", "sync")
        return nb_snapshot(self.central)

    def count(self, route: fuzz.Route, status: int) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        per = self.by_route.setdefault(f"{route.method} {route.path}", {})
        per[status] = per.get(status, 0) + 1

    def track(self, route: fuzz.Route, url: str, response: httpx.Response) -> None:
        """Keep the pool to the objects that exist: a create adds its id; after a delete
        the collections are listed again (a network takes its subnets along)."""
        name = fuzz_valid.collection(route.path)
        root = fuzz_valid.ROOTS.get(name)
        if route.method == "POST" and route.path == f"/v2.0/{name}" and root \
                and response.status_code == 201:
            created = response.json().get(root)
            if isinstance(created, dict) and "id" in created:
                self.pool.add(name, created["id"])
        elif route.method == "DELETE" and response.status_code == 204:
            for listed in ("networks", "subnets", "ports", "routers", "security-groups"):
                rows = self.api.get(f"/v2.0/{listed}").json()[listed.replace("-", "_")]
                self.pool.replace(listed, [row["id"] for row in rows])


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    directory = tempfile.mkdtemp(prefix="ovnp-fuzz-")
    central = Central(directory)
    try:
        central.start()
        with running(make_config(central.nb_remote)) as provider:
            api = Api(provider)
            try:
                yield Bed(central, api)
            finally:
                api.close()
    finally:
        central.stop(remove=True)


def send(bed: Bed, method: str, url: str, body: Any, params: list[tuple[str, str]]
         ) -> httpx.Response:
    return bed.api.http.request(method, url, json=body, params=params or None)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_no_5xx_and_rejections_change_nothing(bed: Bed, data: st.DataObject) -> None:
    routes = data.draw(st.sampled_from([bed.writes, bed.writes, bed.routes]), label="routes")
    route = data.draw(st.sampled_from(routes), label="route")
    mode = data.draw(st.sampled_from(["valid", "valid", "mutated", "junk"]), label="mode")
    valid = fuzz_valid.body(route, bed.pool) if route.method in ("POST", "PUT") else None
    if mode == "junk":
        url = data.draw(fuzz.path(route, bed.ids), label="url")
    else:
        url = data.draw(fuzz_valid.path(route, bed.pool), label="url")
    body = None
    if route.method in ("POST", "PUT"):
        if mode != "junk" and valid is not None:
            body = data.draw(valid, label="body")
            if mode == "mutated":
                body = data.draw(fuzz_valid.mutated(route, body), label="mutated")
        elif mode == "junk" or route.body is not None:
            body = data.draw(fuzz.body(route, tuple(bed.ids)), label="body")
    params = data.draw(fuzz.query(route), label="query") if route.method == "GET" else []
    response = send(bed, route.method, url, body, params)
    bed.count(route, response.status_code)
    # 501 is a documented refusal, not a failure: this bed has no gateway chassis, so
    # floating IPs and SNAT are unavailable (docs/routers.md).
    unavailable = response.status_code == 501 and "no gateway chassis" in response.text
    assert response.status_code < 500 or unavailable, (route.method, url, body, params,
                                                       response.text)
    if route.method == "GET" or response.status_code == 405:
        return
    if response.status_code >= 400:
        assert response.json()["error"]["code"] == response.status_code
        assert bed.settled() == bed.snapshot, (route.method, url, body, response.text)
        bed.checked += 1
    else:
        bed.track(route, url, response)
        bed.snapshot = bed.settled()


def test_the_fuzzer_reached_the_model(bed: Bed) -> None:
    """Both accepted and refused requests were sent (the generator is not all junk)."""
    report = os.environ.get("OVNP_FUZZ_REPORT")
    if report:  # bench/fuzz.py
        Path(report).write_text(json.dumps({
            "by_status": {str(k): v for k, v in bed.counts.items()},
            "by_route": {route: {str(k): v for k, v in per.items()}
                         for route, per in sorted(bed.by_route.items())},
            "nb_checked_after_4xx": bed.checked}))
    assert any(200 <= code < 300 for code in bed.counts), bed.counts
    assert any(code == 400 for code in bed.counts), bed.counts
    if EXAMPLES < 100:
        return  # too few requests to expect every kind of write accepted
    # creates, updates and deletes were accepted, not only refused
    for method, status in (("POST", 201), ("PUT", 200), ("DELETE", 204)):
        assert any(key.startswith(method) and status in per
                   for key, per in bed.by_route.items()), (method, bed.by_route)
