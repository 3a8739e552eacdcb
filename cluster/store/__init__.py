"""The etcd analog. Only the API server (``cluster.api``) may import this package.

``get_store()`` and ``get_hub()`` return this process's store and its watch hub,
wired so that a local commit wakes the hub at once.
"""
from __future__ import annotations

import threading

from .errors import Compacted, FutureRevision, LeaseNotFound, StoreError
from .kv import Store
from .types import Compare, DeleteOp, Event, KeyValue, PutOp, RangeOp
from .watch import WatchHub, Watcher

__all__ = [
    "Compacted",
    "Compare",
    "DeleteOp",
    "Event",
    "FutureRevision",
    "KeyValue",
    "LeaseNotFound",
    "PutOp",
    "RangeOp",
    "Store",
    "StoreError",
    "WatchHub",
    "Watcher",
    "get_hub",
    "get_store",
]

_lock = threading.Lock()
_store: Store | None = None
_hub: WatchHub | None = None


def get_store() -> Store:
    global _store, _hub
    with _lock:
        if _store is None:
            _store = Store(on_commit=lambda revision: _hub.notify(revision) if _hub else None)
        return _store


def get_hub() -> WatchHub:
    global _hub
    store = get_store()
    with _lock:
        if _hub is None:
            _hub = WatchHub(store)
        return _hub
