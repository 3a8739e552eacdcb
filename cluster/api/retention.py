"""Staying up: the change log and Events do not grow without bound.

Two periodic jobs of the API server, like kube-apiserver's:

* **compaction** of the CDC log (kube-apiserver compacts etcd every 5 minutes):
  history is kept for ``KUBEVIZ_HISTORY_SECONDS`` (default 600, the dashboard's
  time travel) but never more than ``KUBEVIZ_HISTORY_REVISIONS`` revisions
  (default 100,000), whichever is shorter;
* **Event TTL** (``--event-ttl``, one hour): an Event not written for
  ``KUBEVIZ_EVENT_TTL_SECONDS`` (default 3600) is deleted — what the etcd lease
  kube-apiserver attaches to every Event write does.

Both need "which revision was current at time T": ``RevisionHistory`` samples
(time, revision) on every tick, so an Event's ``mod_revision`` says how long ago
it was last written without decoding it. Time is the store's clock (etcd leases
use wall time too); tests pass their own clock and call ``tick`` — no sleeps.
"""
from __future__ import annotations

import bisect
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from cluster.store import Compacted, Compare, DeleteOp, Store
from cluster.store.keys import prefix_end

logger = logging.getLogger(__name__)
EVENT_PREFIXES = (b"/registry/events/",)
DELETE_BATCH = 500  # keys per delete transaction


@dataclass(frozen=True)
class RetentionConfig:
    history_seconds: float = 600.0
    history_revisions: int = 100_000
    event_ttl_seconds: float = 3600.0
    interval_seconds: float = 60.0
    min_compaction: int = 1000  # revisions: smaller steps are not worth a DELETE

    @classmethod
    def from_env(cls) -> "RetentionConfig":
        env = os.environ.get
        return cls(float(env("KUBEVIZ_HISTORY_SECONDS", cls.history_seconds)),
                   int(env("KUBEVIZ_HISTORY_REVISIONS", cls.history_revisions)),
                   float(env("KUBEVIZ_EVENT_TTL_SECONDS", cls.event_ttl_seconds)),
                   float(env("KUBEVIZ_RETENTION_INTERVAL", cls.interval_seconds)))


class RevisionHistory:
    """(time, revision) samples: the newest revision current at or before a time."""

    def __init__(self, keep_seconds: float) -> None:
        self.keep_seconds = keep_seconds
        self._times: deque[float] = deque()
        self._revisions: deque[int] = deque()

    def record(self, now: float, revision: int) -> None:
        self._times.append(now)
        self._revisions.append(revision)
        # Keep one sample older than the horizon: it answers "the revision then".
        while len(self._times) > 1 and self._times[1] <= now - self.keep_seconds:
            self._times.popleft()
            self._revisions.popleft()

    def revision_at(self, when: float) -> int:
        """The revision current at ``when``; 0 when no sample is that old."""
        i = bisect.bisect_right(list(self._times), when)
        return self._revisions[i - 1] if i else 0


class Retention:
    def __init__(self, store: Store, config: RetentionConfig | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.store = store
        self.config = config or RetentionConfig.from_env()
        self.clock = clock or store.clock
        horizon = max(self.config.history_seconds, self.config.event_ttl_seconds) + 2 * self.config.interval_seconds
        self.history = RevisionHistory(horizon)
        self.compacted = 0  # revisions compacted away so far
        self.events_deleted = 0

    def tick(self) -> None:
        """One round: sample the revision, compact the log, delete expired Events."""
        now = self.clock()
        self.history.record(now, self.store.revision())
        self.expire_events(now)
        self.compact(now)

    def compaction_target(self, now: float) -> int:
        current = self.store.revision()
        target = current - self.config.history_revisions if self.config.history_revisions > 0 else 0
        if self.config.history_seconds > 0:
            target = max(target, self.history.revision_at(now - self.config.history_seconds))
        return min(target, current)

    def compact(self, now: float) -> int:
        """Compact to the window's lower edge; returns the compact revision (0: nothing done)."""
        target = self.compaction_target(now)
        compact = self.store.status().compact_revision
        if target - compact < self.config.min_compaction:
            return 0
        try:
            self.store.compact(target)
        except Compacted:
            return 0  # another process compacted further meanwhile
        self.compacted += target - compact
        logger.info("compacted the change log to revision %d", target)
        return target

    def expire_events(self, now: float) -> int:
        """Delete every Event last written more than the TTL ago; returns how many."""
        if self.config.event_ttl_seconds <= 0:
            return 0
        cutoff = self.history.revision_at(now - self.config.event_ttl_seconds)
        if cutoff <= 0:
            return 0
        deleted = 0
        for prefix in EVENT_PREFIXES:
            listed = self.store.range(prefix, prefix_end(prefix), keys_only=True)
            expired = [kv.key for kv in listed.kvs if kv.mod_revision <= cutoff]
            for start in range(0, len(expired), DELETE_BATCH):
                deleted += self._delete_unchanged(expired[start:start + DELETE_BATCH], cutoff)
        self.events_deleted += deleted
        return deleted

    def _delete_unchanged(self, keys: list[bytes], cutoff: int) -> int:
        """Delete ``keys`` in one revision unless one was written after ``cutoff``
        (an Event aggregated again meanwhile); then one by one."""
        def unchanged(key: bytes) -> Compare:
            return Compare("mod", key, "<", cutoff + 1)

        if self.store.txn([unchanged(k) for k in keys], [DeleteOp(k) for k in keys], []).succeeded:
            return len(keys)
        return sum(self.store.txn([unchanged(k)], [DeleteOp(k)], []).succeeded for k in keys)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # a busy database: the next round retries
                logger.exception("retention round failed")
            stop.wait(self.config.interval_seconds)


def start_retention(store: Store, config: RetentionConfig | None = None) -> Retention:
    retention = Retention(store, config)
    threading.Thread(target=retention.run, args=(threading.Event(),), name="retention", daemon=True).start()
    return retention
