"""``ApiClient``: typed helpers over a transport's ``request`` and ``watch``."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .resources import Resource

Obj = dict[str, Any]


class StatusError(Exception):
    """A request the API server refused, carrying its ``metav1.Status``."""

    def __init__(self, status: Obj) -> None:
        self.status = status
        self.code = int(status.get("code", 500))
        self.reason = str(status.get("reason", ""))
        super().__init__(status.get("message", self.reason))

    @property
    def not_found(self) -> bool:
        return self.code == 404

    @property
    def conflict(self) -> bool:
        return self.code == 409


@dataclass(frozen=True)
class WatchEvent:
    type: str
    object: Obj


class Watch(Protocol):
    def next(self, timeout: float) -> list[WatchEvent]: ...
    def close(self) -> None: ...


class Transport(Protocol):
    def request(self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None,
                content_type: str = "application/json") -> Any: ...

    def watch(self, path: str, query: dict[str, str]) -> Watch: ...


class ApiClient:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def get(self, resource: Resource, name: str, namespace: str = "", subresource: str = "") -> Obj:
        return self.transport.request("GET", resource.path(namespace, name, subresource))

    def list(self, resource: Resource, namespace: str = "", *, label_selector: str = "",
             field_selector: str = "", limit: int = 0, resource_version: str = "") -> Obj:
        query = _query(labelSelector=label_selector, fieldSelector=field_selector,
                       limit=str(limit) if limit else "", resourceVersion=resource_version)
        return self.transport.request("GET", resource.path(namespace), query)

    def create(self, resource: Resource, obj: Obj, namespace: str = "", subresource_of: str = "",
               subresource: str = "") -> Obj:
        namespace = namespace or obj.get("metadata", {}).get("namespace", "")
        path = resource.path(namespace, subresource_of, subresource) if subresource else resource.path(namespace)
        return self.transport.request("POST", path, None, obj)

    def update(self, resource: Resource, obj: Obj, subresource: str = "") -> Obj:
        metadata = obj["metadata"]
        return self.transport.request(
            "PUT", resource.path(metadata.get("namespace", ""), metadata["name"], subresource), None, obj)

    def update_status(self, resource: Resource, obj: Obj) -> Obj:
        return self.update(resource, obj, "status")

    def patch(self, resource: Resource, name: str, patch: Any, namespace: str = "", *,
              patch_type: str = "merge", subresource: str = "") -> Obj:
        content_type = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
                        "strategic": "application/strategic-merge-patch+json"}[patch_type]
        return self.transport.request("PATCH", resource.path(namespace, name, subresource), None, patch,
                                      content_type)

    def delete(self, resource: Resource, name: str, namespace: str = "", *, propagation_policy: str = "",
               grace_period_seconds: int | None = None, preconditions: Obj | None = None) -> Obj:
        body: Obj = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation_policy:
            body["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            body["gracePeriodSeconds"] = grace_period_seconds
        if preconditions:
            body["preconditions"] = preconditions
        return self.transport.request("DELETE", resource.path(namespace, name), None, body)

    def bind(self, namespace: str, name: str, node: str) -> Obj:
        from .resources import PODS

        binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "namespace": namespace},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        return self.transport.request("POST", PODS.path(namespace, name, "binding"), None, binding)

    def evict(self, namespace: str, name: str) -> Obj:
        from .resources import PODS

        eviction = {"apiVersion": "policy/v1", "kind": "Eviction",
                    "metadata": {"name": name, "namespace": namespace}}
        return self.transport.request("POST", PODS.path(namespace, name, "eviction"), None, eviction)

    def watch(self, resource: Resource, namespace: str = "", *, resource_version: str = "",
              label_selector: str = "", field_selector: str = "", bookmarks: bool = True) -> Watch:
        query = _query(watch="true", resourceVersion=resource_version, labelSelector=label_selector,
                       fieldSelector=field_selector, allowWatchBookmarks="true" if bookmarks else "")
        return self.transport.watch(resource.path(namespace), query)

    def events(self, watch: Watch, timeout: float = 1.0) -> Iterator[WatchEvent]:
        yield from watch.next(timeout)


def _query(**values: str) -> dict[str, str]:
    return {k: v for k, v in values.items() if v}


def decode_status(body: bytes | str) -> Obj:
    try:
        status = json.loads(body)
    except ValueError:
        status = None
    if not isinstance(status, dict):
        return {"kind": "Status", "status": "Failure", "code": 500, "message": str(body)[:200]}
    return status
