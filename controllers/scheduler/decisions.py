"""The newest scheduling decisions, for the dashboard's filter/score panel.

A decision expands to its dict (per evaluated node: filters, scores) only when
someone reads it, and only once: expanding every decision as it was made cost
more than scheduling the pod (``bench cluster``, 1,000 nodes).
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

from .framework import ScheduleDecision


class DecisionLog:
    def __init__(self, capacity: int = 200) -> None:
        self._entries: deque[list[Any]] = deque(maxlen=capacity)  # [decision, time, dict or None]
        self._lock = threading.Lock()

    def append(self, decision: ScheduleDecision, time: float) -> None:
        with self._lock:
            self._entries.append([decision, time, None])

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        return iter([self._expand(entry) for entry in entries])

    def __getitem__(self, index: int) -> dict[str, Any]:
        with self._lock:
            entry = self._entries[index]
        return self._expand(entry)

    @staticmethod
    def _expand(entry: list[Any]) -> dict[str, Any]:
        if entry[2] is None:  # a racing reader may expand it too: same content, the first one kept
            record = entry[0].to_dict()
            record["time"] = entry[1]
            entry[2] = record
        return entry[2]
