"""The registry of kinds the API server serves.

Each ``ResourceType`` names a resource the way discovery does (group, version,
plural, kind, short names, categories) and carries its ``Strategy``: the small
per-kind policy the one generic REST handler consults (defaulting, validation,
what an update may change, which subresources exist). Custom resources join
the registry when their CustomResourceDefinition is stored.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .strategy import Strategy

READ_VERBS = ("get", "list", "watch")
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    strategy: "Strategy"
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: frozenset[str] = field(default_factory=frozenset)
    storage_prefix: str = ""  # defaults to the plural (group/plural for custom resources)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> tuple[str, str]:
        return self.group, self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    def key_prefix(self, namespace: str = "") -> bytes:
        """The store "directory" of this resource, or of one namespace in it."""
        base = f"/registry/{self.storage_prefix or self.plural}/"
        if self.namespaced and namespace:
            base += f"{namespace}/"
        return base.encode()

    def key(self, namespace: str, name: str) -> bytes:
        return self.key_prefix(namespace if self.namespaced else "") + name.encode()


class Registry:
    """Every served ResourceType, by (group, version, plural) and by kind."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._custom: set[tuple[str, str, str]] = set()
        self.custom_signature: object = None  # what the CRD set looked like when loaded

    def add(self, rt: ResourceType, custom: bool = False) -> None:
        with self._lock:
            self._types[(rt.group, rt.version, rt.plural)] = rt
            if custom:
                self._custom.add((rt.group, rt.version, rt.plural))

    def replace_custom(self, types: list[ResourceType], signature: object) -> None:
        with self._lock:
            for key in self._custom:
                self._types.pop(key, None)
            self._custom = set()
            for rt in types:
                self.add(rt, custom=True)
            self.custom_signature = signature

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def by_kind(self, group: str, kind: str) -> ResourceType | None:
        for rt in self.all():
            if rt.group == group and rt.kind == kind:
                return rt
        return None

    def all(self) -> list[ResourceType]:
        with self._lock:
            return list(self._types.values())

    def group_versions(self) -> dict[str, list[str]]:
        """group → served versions, in registration order."""
        result: dict[str, list[str]] = {}
        for rt in self.all():
            versions = result.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return result
