"""Read-only views of the store for the dashboard's etcd panel.

The dashboard may not import the store (design rule 1); this module is the
small, read-only window the API server layer opens for it: the store's status
and the change-data-capture rows after a revision. Nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cluster.store import get_store


@dataclass(frozen=True)
class StoreStatus:
    revision: int
    compact_revision: int
    key_count: int
    db_size: int


@dataclass(frozen=True)
class Change:
    """One CDC row: a PUT or DELETE of ``key`` at ``revision`` and the fields it changed."""

    revision: int
    type: str
    key: str
    version: int
    diff: list[dict[str, Any]]


def store_status() -> StoreStatus:
    status = get_store().status()
    return StoreStatus(status.revision, status.compact_revision, status.key_count, status.db_size)


def changes_since(revision: int, prefix: str = "", limit: int = 50) -> tuple[list[Change], int]:
    """The newest ``limit`` changes after ``revision`` under ``prefix``, oldest first,
    and the revision they reach (the store's current revision when none are left)."""
    events, upto, current, compact = get_store().changes_after(max(revision, 0), limit=10_000)
    wanted = prefix.encode()
    changes = [
        Change(e.revision, e.type, e.kv.key.decode(errors="replace"), e.kv.version, list(e.diff or []))
        for e in events if e.kv.key.startswith(wanted)
    ]
    return changes[-limit:], upto
