"""The oVirt SSO plugin through a real provider (docs/compatibility.md, "What the oVirt engine
sends"; docs/auth.md; docs/compatibility.md, "Concurrency"; docs/compatibility.md, "Beyond the
predecessor")."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import httpx
import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.auth.fake_engine import CLIENT_SECRET, FakeEngine
from tests.support.provider import make_config, running


@pytest.fixture(scope="module")
def engine(pki: dict[str, str]) -> Iterator[FakeEngine]:
    fake = FakeEngine(pki)
    fake.add_user("admin@internal", "admin-pw")
    fake.add_user("joe@internal", "joe-pw")
    fake.add_user("slow@internal", "slow-pw", behaviour="gate")
    fake.add_user("broken@internal", "broken-pw", behaviour="non-json")
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def ovirt_provider(central: Central, engine: FakeEngine) -> Iterator[Provider]:
    cfg = make_config(central.nb_remote, **{
        "AUTH/auth-plugin": "auth.plugins.ovirt:AuthorizationByUserName",
        "OVIRT/ovirt-host": engine.url,
        "OVIRT/ovirt-ca-file": engine.pki["ca"],
        "OVIRT/ovirt-sso-client-secret": CLIENT_SECRET,
        "OVIRT/ovirt-auth-timeout": "15"})
    with running(cfg) as prov:
        yield prov


@pytest.fixture()
def http(ovirt_provider: Provider) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    neutron, keystone = ovirt_provider.ports
    with httpx.Client(base_url=f"http://127.0.0.1:{keystone}", timeout=30) as ks, \
            httpx.Client(base_url=f"http://127.0.0.1:{neutron}", timeout=30) as net:
        yield ks, net


def _login(ks: httpx.Client, user: str, password: str) -> httpx.Response:
    return ks.post("/v2.0//tokens", json={"auth": {"passwordCredentials": {
        "username": user, "password": password}}})


def _networks(net: httpx.Client, token: str) -> httpx.Response:
    return net.get("/v2.0/networks", headers={"X-Auth-Token": token})


def test_admin_gets_a_token_that_works_and_is_cached(
        engine: FakeEngine, http: tuple[httpx.Client, httpx.Client],
        caplog: pytest.LogCaptureFixture) -> None:
    ks, net = http
    with caplog.at_level(logging.DEBUG):
        response = _login(ks, "admin@internal", "admin-pw")
    assert response.status_code == 200, response.text
    token = response.json()["access"]["token"]["id"]
    assert token in engine.tokens
    infos = engine.count("/sso/oauth/token-info", token=token)
    assert infos == 1  # the login validated the token once and seeded the cache
    for _ in range(3):
        listed = _networks(net, token)
        assert listed.status_code == 200, listed.text
        assert isinstance(listed.json()["networks"], list)
    assert engine.count("/sso/oauth/token-info", token=token) == infos
    # The SSO calls were logged, without the password or the token.
    messages = [r.getMessage() for r in caplog.records]
    assert any("create token for user admin@internal" in m for m in messages)
    assert not any("admin-pw" in m or token in m for m in messages)


def test_v3_login(engine: FakeEngine, http: tuple[httpx.Client, httpx.Client]) -> None:
    ks, net = http
    response = ks.post("/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"],
        "password": {"user": {"name": "admin@internal", "password": "admin-pw"}}}}})
    assert response.status_code == 201, response.text
    assert _networks(net, response.headers["X-Subject-Token"]).status_code == 200


def test_inactive_token_is_401_and_not_cached(
        engine: FakeEngine, http: tuple[httpx.Client, httpx.Client]) -> None:
    ks, net = http
    token = engine.issue("admin@internal", active=False)
    for attempt in (1, 2):
        response = _networks(net, token)
        assert response.status_code == 401, response.text
        assert response.json()["error"]["message"] == "Token is not active."
        assert engine.count("/sso/oauth/token-info", token=token) == attempt
    response = ks.post("/v2.0/tokens", json={"auth": {"token": {"id": token}}})
    assert response.status_code == 401


def test_unknown_token_and_bad_password_are_401(
        engine: FakeEngine, http: tuple[httpx.Client, httpx.Client]) -> None:
    ks, net = http
    assert _networks(net, "tok-never-issued").status_code == 401
    response = _login(ks, "admin@internal", "wrong")
    assert response.status_code == 401
    assert "access_denied" in response.json()["error"]["message"]
    assert "wrong" not in response.text


def test_non_admin_is_403(engine: FakeEngine, http: tuple[httpx.Client, httpx.Client]
                          ) -> None:
    ks, net = http
    response = _login(ks, "joe@internal", "joe-pw")
    assert response.status_code == 403, response.text
    assert "joe@internal" in response.json()["error"]["message"]
    token = engine.issue("joe@internal")
    assert _networks(net, token).status_code == 403


def test_sso_failure_is_502_not_401(engine: FakeEngine,
                                    http: tuple[httpx.Client, httpx.Client]) -> None:
    ks, net = http
    assert _login(ks, "broken@internal", "broken-pw").status_code == 502
    assert _networks(net, engine.issue("broken@internal")).status_code == 502


def test_slow_sso_call_does_not_block_other_requests(
        engine: FakeEngine, http: tuple[httpx.Client, httpx.Client],
        ovirt_provider: Provider) -> None:
    """ / 9.8: while one login waits on SSO, other requests (cached or not) finish."""
    ks, net = http
    token = _login(ks, "admin@internal", "admin-pw").json()["access"]["token"]["id"]
    keystone = ovirt_provider.ports[1]
    slow: list[httpx.Response] = []

    def slow_login() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{keystone}", timeout=30) as client:
            slow.append(_login(client, "slow@internal", "slow-pw"))

    thread = threading.Thread(target=slow_login)
    thread.start()
    try:
        assert engine.gated_arrived.wait(10), "the slow login never reached SSO"
        assert _networks(net, token).status_code == 200  # cached token
        other = _login(ks, "admin@internal", "admin-pw")  # goes to SSO twice
        assert other.status_code == 200
        assert _networks(net, other.json()["access"]["token"]["id"]).status_code == 200
        assert slow == [] and thread.is_alive()  # the slow login is still held by SSO
    finally:
        engine.gate.set()
        thread.join(30)
    assert [r.status_code for r in slow] == [403]  # slow@internal is not the admin


def test_sso_timeout_is_504(central: Central, pki: dict[str, str]) -> None:
    fake = FakeEngine(pki)
    fake.add_user("admin@internal", "admin-pw", behaviour="gate")
    fake.start()
    try:
        cfg = make_config(central.nb_remote, **{
            "AUTH/auth-plugin": "auth.plugins.ovirt:AuthorizationByUserName",
            "OVIRT/ovirt-host": fake.url,
            "OVIRT/ovirt-ca-file": pki["ca"],
            "OVIRT/ovirt-auth-timeout": "0.5"})
        with running(cfg) as prov, httpx.Client(
                base_url=f"http://127.0.0.1:{prov.ports[1]}", timeout=30) as ks:
            response = _login(ks, "admin@internal", "admin-pw")
            assert response.status_code == 504, response.text
            assert fake.gated_arrived.is_set()
    finally:
        fake.stop()
