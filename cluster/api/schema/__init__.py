"""The Kubernetes type table (``types.json``): every served kind's fields with
their JSON names, types, protobuf field numbers and strategic-merge patch tags.

It is data, extracted from the pinned kubectl by ``extract_types``; the
protobuf decoder and the OpenAPI documents are built from it.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

TypeRef = Any  # "string" | "int32" | … | {"ref": name} | {"list": TypeRef} | {"map": TypeRef}


@functools.lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    return json.loads((Path(__file__).with_name("types.json")).read_text())


def types() -> dict[str, dict[str, Any]]:
    return table()["types"]


def fields(name: str) -> list[dict[str, Any]]:
    """A type's fields, those of inlined (embedded) structs included."""
    entry = types().get(name) or {}
    result = list(entry.get("fields", []))
    for inner in entry.get("inline", []):
        result += fields(inner["type"])
    return result


def own_fields(name: str) -> list[dict[str, Any]]:
    """A type's fields as its protobuf message has them: an inlined struct is one
    nested message field (``{"name": "", "inline": True, "type": {"ref": …}}``)."""
    entry = types().get(name) or {}
    result = list(entry.get("fields", []))
    for inner in entry.get("inline", []):
        result.append({"name": "", "inline": True, "pb": inner["pb"], "type": {"ref": inner["type"]}})
    return result


@functools.lru_cache(maxsize=1)
def _descriptions() -> dict[str, dict[str, str]]:
    path = Path(__file__).with_name("descriptions.json")
    return json.loads(path.read_text()) if path.exists() else {}


def description(name: str, field: str = "") -> str:
    """The API documentation of a type (``field=""``) or of one of its fields,
    looked up through inlined structs too."""
    found = _descriptions().get(name, {}).get(field, "")
    if found or not field:
        return found
    for inner in (types().get(name) or {}).get("inline", []):
        found = description(inner["type"], field)
        if found:
            return found
    return ""


def root_for(group: str, version: str, kind: str) -> str | None:
    for name, gvk in table()["roots"].items():
        if (gvk["group"], gvk["version"], gvk["kind"]) == (group, version, kind):
            return name
    return None


def roots() -> dict[str, dict[str, str]]:
    return table()["roots"]
