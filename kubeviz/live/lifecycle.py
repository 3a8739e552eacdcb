"""How long until a silent node goes NotReady and its pods are evicted.

The node lifecycle controller marks a node's Ready condition Unknown once its
Lease has not been renewed for ``node_monitor_grace_period``; the NoExecute
taint it then adds evicts pods after their toleration (``*_toleration_seconds``
by default). These are the same sums, done for the card (pure; ``now`` on the
simulated clock).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"


@dataclass(frozen=True)
class NodeTiming:
    lease_age: float | None  # seconds since the kubelet was last heard from
    failing: bool
    to_not_ready: float | None  # seconds until Ready leaves True (None: not counting down)
    to_eviction: float | None  # seconds until its pods are evicted


def _time(value: Any) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)).timestamp()  # Python 3.11 reads the trailing Z
    except ValueError:
        return None


def node_timing(node: dict[str, Any], lease_renew: float | None, now: float, profile: Any) -> NodeTiming:
    status = node.get("status") or {}
    ready, heartbeat = None, None
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            ready, heartbeat = condition.get("status"), _time(condition.get("lastHeartbeatTime"))
    seen = [t for t in (lease_renew, heartbeat) if t is not None]
    last_seen = max(seen) if seen else _time((node.get("metadata") or {}).get("creationTimestamp"))
    age = max(0.0, now - last_seen) if last_seen is not None else None
    if profile is None or age is None:
        return NodeTiming(age, ready != "True", None, None)
    grace = float(profile.node_monitor_grace_period)
    silent = age > 2 * float(profile.node_lease_renew_interval)
    failing = silent or ready != "True"
    to_not_ready = grace - age if ready == "True" and silent else None
    to_eviction = None
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") != "NoExecute" or taint.get("key") not in (UNREACHABLE, NOT_READY):
            continue
        toleration = (profile.unreachable_toleration_seconds if taint["key"] == UNREACHABLE
                      else profile.not_ready_toleration_seconds)
        added = _time(taint.get("timeAdded")) or now
        to_eviction = added + float(toleration) - now
    if to_eviction is None and to_not_ready is not None:
        to_eviction = max(0.0, to_not_ready) + float(profile.unreachable_toleration_seconds)
    return NodeTiming(age, failing, to_not_ready, to_eviction)
