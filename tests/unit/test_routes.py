"""Route templates for metrics (api/routes.py): ids never reach a label."""

from __future__ import annotations

import uuid

import pytest

from ovn_provider.api import routes
from ovn_provider.api.http import split_path
from ovn_provider.api.resources import all_resources

ACTIONS = {r.path: tuple(r.actions) for r in all_resources()}
ID = str(uuid.uuid4())


@pytest.mark.parametrize(("path", "template"), [
    ("/", "/"),
    ("/v2.0/", "/v2.0"),
    ("/v2.0/networks", "/v2.0/networks"),
    ("/v2.0/networks.json", "/v2.0/networks"),
    (f"/v2.0/ports/{ID}", "/v2.0/ports/{id}"),
    (f"/v2.0/security-groups/{ID}", "/v2.0/security-groups/{id}"),
    (f"/v2.0/routers/{ID}/add_router_interface", "/v2.0/routers/{id}/add_router_interface"),
    (f"/v2.0/routers/{ID}/no_such_action", "other"),
    (f"/v2.0/networks/{ID}/tags", "/v2.0/networks/{id}/tags"),
    (f"/v2.0/networks/{ID}/tags/a/b", "/v2.0/networks/{id}/tags/{tag}"),
    ("/v2.0/extensions", "/v2.0/extensions"),
    ("/v2.0/extensions/router", "/v2.0/extensions/{alias}"),
    ("/v2.0/tech", "/v2.0/tech"),
    (f"/v2.0/{ID}", "other"),
    (f"/{ID}/networks", "other"),
    (f"/v2.0/ports/{ID}/{ID}/{ID}", "other"),
])
def test_networking_templates(path: str, template: str) -> None:
    assert routes.networking(split_path(path), ACTIONS) == template


@pytest.mark.parametrize(("path", "template"), [
    ("/", "/"), ("/v3/auth/tokens", "/v3/auth/tokens"), ("/v2.0/tokens", "/v2.0/tokens"),
    ("/v3/projects", "/v3/projects"), (f"/v3/users/{ID}", "other"),
])
def test_identity_templates(path: str, template: str) -> None:
    assert routes.identity(split_path(path)) == template


def test_methods_are_bounded() -> None:
    assert routes.method("GET") == "GET"
    assert routes.method("BREW") == "other"
