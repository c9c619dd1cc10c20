"""Schema-driven fuzzing against a real NB (docs/architecture.md, "The OpenAPI document"):
requests generated from the served OpenAPI document, with valid and invalid bodies, query
strings and ids, on every route. No answer is a 5xx, and every 4xx leaves the NB exactly
as it was. Bounded by OVNP_FUZZ_EXAMPLES (default 150); bench/fuzz.py runs it longer."""

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
from tests.support import fuzz
from tests.support.provider import Api, make_config, running
from tests.support.snapshot import nb_snapshot

EXAMPLES = int(os.environ.get("OVNP_FUZZ_EXAMPLES", "150"))


class Bed:
    def __init__(self, central: Central, api: Api) -> None:
        self.central = central
        self.api = api
        self.doc: dict[str, Any] = api.get("/v2.0/openapi.json").json()
        self.routes = fuzz.routes(self.doc)
        net = api.network(name="fuzz-net")
        sub = api.subnet(net["id"], cidr="10.90.0.0/24")
        port = api.port(net["id"], name="fuzz-port")
        router = api.create("routers", "router", name="fuzz-router")
        group = api.create("security-groups", "security_group", name="fuzz-sg")
        self.ids = [net["id"], sub["id"], port["id"], router["id"], group["id"], "Default"]
        self.snapshot = self.settled()
        self.counts: dict[int, int] = {}

    def settled(self) -> dict[str, list[str]]:
        self.central.nbctl("--wait=sb", "sync")
        return nb_snapshot(self.central)


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
    route = data.draw(st.sampled_from(bed.routes), label="route")
    url = data.draw(fuzz.path(route, bed.ids), label="url")
    body = None
    if route.method in ("POST", "PUT"):
        body = data.draw(fuzz.body(route, tuple(bed.ids)), label="body")
    params = data.draw(fuzz.query(route), label="query") if route.method == "GET" else []
    response = send(bed, route.method, url, body, params)
    bed.counts[response.status_code] = bed.counts.get(response.status_code, 0) + 1
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
    else:
        bed.snapshot = bed.settled()


def test_the_fuzzer_reached_the_model(bed: Bed) -> None:
    """Both accepted and refused requests were sent (the generator is not all junk)."""
    report = os.environ.get("OVNP_FUZZ_REPORT")
    if report:  # bench/fuzz.py
        Path(report).write_text(json.dumps({str(k): v for k, v in bed.counts.items()}))
    assert any(200 <= code < 300 for code in bed.counts), bed.counts
    assert any(code == 400 for code in bed.counts), bed.counts
