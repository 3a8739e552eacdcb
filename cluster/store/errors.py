"""Store errors, worded as etcd's server words them.

etcdctl prints ``Error: <message>``; the API server turns some of these into
Kubernetes Status objects (a compacted revision becomes 410 Gone).
"""
from __future__ import annotations


class StoreError(Exception):
    """Base class: ``str(error)`` is etcd's message."""

    message = "etcdserver: unknown error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class Compacted(StoreError):
    message = "etcdserver: mvcc: required revision has been compacted"

    def __init__(self, compact_revision: int = 0) -> None:
        super().__init__()
        self.compact_revision = compact_revision


class FutureRevision(StoreError):
    message = "etcdserver: mvcc: required revision is a future revision"


class LeaseNotFound(StoreError):
    message = "etcdserver: requested lease not found"


class LeaseExists(StoreError):
    message = "etcdserver: lease already exists"


class DuplicateKey(StoreError):
    message = "etcdserver: duplicate key given in txn request"


class KeyNotFound(StoreError):
    message = "etcdserver: key not found"


class EmptyKey(StoreError):
    message = "etcdserver: key is not provided"


class SnapshotError(StoreError):
    """A snapshot file that cannot be read or written; the message says why."""
