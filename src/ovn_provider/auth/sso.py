"""HTTP client for the oVirt engine's SSO and REST API (docs/compatibility.md, "What the oVirt
engine sends").

Every call verifies TLS against `[OVIRT] ovirt-ca-file`, uses `[OVIRT] ovirt-auth-timeout`
as the connect and the read timeout, and turns each failure into the status the engine
expects (docs/compatibility.md, "What the oVirt engine sends"): a JSON `error` from SSO is 401, a
timeout 504, any other
transport, TLS or non-JSON failure 502. Passwords and tokens are never logged.

Only the standard library is used (urllib + ssl). Environment proxies are ignored and
redirects are not followed: the engine is reached directly, and a bearer token is never
sent to another origin.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from ovn_provider.config import Config, ConfigError
from ovn_provider.errors import BadGateway, Forbidden, GatewayTimeout, Unauthorized

LOG = logging.getLogger(__name__)

TOKEN_PATH = "/sso/oauth/token"
TOKEN_INFO_PATH = "/sso/oauth/token-info"
API_PATH = "/api"
TOKEN_SCOPE = "ovirt-app-api ovirt-ext=token-info:validate"
SEARCH_SCOPE = "ovirt-ext=token-info:public-authz-search"

#: Largest engine answer read; anything longer is not an SSO answer.
MAX_ANSWER = 16 * 1024 * 1024
#: Longest token passed on to SSO; longer ones are not engine tokens.
MAX_TOKEN = 8192


def untag(value: Any) -> Any:
    """Strip one Jackson type tag: `["java.util.HashMap", {...}]` -> `{...}`.

    The engine serialises its `ovirt` token-info data and query results with Java type
    information as two-element arrays. Untagged values are returned as they are.
    """
    if (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and _is_java_type(value[0])):
        return value[1]
    return value


def _is_java_type(name: str) -> bool:
    parts = name.split(".")
    return (len(parts) >= 2 and all(part.replace("$", "").replace("_", "").isalnum()
                                    for part in parts)
            and parts[0][:1].islower() and parts[-1][:1].isupper())


def check_token_syntax(token: str) -> None:
    """Refuse what cannot be an engine token before it reaches a header or a form."""
    if not token or len(token) > MAX_TOKEN or not all(33 <= ord(c) <= 126 for c in token):
        raise Unauthorized("The request you have made requires authentication: the token "
                           "is malformed")


def _error_message(doc: Mapping[str, Any]) -> str:
    parts = [f"{key}: {doc[key]}" for key in ("error", "error_code", "error_description")
             if doc.get(key) not in (None, "")]
    return "Error during SSO authentication: " + "; ".join(parts)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> None:
        return None


class EngineClient:
    """The calls the oVirt auth plugins make to the engine; thread-safe."""

    def __init__(self, cfg: Config) -> None:
        host = cfg.ovirt_host.strip().rstrip("/")
        parsed = urllib.parse.urlsplit(host)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path:
            raise ConfigError(f"[OVIRT] ovirt-host: {cfg.ovirt_host!r} is not of the form "
                              "https://host[:port]")
        if parsed.scheme == "http":
            LOG.warning("[OVIRT] ovirt-host %s is plain HTTP: SSO passwords and tokens "
                        "travel unencrypted", host)
        base = cfg.ovirt_base.strip().strip("/")
        self.origin = f"{parsed.scheme}://{parsed.netloc}"
        self.engine = self.origin + (f"/{base}" if base else "")
        self.ca_file = cfg.ovirt_ca_file
        self.timeout = cfg.ovirt_auth_timeout
        self._basic = "Basic " + base64.b64encode(
            f"{cfg.sso_client_id}:{cfg.sso_client_secret}".encode()).decode("ascii")
        self._lock = threading.Lock()
        self._ctx: ssl.SSLContext | None = None
        self._ctx_key: tuple[float, int] | None = None
        if parsed.scheme == "https" and not os.access(self.ca_file, os.R_OK):
            LOG.warning("[OVIRT] ovirt-ca-file %s cannot be read: SSO calls will fail with "
                        "502 until it can", self.ca_file)

    # -- SSO --------------------------------------------------------------------------------
    def password_token(self, user: str, password: str) -> str:
        """Resource-owner password grant; returns the engine's access token."""
        doc = self._sso("create token", TOKEN_PATH, {
            "grant_type": "password", "scope": TOKEN_SCOPE,
            "username": user, "password": password}, client_auth=False, user=user)
        token = doc.get("access_token")
        if not isinstance(token, str) or not token:
            raise BadGateway("Engine SSO answered the token request without an access_token")
        return token

    def token_info(self, token: str) -> dict[str, Any]:
        check_token_syntax(token)
        return self._sso("token-info", TOKEN_INFO_PATH, {"token": token})

    def profiles(self, token: str) -> list[dict[str, str]]:
        """The SSO profiles as `{"authn_name", "authz_name"}`, every one of them."""
        check_token_syntax(token)
        doc = self._sso("profile-list", TOKEN_INFO_PATH, {
            "token": token, "query_type": "profile-list", "scope": SEARCH_SCOPE})
        result = untag(doc.get("result"))
        if not isinstance(result, list):
            raise BadGateway("Engine SSO answered the profile-list query without a result")
        profiles = []
        for item in result:
            profile = untag(item)
            if (isinstance(profile, dict) and isinstance(profile.get("authn_name"), str)
                    and isinstance(profile.get("authz_name"), str)):
                profiles.append({"authn_name": profile["authn_name"],
                                 "authz_name": profile["authz_name"]})
        return profiles

    # -- REST API -----------------------------------------------------------------------------
    def search_users(self, token: str, query: str) -> list[dict[str, Any]]:
        check_token_syntax(token)
        url = f"{self.engine}{API_PATH}/users?" + urllib.parse.urlencode({"search": query})
        return self._items(self._api("user search", url, token), "user")

    def follow(self, token: str, obj: Mapping[str, Any], rel: str, item: str
               ) -> list[dict[str, Any]]:
        """GET the `rel` link of an API object; returns its `item` entries."""
        links = obj.get("link")
        href = None
        if isinstance(links, list):
            href = next((link.get("href") for link in links
                         if isinstance(link, dict) and link.get("rel") == rel), None)
        if not isinstance(href, str):
            return []
        url = urllib.parse.urljoin(self.engine + "/", href)
        if not url.startswith(self.origin + "/"):
            raise BadGateway(f"Engine API link {rel!r} points outside the engine")
        return self._items(self._api(f"{rel} lookup", url, token), item)

    @staticmethod
    def _items(doc: Any, key: str) -> list[dict[str, Any]]:
        if not isinstance(doc, dict):
            raise BadGateway("Engine API gave an answer that is not a JSON object")
        items = doc.get(key, [])
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise BadGateway(f"Engine API gave a malformed {key!r} list")
        return [entry for entry in items if isinstance(entry, dict)]

    # -- transport ------------------------------------------------------------------------------
    def _sso(self, what: str, path: str, form: dict[str, str], client_auth: bool = True,
             user: str | None = None) -> dict[str, Any]:
        headers = {"Accept": "application/json",
                   "Content-Type": "application/x-www-form-urlencoded"}
        if client_auth:
            headers["Authorization"] = self._basic
        status, body = self._send(what, self.engine + path, headers,
                                  urllib.parse.urlencode(form).encode("utf-8"), user)
        doc = _json(body)
        if isinstance(doc, dict) and "error" in doc:
            message = _error_message(doc)
            LOG.info("SSO %s%s refused: %s", what, f" for user {user}" if user else "",
                     message)
            raise Unauthorized(message)
        if not 200 <= status < 300:
            raise BadGateway(f"Engine SSO answered the {what} request with HTTP {status}")
        if not isinstance(doc, dict):
            raise BadGateway(f"Engine SSO gave a non-JSON answer to the {what} request")
        return doc

    def _api(self, what: str, url: str, token: str) -> Any:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
        status, body = self._send(what, url, headers, None, None)
        doc = _json(body)
        if status in (401, 403):
            detail = ""
            if isinstance(doc, dict):
                detail = ": ".join(str(doc[k]) for k in ("reason", "detail") if doc.get(k))
            raise Forbidden("The engine refused the authorisation check"
                            + (f" ({detail})" if detail else ""))
        if not 200 <= status < 300:
            raise BadGateway(f"Engine API answered the {what} request with HTTP {status}")
        if doc is None:
            raise BadGateway(f"Engine API gave a non-JSON answer to the {what} request")
        return doc

    def _context(self) -> ssl.SSLContext:
        try:
            stat = os.stat(self.ca_file)
        except OSError as exc:
            raise BadGateway(f"Cannot read [OVIRT] ovirt-ca-file {self.ca_file}: "
                             f"{exc.strerror}") from None
        key = (stat.st_mtime, stat.st_size)
        with self._lock:
            if self._ctx is None or self._ctx_key != key:
                try:
                    ctx = ssl.create_default_context(cafile=self.ca_file)
                except (OSError, ssl.SSLError) as exc:
                    raise BadGateway(f"Cannot load [OVIRT] ovirt-ca-file {self.ca_file}: "
                                     f"{exc}") from None
                self._ctx, self._ctx_key = ctx, key
            return self._ctx

    def _send(self, what: str, url: str, headers: dict[str, str], data: bytes | None,
              user: str | None) -> tuple[int, bytes]:
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({}),
                                                      _NoRedirect()]
        if url.startswith("https:"):
            handlers.append(urllib.request.HTTPSHandler(context=self._context()))
        opener = urllib.request.build_opener(*handlers)
        request = urllib.request.Request(url, data=data, headers={
            **headers, "User-Agent": "ovn-provider"}, method="POST" if data else "GET")
        shown = urllib.parse.urlsplit(url).path
        who = f" for user {user}" if user else ""
        started = time.monotonic()
        try:
            try:
                with opener.open(request, timeout=self.timeout) as response:
                    status, body = response.status, response.read(MAX_ANSWER + 1)
            except urllib.error.HTTPError as exc:
                status, body = exc.code, exc.read(MAX_ANSWER + 1)
                exc.close()
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise self._timeout(what, who, started) from None
            raise self._unreachable(what, who, reason) from None
        except TimeoutError:
            raise self._timeout(what, who, started) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise self._unreachable(what, who, exc) from None
        elapsed = (time.monotonic() - started) * 1000
        LOG.info("engine %s%s: %s %s -> HTTP %d in %.0f ms", what, who, request.get_method(),
                 shown, status, elapsed)
        if len(body) > MAX_ANSWER:
            raise BadGateway(f"The engine's answer to the {what} request is too large")
        return status, body

    def _timeout(self, what: str, who: str, started: float) -> GatewayTimeout:
        LOG.warning("engine %s%s timed out after %.1f s (ovirt-auth-timeout %s)", what, who,
                    time.monotonic() - started, self.timeout)
        return GatewayTimeout(f"The oVirt engine did not answer the {what} request within "
                              f"{self.timeout} s")

    def _unreachable(self, what: str, who: str, reason: object) -> BadGateway:
        LOG.warning("engine %s%s failed: %s", what, who, reason)
        return BadGateway(f"Cannot reach the oVirt engine at {self.engine} for the {what} "
                          f"request: {reason}")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
