"""Networking API v2.0 routing (docs/compatibility.md, "Paths")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ovn_provider.api import extensions, openapi, query, quotas
from ovn_provider.api.http import Pieces, Request, Response
from ovn_provider.api.identity import Identity
from ovn_provider.api.resources import Resource, all_resources
from ovn_provider.errors import (
    BadRequest,
    Conflict,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    Unauthorized,
)
from ovn_provider.neutron import tag_targets, tags
from ovn_provider.neutron.context import Ctx
from ovn_provider.neutron.validate import body_list, body_root
from ovn_provider.ovn.nb import IF_MATCH, WROTE
from ovn_provider.schema import check

Body = dict[str, Any]


def if_match_revision(header: str | None) -> int | None:
    """The revision an `If-Match: revision_number=N` header requires (revision-if-match);
    other entries (entity tags) are ignored, as Neutron does."""
    if not header:
        return None
    for entry in header.split(","):
        key, _, value = entry.strip().partition("=")
        if key.strip() != "revision_number":
            continue
        text = value.strip()
        if not (text.isascii() and text.isdigit()):  # isdigit alone takes "²"
            raise BadRequest(f"Invalid revision_number in If-Match: {text!r} is not a "
                             "non-negative integer")
        return int(text)
    return None


def _serialized(body: tuple[bytes, ...]) -> Response:
    """A whole answer already in JSON, sent in its pieces (api/http.py Pieces)."""
    return Response(200, Pieces(body), {"Content-Type": "application/json; charset=UTF-8"})


class Networking:
    def __init__(self, ctx: Ctx, identity: Identity,
                 extra: list[Resource] | None = None) -> None:
        self.ctx = ctx
        self.identity = identity
        self.resources = {r.path: r for r in [*all_resources(), *(extra or [])]}
        self._openapi: Body | None = None

    def versions(self) -> Body:
        return {"versions": [{"status": "CURRENT", "id": "v2.0", "links": [
            {"href": f"{self.ctx.cfg.neutron_url}v2.0/", "rel": "self"}]}]}

    def index(self) -> Body:
        base = f"{self.ctx.cfg.neutron_url}v2.0/"
        return {"resources": [
            {"name": r.root, "collection": r.collection,
             "links": [{"rel": "self", "href": f"{base}{r.path}"}]}
            for r in self.resources.values()]}

    def openapi(self) -> Body:
        """The OpenAPI document of what this instance serves (api/openapi.py)."""
        if self._openapi is None:
            served = list(self.resources.values())
            self._openapi = openapi.document(
                [r.schema for r in served],
                {r.path: sorted(r.actions) for r in served},
                {r.path for r in served if r.path in tag_targets.FINDERS},
                {r.path: {m for m, fn in (("POST", r.create), ("PUT", r.update),
                                          ("DELETE", r.delete)) if fn is not None}
                 for r in served})
        return self._openapi

    def _authenticate(self, req: Request) -> None:
        token = req.header("x-auth-token")
        if self.identity.plugin.allows_anonymous:
            return
        if not token:
            raise Unauthorized("The request you have made requires authentication: "
                               "X-Auth-Token is missing")
        self.identity.check(token)

    def quick(self, req: Request) -> Response | None:
        """The engine's reads before each vNIC plug, the plain port list and the plain
        show of a network, answered on the event loop (no request thread, no replica
        lock) while a body made for the replica as it is now is kept and the token is
        valid by the cache alone; else None, and `handle` answers in a request thread
        (docs/architecture.md, "The port list" and "The engine's reads"). Any resource
        with a `list_published` or `show_published` body is answered so."""
        seg = req.segments
        if req.method not in ("GET", "HEAD") or req.query or len(seg) not in (2, 3) \
                or seg[0] != "v2.0":
            return None
        resource = self.resources.get(seg[1])
        if resource is None:
            return None
        body: tuple[bytes, ...] | None = None
        if len(seg) == 2 and resource.list_published is not None:
            body = resource.list_published(self.ctx)
        elif len(seg) == 3 and resource.show_published is not None:
            shown = resource.show_published(self.ctx, seg[2])
            body = None if shown is None else (shown,)
        if body is None:
            return None
        if not self.identity.plugin.allows_anonymous:
            token = req.header("x-auth-token")
            if not token or not self.identity.known(token):
                return None
        return _serialized(body)

    def handle(self, req: Request) -> Response:
        seg = req.segments
        if not seg:
            self._only(req, ("GET", "HEAD"))
            return Response(200, self.versions())
        if seg[0] != "v2.0":
            raise NotFound(f"The resource {req.raw_path} could not be found")
        rest = seg[1:]
        if rest == ["openapi"]:  # /v2.0/openapi.json: ".json" is dropped from every path
            self._only(req, ("GET", "HEAD"))
            return Response(200, self.openapi())
        if not rest:
            self._only(req, ("GET", "HEAD"))
            if req.header("x-auth-token"):
                self._authenticate(req)
            return Response(200, self.index())
        self._authenticate(req)
        wrote = WROTE.set(False)
        try:
            return self._resource(req, rest)
        except (NotFound, Conflict, PreconditionFailed):
            # Maybe from a replica behind another instance's acknowledged write: answered
            # only after the replica caught up and the request was checked again, if it
            # committed nothing (a 404 from the read after a create must not create twice;
            # docs/concurrency.md, "Across provider instances").
            if WROTE.get() or not self.ctx.nb.catch_up():
                raise
        finally:
            WROTE.reset(wrote)
        return self._resource(req, rest)

    def _resource(self, req: Request, rest: list[str]) -> Response:
        name = rest[0]
        if name == "extensions":
            return self._extensions(req, rest[1:])
        if name == "quotas":
            return Response(200, quotas.handle(req.method, rest[1:], req.raw_path))
        if name == "tech":
            self._only(req, ("GET", "HEAD"))
            return Response(200, {r: self.resources[r].list_all(self.ctx)
                                  for r in ("networks", "subnets", "ports", "routers")
                                  if r in self.resources})
        resource = self.resources.get(name)
        if resource is not None and len(rest) >= 3 and rest[2] == "tags" \
                and resource.path in tag_targets.FINDERS:
            if req.method in ("PUT", "POST", "DELETE"):
                return self._if_match(req, lambda: self._tags(req, resource, rest[1],
                                                              rest[3:]))
            return self._tags(req, resource, rest[1], rest[3:])
        if resource is None or len(rest) > 3:
            raise NotFound(f"The resource {req.raw_path} could not be found")
        if len(rest) == 1:
            return self._collection(req, resource)
        if len(rest) == 2:
            return self._item(req, resource, rest[1])
        action = resource.actions.get(rest[2])
        if action is None:
            raise NotFound(f"The resource {req.raw_path} could not be found")
        self._only(req, ("PUT",))
        return self._if_match(req, lambda: Response(200, action(self.ctx, rest[1],
                                                                req.json())))

    @staticmethod
    def _only(req: Request, methods: tuple[str, ...]) -> None:
        if req.method not in methods:
            raise MethodNotAllowed(f"Method {req.method} is not allowed on {req.raw_path}")

    def _collection(self, req: Request, r: Resource) -> Response:
        if req.method in ("GET", "HEAD"):
            if not req.query and r.list_serialized is not None:
                return _serialized(r.list_serialized(self.ctx))
            items = r.list_all(self.ctx)
            return Response(200, query.apply(items, req.query, r.collection,
                                             self.ctx.cfg.url_filter_exception,
                                             f"{self.ctx.cfg.neutron_url}v2.0/", r.path))
        if req.method == "POST" and r.create is not None:
            body = req.json()
            if r.bulk is not None and isinstance(body, dict) and r.collection in body \
                    and r.root not in body:
                items = [check.body(r.schema, item, "POST")
                         for item in body_list(body, r.collection)]
                return Response(201, {r.collection: r.bulk(self.ctx, items)})
            data = check.body(r.schema, body_root(body, r.root), "POST")
            return Response(201, {r.root: r.create(self.ctx, data)})
        raise MethodNotAllowed(f"Method {req.method} is not allowed on {req.raw_path}")

    @staticmethod
    def _if_match(req: Request, call: Callable[[], Response]) -> Response:
        """`call` with the request's `If-Match` revision (revision-if-match) in force: the
        write functions check it inside their transaction (neutron/stamps.py)."""
        token = IF_MATCH.set(if_match_revision(req.header("if-match")))
        try:
            return call()
        finally:
            IF_MATCH.reset(token)

    def _item(self, req: Request, r: Resource, ident: str) -> Response:
        if req.method in ("PUT", "DELETE"):
            return self._if_match(req, lambda: self._item_call(req, r, ident))
        return self._item_call(req, r, ident)

    def _item_call(self, req: Request, r: Resource, ident: str) -> Response:
        if req.method in ("GET", "HEAD") and r.show is not None:
            item = query.select_fields(r.show(self.ctx, ident), query.fields_of(req.query))
            return Response(200, {r.root: item})
        if req.method == "PUT" and r.update is not None:
            data = check.body(r.schema, body_root(req.json(), r.root), "PUT", ident)
            return Response(200, {r.root: r.update(self.ctx, ident, data)})
        if req.method == "DELETE" and r.delete is not None:
            r.delete(self.ctx, ident)
            return Response(204)
        raise MethodNotAllowed(f"Method {req.method} is not allowed on {req.raw_path}")

    def _tags(self, req: Request, r: Resource, ident: str, rest: list[str]) -> Response:
        """`/{collection}/{id}/tags[/{tag}]` (standard-attr-tag). A tag may hold `/`
        (sent as %2F, which the server decodes): the rest of the path is the tag."""
        find = tag_targets.FINDERS[r.path]
        if not rest:
            if req.method in ("GET", "HEAD"):
                return Response(200, {"tags": tags.get(self.ctx, find, ident)})
            if req.method == "PUT":
                return Response(200, {"tags": tags.replace(self.ctx, find, ident,
                                                           req.json())})
            if req.method == "POST":
                return Response(201, {"tags": tags.add_many(self.ctx, find, ident,
                                                            req.json())})
            if req.method == "DELETE":
                tags.clear(self.ctx, find, ident)
                return Response(204)
        else:
            tag = "/".join(rest)
            if req.method in ("GET", "HEAD"):
                tags.check(self.ctx, find, ident, tag)
                return Response(204)
            if req.method == "PUT":
                tags.add(self.ctx, find, ident, tag)
                return Response(201)
            if req.method == "DELETE":
                tags.remove(self.ctx, find, ident, tag)
                return Response(204)
        raise MethodNotAllowed(f"Method {req.method} is not allowed on {req.raw_path}")

    def _extensions(self, req: Request, rest: list[str]) -> Response:
        self._only(req, ("GET", "HEAD"))
        if not rest:
            return Response(200, extensions.listing(self.resources))
        if len(rest) == 1 and rest[0] in extensions.available(self.resources):
            return Response(200, {"extension": extensions.document(rest[0])})
        raise NotFound(f"Cannot find extension with alias {'/'.join(rest)}")
