"""HTTP plumbing (api/http.py): path normalisation, body reading, the error envelope."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from ovn_provider.api import http
from ovn_provider.errors import (
    ApiError,
    BadRequest,
    Conflict,
    LengthRequired,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
)


@pytest.mark.parametrize("path,segments", [
    ("/", []), ("", []), ("//", []),
    ("/v2.0", ["v2.0"]), ("/v2.0/", ["v2.0"]), ("//v2.0//tokens", ["v2.0", "tokens"]),
    ("/v2.0/tokens/", ["v2.0", "tokens"]),
    ("/v2.0/networks.json", ["v2.0", "networks"]),
    ("/v2.0/networks.JSON", ["v2.0", "networks"]),
    ("/v2.0/networks/abc.Json/", ["v2.0", "networks", "abc"]),
    ("/v2.0/networks/.json", ["v2.0", "networks"]),
    ("/v2.0/networks.json.json", ["v2.0", "networks.json"]),
    ("/v2.0/json", ["v2.0", "json"]),
])
def test_split_path(path: str, segments: list[str]) -> None:
    assert http.split_path(path) == segments


@pytest.mark.parametrize("status,title", [(400, "Bad Request"), (401, "Unauthorized"),
                                          (404, "Not Found"), (405, "Method Not Allowed"),
                                          (409, "Conflict"), (411, "Length Required"),
                                          (413, "Request Entity Too Large"),
                                          (500, "Internal Server Error"),
                                          (503, "Service Unavailable")])
def test_error_titles(status: int, title: str) -> None:
    body = http.error_body(status, "m")
    assert body == {"error": {"message": "m", "code": status, "title": title,
                              "type": "HTTP" + title.replace(" ", "")}}


@pytest.mark.parametrize("error,kind", [
    (BadRequest("m"), "HTTPBadRequest"), (NotFound("m"), "HTTPNotFound"),
    (Conflict("m"), "HTTPConflict"), (PreconditionFailed("m"), "RevisionNumberConstraintFailed"),
    (ApiError("m"), "HTTPInternalServerError"),
    (Conflict("m", "IpAddressInUse"), "IpAddressInUse"),
    (NotFound("m", "NetworkNotFound"), "NetworkNotFound")])
def test_error_type_names_the_neutron_exception(error: ApiError, kind: str) -> None:
    body = http.error_body(error)["error"]
    assert body["type"] == kind and body["code"] == error.status and body["message"] == "m"


def test_error_message_escapes_only_echoed_input_and_is_never_empty() -> None:
    nasty = "<a href='x'>&\"</a>"
    body = http.error_body(BadRequest(f"Reason: '{nasty}' is bad; min must be <= max"),
                           echoed={nasty})
    assert body["error"]["message"] == ("Reason: '&lt;a href=&#x27;x&#x27;&gt;&amp;&quot;"
                                        "&lt;/a&gt;' is bad; min must be <= max")
    # without knowing the input, nothing that could open a tag or an entity gets through
    body = http.error_body(BadRequest(f"{nasty} &amp; 'quoted' <= >"))
    assert body["error"]["message"] == "&lt;a href='x'>&\"&lt;/a> &amp;amp; 'quoted' <= >"
    assert body["error"]["code"] == 400
    assert http.error_body(Conflict(""))["error"]["message"] == "Conflict"
    assert http.error_body(404)["error"]["message"] == "Not Found"
    assert http.error_body(ApiError("boom"))["error"]["code"] == 500


def test_request_json() -> None:
    request = http.Request("POST", "/", [], [], {}, "-", b'{"a": 1}')
    assert request.json() == {"a": 1}
    for body in (b"", b"  ", b"{", b"\xff", b"nul"):
        with pytest.raises(BadRequest):
            http.Request("POST", "/", [], [], {}, "-", body).json()


def _scope(method: str = "POST", headers: dict[str, str] | None = None,
           query: bytes = b"") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": "/v2.0/networks", "query_string": query,
            "client": ("127.0.0.1", 5555),
            "headers": [(k.encode(), v.encode()) for k, v in (headers or {}).items()]}


def _receive(chunks: list[bytes]) -> Any:
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


def read(scope: dict[str, Any], chunks: list[bytes], limit: int = 100) -> http.Request:
    return asyncio.run(http.read_request(scope, _receive(chunks), limit))


def test_read_request_by_content_length_and_chunks() -> None:
    request = read(_scope(headers={"Content-Length": "7"}), [b'{"a":', b"1}"])
    assert request.body == b'{"a":1}'
    assert request.client == "127.0.0.1:5555"
    assert request.segments == ["v2.0", "networks"]
    chunked = read(_scope(headers={"Transfer-Encoding": "chunked"}), [b"{}", b""])
    assert chunked.body == b"{}"


def test_read_request_query_keeps_blanks_and_repeats() -> None:
    request = read(_scope("GET", query=b"name=&fields=a&fields=b&x=%C3%A9+1"), [b""])
    assert request.query == [("name", ""), ("fields", "a"), ("fields", "b"), ("x", "\u00e9 1")]


def test_post_without_length_is_411_and_get_is_fine() -> None:
    with pytest.raises(LengthRequired):
        read(_scope("POST"), [b""])
    with pytest.raises(LengthRequired):
        read(_scope("PUT"), [b""])
    assert read(_scope("GET"), [b""]).body == b""
    assert read(_scope("DELETE"), [b""]).body == b""


def test_oversize_bodies_are_413() -> None:
    with pytest.raises(PayloadTooLarge):
        read(_scope(headers={"Content-Length": "101"}), [b"x" * 101])
    with pytest.raises(PayloadTooLarge):
        read(_scope(headers={"Transfer-Encoding": "chunked"}), [b"x" * 60, b"x" * 60])
    assert len(read(_scope(headers={"Content-Length": "100"}), [b"x" * 100]).body) == 100


def test_invalid_content_length_is_400() -> None:
    with pytest.raises(BadRequest):
        read(_scope(headers={"Content-Length": "ten"}), [b""])


def test_client_address_formats() -> None:
    assert http.client_of({"client": ("::1", 80)}) == "[::1]:80"
    assert http.client_of({"client": ("10.0.0.1", 80)}) == "10.0.0.1:80"
    assert http.client_of({}) == "-"


def test_mask_body_hides_passwords_and_token_ids() -> None:
    body = orjson.dumps({"auth": {"passwordCredentials": {"username": "u",
                                                          "password": "hunter2"},
                                  "token": {"id": "secret-token"}},
                         "list": [{"password": "pw-in-list"}]})
    masked = http.mask_body(body)
    assert "hunter2" not in masked and "pw-in-list" not in masked
    assert "secret-token" not in masked
    assert "<PASSWORD_HIDDEN>" in masked and '"username":"u"' in masked
    assert http.mask_body(b"not json") == "<non-JSON body>"


def test_send_response_sets_length_and_type_and_head_has_no_body() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(http.send_response(send, http.Response(200, {"a": 1})))
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 200
    assert headers[b"content-length"] == b"7" and sent[1]["body"] == b'{"a":1}'
    assert headers[b"content-type"].startswith(b"application/json")
    sent.clear()
    asyncio.run(http.send_response(send, http.Response(200, {"a": 1}), head_only=True))
    assert dict(sent[0]["headers"])[b"content-length"] == b"7" and sent[1]["body"] == b""
    sent.clear()
    asyncio.run(http.send_response(send, http.Response(204)))
    headers = dict(sent[0]["headers"])
    assert headers[b"content-length"] == b"0" and b"content-type" not in headers
    assert sent[1]["body"] == b""
    sent.clear()
    asyncio.run(http.send_response(send, http.Response(404, http.error_body(NotFound("x")),
                                                       {"X-Extra": "1"})))
    assert dict(sent[0]["headers"])[b"x-extra"] == b"1"
