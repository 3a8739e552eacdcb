"""The audit log: one record per API request, kept in memory with a bound.

It is telemetry for the dashboard's "API server traffic" panel, not an
archive: the newest ``capacity`` records are kept, listeners hear each one.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class AuditRecord:
    timestamp: float
    user: str
    verb: str
    resource: str  # "pods", "pods/status", or the path of a non-resource request
    namespace: str
    name: str
    code: int
    latency_ms: float
    decision: str  # why RBAC allowed or denied it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AuditLog:
    def __init__(self, capacity: int = 5000) -> None:
        self._records: deque[AuditRecord] = deque(maxlen=capacity)
        self._listeners: list[Callable[[AuditRecord], None]] = []
        self._lock = threading.Lock()
        self.total = 0

    def record(self, record: AuditRecord) -> None:
        with self._lock:
            self._records.append(record)
            self.total += 1
            listeners = list(self._listeners)
        for listener in listeners:
            listener(record)

    def recent(self, limit: int = 100) -> list[AuditRecord]:
        with self._lock:
            return list(self._records)[-limit:]

    def subscribe(self, listener: Callable[[AuditRecord], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[AuditRecord], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)


def now() -> float:
    return time.time()
