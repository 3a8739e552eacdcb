"""Reconcile traces: what each pass of a control loop saw, wanted and did.

One record per reconcile — controller, object key, observed, desired, the diff
(the planned actions), the actions taken with the revision each produced, the
result and its duration. Kept in memory with a bound; listeners (the
dashboard) hear each one.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Trace:
    controller: str
    key: str
    started: float  # simulated seconds
    observed: dict[str, Any] = field(default_factory=dict)
    desired: dict[str, Any] = field(default_factory=dict)
    diff: list[str] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)  # {"action": …, "revision": N}
    result: str = "done"  # done | requeue | error
    error: str = ""
    duration_ms: float = 0.0

    def act(self, description: str, revision: int | str | None = None) -> None:
        self.actions.append({"action": description, "revision": int(revision) if revision else None})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TraceLog:
    def __init__(self, capacity: int = 5000) -> None:
        self._traces: deque[Trace] = deque(maxlen=capacity)
        self._listeners: list[Callable[[Trace], None]] = []
        self._lock = threading.Lock()

    def record(self, trace: Trace) -> None:
        with self._lock:
            self._traces.append(trace)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(trace)

    def recent(self, limit: int = 100, controller: str = "") -> list[Trace]:
        with self._lock:
            traces = [t for t in self._traces if not controller or t.controller == controller]
        return traces[-limit:]

    def subscribe(self, listener: Callable[[Trace], None]) -> None:
        with self._lock:
            self._listeners.append(listener)
