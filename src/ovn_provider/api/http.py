"""Minimal ASGI plumbing shared by both APIs: request object, body reading, JSON and error
responses in the Neutron envelope (docs/compatibility.md, "Errors"; docs/compatibility.md,
"Paths"), the request log."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ovn_provider.api import error_text
from ovn_provider.errors import ApiError, BadRequest, LengthRequired, PayloadTooLarge
from ovn_provider.json_encode import encode_json

LOG = logging.getLogger("ovn_provider.request")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass
class Request:
    method: str
    raw_path: str
    segments: list[str]
    query: list[tuple[str, str]]
    headers: dict[str, str]
    client: str
    body: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        if not self.body.strip():
            raise BadRequest("Request body is empty; a JSON object is required")
        try:
            data = orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"Malformed JSON in request body: {exc}") from None
        where = nul_in(data)
        if where is not None:
            raise BadRequest(f"Invalid input for {where}. Reason: NUL characters are not "
                             "allowed in strings.")
        return data


def nul_in(value: Any, where: str = "the request body") -> str | None:
    """The name of the first key whose value (or which itself) holds a NUL character: the NB
    cannot store one (docs/architecture.md, "Malformed transactions")."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return "an attribute name"
            found = nul_in(item, key)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = nul_in(item, where)
            if found is not None:
                return found
    return None


@dataclass
class Response:
    status: int
    #: JSON-serialisable, or None for no body, or bytes or Pieces sent as they are (with
    #: their content-type in `headers`)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def split_path(path: str) -> list[str]:
    """Drop a trailing `.json` (any case, also before trailing slashes) and empty
    segments."""
    path = path.rstrip("/")
    if path.lower().endswith(".json"):
        path = path[:-5]
    return [part for part in path.split("/") if part]


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    if not client:
        return "-"
    host, port = client[0], client[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


async def read_request(scope: Scope, receive: Receive, max_body: int) -> Request:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    request = Request(method=scope["method"].upper(), raw_path=scope["path"],
                      segments=split_path(scope["path"]),
                      query=parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                      keep_blank_values=True),
                      headers=headers, client=client_of(scope))
    length = headers.get("content-length")
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    if length is not None:
        try:
            if int(length) > max_body:
                raise PayloadTooLarge(f"Request body of {length} bytes exceeds the limit of "
                                      f"{max_body} bytes")
        except ValueError:
            raise BadRequest("Invalid Content-Length header") from None
    elif request.method in ("POST", "PUT") and not chunked:
        raise LengthRequired("A request body with Content-Length (or chunked encoding) is "
                             "required")
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body:
            raise PayloadTooLarge(f"Request body exceeds the limit of {max_body} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    request.body = b"".join(chunks)
    return request


def error_body(error: ApiError | int, message: str | None = None,
               echoed: Iterable[str] = ()) -> dict[str, Any]:
    """The Neutron error envelope. The message is plain text except where it repeats
    `echoed` client input, which is HTML-escaped (api/error_text.py). `type` names the
    Neutron exception (errors.py), for clients that tell errors apart by it."""
    status = error if isinstance(error, int) else error.status
    text = message if message is not None else (
        error.message if isinstance(error, ApiError) else "")
    if not text:
        text = HTTPStatus(status).phrase
    kind = error.type if isinstance(error, ApiError) else \
        "HTTP" + HTTPStatus(status).phrase.replace(" ", "")
    return {"error": {"message": error_text.render(text, echoed), "code": status,
                      "title": HTTPStatus(status).phrase, "type": kind}}


@dataclass(frozen=True)
class Pieces:
    """A body sent as it is, one piece after the other, never joined: the plain port list
    (13 MB at 20,000 ports) is kept in blocks shared by every request (ovn/rope.py), and
    the event loop copies at most the unsent rest of one piece while the client reads."""

    parts: tuple[bytes, ...]

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)


async def send_response(send: Send, response: Response, head_only: bool = False) -> None:
    """The response with its Content-Length; for HEAD, the length GET would have sent and
    no body (RFC 9110 9.3.2)."""
    if isinstance(response.body, Pieces):
        await _send_pieces(send, response, response.body, head_only)
        return
    raw = isinstance(response.body, bytes)
    payload = b"" if response.body is None else response.body if raw else \
        encode_json(response.body)
    headers = [(b"content-length", str(len(payload)).encode())]
    if response.body is not None and not raw:
        headers.append((b"content-type", b"application/json; charset=UTF-8"))
    for name, value in response.headers.items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head_only else payload})


async def _send_pieces(send: Send, response: Response, body: Pieces,
                       head_only: bool) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    for name, value in response.headers.items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    parts = () if head_only else [part for part in body.parts if part]
    for part in parts[:-1]:  # uvicorn waits while the socket's buffer is full
        await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": parts[-1] if parts else b""})


def mask_body(body: bytes) -> str:
    """The request body for DEBUG logs, with passwords and token ids hidden."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "<non-JSON body>"

    def scrub(value: Any, parent: str = "") -> Any:
        if isinstance(value, dict):
            return {k: "<PASSWORD_HIDDEN>" if k == "password" else
                    "<TOKEN_HIDDEN>" if parent == "token" and k == "id" else scrub(v, k)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v, parent) for v in value]
        return value

    return orjson.dumps(scrub(data)).decode()


def log_request(request: Request | None, scope: Scope, status: int, started: float) -> None:
    elapsed = (time.monotonic() - started) * 1000
    client = request.client if request else client_of(scope)
    LOG.info("%s %s %s %d %.1fms", client, scope.get("method", "-"), scope.get("path", "-"),
             status, elapsed)
