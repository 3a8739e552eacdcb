"""ControllerExpectations: don't act again until our own writes show up in the cache.

After kube-controller-manager's ``controller_utils.go``: before creating N pods
a controller records "expect N adds"; each add its informer observes lowers
the count. Until the count reaches zero (or the record is older than the
TTL, in case a watch event was lost) the controller must not create or delete
more, or a lagging cache would make it double-create.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from controllers.clock import SimClock

if TYPE_CHECKING:
    from .actions import Action

EXPECTATIONS_TTL = 300.0  # ExpectationsTimeout: 5 minutes


@dataclass
class _Expectation:
    adds: int
    deletes: int
    timestamp: float


class Expectations:
    def __init__(self, clock: SimClock, ttl: float = EXPECTATIONS_TTL) -> None:
        self.clock = clock
        self.ttl = ttl
        self._lock = threading.Lock()
        self._items: dict[str, _Expectation] = {}

    def satisfied(self, key: str) -> bool:
        with self._lock:
            e = self._items.get(key)
            if e is None:
                return True
            return (e.adds <= 0 and e.deletes <= 0) or self.clock.now() - e.timestamp > self.ttl

    def expect(self, key: str, adds: int = 0, deletes: int = 0) -> None:
        with self._lock:
            self._items[key] = _Expectation(adds, deletes, self.clock.now())

    def expect_actions(self, key: str, actions: "Iterable[Action]") -> tuple[int, int]:
        """Expect the pod creates and deletes a plan is about to make; returns their counts."""
        from .actions import CreateObject, DeleteObject

        actions = list(actions)
        creates = sum(isinstance(a, CreateObject) for a in actions)
        deletes = sum(isinstance(a, DeleteObject) for a in actions)
        if creates or deletes:
            self.expect(key, creates, deletes)
        return creates, deletes

    def lower(self, key: str, adds: int = 0, deletes: int = 0) -> None:
        with self._lock:
            e = self._items.get(key)
            if e is not None:
                e.adds -= adds
                e.deletes -= deletes

    def creation_observed(self, key: str) -> None:
        self.lower(key, adds=1)

    def deletion_observed(self, key: str) -> None:
        self.lower(key, deletes=1)

    def forget(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)
