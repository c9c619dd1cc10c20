"""The OpenAPI 3.1 document of the Networking API, generated from the resource schemas
(src/ovn_provider/schema) and the routes of api/network.py. Served without a token at
`GET /v2.0/openapi.json` (docs/architecture.md, "The OpenAPI document")."""

from __future__ import annotations

from typing import Any

from ovn_provider.schema.types import JSON_TYPES, Attr, Schema

Doc = dict[str, Any]

ERROR = {"$ref": "#/components/schemas/Error"}
ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _type(kind: str | None, attr: Attr | None = None) -> Doc:
    if kind is None or JSON_TYPES.get(kind) is None:
        return {}
    result: Doc = {"type": JSON_TYPES[kind]}
    if kind in ("uuid", "mac", "ip", "cidr"):
        result["x-format"] = kind
    return result


def attr_schema(attr: Attr, for_request: bool) -> Doc:
    out = _type(attr.type)
    if attr.type == "array":
        out["items"] = _type(attr.items) if attr.items else {}
        if attr.items == "object" and attr.item_keys:
            out["items"]["properties"] = {key: {} for key in attr.item_keys}
            if for_request:
                out["items"]["additionalProperties"] = False
        if attr.items in ("string", "uuid") and attr.max_len is not None and for_request:
            out["items"]["maxLength"] = attr.max_len
        if attr.max_items is not None and for_request:
            out["maxItems"] = attr.max_items
    elif attr.type == "object" and attr.item_keys:
        out["properties"] = {key: {} for key in attr.item_keys}
        if for_request:
            out["additionalProperties"] = False
    if for_request:
        if attr.max_len is not None and attr.type in ("string", "uuid"):
            out["maxLength"] = attr.max_len
        if attr.minimum is not None:
            out["minimum"] = attr.minimum
        if attr.maximum is not None:
            out["maximum"] = attr.maximum
    if attr.enum:
        values = [v for v in attr.enum if v is not None]
        if values:
            out["enum"] = values
    if "type" in out and (attr.nullable or not for_request):
        out["type"] = [out["type"], "null"]
    if attr.doc:
        out["description"] = attr.doc
    return out


def _object(schema: Schema, method: str | None) -> Doc:
    props: Doc = {}
    required: list[str] = []
    for attr in schema.attrs.values():
        if method is None:
            if attr.returned:
                props[attr.name] = attr_schema(attr, False)
        elif (attr.post if method == "POST" else attr.put) or (
                attr.name == "id" and method == "PUT"):
            props[attr.name] = attr_schema(attr, True)
            if method == "POST" and attr.required:
                required.append(attr.name)
    result: Doc = {"type": "object", "properties": props}
    if method is not None:
        result["additionalProperties"] = False
    if required:
        result["required"] = required
    return result


def _wrapped(key: str, ref: str) -> Doc:
    return {"type": "object", "required": [key],
            "properties": {key: {"$ref": f"#/components/schemas/{ref}"}}}


def _json(schema: Doc) -> Doc:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> Doc:
    return {str(code): {"description": "error", **_json(ERROR)} for code in codes}


def _name(schema: Schema) -> str:
    return "".join(part.capitalize() for part in schema.root.split("_"))


