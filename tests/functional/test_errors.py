"""The error surface of the Networking API (docs/compatibility.md, "Errors"; docs/compatibility.md,
"Request bodies"): statuses, the Neutron envelope, paths, tokens, bodies. Raw sockets are used
wherever an HTTP client would fix the request up."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from ovn_provider.ovn.central import Central
from ovn_provider.ovn.daemons import wait_for
from ovn_provider.server import Provider
from tests.support.provider import TOKEN, Api, make_config, running

TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 411: "Length Required",
          413: "Request Entity Too Large"}


def envelope(response: httpx.Response, status: int) -> str:
    """Check the Neutron error envelope; return the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["content-length"]) == len(response.content)
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"message", "code", "title", "type"}
    assert error["code"] == status
    assert isinstance(error["type"], str) and error["type"].isalnum()
    assert error["title"] == TITLES[status]
    assert isinstance(error["message"], str) and error["message"].strip()
    return str(error["message"])


@pytest.fixture(scope="module")
def api(module_api: Api) -> Api:
    return module_api


# -- raw HTTP ---------------------------------------------------------------------------------
def raw(provider: Provider, request: bytes, port: int | None = None) -> tuple[int, dict[str, str],
                                                                           bytes]:
    """Send `request` bytes as they are; (status, headers, body) of the answer, read by its
    Content-Length."""
    target = port if port is not None else provider.ports[0]
    with socket.create_connection(("127.0.0.1", target), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed without a response: {data!r}"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        if request.startswith(b"HEAD "):
            length = 0
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body


def req(method: str, path: str, body: bytes | None = None, token: bool = True,
        extra: str = "", length: bool = True) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{extra}"
    if token:
        head += f"X-Auth-Token: {TOKEN}\r\n"
    if body is not None and length:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + (body or b"")


def raw_error(answer: tuple[int, dict[str, str], bytes], status: int) -> str:
    code, headers, body = answer
    assert code == status, body
    assert headers["content-type"].startswith("application/json")
    error = orjson.loads(body)["error"]
    assert error["code"] == status and error["title"] == TITLES[status] and error["message"]
    return str(error["message"])


@pytest.fixture(scope="module")
def anon(provider: Provider) -> Iterator[Api]:
    client = Api(provider, token=None)
    try:
        yield client
    finally:
        client.close()


# -- the envelope (docs/compatibility.md, "Errors") ------------------------------------------------
def test_messages_escape_the_echoed_input_only(api: Api) -> None:
    """The client's input is HTML-escaped where a message repeats it; the provider's own
    words are plain text, as Neutron clients expect (docs/compatibility.md, "Errors")."""
    nasty = "<script>alert('x')</script>&\""
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&quot;"
    message = envelope(api.get(f"/v2.0/ports/{nasty}"), 404)
    assert "<" not in message and ">" not in message and "'" not in message
    assert escaped in message
    net = api.network(name="esc")
    message = envelope(api.post("/v2.0/ports", {"port": {"network_id": net["id"],
                                                         "mac_address": nasty}}), 400)
    assert message == f"Invalid input for mac_address. Reason: '{escaped}' is not a valid MAC " \
        "address."
    sg = api.create("security-groups", "security_group", name="esc-sg")
    message = envelope(api.post("/v2.0/security-group-rules", {"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 90, "port_range_max": 80}}), 400)
    assert message == "For TCP/UDP/SCTP protocols, port_range_min must be <= port_range_max"


def test_errors_are_logged_with_method_path_and_client(api: Api,
                                                       caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    with caplog.at_level(logging.ERROR, logger="ovn_provider.api"):
        envelope(api.get("/v2.0/networks/not-there"), 404)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("GET" in line and "/v2.0/networks/not-there" in line and "127.0.0.1:" in line
               for line in lines), lines


# -- 400: bodies (docs/compatibility.md, "Request bodies") -----------------------------------------
@pytest.mark.parametrize("body", [b"{", b"not json", b"{\"network\": }", b"\xff\xfe",
                                  b"[1,2", b"{\"network\": {\"name\": \"a\"}} trailing"])
def test_malformed_json_is_400(api: Api, body: bytes) -> None:
    response = api.http.post("/v2.0/networks", content=body,
                             headers={"Content-Type": "application/json"})
    envelope(response, 400)


@pytest.mark.parametrize("path,body", [
    ("/v2.0/networks", {}), ("/v2.0/networks", {"net": {"name": "x"}}),
    ("/v2.0/networks", []), ("/v2.0/networks", "network"), ("/v2.0/networks", None),
    ("/v2.0/networks", {"network": "x"}), ("/v2.0/networks", {"network": []}),
    ("/v2.0/subnets", {"network": {}}), ("/v2.0/ports", {"ports": {}}),
    ("/v2.0/routers", {"network": {}}),
])
def test_missing_or_wrong_root_key_is_400(api: Api, path: str, body: Any) -> None:
    response = api.http.post(path, content=orjson.dumps(body))
    envelope(response, 400)


def test_empty_body_is_400(api: Api, provider: Provider) -> None:
    envelope(api.http.post("/v2.0/networks", content=b""), 400)
    answer = raw(provider, req("POST", "/v2.0/networks", b""))
    raw_error(answer, 400)
    envelope(api.http.post("/v2.0/networks", content=b"   "), 400)


@pytest.mark.parametrize("attrs", [{"name": 5}, {"name": ["a"]}, {"mtu": "big"}, {"mtu": -1},
                                   {"mtu": True}, {"port_security_enabled": "true"},
                                   {"provider:network_type": "gre"}])
def test_wrong_types_on_networks_are_400(api: Api, attrs: dict[str, Any]) -> None:
    envelope(api.post("/v2.0/networks", {"network": attrs}), 400)


@pytest.mark.parametrize("attrs", [{"name": 5}, {"device_id": 7}, {"device_owner": {}},
                                   {"binding:host_id": []}, {"description": 1},
                                   {"fixed_ips": 3}, {"security_groups": "Default"}])
def test_wrong_types_on_ports_are_400(api: Api, attrs: dict[str, Any]) -> None:
    net = api.network(name="types")
    envelope(api.post("/v2.0/ports", {"port": {"network_id": net["id"], **attrs}}), 400)
    port = api.port(net["id"])
    envelope(api.put(f"/v2.0/ports/{port['id']}", {"port": attrs}), 400)


def test_unknown_attributes_are_400_and_known_unused_ones_accepted(api: Api) -> None:
    """One policy for every resource (docs/compatibility.md, "Request bodies")."""
    message = envelope(api.post("/v2.0/networks", {"network": {"name": "x", "colour": "red"}}),
                       400)
    # the provider's own quotes are plain text (docs/clients.md, "Error messages")
    assert message == "Unrecognized attribute(s) 'colour'"
    net = api.network(name="extra", shared=False, tenant_id="t", admin_state_up=True)
    try:
        port = api.port(net["id"], **{"binding:profile": {"a": 1}})
        assert "binding:profile" not in port
        assert api.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    finally:
        api.delete(f"/v2.0/networks/{net['id']}")


# -- 401  --------------------------------------------------------------------------
@pytest.mark.parametrize("method,path", [
    ("GET", "/v2.0/networks"), ("GET", "/v2.0/ports"), ("POST", "/v2.0/networks"),
    ("GET", "/v2.0/networks/x"), ("DELETE", "/v2.0/ports/x"), ("GET", "/v2.0/extensions"),
    ("GET", "/v2.0/tech"), ("GET", "/v2.0/subnets.json"), ("GET", "/v2.0/no-such-thing")])
def test_missing_token_is_401(anon: Api, method: str, path: str) -> None:
    response = anon.http.request(method, path, json={"network": {"name": "x"}}
                                 if method == "POST" else None)
    envelope(response, 401)


def test_invalid_token_is_401(provider: Provider) -> None:
    bad = Api(provider, token="not-a-valid-token")
    try:
        envelope(bad.get("/v2.0/networks"), 401)
        envelope(bad.post("/v2.0/networks", {"network": {"name": "x"}}), 401)
        envelope(bad.get("/v2.0/"), 401)
    finally:
        bad.close()
    empty = raw(provider, req("GET", "/v2.0/networks", extra="X-Auth-Token: \r\n",
                              token=False))
    raw_error(empty, 401)


@pytest.mark.parametrize("path", ["/", "/v2.0", "/v2.0/", "//v2.0//", "/v2.0.json"])
def test_version_documents_need_no_token_but_accept_one(anon: Api, api: Api,
                                                        path: str) -> None:
    for client in (anon, api):
        response = client.get(path)
        if path == "/v2.0.json":
            #  strips `.json` from the path: /v2.0.json is /v2.0
            assert response.status_code == 200, response.text
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), dict)
    versions = anon.get("/").json()
    assert versions["versions"][0]["id"] == "v2.0"
    assert versions["versions"][0]["links"][0]["href"].endswith("/v2.0/")
    index = anon.get("/v2.0/").json()
    collections = {r["collection"] for r in index["resources"]}
    assert {"networks", "subnets", "ports"} <= collections


# -- 404  -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/v2.0/nothing", "/v2.0/networks/x/y", "/v2.0/ports/x/y/z/w", "/v3/networks",
    "/v1.0/networks", "/v2/networks", "/V2.0/networks", "/networks", "/ports", "/tokens",
    "/v2.0/extensions/a/b"])
def test_unknown_paths_are_404(api: Api, path: str) -> None:
    envelope(api.get(path), 404)


@pytest.mark.parametrize("collection", ["networks", "subnets", "ports"])
def test_unknown_ids_are_404(api: Api, collection: str) -> None:
    for ident in (str(uuid.uuid4()), "not-a-uuid", "Default"):
        envelope(api.get(f"/v2.0/{collection}/{ident}"), 404)
        envelope(api.delete(f"/v2.0/{collection}/{ident}"), 404)
        root = collection[:-1]
        response = api.put(f"/v2.0/{collection}/{ident}", {root: {"name": "x"}})
        envelope(response, 404)


# -- 405  -----------------------------------------------------------------------------------
@pytest.mark.parametrize("collection", ["networks", "subnets", "ports"])
def test_wrong_methods_are_405(api: Api, collection: str) -> None:
    root = collection[:-1]
    envelope(api.put(f"/v2.0/{collection}", {root: {"name": "x"}}), 405)
    envelope(api.delete(f"/v2.0/{collection}"), 405)
    envelope(api.http.patch(f"/v2.0/{collection}", json={}), 405)
    envelope(api.post(f"/v2.0/{collection}/{uuid.uuid4()}", {root: {"name": "x"}}), 405)


def test_wrong_methods_on_fixed_documents_are_405(api: Api) -> None:
    envelope(api.post("/", {}), 405)
    envelope(api.delete("/v2.0/"), 405)
    envelope(api.post("/v2.0/extensions", {}), 405)
    envelope(api.put("/v2.0/extensions/extraroute", {}), 405)
    envelope(api.post("/v2.0/tech", {}), 405)


# -- 411/400 and 413 (docs/compatibility.md, "Request bodies") -------------------------------------
@pytest.mark.parametrize("method,path", [("POST", "/v2.0/networks"),
                                         ("PUT", "/v2.0/networks/whatever")])
def test_body_without_length_gets_an_answer(provider: Provider, method: str,
                                            path: str) -> None:
    answer = raw(provider, req(method, path, b'{"network": {}}', length=False))
    status = answer[0]
    assert status in (400, 411)
    raw_error(answer, status)


def test_http10_body_without_length_gets_an_answer(provider: Provider) -> None:
    request = (f"POST /v2.0/networks HTTP/1.0\r\nX-Auth-Token: {TOKEN}\r\n\r\n"
               '{"network": {"name": "old"}}').encode()
    status, _, body = raw(provider, request)
    assert status in (400, 411), body


def test_chunked_body_is_accepted(provider: Provider) -> None:
    payload = b'{"network": {"name": "chunky"}}'
    request = req("POST", "/v2.0/networks", extra="Transfer-Encoding: chunked\r\n")
    request += f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n"
    status, headers, body = raw(provider, request)
    assert status == 201, body
    assert orjson.loads(body)["network"]["name"] == "chunky"
    assert int(headers["content-length"]) == len(body)


def test_oversize_body_is_413_and_writes_nothing(central: Central) -> None:
    cfg = make_config(central.nb_remote, **{"PROVIDER/max-request-body": "1024"})
    with running(cfg) as prov:
        name = f"big-{uuid.uuid4().hex[:8]}"
        body = orjson.dumps({"network": {"name": name, "description": "x" * 3000}})
        raw_error(raw(prov, req("POST", "/v2.0/networks", body)), 413)
        chunked = req("POST", "/v2.0/networks", extra="Transfer-Encoding: chunked\r\n")
        for start in range(0, len(body), 500):
            part = body[start:start + 500]
            chunked += f"{len(part):x}\r\n".encode() + part + b"\r\n"
        chunked += b"0\r\n\r\n"
        raw_error(raw(prov, chunked), 413)
        small = orjson.dumps({"network": {"name": name}})
        assert raw(prov, req("POST", "/v2.0/networks", small))[0] == 201
        api = Api(prov)
        try:
            listed = api.get("/v2.0/networks", params={"name": name}).json()["networks"]
            assert len(listed) == 1 and listed[0]["description"] == ""
        finally:
            api.close()


# -- path normalisation and HEAD ---------------------------------------------
def test_trailing_json_and_empty_segments_are_ignored(api: Api, provider: Provider) -> None:
    net = api.network(name="paths")
    for path in (f"/v2.0/networks/{net['id']}.json", f"/v2.0/networks/{net['id']}.JSON",
                 f"/v2.0/networks/{net['id']}/", f"//v2.0//networks//{net['id']}//",
                 f"/v2.0/networks/{net['id']}/.json"):
        status, _, body = raw(provider, req("GET", path))
        assert status == 200, (path, body)
        assert orjson.loads(body)["network"]["id"] == net["id"]
    status, _, body = raw(provider, req("GET", "/v2.0/networks.json?name=paths"))
    assert status == 200 and net["id"] in {n["id"] for n in orjson.loads(body)["networks"]}
    created = raw(provider, req("POST", "/v2.0//ports.json",
                                orjson.dumps({"port": {"network_id": net["id"]}})))
    assert created[0] == 201
    port_id = orjson.loads(created[2])["port"]["id"]
    status, _, _ = raw(provider, req("DELETE", f"/v2.0/ports/{port_id}.json/"))
    assert status == 204


def test_head_answers_like_get_without_a_body(provider: Provider) -> None:
    status, headers, body = raw(provider, req("HEAD", "/v2.0/networks"))
    assert status == 200 and body == b""
    _, get_headers, get_body = raw(provider, req("GET", "/v2.0/networks"))
    assert int(headers["content-length"]) == len(get_body) == int(
        get_headers["content-length"])
    status, _, body = raw(provider, req("HEAD", "/v2.0/networks/nothing"))
    assert status == 404 and body == b""
    status, _, _ = raw(provider, req("HEAD", "/v2.0/networks", token=False))
    assert status == 401


def test_delete_answers_204_without_a_body(api: Api, provider: Provider) -> None:
    net = api.network(name="gone")
    status, headers, body = raw(provider, req("DELETE", f"/v2.0/networks/{net['id']}"))
    assert status == 204 and body == b""
    assert headers.get("content-length", "0") == "0"


def test_successful_responses_carry_length_and_json(api: Api) -> None:
    for response in (api.get("/"), api.get("/v2.0/"), api.get("/v2.0/networks"),
                     api.get("/v2.0/extensions"), api.post("/v2.0/networks",
                                                           {"network": {"name": "ok"}})):
        assert response.status_code in (200, 201)
        assert int(response.headers["content-length"]) == len(response.content)
        assert response.headers["content-type"].startswith("application/json")
        assert response.http_version == "HTTP/1.1"


def test_request_content_type_is_not_checked(api: Api) -> None:
    body = orjson.dumps({"network": {"name": "typed"}})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        response = api.http.post("/v2.0/networks", content=body,
                                 headers={"Content-Type": content_type})
        assert response.status_code == 201, response.text


def test_debug_log_has_request_and_response(api: Api,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """Spec 3.3: From/Request line with the body, then the response code and body."""
    caplog.set_level(logging.DEBUG, logger="ovn_provider.api")
    name = f"dbg-{uuid.uuid4().hex[:8]}"
    net = api.network(name=name)
    envelope(api.get("/v2.0/networks/nowhere"), 404)

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "ovn_provider.api"]

    # the response is logged just after it has been sent
    wait_for(lambda: any("Response: 404" in m for m in messages()), 5, "the response log")
    text = "\n".join(messages())
    assert "Request: POST /v2.0/networks body" in text and name in text
    assert "Response: 201 " in text and net["id"] in text
    assert "Request: GET /v2.0/networks/nowhere" in text and "Response: 404 " in text
    assert "From: 127.0.0.1:" in text


def test_unread_bodies_close_a_keep_alive_connection(provider: Provider) -> None:
    """After 411/413 the rest of the stream is not a request: the server closes."""
    for head, status in ((b"POST /v2.0/networks HTTP/1.1\r\nHost: t\r\n", 411),
                         (b"POST /v2.0/networks HTTP/1.1\r\nHost: t\r\n"
                          b"Content-Length: 99999999\r\n", 413)):
        with socket.create_connection(("127.0.0.1", provider.ports[0]), timeout=10) as sock:
            sock.sendall(head + f"X-Auth-Token: {TOKEN}\r\n\r\n".encode()
                         + b'{"network": {"name": "junk"}}')
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            assert data.startswith(f"HTTP/1.1 {status} ".encode()), data
            assert data.count(b"HTTP/1.1") == 1
