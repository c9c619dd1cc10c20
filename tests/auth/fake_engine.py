"""A fake oVirt engine (SSO + the two REST calls the role plugin makes) over real HTTPS.

It runs on 127.0.0.1 in a thread with a throwaway CA made by the `openssl` CLI (which
openvswitch-common depends on). Users, groups, roles, profiles and failures are plain
attributes that a test sets up; every request is recorded (without passwords) so tests can
check what the provider sent and how often.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BASE = "/ovirt-engine"
CLIENT_ID = "ovirt-provider-ovn"
CLIENT_SECRET = "s3cr3tS3cr3tS3cr3tS3cr3tS3cr3t00"
GROUP_ATTR = "AAA_AUTHZ_GROUP_NAME;java.lang.String;0eebe54f-b429-44f3-aa80-4704cbb16835"
ADMIN_ROLE = "def00005-0000-0000-0000-def000000005"
OTHER_ROLE = "def00021-0000-0000-0000-def000000015"
TOKEN_SCOPE = "ovirt-app-api ovirt-ext=token-info:validate"
SEARCH_SCOPE = "ovirt-ext=token-info:public-authz-search"
#: Longest a gated request waits for its test to release it.
GATE_LIMIT = 20.0


def make_pki(directory: str) -> dict[str, str]:
    """A CA with a server certificate for 127.0.0.1, and a second, unrelated CA."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, cwd=directory,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for name in ("ca", "other-ca"):
        run("req", "-x509", *ec, "-keyout", f"{name}.key", "-out", f"{name}.pem",
            "-days", "2", "-subj", f"/CN=fake engine {name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(directory, "server.ext"), "w", encoding="utf-8") as ext:
        ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                  "basicConstraints=CA:FALSE\n"
                  "keyUsage=critical,digitalSignature\n"
                  "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    return {name: os.path.join(directory, f"{name}.pem")
            for name in ("ca", "other-ca", "server")} | {
        "server_key": os.path.join(directory, "server.key")}


@dataclass
class User:
    name: str  # user@profile, as typed at login
    password: str
    groups: list[dict[str, str]] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    principal_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    api_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: "non-json": HTML 500 on this user's calls; "gate": hold the calls until released.
    behaviour: str = ""

    @property
    def profile(self) -> str:
        return self.name.rpartition("@")[2]

    @property
    def principal(self) -> str:
        return self.name.rpartition("@")[0]


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, str]
    headers: dict[str, str]


