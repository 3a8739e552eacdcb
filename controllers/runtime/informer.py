"""Informer: a local cache of one resource, kept current by list-then-watch.

After client-go's ``tools/cache``: list, remember the list's resourceVersion,
watch from exactly there, apply each event to the cache and tell the handlers;
on a 410 Gone (the version was compacted) or a closed stream, list again.
Handlers only map objects to keys — the work happens in reconcile.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from cluster.client import ApiClient, Resource, StatusError

logger = logging.getLogger(__name__)
Obj = dict[str, Any]
Handler = Callable[[Obj | None, Obj | None], None]  # (old, new): add, update or delete


def object_key(obj: Obj) -> str:
    """``namespace/name``, or ``name`` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc)."""
    metadata = obj.get("metadata", {})
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if namespace else metadata["name"]


class Informer:
    def __init__(self, client: ApiClient, resource: Resource, namespace: str = "", *,
                 label_selector: str = "", field_selector: str = "") -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.cache: dict[str, Obj] = {}
        self.resource_version = ""
        self.handlers: list[Handler] = []
        self._indexers: dict[str, Callable[[Obj], list[str]]] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        self._lock = threading.RLock()
        self._watch: Any = None
        self.synced = False

    # --- the cache --------------------------------------------------------------

    def add_handler(self, handler: Handler) -> None:
        self.handlers.append(handler)

    def add_index(self, name: str, index: Callable[[Obj], list[str]]) -> None:
        with self._lock:
            self._indexers[name] = index
            self._indices[name] = {}
            for key, obj in self.cache.items():
                self._index(key, None, obj)

    def by_index(self, name: str, value: str) -> list[Obj]:
        with self._lock:
            return [self.cache[k] for k in sorted(self._indices[name].get(value, ())) if k in self.cache]

    def get(self, key: str) -> Obj | None:
        with self._lock:
            return self.cache.get(key)

    def list(self) -> list[Obj]:
        with self._lock:
            return list(self.cache.values())

    def _index(self, key: str, old: Obj | None, new: Obj | None) -> None:
        for name, index in self._indexers.items():
            values = self._indices[name]
            for value in index(old) if old is not None else ():
                values.get(value, set()).discard(key)
            for value in index(new) if new is not None else ():
                values.setdefault(value, set()).add(key)

    def _apply(self, kind: str, obj: Obj) -> None:
        key = object_key(obj)
        with self._lock:
            old = self.cache.get(key)
            if kind == "DELETED":
                self.cache.pop(key, None)
                new = None
            else:
                self.cache[key] = obj
                new = obj
            self._index(key, old, new)
        for handler in self.handlers:
            handler(old, new)

    # --- list and watch -----------------------------------------------------------

    def relist(self) -> None:
        listed = self.client.list(self.resource, self.namespace, label_selector=self.label_selector,
                                  field_selector=self.field_selector)
        fresh = {object_key(obj): obj for obj in listed["items"]}
        with self._lock:
            gone = [obj for key, obj in self.cache.items() if key not in fresh]
        for obj in gone:
            self._apply("DELETED", obj)
        for obj in fresh.values():
            self._apply("ADDED", obj)
        self.resource_version = listed["metadata"]["resourceVersion"]
        if self._watch is not None:
            self._watch.close()
        self._watch = self.client.watch(self.resource, self.namespace, resource_version=self.resource_version,
                                        label_selector=self.label_selector, field_selector=self.field_selector)
        self.synced = True

    def step(self, timeout: float = 0.0) -> int:
        """Apply the watch events that have arrived (waiting up to ``timeout``);
        returns how many. Tests call this to drive the informer deterministically."""
        if self._watch is None:
            self.relist()
        try:
            events = self._watch.next(timeout)
        except StatusError:
            events = []
        applied = 0
        for event in events:
            if event.type == "ERROR":
                logger.info("watch of %s expired; relisting", self.resource.plural)
                self.relist()
                return applied
            if event.type == "BOOKMARK":
                self.resource_version = event.object["metadata"]["resourceVersion"]
                continue
            self._apply(event.type, event.object)
            self.resource_version = event.object["metadata"].get("resourceVersion", self.resource_version)
            applied += 1
        if getattr(self._watch, "closed", False):
            self._resume()
        return applied

    def _resume(self) -> None:
        """A closed stream resumes from the last version seen; a 410 means relist."""
        try:
            self._watch = self.client.watch(self.resource, self.namespace, resource_version=self.resource_version,
                                            label_selector=self.label_selector, field_selector=self.field_selector)
        except StatusError:
            self.relist()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.step(timeout=0.5)
            except Exception:
                logger.exception("informer for %s failed; relisting", self.resource.plural)
                stop.wait(1.0)
                try:
                    self.relist()
                except Exception:
                    pass
