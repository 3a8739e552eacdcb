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
            record["why"] = why(record)
            entry[2] = record
        return entry[2]


def why(record: dict[str, Any]) -> str:
    """One sentence on why the chosen node won (or why no node could take the pod),
    from the per-node filter verdicts and scores of a decision's dict."""
    nodes = record.get("nodes") or []
    feasible = sorted((n for n in nodes if n.get("feasible")), key=lambda n: (-n.get("final_score", 0), n["node"]))
    rejected = [n for n in nodes if not n.get("feasible")]
    chosen = record.get("node")
    if not chosen:
        if not nodes:
            return "no nodes to choose from"
        reasons = sorted({f["reason"] for n in rejected for f in n.get("filters") or [] if not f.get("passed")})
        return (f"no node passed every filter ({len(rejected)} of {record.get('num_all_nodes', len(nodes))} "
                f"rejected: {'; '.join(reasons)})")
    out = f"{len(rejected)} rejected by the filters, " if rejected else ""
    winner = next((n for n in feasible if n["node"] == chosen), None)
    if winner is None:
        return f"{chosen} was chosen"
    if len(feasible) == 1:
        return f"{out}{chosen} was the only node to pass every filter"
    runner = next(n for n in feasible if n["node"] != chosen)
    margin = winner.get("final_score", 0) - runner.get("final_score", 0)
    if margin <= 0:
        return (f"{out}{chosen} tied with {runner['node']} at {winner.get('final_score', 0)} "
                f"and won the tie-break (kube-scheduler picks among equal scores at random)")
    theirs = {s["plugin"]: s.get("weighted", 0) for s in runner.get("scores") or []}
    deciding = max(winner.get("scores") or [{"plugin": "", "weighted": 0}],
                   key=lambda s: s.get("weighted", 0) - theirs.get(s["plugin"], 0))
    lead = deciding.get("weighted", 0) - theirs.get(deciding["plugin"], 0)
    text = (f"{out}{chosen} scored highest: {winner.get('final_score', 0)} against "
            f"{runner['node']}'s {runner.get('final_score', 0)}")
    if deciding["plugin"] and lead > 0:
        text += f", mostly on {deciding['plugin']} (+{lead})"
    return text
