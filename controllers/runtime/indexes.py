"""Informer indexes shared by the controllers: lookups by namespace, node and controller."""
from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def namespace_index(obj: Obj) -> list[str]:
    return [obj["metadata"].get("namespace", "")]


def node_index(pod: Obj) -> list[str]:
    node = (pod.get("spec") or {}).get("nodeName")
    return [node] if node else []


def controller_index(obj: Obj) -> list[str]:
    """The uid of the object's controller, or ``orphan/<namespace>``: a ReplicaSet
    reads its own pods and the orphans it may adopt, not its whole namespace."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return [ref.get("uid", "")]
    return [orphans_of(obj["metadata"].get("namespace", ""))]


def orphans_of(namespace: str) -> str:
    return f"orphan/{namespace}"
