"""Where the dashboard's non-API feeds come from, and a hook for the control plane.

The cluster's objects reach the dashboard through API watches. Three feeds live
only in the process that runs the components: the API server's audit log, the
control plane's reconcile traces and the scheduler's decisions (with its
clock). ``Feed`` numbers what a source hands it, so each websocket consumer
keeps a cursor instead of a listener of its own: a closed tab leaves nothing
subscribed behind.

The plane registers itself with ``register_plane(plane)``; until it does, the
one ``controllers.plane.current()`` reports is used. A plane needs
``traces`` (TraceLog), ``clock`` (SimClock) and ``scheduler.decisions``.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")


class Feed(Generic[T]):
    """A bounded, numbered tail of records; ``since(seq)`` returns what came after ``seq``."""

    def __init__(self, capacity: int = 500) -> None:
        self._items: deque[tuple[int, T]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self.seq = 0

    def append(self, item: T) -> None:
        with self._lock:
            self.seq += 1
            self._items.append((self.seq, item))

    def since(self, seq: int, limit: int = 50) -> tuple[list[T], int]:
        with self._lock:
            items = [item for n, item in self._items if n > seq]
            return items[-limit:], self.seq


class Plane(Protocol):
    traces: Any
    clock: Any
    scheduler: Any


_lock = threading.Lock()
_plane: Plane | None = None
_trace_feeds: dict[int, Feed[Any]] = {}
_audit_feeds: dict[int, Feed[Any]] = {}


def register_plane(plane: Plane | None) -> None:
    """The control plane running in this process (``None`` forgets it)."""
    global _plane
    with _lock:
        _plane = plane


def plane() -> Plane | None:
    if _plane is not None:
        return _plane
    try:
        from controllers.plane import current
    except ImportError:  # pragma: no cover - the control plane is optional
        return None
    return current()


def _feed_for(log: Any, feeds: dict[int, Feed[Any]]) -> Feed[Any]:
    """One Feed per log, subscribed once for the life of the process."""
    with _lock:
        feed = feeds.get(id(log))
        if feed is None:
            feed = feeds[id(log)] = Feed()
            for item in log.recent(100):
                feed.append(item)
            log.subscribe(feed.append)
        return feed


def trace_feed() -> Feed[Any] | None:
    current = plane()
    traces = getattr(current, "traces", None)
    return _feed_for(traces, _trace_feeds) if traces is not None else None


def audit_feed() -> Feed[Any]:
    from cluster.api.service import api_server

    return _feed_for(api_server().audit, _audit_feeds)


def clock() -> Any:
    return getattr(plane(), "clock", None)


def scheduler_decisions(limit: int = 5, pod: str = "") -> list[dict[str, Any]]:
    """The newest decisions (oldest first); with ``pod`` (NAMESPACE/NAME), only that pod's."""
    scheduler = getattr(plane(), "scheduler", None)
    decisions = list(getattr(scheduler, "decisions", ()) or ())
    if pod:
        decisions = [d for d in decisions if d.get("pod") == pod]
    return decisions[-limit:]


def now_and_profile() -> tuple[float, Any]:
    """The simulated clock's now and the plane's timing profile (lease grace,
    tolerations). Without a plane in this process: wall time and no profile —
    nobody here would mark a silent node NotReady, so nothing counts down."""
    import time

    current = plane()
    sim = getattr(current, "clock", None)
    return (sim.now() if sim is not None else time.time()), getattr(current, "profile", None)
