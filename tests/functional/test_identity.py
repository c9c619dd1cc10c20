"""Identity API: version documents, Keystone v2.0 and v3 tokens, tenants, projects and the
service catalogue (docs/auth.md; docs/compatibility.md, "Beyond the predecessor").

Two providers: the session one (static-token plugin, default catalogue settings) and a
module one with a test plugin that tells bad passwords (401) from unauthorised users (403)
and with every catalogue setting changed, so that each value is seen to come from the
configuration and never from the request's Host header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ovn_provider.config import Config
from ovn_provider.errors import Forbidden, Unauthorized
from ovn_provider.ovn.central import Central
from ovn_provider.server import Provider
from tests.support.provider import TOKEN, make_config, running

V2_TYPE = "application/vnd.openstack.identity-v2.0+json"
V3_TYPE = "application/vnd.openstack.identity-v3+json"
DEFAULT_NEUTRON_ID = "00000000000000000000000000000001"
DEFAULT_KEYSTONE_ID = "00000000000000000000000000000002"
DEFAULT_TENANT = "00000000000000000000000000000001"


class UserPlugin:
    """A third-party plugin: password `good` gives a token per user; user `joe` is not
    authorised (403); anything else is bad credentials (401)."""

    allows_anonymous = False

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def create_token(self, user: str, password: str) -> str:
        if password != "good":
            raise Unauthorized("Invalid user name or password")
        if user == "joe@internal":
            raise Forbidden("User joe@internal is not authorised")
        return f"tok-{user}"

    def validate_token(self, token: str) -> bool:
        return token.startswith("tok-")


CUSTOM = {
    "AUTH/auth-plugin": f"{__name__}:UserPlugin",
    "AUTH/auth-token-timeout": "0",
    "PROVIDER/provider-host": "fd00::10",
    "PROVIDER/nova-port": "8774",
    "PROVIDER/openstack-region": "RegionTwo",
    "PROVIDER/openstack-neutron-id": "neutron-endpoint-id",
    "PROVIDER/openstack-keystone-id": "keystone-endpoint-id",
    "PROVIDER/openstack-tenant-id": "tenant-uuid-x",
    "PROVIDER/openstack-tenant-name": "ovirt-tenant",
    "PROVIDER/openstack-tenant-description": "the oVirt tenant",
}


@pytest.fixture()
def ks(provider: Provider) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{provider.ports[1]}", timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def custom_provider(central: Central) -> Iterator[Provider]:
    with running(make_config(central.nb_remote, **CUSTOM)) as prov:
        yield prov


@pytest.fixture()
def cks(custom_provider: Provider) -> Iterator[httpx.Client]:
    # A Host header that names another machine: no URL may be derived from it.
    with httpx.Client(base_url=f"http://127.0.0.1:{custom_provider.ports[1]}", timeout=30,
                      headers={"Host": "evil.example:1"}) as client:
        yield client


def urls(prov: Provider) -> tuple[str, str, str]:
    """(keystone, neutron, nova) URLs as the configuration defines them."""
    cfg = prov.cfg
    return cfg.keystone_url, cfg.neutron_url, cfg.nova_url


def v2_password(user: str = "admin@internal", password: str = "secret",
                **extra: Any) -> dict[str, Any]:
    return {"auth": {"passwordCredentials": {"username": user, "password": password},
                     **extra}}


def v3_password(user: dict[str, Any], **scope: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"auth": {"identity": {"methods": ["password"],
                                                  "password": {"user": user}}}}
    if scope:
        body["auth"]["scope"] = scope
    return body


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == status
    assert isinstance(body["error"]["title"], str) and body["error"]["title"]
    message = body["error"]["message"]
    assert isinstance(message, str) and message
    return message


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- version discovery (docs/auth.md) --------------------------------------------------------------
def v2_doc(keystone: str) -> dict[str, Any]:
    return {"id": "v2.0", "status": "CURRENT", "updated": "2014-04-17T00:00:00Z",
            "links": [{"rel": "self", "href": f"{keystone}v2.0/"}],
            "media-types": [{"base": "application/json", "type": V2_TYPE}]}


def check_v3_doc(doc: dict[str, Any], keystone: str) -> None:
    assert doc["id"] == "v3.14"
    assert doc["status"] == "stable"
    parse_time(doc["updated"])
    assert doc["links"] == [{"rel": "self", "href": f"{keystone}v3/"}]
    assert doc["media-types"] == [{"base": "application/json", "type": V3_TYPE}]


def test_root_lists_v3_then_v2_with_status_300(ks: httpx.Client, provider: Provider) -> None:
    keystone = urls(provider)[0]
    assert keystone == f"http://127.0.0.1:{provider.ports[1]}/"
    response = ks.get("/")
    assert response.status_code == 300
    assert response.headers["content-type"].startswith("application/json")
    values = response.json()["versions"]["values"]
    assert [doc["id"] for doc in values] == ["v3.14", "v2.0"]
    check_v3_doc(values[0], keystone)
    assert values[1] == v2_doc(keystone)


@pytest.mark.parametrize("path", ["/v2.0", "/v2.0/", "/v2.0//", "/v2.0.json"])
def test_v2_version_document(ks: httpx.Client, provider: Provider, path: str) -> None:
    response = ks.get(path)
    assert response.status_code == 200, response.text
    assert response.json() == {"version": v2_doc(urls(provider)[0])}


@pytest.mark.parametrize("path", ["/v3", "/v3/"])
def test_v3_version_document(ks: httpx.Client, provider: Provider, path: str) -> None:
    response = ks.get(path)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"version"}
    check_v3_doc(response.json()["version"], urls(provider)[0])


@pytest.mark.parametrize("path", ["/v1/tokens", "/tokens", "/v2/tokens", "/networks",
                                  "/v2.0/networks", "/v3/users", "/v2.0/tokens/x"])
def test_other_paths_are_404(ks: httpx.Client, path: str) -> None:
    """ dropped: the prefix matters, and the identity port serves no networks."""
    body = v2_password()
    assert "could not be found" in error(ks.post(path, json=body), 404)


def test_wrong_methods_are_405(ks: httpx.Client) -> None:
    error(ks.get("/v2.0/tokens"), 405)
    error(ks.post("/v2.0/tenants", json={}), 405)
    error(ks.put("/v3/auth/tokens", json={}), 405)
    error(ks.post("/", json={}), 405)


# -- POST /v2.0/tokens (docs/auth.md) --------------------------------------------------------------
def check_v2_access(body: dict[str, Any], prov: Provider, token: str, *,
                    expires: bool = True) -> None:
    cfg = prov.cfg
    keystone, neutron, nova = urls(prov)
    access = body["access"]
    assert access["token"]["id"] == token
    if expires:
        stamp = access["token"]["expires"]
        assert stamp.endswith("Z") and len(stamp) == len("2026-11-27T22:38:22Z")
        assert parse_time(stamp) > dt.datetime.now(dt.UTC) + dt.timedelta(
            seconds=cfg.auth_token_timeout - 120)
    else:
        assert access["token"]["expires"] is None
    assert access["token"]["tenant"] == {"id": cfg.tenant_id, "name": cfg.tenant_name,
                                         "description": cfg.tenant_description,
                                         "enabled": True}
    user = access["user"]
    assert {"id", "name", "username", "roles", "roles_links"} <= set(user)
    assert {"name": "admin"} in user["roles"]
    assert user["roles_links"] == []

    def entry(kind: str, name: str, ident: str, url: str) -> dict[str, Any]:
        return {"type": kind, "name": name, "endpoints_links": [],
                "endpoints": [{"id": ident, "region": cfg.region, "publicURL": url,
                               "internalURL": url, "adminURL": url}]}

    assert access["serviceCatalog"] == [
        entry("network", "neutron", cfg.neutron_id, neutron),
        entry("identity", "keystone", cfg.keystone_id, keystone),
        entry("compute", "nova", cfg.keystone_id, nova)]


@pytest.mark.parametrize("path", ["/v2.0/tokens", "/v2.0//tokens", "/v2.0/tokens/",
                                  "/v2.0/tokens.JSON"])
def test_v2_password_token_answers_200(ks: httpx.Client, provider: Provider,
                                       path: str) -> None:
    """: 200, not 201; : the engine's `/v2.0//tokens` and OST's trailing slash."""
    response = ks.post(path, json=v2_password())
    assert response.status_code == 200, response.text
    check_v2_access(response.json(), provider, TOKEN)
    cfg = provider.cfg
    assert (cfg.region, cfg.neutron_id, cfg.keystone_id) == (
        "RegionOne", DEFAULT_NEUTRON_ID, DEFAULT_KEYSTONE_ID)
    assert cfg.nova_url == f"http://127.0.0.1:{cfg.nova_port}/v2.1/" and cfg.nova_port == 9696


@pytest.mark.parametrize("extra", [{"tenantName": "whatever"}, {"tenantId": "nope"},
                                   {"tenantName": "tenant", "unknown": [1]}])
def test_v2_tenant_in_body_is_ignored(ks: httpx.Client, provider: Provider,
                                      extra: dict[str, Any]) -> None:
    response = ks.post("/v2.0/tokens", json=v2_password(**extra))
    assert response.status_code == 200, response.text
    check_v2_access(response.json(), provider, TOKEN)


def test_v2_token_by_token(ks: httpx.Client, provider: Provider) -> None:
    response = ks.post("/v2.0/tokens", json={"auth": {"token": {"id": TOKEN},
                                                      "tenantName": "tenant"}})
    assert response.status_code == 200, response.text
    check_v2_access(response.json(), provider, TOKEN)


def test_v2_bad_token_is_401(ks: httpx.Client) -> None:
    error(ks.post("/v2.0/tokens", json={"auth": {"token": {"id": "not-a-token"}}}), 401)


@pytest.mark.parametrize(("body", "key"), [
    ({}, "auth"),
    ({"auth": None}, "auth"),
    ([1, 2], "auth"),
    ({"auth": {}}, "passwordCredentials"),
    ({"auth": {"passwordCredentials": {"password": "x"}}}, "username"),
    ({"auth": {"passwordCredentials": {"username": "admin"}}}, "password"),
    ({"auth": {"passwordCredentials": {"username": 1, "password": "x"}}}, "username"),
    ({"auth": {"passwordCredentials": "admin"}}, "passwordCredentials"),
    ({"auth": {"token": {}}}, "token.id"),
    ({"auth": {"token": "abc"}}, "token.id"),
])
def test_v2_missing_keys_are_400_naming_the_key(ks: httpx.Client, body: Any, key: str) -> None:
    assert key in error(ks.post("/v2.0/tokens", json=body), 400)


@pytest.mark.parametrize("raw", [b"{not json", b"", b"   "])
def test_v2_bad_json_is_400(ks: httpx.Client, raw: bytes) -> None:
    error(ks.post("/v2.0/tokens", content=raw,
                  headers={"Content-Type": "application/json"}), 400)


def test_v2_token_works_on_the_networking_api(ks: httpx.Client, provider: Provider) -> None:
    token = ks.post("/v2.0//tokens", json=v2_password()).json()["access"]["token"]["id"]
    neutron = urls(provider)[1]
    response = httpx.get(f"{neutron}v2.0/networks", headers={"X-Auth-Token": token})
    assert response.status_code == 200
    assert isinstance(response.json()["networks"], list)


# -- GET /v2.0/tenants (docs/auth.md) --------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": TOKEN}])
def test_v2_tenants_public(ks: httpx.Client, headers: dict[str, str]) -> None:
    """: public; `enabled` present (BZ 1524520)."""
    response = ks.get("/v2.0/tenants", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["tenants"] == [{"id": DEFAULT_TENANT, "name": "tenant",
                                           "description": "tenant", "enabled": True}]


# -- Keystone v3 (docs/auth.md) --------------------------------------------------------------------
def check_v3_token(body: dict[str, Any], prov: Provider, methods: list[str]) -> None:
    cfg = prov.cfg
    keystone, neutron, nova = urls(prov)
    token = body["token"]
    assert token["methods"] == methods
    issued = parse_time(token["issued_at"])
    expires = parse_time(token["expires_at"])
    now = dt.datetime.now(dt.UTC)
    assert abs((issued - now).total_seconds()) < 120
    assert expires > now + dt.timedelta(hours=1)
    domain = {"id": "default", "name": "Default"}
    assert token["user"]["domain"] == domain
    assert isinstance(token["user"]["id"], str) and token["user"]["id"]
    assert isinstance(token["user"]["name"], str) and token["user"]["name"]
    assert token["project"] == {"id": cfg.tenant_id, "name": cfg.tenant_name,
                                "domain": domain}
    assert [role["name"] for role in token["roles"]] == ["admin"]
    assert isinstance(token["roles"][0]["id"], str)
    catalog = token["catalog"]
    assert [(e["type"], e["name"], e["id"]) for e in catalog] == [
        ("network", "neutron", cfg.neutron_id), ("identity", "keystone", cfg.keystone_id),
        ("compute", "nova", cfg.keystone_id)]
    for entry, url in zip(catalog, (neutron, keystone, nova), strict=True):
        endpoints = entry["endpoints"]
        assert sorted(e["interface"] for e in endpoints) == ["admin", "internal", "public"]
        for endpoint in endpoints:
            assert endpoint["url"] == url
            assert endpoint["region"] == endpoint["region_id"] == cfg.region
            assert isinstance(endpoint["id"], str) and endpoint["id"]
        assert len({e["id"] for e in endpoints}) == 3


@pytest.mark.parametrize("user", [
    {"name": "admin@internal", "password": "secret", "domain": {"name": "Default"}},
    {"name": "admin@internal", "password": "secret"},
    {"id": "some-user-id", "password": "secret"},
])
def test_v3_password_token_is_201_with_subject_header(ks: httpx.Client, provider: Provider,
                                                      user: dict[str, Any]) -> None:
    body = v3_password(user, project={"name": "tenant", "domain": {"name": "Default"}})
    response = ks.post("/v3/auth/tokens", json=body)
    assert response.status_code == 201, response.text
    assert response.headers["X-Subject-Token"] == TOKEN
    check_v3_token(response.json(), provider, ["password"])
    assert response.json()["token"]["user"]["name"] == user.get("name", user.get("id"))


def test_v3_token_method(ks: httpx.Client, provider: Provider) -> None:
    response = ks.post("/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["token"], "token": {"id": TOKEN}}}})
    assert response.status_code == 201, response.text
    assert response.headers["X-Subject-Token"] == TOKEN
    check_v3_token(response.json(), provider, ["token"])
    error(ks.post("/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["token"], "token": {"id": "bogus"}}}}), 401)


@pytest.mark.parametrize(("body", "key"), [
    ({}, "auth"),
    ({"auth": {}}, "identity"),
    ({"auth": {"identity": {}}}, "methods"),
    ({"auth": {"identity": {"methods": []}}}, "methods"),
    ({"auth": {"identity": {"methods": ["password"]}}}, "password.user"),
    ({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "password": "x"}}}}}, "name"),
    ({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin"}}}}}, "password"),
    ({"auth": {"identity": {"methods": ["token"]}}}, "token.id"),
    ({"auth": {"identity": {"methods": ["totp"]}}}, "totp"),
])
def test_v3_bad_bodies_are_400(ks: httpx.Client, body: Any, key: str) -> None:
    response = ks.post("/v3/auth/tokens", json=body)
    assert key in error(response, 400)
    assert "X-Subject-Token" not in response.headers


def test_v3_token_validation(ks: httpx.Client, provider: Provider) -> None:
    headers = {"X-Auth-Token": TOKEN, "X-Subject-Token": TOKEN}
    response = ks.get("/v3/auth/tokens", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["X-Subject-Token"] == TOKEN
    check_v3_token(response.json(), provider, ["token"])
    head = ks.head("/v3/auth/tokens", headers=headers)
    assert head.status_code == 200 and head.content == b""
    bad = {"X-Auth-Token": TOKEN, "X-Subject-Token": "bogus"}
    error(ks.get("/v3/auth/tokens", headers=bad), 404)
    head = ks.head("/v3/auth/tokens", headers=bad)
    assert head.status_code == 404 and head.content == b""
    # A wrong caller token is 401 (the subject is not even looked at).
    error(ks.get("/v3/auth/tokens", headers={"X-Auth-Token": "bogus",
                                             "X-Subject-Token": TOKEN}), 401)
    error(ks.get("/v3/auth/tokens", headers={"X-Auth-Token": TOKEN}), 400)
    # the caller's own token is optional.
    alone = ks.get("/v3/auth/tokens", headers={"X-Subject-Token": TOKEN})
    assert alone.status_code == 200 and alone.headers["X-Subject-Token"] == TOKEN


def test_v3_projects(ks: httpx.Client) -> None:
    headers = {"X-Auth-Token": TOKEN}
    for query, expected in ((None, 1), ({"name": "tenant"}, 1), ({"name": "other"}, 0)):
        response = ks.get("/v3/projects", params=query, headers=headers)
        assert response.status_code == 200, response.text
        projects = response.json()["projects"]
        assert len(projects) == expected
    project = ks.get("/v3/projects", headers=headers).json()["projects"][0]
    assert project["id"] == DEFAULT_TENANT and project["name"] == "tenant"
    assert project["enabled"] is True and project["domain_id"] == "default"
    # no identity call requires a token; a wrong one is still refused.
    assert ks.get("/v3/projects").status_code == 200
    error(ks.get("/v3/projects", headers={"X-Auth-Token": "bogus"}), 401)


def test_v3_token_works_on_the_networking_api(ks: httpx.Client, provider: Provider) -> None:
    response = ks.post("/v3/auth/tokens", json=v3_password(
        {"name": "admin", "password": "x", "domain": {"id": "default"}}))
    token = response.headers["X-Subject-Token"]
    listing = httpx.get(f"{urls(provider)[1]}v2.0/ports", headers={"X-Auth-Token": token})
    assert listing.status_code == 200 and isinstance(listing.json()["ports"], list)


# -- configuration drives every document (custom provider) ---------------------------------------
def test_custom_catalogue_comes_from_configuration(cks: httpx.Client,
                                                   custom_provider: Provider) -> None:
    keystone, neutron, nova = urls(custom_provider)
    port = custom_provider.ports[1]
    assert keystone == f"http://[fd00::10]:{port}/"
    assert nova == "http://[fd00::10]:8774/v2.1/"
    assert neutron == f"http://[fd00::10]:{custom_provider.ports[0]}/"
    root = cks.get("/")
    assert root.status_code == 300
    assert root.json()["versions"]["values"][1] == v2_doc(keystone)
    check_v3_doc(root.json()["versions"]["values"][0], keystone)
    assert cks.get("/v2.0").json() == {"version": v2_doc(keystone)}
    assert "evil" not in root.text + cks.get("/v3").text

    v2 = cks.post("/v2.0//tokens", json=v2_password(password="good"))
    assert v2.status_code == 200, v2.text
    check_v2_access(v2.json(), custom_provider, "tok-admin@internal", expires=False)
    assert v2.json()["access"]["serviceCatalog"][0]["endpoints"][0]["region"] == "RegionTwo"
    assert "evil" not in v2.text

    v3 = cks.post("/v3/auth/tokens", json=v3_password({"name": "admin@internal",
                                                       "password": "good"}))
    assert v3.status_code == 201, v3.text
    assert v3.headers["X-Subject-Token"] == "tok-admin@internal"
    # auth-token-timeout = 0: v2 `expires` is null, v3 `expires_at` far in the future.
    check_v3_token(v3.json(), custom_provider, ["password"])
    expires = parse_time(v3.json()["token"]["expires_at"])
    assert expires > dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    assert "evil" not in v3.text

    tenants = cks.get("/v2.0/tenants").json()["tenants"]
    assert tenants == [{"id": "tenant-uuid-x", "name": "ovirt-tenant",
                        "description": "the oVirt tenant", "enabled": True}]
    projects = cks.get("/v3/projects", params={"name": "ovirt-tenant"}).json()["projects"]
    assert [p["id"] for p in projects] == ["tenant-uuid-x"]


def test_plugin_statuses_pass_through(cks: httpx.Client) -> None:
    """Bad credentials 401, unauthorised user 403, on v2 and v3; nothing is issued."""
    assert "Invalid user name" in error(
        cks.post("/v2.0/tokens", json=v2_password(password="wrong")), 401)
    assert "not authorised" in error(
        cks.post("/v2.0/tokens", json=v2_password("joe@internal", "good")), 403)
    wrong = cks.post("/v3/auth/tokens", json=v3_password({"name": "a", "password": "wrong"}))
    error(wrong, 401)
    assert "X-Subject-Token" not in wrong.headers
    error(cks.post("/v3/auth/tokens", json=v3_password({"name": "joe@internal",
                                                        "password": "good"})), 403)
    error(cks.post("/v2.0/tokens", json={"auth": {"token": {"id": "nope"}}}), 401)
    ok = cks.post("/v2.0/tokens", json={"auth": {"token": {"id": "tok-someone"}}})
    assert ok.status_code == 200
    assert ok.json()["access"]["token"]["id"] == "tok-someone"


def test_error_messages_are_html_escaped(ks: httpx.Client) -> None:
    """: a hostile value in the body comes back escaped."""
    body = {"auth": {"identity": {"methods": ["<script>"]}}}
    message = error(ks.post("/v3/auth/tokens", json=body), 400)
    assert "<script>" not in message and "&lt;script&gt;" in message
