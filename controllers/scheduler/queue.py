"""The scheduling queue: activeQ, backoffQ and the unschedulable pods, on the SimClock.

* **activeQ** — pods ready to be tried, highest ``spec.priority`` first, then
  oldest (creation time), like the PrioritySort plugin.
* **backoffQ** — pods that failed recently wait ``1 s × 2^(attempts-1)`` (capped
  at 10 s; the profile's numbers) before going back to activeQ; a clock timer
  moves them, nothing polls.
* **unschedulable** — pods no node fits. They stay parked until a cluster event
  that could help them (the queueing hint): a node added, a node's taints /
  labels / allocatable / unschedulable flag changed, an assigned pod deleted.
  Pods parked longer than 5 minutes are retried anyway, as kube-scheduler does.
"""
from __future__ import annotations

import heapq
import itertools
import threading
from dataclasses import dataclass, field
from typing import Mapping

from controllers.clock import SimClock, TimerHandle, from_rfc3339

# Cluster events, and which filters' failures each one might fix.
NODE_ADDED = "NodeAdded"
NODE_TAINT_CHANGED = "NodeTaintChanged"  # includes a taint removed (node became Ready again)
NODE_LABEL_CHANGED = "NodeLabelChanged"
NODE_ALLOCATABLE_CHANGED = "NodeAllocatableChanged"
NODE_SCHEDULABLE_CHANGED = "NodeSpecUnschedulableChanged"
ASSIGNED_POD_DELETED = "AssignedPodDeleted"
ASSIGNED_POD_ADDED = "AssignedPodAdded"
UNSCHEDULABLE_TIMEOUT = "UnschedulableTimeout"

EVENT_HELPS: dict[str, frozenset[str]] = {
    NODE_ADDED: frozenset({"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity",
                           "NodeResourcesFit", "PodTopologySpread"}),
    NODE_TAINT_CHANGED: frozenset({"TaintToleration"}),
    NODE_LABEL_CHANGED: frozenset({"NodeAffinity", "PodTopologySpread"}),
    NODE_ALLOCATABLE_CHANGED: frozenset({"NodeResourcesFit"}),
    NODE_SCHEDULABLE_CHANGED: frozenset({"NodeUnschedulable"}),
    ASSIGNED_POD_DELETED: frozenset({"NodeResourcesFit", "PodTopologySpread"}),
    ASSIGNED_POD_ADDED: frozenset({"PodTopologySpread"}),
}

POD_MAX_IN_UNSCHEDULABLE = 300.0


@dataclass
class QueuedPodInfo:
    pod: Mapping
    key: str
    priority: int
    created: float
    attempts: int = 0
    added_at: float = 0.0  # when it last entered a queue
    unschedulable_plugins: frozenset[str] = field(default_factory=frozenset)
    backoff_expiry: float = 0.0


def pod_key(pod: Mapping) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', 'default')}/{meta.get('name', '')}"


