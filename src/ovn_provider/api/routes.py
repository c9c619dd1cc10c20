"""Route templates for request metrics: the path a request was routed by, with ids, tags
and extension aliases replaced by placeholders (`/v2.0/ports/{id}`), so that the number of
metric series stays bounded whatever clients send. Paths no route matches are "other".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ovn_provider.neutron import tag_targets

OTHER = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})

#: Identity API routes (api/identity.py), by path segments.
IDENTITY = {(): "/", ("v2.0",): "/v2.0", ("v2.0", "tokens"): "/v2.0/tokens",
            ("v2.0", "tenants"): "/v2.0/tenants", ("v3",): "/v3",
            ("v3", "auth", "tokens"): "/v3/auth/tokens", ("v3", "projects"): "/v3/projects",
            ("v3", "auth", "projects"): "/v3/auth/projects"}


def method(name: str) -> str:
    """The method label: the standard ones as sent, anything else "other"."""
    return name if name in METHODS else OTHER


def identity(segments: list[str]) -> str:
    return IDENTITY.get(tuple(segments), OTHER)


def networking(segments: list[str], actions: Mapping[str, Collection[str]]) -> str:
    """The template of a Networking API path; `actions` maps each collection (path
    segment) to its action names (api/resources.py)."""
    if not segments:
        return "/"
    if segments[0] != "v2.0":
        return OTHER
    rest = segments[1:]
    if not rest:
        return "/v2.0"
    name, size = rest[0], len(rest)
    if name == "extensions":
        return {1: "/v2.0/extensions", 2: "/v2.0/extensions/{alias}"}.get(size, OTHER)
    if name == "tech":
        return "/v2.0/tech" if size == 1 else OTHER
    if name == "quotas":
        if size == 3 and rest[2] == "default":
            return "/v2.0/quotas/{project_id}/default"
        return {1: "/v2.0/quotas", 2: "/v2.0/quotas/{project_id}"}.get(size, OTHER)
    if name not in actions:
        return OTHER
    base = f"/v2.0/{name}"
    if size == 1:
        return base
    if size == 2:
        return base + "/{id}"
    if rest[2] == "tags" and name in tag_targets.FINDERS:
        return base + ("/{id}/tags" if size == 3 else "/{id}/tags/{tag}")
    if size == 3 and rest[2] in actions[name]:
        return f"{base}/{{id}}/{rest[2]}"
    return OTHER
