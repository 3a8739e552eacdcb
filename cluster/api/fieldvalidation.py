"""``fieldValidation=Strict|Warn|Ignore``: unknown fields in a request body.

The real API server decodes a body into the kind's Go struct; a field the
struct does not have is *unknown*. Strict rejects the request (400, ``strict
decoding error: unknown field "spec.foo"``), Warn (the default) answers with a
``Warning`` header per field, Ignore says nothing. Built-in kinds are checked
against the type table, custom resources against their CRD's
``openAPIV3Schema`` (``x-kubernetes-preserve-unknown-fields`` stops the walk).
"""
from __future__ import annotations

import json
from typing import Any

from . import errors, schema
from .registry import ResourceType

Obj = dict[str, Any]
MODES = ("Ignore", "Warn", "Strict")


def mode(query: dict[str, str]) -> str:
    value = query.get("fieldValidation") or "Warn"
    if value not in MODES:
        raise errors.BadRequest(f'fieldValidation: Unsupported value: "{value}": supported values: '
                                '"Ignore", "Strict", "Warn"')
    return value


def _directive(key: str) -> bool:
    """Strategic merge patch directives: ``$patch``, ``$setElementOrder/…``, ``$retainKeys`` …"""
    return key.startswith("$")


def _walk_table(value: Any, kind: Any, path: str, found: list[str]) -> None:
    if isinstance(kind, dict) and "ref" in kind:
        if not isinstance(value, dict):
            return
        by_name = {f["name"]: f for f in schema.fields(kind["ref"])}
        type_meta = (schema.types().get(kind["ref"]) or {}).get("typeMeta")
        for key, item in value.items():
            if _directive(key) or (type_meta and key in ("apiVersion", "kind")):
                continue
            field = by_name.get(key)
            child = f"{path}.{key}" if path else key
            if field is None:
                found.append(child)
            else:
                _walk_table(item, field["type"], child, found)
    elif isinstance(kind, dict) and "list" in kind and isinstance(value, list):
        for i, item in enumerate(value):
            _walk_table(item, kind["list"], f"{path}[{i}]", found)
    elif isinstance(kind, dict) and "map" in kind and isinstance(value, dict):
        for key, item in value.items():
            if not _directive(key):
                _walk_table(item, kind["map"], f"{path}.{key}", found)


def _walk_openapi(value: Any, node: Obj, path: str, found: list[str]) -> None:
    if not isinstance(node, dict) or node.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        properties = node.get("properties")
        additional = node.get("additionalProperties")
        if properties is None and additional is None:
            return  # a free-form object
        for key, item in value.items():
            if _directive(key):
                continue
            child = f"{path}.{key}" if path else key
            if properties is not None and key in properties:
                _walk_openapi(item, properties[key], child, found)
            elif isinstance(additional, dict):
                _walk_openapi(item, additional, child, found)
            elif additional is not True:
                found.append(child)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            _walk_openapi(item, node["items"], f"{path}[{i}]", found)


def unknown_fields(obj: Obj, rt: ResourceType) -> list[str]:
    """Dotted paths of the fields in ``obj`` that ``rt``'s schema does not know."""
    found: list[str] = []
    version = getattr(rt.strategy, "version", None)
    if isinstance(version, dict):
        crd_schema = (version.get("schema") or {}).get("openAPIV3Schema")
        if isinstance(crd_schema, dict):
            body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
            _walk_openapi(body, crd_schema, "", found)
            if isinstance(obj.get("metadata"), dict):
                _walk_table(obj["metadata"], {"ref": "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
                            "metadata", found)
        return found
    root = schema.root_for(rt.group, rt.version, rt.kind)
    if root is not None:
        _walk_table(obj, {"ref": root}, "", found)
    return found


def check(query: dict[str, str], obj: Any, rt: ResourceType, decoding: bool) -> list[str]:
    """Apply the request's fieldValidation to ``obj``: raise for Strict, else return
    the warnings to send. ``decoding`` words the error as a create/update does."""
    chosen = mode(query)
    if chosen == "Ignore" or not isinstance(obj, dict):
        return []
    unknown = [f"unknown field {json.dumps(path)}" for path in unknown_fields(obj, rt)]
    if not unknown:
        return []
    if chosen == "Strict":
        message = "strict decoding error: " + ", ".join(unknown)
        if decoding:
            message = f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {message}'
        raise errors.BadRequest(message)
    return unknown