LIST_PARAMS = [
    {"name": "fields", "in": "query", "schema": {"type": "string"}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "marker", "in": "query", "schema": {"type": "string"}},
    {"name": "page_reverse", "in": "query", "schema": {"type": "boolean"}},
    {"name": "sort_key", "in": "query", "schema": {"type": "string"}},
    {"name": "sort_dir", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
]
TAG_PARAMS = [{"name": key, "in": "query", "schema": {"type": "string"}}
              for key in ("tags", "tags-any", "not-tags", "not-tags-any")]


def _filters(schema: Schema) -> list[Doc]:
    result = []
    for attr in schema.attrs.values():
        if attr.filterable and attr.returned and attr.type not in ("array", "object"):
            kind = JSON_TYPES.get(attr.type) or "string"
            result.append({"name": attr.name, "in": "query", "required": False,
                           "schema": {"type": kind}})
    return result


def document(schemas: list[Schema], actions: dict[str, list[str]], tagged: set[str],
             writable: dict[str, set[str]]) -> Doc:
    """`actions`: path -> action names; `tagged`: paths with /tags; `writable`: path ->
    the methods served ("POST", "PUT", "DELETE")."""
    components: Doc = {"Error": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "object", "required": ["message", "code", "title"], "properties": {
            "message": {"type": "string"}, "code": {"type": "integer"},
            "title": {"type": "string"},
            "type": {"type": "string", "description": "the Neutron exception's name"}}}}}}
    paths: Doc = {
        "/": {"get": {"summary": "API versions", "security": [],
                      "responses": {"200": {"description": "versions"}}}},
        "/v2.0": {"get": {"summary": "Collections", "security": [],
                          "responses": {"200": {"description": "collections"}}}},
        "/v2.0/openapi.json": {"get": {"summary": "This document", "security": [],
                                       "responses": {"200": {"description": "OpenAPI"}}}},
        "/healthcheck": {"get": {"summary": "Readiness (text/plain OK, or 503 and why)",
                                 "security": [], "responses": {
                                     "200": {"description": "ready"},
                                     "503": {"description": "not ready"}}}},
        "/healthcheck/live": {"get": {"summary": "Liveness", "security": [],
                                      "responses": {"200": {"description": "alive"}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics (text format)", "security": [],
                             "responses": {"200": {"description": "metrics"}}}},
        "/v2.0/tech": {"get": {"summary": "Networks, subnets, ports and routers at once",
                               "responses": {"200": {"description": "all"}, **_errors(401)}}},
        "/v2.0/extensions": {"get": {"summary": "Extensions",
                                     "responses": {"200": {"description": "extensions"},
                                                   **_errors(401)}}},
        "/v2.0/extensions/{alias}": {"get": {
            "summary": "One extension", "parameters": [
                {"name": "alias", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "extension"}, **_errors(401, 404)}}},
    }
    for schema in schemas:
        name = _name(schema)
        components[name] = _object(schema, None)
        components[f"{name}Create"] = _object(schema, "POST")
        components[f"{name}Update"] = _object(schema, "PUT")
        base = f"/v2.0/{schema.path}"
        methods = writable.get(schema.path, set())
        collection: Doc = {"get": {
            "summary": f"List {schema.collection}",
            "parameters": [*LIST_PARAMS, *_filters(schema),
                           *(TAG_PARAMS if schema.path in tagged else [])],
            "responses": {"200": {"description": schema.collection, **_json({
                "type": "object", "properties": {schema.collection: {
                    "type": "array", "items": {"$ref": f"#/components/schemas/{name}"}}}})},
                **_errors(400, 401)}}}
        if "POST" in methods:
            collection["post"] = {
                "summary": f"Create a {schema.root}",
                "requestBody": {"required": True, **_json(_wrapped(schema.root,
                                                                   f"{name}Create"))},
                "responses": {"201": {"description": "created",
                                      **_json(_wrapped(schema.root, name))},
                              **_errors(400, 401, 404, 409)}}
        paths[base] = collection
        item: Doc = {"parameters": [ID_PARAM], "get": {
            "summary": f"Show a {schema.root}",
            "parameters": [LIST_PARAMS[0]],
            "responses": {"200": {"description": schema.root,
                                  **_json(_wrapped(schema.root, name))},
                          **_errors(401, 404)}}}
        if "PUT" in methods:
            item["put"] = {
                "summary": f"Update a {schema.root}",
                "requestBody": {"required": True, **_json(_wrapped(schema.root,
                                                                   f"{name}Update"))},
                "responses": {"200": {"description": "updated",
                                      **_json(_wrapped(schema.root, name))},
                              **_errors(400, 401, 404, 409)}}
        if "DELETE" in methods:
            item["delete"] = {"summary": f"Delete a {schema.root}",
                              "responses": {"204": {"description": "deleted"},
                                            **_errors(401, 404, 409)}}
        paths[f"{base}/{{id}}"] = item
        for action in actions.get(schema.path, []):
            paths[f"{base}/{{id}}/{action}"] = {"parameters": [ID_PARAM], "put": {
                "summary": action.replace("_", " "),
                "requestBody": {"required": True, **_json({
                    "type": "object", "properties": {"subnet_id": {"type": "string"},
                                                     "port_id": {"type": "string"}}})},
                "responses": {"200": {"description": "the interface"},
                              **_errors(400, 401, 404, 409)}}}
        if schema.path in tagged:
            tag_param = {"name": "tag", "in": "path", "required": True,
                         "schema": {"type": "string", "maxLength": 255}}
            tag_list = {"type": "object", "required": ["tags"], "properties": {"tags": {
                "type": "array", "maxItems": 50,
                "items": {"type": "string", "minLength": 1, "maxLength": 255}}}}
            paths[f"{base}/{{id}}/tags"] = {"parameters": [ID_PARAM], "get": {
                "summary": "Tags", "responses": {"200": {"description": "tags",
                                                         **_json(tag_list)},
                                                 **_errors(401, 404)}},
                "put": {"summary": "Replace the tags",
                        "requestBody": {"required": True, **_json(tag_list)},
                        "responses": {"200": {"description": "tags", **_json(tag_list)},
                                      **_errors(400, 401, 404)}},
                "post": {"summary": "Add tags (tag-creation)",
                         "requestBody": {"required": True, **_json(tag_list)},
                         "responses": {"201": {"description": "tags", **_json(tag_list)},
                                       **_errors(400, 401, 404)}},
                "delete": {"summary": "Remove all tags",
                           "responses": {"204": {"description": "removed"},
                                         **_errors(401, 404)}}}
            paths[f"{base}/{{id}}/tags/{{tag}}"] = {"parameters": [ID_PARAM, tag_param],
                "get": {"summary": "Has the tag", "responses": {
                    "204": {"description": "present"}, **_errors(401, 404)}},
                "put": {"summary": "Add the tag", "responses": {
                    "201": {"description": "added"}, **_errors(400, 401, 404)}},
                "delete": {"summary": "Remove the tag", "responses": {
                    "204": {"description": "removed"}, **_errors(401, 404)}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "ovn-provider Networking API", "version": "2.0",
                 "description": "OpenStack Networking API v2.0 subset served on top of OVN "
                                "(docs/compatibility.md). Errors use the Neutron envelope."},
        "components": {"schemas": components, "securitySchemes": {
            "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}}},
        "security": [{"token": []}],
        "paths": paths,
    }
