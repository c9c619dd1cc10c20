"""Run a real provider (in-process, on free loopback ports) against a real NB."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ovn_provider import config
from ovn_provider.ovn.daemons import free_port
from ovn_provider.server import Provider

TOKEN = "00000000000000000000000000000001"


def make_config(nb_remote: str, **overrides: str) -> config.Config:
    """A Config for tests: static-token auth, loopback, free ports; `overrides` are
    'SECTION/key' -> value."""
    values = [("PROVIDER", "neutron-port", str(free_port())),
              ("PROVIDER", "keystone-port", str(free_port())),
              ("PROVIDER", "bind-address", "127.0.0.1"),
              ("PROVIDER", "provider-host", "127.0.0.1"),
              ("OVN REMOTE", "ovn-remote", nb_remote),
              ("AUTH", "auth-plugin", "auth.plugins.static_token:MagicTokenPlugin")]
    for key, value in overrides.items():
        section, name = key.split("/")
        values.append((section, name, value))
    return config.load([], overrides=values)


@contextmanager
def running(cfg: config.Config, wait_nb: bool = True) -> Iterator[Provider]:
    provider = Provider(cfg)
    thread = threading.Thread(target=provider.run, kwargs={"install_signals": False},
                              daemon=True, name="provider")
    thread.start()
    try:
        if not provider.started.wait(10):
            raise RuntimeError("provider did not start")
        if wait_nb and not provider.nb.wait_connected(20):
            raise RuntimeError(f"provider did not connect to the NB: {provider.nb.last_error}")
        if wait_nb:
            _wait_default_groups(provider)
        yield provider
    finally:
        provider.stop()
        thread.join(15)


def _wait_default_groups(provider: Provider) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with provider.nb.read() as idl:
            names = {pg.name for pg in idl.tables["Port_Group"].rows.values()}
        if {"Default", "DropAll"} <= names:
            return
        time.sleep(0.05)
    raise RuntimeError("Default/DropAll groups were not created")


class Api:
    """A small client for the Networking API with the test token."""

    def __init__(self, provider: Provider, token: str | None = TOKEN) -> None:
        neutron, keystone = provider.ports
        self.base = f"http://127.0.0.1:{neutron}"
        self.keystone = f"http://127.0.0.1:{keystone}"
        headers = {"X-Auth-Token": token} if token else {}
        # plain HTTP: skip loading a CA bundle (~0.1 s per client)
        self.http = httpx.Client(base_url=self.base, headers=headers, timeout=30, verify=False)

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.http.post(path, json=body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.http.put(path, json=body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.delete(path, **kw)

    # -- helpers that assert success ---------------------------------------------------
    def create(self, collection: str, root: str, **attrs: Any) -> dict[str, Any]:
        response = self.post(f"/v2.0/{collection}", {root: attrs})
        assert response.status_code == 201, response.text
        return response.json()[root]

    def network(self, **attrs: Any) -> dict[str, Any]:
        attrs.setdefault("name", "net")
        return self.create("networks", "network", **attrs)

    def subnet(self, network_id: str, cidr: str = "10.0.0.0/24", **attrs: Any
               ) -> dict[str, Any]:
        attrs.setdefault("ip_version", 6 if ":" in cidr else 4)
        return self.create("subnets", "subnet", network_id=network_id, cidr=cidr, **attrs)

    def port(self, network_id: str, **attrs: Any) -> dict[str, Any]:
        return self.create("ports", "port", network_id=network_id, **attrs)

    def show(self, collection: str, root: str, ident: str) -> dict[str, Any]:
        response = self.get(f"/v2.0/{collection}/{ident}")
        assert response.status_code == 200, response.text
        return response.json()[root]


def agents_by_id(api: Api) -> dict[str, dict[str, Any]]:
    """`GET /v2.0/agents` (asserted 200), each agent under its id."""
    response = api.get("/v2.0/agents")
    assert response.status_code == 200, response.text
    return {a["id"]: a for a in response.json()["agents"]}
