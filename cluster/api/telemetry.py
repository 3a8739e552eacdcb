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


class RevisionCompacted(Exception):
    """The revision asked for is below the store's compact revision: its history is gone."""

    def __init__(self, revision: int, compact_revision: int) -> None:
        super().__init__(f"revision {revision} has been compacted; the oldest revision kept is {compact_revision}")
        self.revision = revision
        self.compact_revision = compact_revision


class RevisionInFuture(Exception):
    """The revision asked for has not happened yet."""


def _prefix_end(prefix: bytes) -> bytes | None:
    end = bytearray(prefix)
    while end:
        if end[-1] < 0xFF:
            end[-1] += 1
            return bytes(end)
        end.pop()
    return None


def objects_at(revision: int, prefixes: tuple[str, ...] = ("/registry/",)) -> dict[str, list[dict[str, Any]]]:
    """Every object under each prefix as it was at ``revision`` (from the change log),
    keyed by prefix; each object carries ``metadata.resourceVersion`` = its mod_revision.

    Raises ``RevisionCompacted`` below the compact revision and ``RevisionInFuture``
    above the current one."""
    import json

    from cluster.store import Compacted, FutureRevision

    store = get_store()
    found: dict[str, list[dict[str, Any]]] = {}
    for prefix in prefixes:
        start = prefix.encode()
        try:
            result = store.range(start, _prefix_end(start), revision=revision)
        except Compacted as error:
            raise RevisionCompacted(revision, getattr(error, "compact_revision", 0) or store.status().compact_revision)
        except FutureRevision:
            raise RevisionInFuture(f"revision {revision} is in the future") from None
        objects = []
        for kv in result.kvs:
            try:
                obj = json.loads(kv.value)
            except ValueError:
                continue
            obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
            objects.append(obj)
        found[prefix] = objects
    return found

