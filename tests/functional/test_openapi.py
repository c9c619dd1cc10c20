"""The OpenAPI document (docs/architecture.md, "The OpenAPI document"): served without a
token, valid OpenAPI 3.1, and listing exactly the routes the server answers."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.support.provider import Api


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


@pytest.fixture(scope="module")
def doc(module_api: Api) -> dict[str, Any]:
    response = httpx.get(f"{module_api.base}/v2.0/openapi.json")  # no token
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_document_is_valid_openapi_31(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_documented_route_is_served(api: Api, doc: dict[str, Any]) -> None:
    """Each documented path and method answers something other than 404 "no such
    resource" / 405 (an unknown id gives 404 with a "not found" text about the object)."""
    unknown = str(uuid.uuid4())
    for path, item in doc["paths"].items():
        url = re.sub(r"\{id\}", unknown, path).replace("{alias}", "router").replace(
            "{tag}", "t")
        for method in ("get", "put", "post", "delete"):
            if method not in item:
                continue
            body = {} if method in ("put", "post") else None
            response = api.http.request(method.upper(), url, json=body)
            assert response.status_code != 405, (method, path, response.text)
            if response.status_code == 404:
                message = response.json()["error"]["message"]
                assert not message.startswith("The resource"), (method, path, message)


def test_served_routes_are_documented(api: Api, doc: dict[str, Any]) -> None:
    """The collections the server lists at /v2.0 and the methods each allows are the
    documented ones: a method absent from the document is 405."""
    index = api.get("/v2.0").json()["resources"]
    served = {f"/v2.0/{link['links'][0]['href'].rsplit('/', 1)[-1]}" for link in index}
    documented = {p for p in doc["paths"] if re.fullmatch(r"/v2\.0/[a-z-]+", p)} - {
        "/v2.0/extensions", "/v2.0/tech", "/v2.0/openapi.json"}
    assert served == documented
    unknown = str(uuid.uuid4())
    for path in documented:
        for suffix, methods in (("", ("post",)), ("/{id}", ("put", "delete"))):
            item = doc["paths"][path + suffix]
            for method in methods:
                if method in item:
                    continue
                url = (path + suffix).replace("{id}", unknown)
                response = api.http.request(method.upper(), url, json={})
                assert response.status_code == 405, (method, url, response.text)


def test_request_schemas_follow_the_resource_schemas(doc: dict[str, Any]) -> None:
    create = doc["components"]["schemas"]["PortCreate"]
    assert create["additionalProperties"] is False
    assert "network_id" in create["required"]
    assert "status" not in create["properties"]
    assert doc["components"]["schemas"]["NetworkCreate"]["properties"]["mtu"]["maximum"] == 65535