class SchedulingQueue:
    def __init__(
        self,
        clock: SimClock,
        initial_backoff: float = 1.0,
        max_backoff: float = 10.0,
        max_in_unschedulable: float = POD_MAX_IN_UNSCHEDULABLE,
    ) -> None:
        self.clock = clock
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._active: list[tuple[int, float, int, str]] = []  # (-priority, created, seq, key)
        self._active_keys: set[str] = set()
        self._backoff: dict[str, TimerHandle] = {}
        self._unschedulable: dict[str, float] = {}  # key → parked since
        self._in_flight: set[str] = set()
        self._moved_while_in_flight: set[str] = set()
        self._pods: dict[str, QueuedPodInfo] = {}
        self._closed = False
        self._flush_timer = clock.call_later(30.0, self._flush_unschedulable_leftover)

    # -- pods arriving -----------------------------------------------------------------
    def add(self, pod: Mapping) -> None:
        """A new pending pod (informer add): straight to activeQ."""
        key = pod_key(pod)
        meta = pod.get("metadata") or {}
        with self._cond:
            info = self._pods.get(key)
            if info is None:
                info = QueuedPodInfo(pod, key, (pod.get("spec") or {}).get("priority") or 0,
                                     from_rfc3339(meta.get("creationTimestamp")) or self.clock.now())
                self._pods[key] = info
            else:
                info.pod = pod
            self._to_active(info)

    def update(self, pod: Mapping) -> None:
        """The pod itself changed (labels, tolerations…): worth another try at once."""
        key = pod_key(pod)
        with self._cond:
            info = self._pods.get(key)
            if info is not None:
                info.pod = pod
                if key in self._unschedulable:
                    self._move(info)
                return
        self.add(pod)

    def delete(self, pod: Mapping | str) -> None:
        key = pod if isinstance(pod, str) else pod_key(pod)
        with self._cond:
            self._pods.pop(key, None)
            self._active_keys.discard(key)  # its heap entry is skipped lazily
            handle = self._backoff.pop(key, None)
            if handle:
                handle.cancel()
            self._unschedulable.pop(key, None)
            self._in_flight.discard(key)

    # -- the scheduler loop ------------------------------------------------------------
    def pop(self, timeout: float | None = 0) -> QueuedPodInfo | None:
        """The next pod to schedule, or None. ``timeout=0`` (default) never blocks."""
        with self._cond:
            if not self._active_keys and timeout != 0 and not self._closed:
                self._cond.wait_for(lambda: self._active_keys or self._closed, timeout)
            while self._active:
                _, _, _, key = heapq.heappop(self._active)
                if key in self._active_keys:
                    self._active_keys.discard(key)
                    info = self._pods[key]
                    info.attempts += 1
                    self._in_flight.add(key)
                    return info
            return None

    def done(self, key: str) -> None:
        """The pod was bound (or deleted): forget it."""
        with self._cond:
            self._in_flight.discard(key)
            self._moved_while_in_flight.discard(key)
            self._pods.pop(key, None)

    def add_unschedulable(self, info: QueuedPodInfo, unschedulable_plugins: frozenset[str] | set[str]) -> None:
        """No node fitted: park it, unless an event that may help happened while it was being tried."""
        with self._cond:
            key = info.key
            self._in_flight.discard(key)
            if key not in self._pods:
                return  # deleted meanwhile
            info.unschedulable_plugins = frozenset(unschedulable_plugins)
            info.backoff_expiry = self.clock.now() + self.backoff_duration(info)
            if key in self._moved_while_in_flight:
                self._moved_while_in_flight.discard(key)
                self._to_backoff(info)
            else:
                self._unschedulable[key] = self.clock.now()

    def backoff_duration(self, info: QueuedPodInfo) -> float:
        return min(self.max_backoff, self.initial_backoff * 2 ** max(0, info.attempts - 1))

    # -- cluster events ----------------------------------------------------------------
    def on_event(self, event: str) -> int:
        """Move the unschedulable pods this event may help to backoffQ/activeQ. Returns how many."""
        helps = EVENT_HELPS.get(event)
        moved = 0
        with self._cond:
            for key in list(self._unschedulable):
                info = self._pods[key]
                if helps is None or not info.unschedulable_plugins or info.unschedulable_plugins & helps:
                    self._move(info)
                    moved += 1
            # A pod being scheduled right now missed this event; remember it.
            self._moved_while_in_flight |= self._in_flight
        return moved

    def _move(self, info: QueuedPodInfo) -> None:
        self._unschedulable.pop(info.key, None)
        if info.backoff_expiry > self.clock.now():
            self._to_backoff(info)
        else:
            self._to_active(info)

    def _to_backoff(self, info: QueuedPodInfo) -> None:
        if info.key in self._backoff:
            return
        if info.backoff_expiry <= self.clock.now():
            self._to_active(info)
            return
        self._backoff[info.key] = self.clock.call_at(info.backoff_expiry, lambda: self._backoff_done(info.key))

    def _backoff_done(self, key: str) -> None:
        with self._cond:
            if self._backoff.pop(key, None) is not None and key in self._pods:
                self._to_active(self._pods[key])

    def _to_active(self, info: QueuedPodInfo) -> None:
        self._unschedulable.pop(info.key, None)
        if info.key in self._active_keys:
            return
        info.added_at = self.clock.now()
        self._active_keys.add(info.key)
        heapq.heappush(self._active, (-info.priority, info.created, next(self._seq), info.key))
        self._cond.notify()

    def _flush_unschedulable_leftover(self) -> None:
        with self._cond:
            if self._closed:
                return
            now = self.clock.now()
            for key, since in list(self._unschedulable.items()):
                if now - since >= self.max_in_unschedulable:
                    self._move(self._pods[key])
            self._flush_timer = self.clock.call_later(30.0, self._flush_unschedulable_leftover)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._flush_timer.cancel()
            for handle in self._backoff.values():
                handle.cancel()
            self._cond.notify_all()

    # -- what the dashboard shows ------------------------------------------------------
    def snapshot(self) -> dict[str, list[str]]:
        with self._cond:
            active = [k for _, _, _, k in sorted(self._active) if k in self._active_keys]
            return {
                "active": active,
                "backoff": sorted(self._backoff),
                "unschedulable": sorted(self._unschedulable),
                "in_flight": sorted(self._in_flight),
            }

    def __len__(self) -> int:
        with self._cond:
            return len(self._active_keys) + len(self._backoff) + len(self._unschedulable)
