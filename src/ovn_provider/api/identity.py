"""Identity API: Keystone v2.0 and v3 tokens, tenants, version documents (docs/auth.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ovn_provider.api.http import Request, Response
from ovn_provider.auth.base import AuthPlugin, TokenCache
from ovn_provider.config import Config
from ovn_provider.errors import BadRequest, MethodNotAllowed, NotFound, Unauthorized

V3_ID = "v3.14"
UPDATED = "2026-11-24T00:00:00Z"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Identity:
    def __init__(self, cfg: Config, plugin: AuthPlugin, cache: TokenCache) -> None:
        self.cfg = cfg
        self.plugin = plugin
        self.cache = cache

    # -- documents ------------------------------------------------------------------------
    def v2_doc(self) -> dict[str, Any]:
        return {"id": "v2.0", "status": "CURRENT", "updated": "2014-04-17T00:00:00Z",
                "links": [{"rel": "self", "href": f"{self.cfg.keystone_url}v2.0/"}],
                "media-types": [{"base": "application/json",
                                 "type": "application/vnd.openstack.identity-v2.0+json"}]}

    def v3_doc(self) -> dict[str, Any]:
        return {"id": V3_ID, "status": "stable", "updated": UPDATED,
                "links": [{"rel": "self", "href": f"{self.cfg.keystone_url}v3/"}],
                "media-types": [{"base": "application/json",
                                 "type": "application/vnd.openstack.identity-v3+json"}]}

    def tenant(self) -> dict[str, Any]:
        cfg = self.cfg
        return {"id": cfg.tenant_id, "name": cfg.tenant_name,
                "description": cfg.tenant_description, "enabled": True}

    def _expiry(self) -> dt.datetime | None:
        timeout = self.cfg.auth_token_timeout
        return _now() + dt.timedelta(seconds=timeout) if timeout else None

    def _v2_catalog(self) -> list[dict[str, Any]]:
        cfg = self.cfg

        def entry(kind: str, name: str, ident: str, url: str) -> dict[str, Any]:
            return {"type": kind, "name": name, "endpoints_links": [],
                    "endpoints": [{"id": ident, "region": cfg.region, "publicURL": url,
                                   "internalURL": url, "adminURL": url}]}

        return [entry("network", "neutron", cfg.neutron_id, cfg.neutron_url),
                entry("identity", "keystone", cfg.keystone_id, cfg.keystone_url),
                entry("compute", "nova", cfg.keystone_id, cfg.nova_url)]

    def _v3_catalog(self) -> list[dict[str, Any]]:
        cfg = self.cfg

        def entry(kind: str, name: str, ident: str, url: str) -> dict[str, Any]:
            return {"type": kind, "name": name, "id": ident,
                    "endpoints": [{"id": f"{ident}-{iface}", "interface": iface,
                                   "region": cfg.region, "region_id": cfg.region, "url": url}
                                  for iface in ("public", "internal", "admin")]}

        return [entry("network", "neutron", cfg.neutron_id, cfg.neutron_url),
                entry("identity", "keystone", cfg.keystone_id, cfg.keystone_url),
                entry("compute", "nova", cfg.keystone_id, cfg.nova_url)]

    # -- token logic ------------------------------------------------------------------------
    def known(self, token: str) -> bool:
        """Whether `token` is valid by the cache alone (never asks the plugin; a miss is
        counted by the `check` that follows)."""
        return self.cache.valid(token, count_miss=False)

    def check(self, token: str) -> None:
        """Validate `token` (cached); raises Unauthorized when it is not valid."""
        if self.cache.valid(token):
            return
        if not self.plugin.validate_token(token):
            raise Unauthorized("The request you have made requires authentication: the "
                               "token is invalid or expired")
        self.cache.remember(token)

    def _issue(self, user: str, password: str) -> str:
        token = self.plugin.create_token(user, password)
        self.check(token)
        return token

    def v2_access(self, token: str, user: str) -> dict[str, Any]:
        expiry = self._expiry()
        return {"access": {
            "token": {"id": token,
                      "expires": expiry.strftime("%Y-%m-%dT%H:%M:%SZ") if expiry else None,
                      "issued_at": _now().strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                      "tenant": self.tenant()},
            "user": {"id": "", "name": "admin", "username": "admin",
                     "roles": [{"name": "admin"}], "roles_links": []},
            "serviceCatalog": self._v2_catalog(),
            "metadata": {"is_admin": 0, "roles": []}}}

    def v3_token(self, methods: list[str], user: str) -> dict[str, Any]:
        now = _now()
        expiry = self._expiry() or now + dt.timedelta(days=365 * 10)
        domain = {"id": "default", "name": "Default"}
        return {"token": {
            "methods": methods,
            "issued_at": now.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "expires_at": expiry.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "user": {"id": user or "admin", "name": user or "admin", "domain": domain,
                     "password_expires_at": None},
            "project": {"id": self.cfg.tenant_id, "name": self.cfg.tenant_name,
                        "domain": domain},
            "roles": [{"id": "00000000000000000000000000000001", "name": "admin"}],
            "is_domain": False,
            "catalog": self._v3_catalog()}}

    # -- routes -----------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        seg = req.segments
        method = req.method
        if not seg:
            if method not in ("GET", "HEAD"):
                raise MethodNotAllowed(f"Method {method} is not allowed on /")
            return Response(300, {"versions": {"values": [self.v3_doc(), self.v2_doc()]}})
        if seg[0] == "v2.0":
            return self._v2(req, seg[1:])
        if seg[0] == "v3":
            return self._v3(req, seg[1:])
        raise NotFound(f"The resource {req.raw_path} could not be found")

    def _v2(self, req: Request, seg: list[str]) -> Response:
        if not seg:
            self._only(req, "GET", "HEAD")
            return Response(200, {"version": self.v2_doc()})
        if seg == ["tokens"]:
            self._only(req, "POST")
            return self._v2_tokens(req)
        if seg == ["tenants"]:
            self._only(req, "GET", "HEAD")
            return Response(200, {"tenants": [self.tenant()], "tenants_links": []})
        raise NotFound(f"The resource {req.raw_path} could not be found")

    @staticmethod
    def _only(req: Request, *methods: str) -> None:
        if req.method not in methods:
            raise MethodNotAllowed(f"Method {req.method} is not allowed on {req.raw_path}")

    def _v2_tokens(self, req: Request) -> Response:
        body = req.json()
        auth = body.get("auth") if isinstance(body, dict) else None
        if not isinstance(auth, dict):
            raise BadRequest("Missing 'auth' in the request body")
        if "passwordCredentials" in auth:
            creds = auth["passwordCredentials"]
            if not isinstance(creds, dict):
                raise BadRequest("'passwordCredentials' must be an object")
            for key in ("username", "password"):
                if not isinstance(creds.get(key), str):
                    raise BadRequest(f"Missing '{key}' in passwordCredentials")
            token = self._issue(creds["username"], creds["password"])
            return Response(200, self.v2_access(token, creds["username"]))
        if "token" in auth:
            tok = auth["token"]
            if not isinstance(tok, dict) or not isinstance(tok.get("id"), str):
                raise BadRequest("Missing 'token.id' in the request body")
            self.check(tok["id"])
            return Response(200, self.v2_access(tok["id"], ""))
        raise BadRequest("Missing 'passwordCredentials' or 'token' in 'auth'")

    def _v3(self, req: Request, seg: list[str]) -> Response:
        if not seg:
            self._only(req, "GET", "HEAD")
            return Response(200, {"version": self.v3_doc()})
        if seg == ["auth", "tokens"]:
            if req.method == "POST":
                return self._v3_issue(req)
            self._only(req, "GET", "HEAD")
            return self._v3_validate(req)
        if seg == ["projects"] or seg == ["auth", "projects"]:
            self._only(req, "GET", "HEAD")
            self._caller_token(req)
            project = {**self.tenant(), "domain_id": "default", "is_domain": False,
                       "parent_id": "default", "links": {}}
            names = [v for k, v in req.query if k == "name"]
            projects = [project] if not names or project["name"] in names else []
            return Response(200, {"projects": projects, "links": {}})
        raise NotFound(f"The resource {req.raw_path} could not be found")

    def _caller_token(self, req: Request) -> None:
        """No identity call requires a token; one that is sent must be valid."""
        token = req.header("x-auth-token")
        if token:
            self.check(token)

    def _v3_issue(self, req: Request) -> Response:
        body = req.json()
        auth = body.get("auth") if isinstance(body, dict) else None
        if not isinstance(auth, dict):
            raise BadRequest("Missing 'auth' in the request body")
        ident = auth.get("identity")
        if not isinstance(ident, dict):
            raise BadRequest("Missing 'identity' in 'auth'")
        methods = ident.get("methods")
        if not isinstance(methods, list) or not methods:
            raise BadRequest("Missing 'methods' in 'identity'")
        if "password" in methods:
            password = ident.get("password")
            user = password.get("user") if isinstance(password, dict) else None
            if not isinstance(user, dict):
                raise BadRequest("Missing 'password.user' in 'identity'")
            name = user.get("name", user.get("id"))
            if not isinstance(name, str):
                raise BadRequest("Missing 'name' in 'password.user'")
            if not isinstance(user.get("password"), str):
                raise BadRequest("Missing 'password' in 'password.user'")
            token = self._issue(name, user["password"])
            return Response(201, self.v3_token(["password"], name),
                            {"X-Subject-Token": token})
        if "token" in methods:
            tok = ident.get("token")
            if not isinstance(tok, dict) or not isinstance(tok.get("id"), str):
                raise BadRequest("Missing 'token.id' in 'identity'")
            self.check(tok["id"])
            return Response(201, self.v3_token(["token"], ""), {"X-Subject-Token": tok["id"]})
        raise BadRequest(f"Unsupported authentication methods: {methods}")

    def _v3_validate(self, req: Request) -> Response:
        self._caller_token(req)
        subject = req.header("x-subject-token")
        if not subject:
            raise BadRequest("Missing X-Subject-Token header")
        try:
            self.check(subject)
        except Unauthorized:
            raise NotFound("Could not find token") from None
        return Response(200, self.v3_token(["token"], ""), {"X-Subject-Token": subject})