class FakeEngine:
    def __init__(self, pki: dict[str, str]) -> None:
        self.pki = pki
        self.profiles = [{"authn_name": "internal", "authz_name": "internal-authz"},
                         {"authn_name": "corp", "authz_name": "corp.example.com-authz"}]
        self.users: dict[str, User] = {}
        self.tokens: dict[str, dict[str, Any]] = {}  # token -> {"user": name, "active"}
        self.calls: list[Call] = []
        #: When set: answer every call with this (status, body, content type).
        self.canned: tuple[int, bytes, str] | None = None
        #: Released by the test; gated calls wait for it (at most GATE_LIMIT seconds).
        self.gate = threading.Event()
        #: Set when a gated call has arrived.
        self.gated_arrived = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # -- set-up helpers --------------------------------------------------------------------
    def add_user(self, name: str, password: str = "pw", **kw: Any) -> User:
        user = User(name, password, **kw)
        self.users[name] = user
        return user

    def issue(self, name: str, active: bool = True) -> str:
        token = "tok-" + uuid.uuid4().hex
        with self.lock:
            self.tokens[token] = {"user": name, "active": active}
        return token

    def deactivate(self, token: str) -> None:
        with self.lock:
            self.tokens[token]["active"] = False

    def count(self, path_suffix: str, **form: str) -> int:
        with self.lock:
            return sum(1 for c in self.calls if c.path.endswith(path_suffix)
                       and all(c.form.get(k) == v for k, v in form.items()))

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        engine = self

        class Handler(_Handler):
            fake = engine

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.pki["server"], self.pki["server_key"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True,
                                       name="fake-engine")
        self.thread.start()

    def stop(self) -> None:
        self.gate.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.thread is not None:
            self.thread.join(10)

    # -- behaviour -------------------------------------------------------------------------
    def _hold(self, user: User | None) -> tuple[int, bytes, str] | None:
        if user is None:
            return None
        if user.behaviour == "gate":
            self.gated_arrived.set()
            self.gate.wait(GATE_LIMIT)
        if user.behaviour == "non-json":
            return 500, b"<html><body>Internal Server Error</body></html>", "text/html"
        return None

    def handle(self, call: Call, password: str = "") -> tuple[int, Any]:
        if call.method == "POST" and call.path == f"{BASE}/sso/oauth/token":
            return self._token(call, password)
        if call.method == "POST" and call.path == f"{BASE}/sso/oauth/token-info":
            return self._token_info(call)
        if call.method == "GET" and call.path.startswith(f"{BASE}/api/users"):
            return self._api(call)
        return 404, {"error": "not found"}

    def _token(self, call: Call, password: str) -> tuple[int, Any]:
        form = call.form
        if (form.get("grant_type") != "password" or form.get("scope") != TOKEN_SCOPE
                or call.headers.get("accept") != "application/json"):
            return 400, {"error_code": "invalid_request", "error": "bad token request"}
        user = self.users.get(form.get("username", ""))
        if user is None or user.password != password:
            return 400, {"error_code": "access_denied",
                         "error": f"Cannot authenticate user '{form.get('username')}'",
                         "error_description": "Invalid credentials"}
        return 200, {"access_token": self.issue(user.name), "token_type": "bearer",
                     "scope": TOKEN_SCOPE, "exp": "4102444800000"}

    def _client_ok(self, call: Call) -> bool:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        return call.headers.get("authorization") == f"Basic {expected}"

    def _token_info(self, call: Call) -> tuple[int, Any]:
        if not self._client_ok(call):
            return 401, {"error_code": "unauthorized_client",
                         "error": "Client authentication failed"}
        with self.lock:
            entry = self.tokens.get(call.form.get("token", ""))
        if entry is None:
            return 400, {"error_code": "invalid_grant",
                         "error": "The provided authorization grant for the auth code has "
                                  "expired."}
        if call.form.get("query_type") == "profile-list":
            if call.form.get("scope") != SEARCH_SCOPE:
                return 400, {"error_code": "invalid_scope", "error": "scope missing"}
            return 200, {"result": ["java.util.ArrayList",
                                    [["java.util.HashMap", dict(p)] for p in self.profiles]]}
        if not entry["active"]:
            return 200, {"active": False}
        user = self.users[entry["user"]]
        groups = [["org.ovirt.engine.api.extensions.ExtMap", dict(g)] for g in user.groups]
        return 200, {
            "active": True, "user_id": user.name, "client_id": CLIENT_ID,
            "token_type": "bearer", "scope": TOKEN_SCOPE, "exp": "4102444800000",
            "ovirt": ["java.util.HashMap", {
                "principal_id": user.principal_id, "email": "",
                "group_ids": ["java.util.ArrayList", groups]}]}

    def _bearer_user(self, call: Call) -> User | None:
        auth = call.headers.get("authorization", "")
        with self.lock:
            entry = self.tokens.get(auth.removeprefix("Bearer "))
        if not auth.startswith("Bearer ") or entry is None or not entry["active"]:
            return None
        return self.users[entry["user"]]

    def _authz_of(self, user: User) -> str:
        return next(p["authz_name"] for p in self.profiles if p["authn_name"] == user.profile)

    def _api(self, call: Call) -> tuple[int, Any]:
        if self._bearer_user(call) is None:
            return 401, {"reason": "Unauthorized", "detail": "bad bearer token"}
        path = call.path.removeprefix(f"{BASE}/api/users")
        if path == "":
            search = call.query.get("search", [""])[0]
            wanted = search.removeprefix("usrname=")
            found = [u for u in self.users.values()
                     if f"{u.principal}@{self._authz_of(u)}" == wanted]
            if not found:
                return 200, {}
            return 200, {"user": [{
                "id": u.api_id, "user_name": f"{u.principal}@{self._authz_of(u)}",
                "domain_entry_id": u.principal_id.encode().hex().upper(),
                "link": [{"href": f"{BASE}/api/users/{u.api_id}/permissions",
                          "rel": "permissions"},
                         {"href": f"{BASE}/api/users/{u.api_id}/roles", "rel": "roles"}]}
                for u in found]}
        for u in self.users.values():
            if path == f"/{u.api_id}/roles":
                return 200, {"role": [{"id": r, "name": f"role-{r[:8]}"} for r in u.roles]}
        return 404, {"reason": "Not Found", "detail": "no such user"}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeEngine
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None

    def _serve(self, method: str) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        call = Call(method, parsed.path, urllib.parse.parse_qs(parsed.query),
                    {k: v for k, v in form.items() if k != "password"},
                    {k.lower(): v for k, v in self.headers.items()})
        fake = self.fake
        with fake.lock:
            fake.calls.append(call)
        user = fake.users.get(form.get("username", ""))
        if user is None:
            with fake.lock:
                entry = fake.tokens.get(form.get("token", "")) or fake.tokens.get(
                    call.headers.get("authorization", "").removeprefix("Bearer "))
            user = fake.users.get(entry["user"]) if entry else None
        canned = fake.canned or fake._hold(user)
        if canned is not None:
            status, body, ctype = canned
        else:
            status, doc = fake.handle(call, form.get("password", ""))
            body, ctype = json.dumps(doc).encode(), "application/json"
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", f"{BASE}/sso/login")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout tests)
            pass

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")
