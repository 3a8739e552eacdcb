"""Plain-data summaries of the objects the dashboard draws: nodes, pods, events.

Pure functions over Kubernetes-shaped JSON, so templates stay free of logic and
tests need no server.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cluster.quantity import parse_quantity

Obj = dict[str, Any]
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def dom_id(*parts: str) -> str:
    """A stable element id, safe inside a CSS selector (``pod-default--web-1``)."""
    return "--".join(_UNSAFE.sub("_", p) for p in parts)


@functools.lru_cache(maxsize=4096)
def _parsed(value: str) -> Fraction:
    return parse_quantity(value)


def _quantity(value: Any) -> Fraction:
    """A quantity as a Fraction, 0 when missing or bad; the same few strings
    ("100m", "64Mi") recur on every pod, so their parses are kept."""
    if value in (None, ""):
        return Fraction(0)
    try:
        return _parsed(value) if isinstance(value, str) else parse_quantity(value)
    except (ValueError, TypeError):
        return Fraction(0)


def _requests(pod: Obj) -> tuple[Fraction, Fraction]:
    cpu = memory = Fraction(0)
    for container in (pod.get("spec") or {}).get("containers") or []:
        requests = (container.get("resources") or {}).get("requests") or {}
        cpu += _quantity(requests.get("cpu"))
        memory += _quantity(requests.get("memory"))
    return cpu, memory


@dataclass(frozen=True)
class PodView:
    key: str  # namespace/name
    namespace: str
    name: str
    phase: str  # Pending, Running, Succeeded, Failed, Unknown, Terminating
    node: str
    restarts: int
    owner: str
    reason: str  # why it is not scheduled yet, from the PodScheduled condition
    cpu: Fraction
    memory: Fraction

    @property
    def id(self) -> str:
        return "pod-" + dom_id(self.namespace, self.name)

    @property
    def active(self) -> bool:
        return self.phase not in ("Succeeded", "Failed")


def pod_view(pod: Obj) -> PodView:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    phase = "Terminating" if meta.get("deletionTimestamp") else status.get("phase") or "Pending"
    reason = ""
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            reason = condition.get("message") or condition.get("reason") or ""
    owners = meta.get("ownerReferences") or []
    cpu, memory = _requests(pod)
    return PodView(
        key=f"{meta.get('namespace', '')}/{meta.get('name', '')}", namespace=meta.get("namespace", ""),
        name=meta.get("name", ""), phase=phase, node=spec.get("nodeName") or "",
        restarts=sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or []),
        owner=owners[0].get("name", "") if owners else "", reason=reason, cpu=cpu, memory=memory)


@dataclass(frozen=True)
class NodeView:
    name: str
    status: str  # Ready, NotReady, Unknown
    unschedulable: bool
    taints: list[str]
    cpu_allocatable: Fraction
    memory_allocatable: Fraction
    cpu_requested: Fraction = Fraction(0)
    memory_requested: Fraction = Fraction(0)
    pod_count: int = 0
    heartbeat: str = ""
    timing: Any = None  # lifecycle.NodeTiming when the dashboard knows the clock
    terminating: int = 0  # of pod_count: deleted, waiting for the kubelet to confirm

    @property
    def evicted(self) -> bool:
        """A failing node whose pods have all been evicted (they stay Terminating until
        its kubelet returns to confirm, as in Kubernetes): the countdown is over."""
        to_eviction = getattr(self.timing, "to_eviction", None)
        return to_eviction is not None and to_eviction <= 0 and self.terminating == self.pod_count

    @property
    def lease_text(self) -> str:
        age = getattr(self.timing, "lease_age", None)
        return "" if age is None else f"{age:.0f}s"

    @staticmethod
    def _countdown(seconds: float | None) -> str:
        if seconds is None:
            return ""
        return "any moment" if seconds <= 0 else f"in {seconds:.0f}s"

    @property
    def not_ready_text(self) -> str:
        return self._countdown(getattr(self.timing, "to_not_ready", None))

    @property
    def eviction_text(self) -> str:
        return self._countdown(getattr(self.timing, "to_eviction", None))

    @property
    def id(self) -> str:
        return "node-" + dom_id(self.name)

    @property
    def pods_id(self) -> str:
        return "pods-" + dom_id(self.name)

    @property
    def cpu_percent(self) -> int:
        return _percent(self.cpu_requested, self.cpu_allocatable)

    @property
    def memory_percent(self) -> int:
        return _percent(self.memory_requested, self.memory_allocatable)

    @property
    def cpu_text(self) -> str:
        return f"{float(self.cpu_requested):.2g}/{float(self.cpu_allocatable):.2g}"

    @property
    def memory_text(self) -> str:
        gib = 1024 ** 3
        return f"{float(self.memory_requested) / gib:.2g}/{float(self.memory_allocatable) / gib:.2g} GiB"


def _percent(used: Fraction, total: Fraction) -> int:
    return min(100, round(100 * used / total)) if total else 0


def node_view(node: Obj, pods: list[PodView] = ()) -> NodeView:  # type: ignore[assignment]
    spec, status = node.get("spec") or {}, node.get("status") or {}
    ready, heartbeat = "Unknown", ""
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            ready = {"True": "Ready", "False": "NotReady"}.get(condition.get("status"), "Unknown")
            heartbeat = condition.get("lastHeartbeatTime") or ""
    allocatable = status.get("allocatable") or status.get("capacity") or {}
    active = [p for p in pods if p.active]
    return NodeView(
        name=(node.get("metadata") or {}).get("name", ""), status=ready, unschedulable=bool(spec.get("unschedulable")),
        taints=[f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}"
                for t in spec.get("taints") or []],
        cpu_allocatable=_quantity(allocatable.get("cpu")), memory_allocatable=_quantity(allocatable.get("memory")),
        cpu_requested=sum((p.cpu for p in active), Fraction(0)),
        memory_requested=sum((p.memory for p in active), Fraction(0)), pod_count=len(active), heartbeat=heartbeat,
        terminating=sum(1 for p in active if p.phase == "Terminating"))


@dataclass(frozen=True)
class EventView:
    uid: str
    type: str  # Normal, Warning
    reason: str
    object: str
    message: str
    count: int
    time: str

    @property
    def id(self) -> str:
        return "ev-" + dom_id(self.uid)


def event_view(event: Obj) -> EventView:
    meta = event.get("metadata") or {}
    involved = event.get("involvedObject") or {}
    return EventView(
        uid=meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}", type=event.get("type") or "Normal",
        reason=event.get("reason") or "", object=f"{(involved.get('kind') or '').lower()}/{involved.get('name', '')}",
        message=event.get("message") or "", count=int(event.get("count") or 1),
        time=event.get("lastTimestamp") or event.get("eventTime") or meta.get("creationTimestamp") or "")
