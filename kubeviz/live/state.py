"""What one dashboard has drawn, and what must change: the consumer's diff engine.

``ClusterState`` takes watch events (nodes, pods, events) and marks keys
dirty; ``flush()`` turns everything dirty since the last flush into one list
of DOM operations — however many events touched a key in between, it is
redrawn once (bursts coalesce). Pure data: no I/O, no HTML.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .lifecycle import node_timing
from .model import EventView, NodeView, PodView, dom_id, event_view, node_view, pod_view

Obj = dict[str, Any]
PENDING = ""  # the container of pods without a node: the Pending tray
EVENT_LIMIT = 50
COMPACT_AT = 60  # more nodes than this: the map draws compact tiles
# Countdown redraws per tick: when hundreds of nodes fail at once (or a loaded cluster's
# kubelets fall behind), redrawing every card every second would take the server's CPU
# from the cluster itself; they take turns instead, longest-waiting first.
TICK_BUDGET = 50


@dataclass
class Ops:
    """DOM operations for one message, applied in this order."""

    delete: list[str] = field(default_factory=list)  # element ids
    nodes_added: list[NodeView] = field(default_factory=list)  # appended to #nodes, pods inside
    nodes_replaced: list[NodeView] = field(default_factory=list)  # the whole card swapped, pods inside
    nodes_changed: list[NodeView] = field(default_factory=list)  # only the card's head (usage) swapped
    pods_added: list[tuple[str, PodView]] = field(default_factory=list)  # (container id, pod) appended
    pods_changed: list[PodView] = field(default_factory=list)  # swapped in place
    events_added: list[EventView] = field(default_factory=list)  # prepended to #events, newest first
    workloads_changed: bool = False  # the workloads table is drawn afresh
    summary_changed: bool = False  # node/pod counts above the map

    def __bool__(self) -> bool:
        return any((self.delete, self.nodes_added, self.nodes_replaced, self.nodes_changed, self.pods_added, self.pods_changed,
                    self.events_added, self.workloads_changed, self.summary_changed))


WORKLOAD_KINDS = ("deployments", "replicasets", "trainingjobs")


class ClusterState:
    def __init__(self, clock: Callable[[], tuple[float, Any]] | None = None) -> None:
        self.nodes: dict[str, Obj] = {}
        self.pods: dict[str, PodView] = {}
        self.workloads: dict[str, dict[str, Obj]] = {kind: {} for kind in WORKLOAD_KINDS}
        self.leases: dict[str, float] = {}  # node name -> last renewTime (epoch seconds)
        self.clock = clock  # () -> (now, profile): for lease ages and countdowns
        self._by_node: dict[str, set[str]] = {}  # node name -> keys of the pods bound to it
        self._workloads_dirty = False
        self._counts_dirty = False
        self.events: OrderedDict[str, EventView] = OrderedDict()
        self.revision = 0
        self._dirty_nodes: set[str] = set()  # the Node object changed: redraw its card
        self._dirty_usage: set[str] = set()  # its pods changed: redraw the card's head
        self._ticked: dict[str, float] = {}  # node → when tick() last redrew its countdown
        self._dirty_pods: set[str] = set()
        self._new_events: list[str] = []
        self._drawn_nodes: set[str] = set()
        self._placed: dict[str, str] = {}  # pod key -> node it is drawn in (PENDING for the tray)
        self._drawn_events: set[str] = set()
        self._scheduling: dict[str, str] = {}  # pod key -> the latest FailedScheduling message

    # -- input ---------------------------------------------------------------------
    def apply(self, kind: str, type_: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        rv = meta.get("resourceVersion")
        if type_ == "BOOKMARK" or type_ == "ERROR":
            if type_ == "BOOKMARK" and rv and str(rv).isdigit():
                self.revision = max(self.revision, int(rv))
            return
        if rv and str(rv).isdigit():
            self.revision = max(self.revision, int(rv))
        if kind in WORKLOAD_KINDS:
            key = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
            if type_ == "DELETED":
                self.workloads[kind].pop(key, None)
            else:
                self.workloads[kind][key] = obj
            self._workloads_dirty = True
            return
        if kind == "leases":
            from .lifecycle import _time

            renew = _time((obj.get("spec") or {}).get("renewTime"))
            name = meta.get("name", "")
            if type_ == "DELETED" or renew is None:
                self.leases.pop(name, None)
            else:
                self.leases[name] = renew  # not dirty: ``tick()`` redraws the cards that count down
            return
        if kind == "nodes":
            self._counts_dirty = True
            name = meta.get("name", "")
            if type_ == "DELETED":
                self.nodes.pop(name, None)
            else:
                self.nodes[name] = obj
            self._dirty_nodes.add(name)
        elif kind == "pods":
            pod = self._with_reason(pod_view(obj))
            old = self.pods.get(pod.key)
            if old is not None:
                self._by_node.get(old.node, set()).discard(pod.key)
            if type_ == "DELETED":
                self.pods.pop(pod.key, None)
            else:
                self.pods[pod.key] = pod
                self._by_node.setdefault(pod.node, set()).add(pod.key)
            if old is None or type_ == "DELETED" or old.phase != pod.phase:
                self._counts_dirty = True
            self._dirty_pods.add(pod.key)
            if old is None or type_ == "DELETED" or _usage(old) != _usage(pod):
                for node in {pod.node, old.node if old else ""} - {""}:
                    self._dirty_usage.add(node)  # its requested cpu/memory changed
        elif kind == "events":
            event = event_view(obj)
            self._note_failed_scheduling(obj)
            self.events.pop(event.uid, None)
            if type_ != "DELETED":
                self.events[event.uid] = event
                self._new_events.append(event.uid)
            while len(self.events) > EVENT_LIMIT:
                self.events.popitem(last=False)

    def _with_reason(self, pod: PodView) -> PodView:
        if pod.node or pod.reason or pod.key not in self._scheduling:
            return pod
        return replace(pod, reason=self._scheduling[pod.key])

    def _note_failed_scheduling(self, event: Obj) -> None:
        """The scheduler's FailedScheduling event says why a pod waits (when no condition does)."""
        involved = event.get("involvedObject") or {}
        if event.get("reason") != "FailedScheduling" or involved.get("kind") != "Pod":
            return
        key = f"{involved.get('namespace', '')}/{involved.get('name', '')}"
        self._scheduling[key] = event.get("message") or ""
        while len(self._scheduling) > 1000:
            self._scheduling.pop(next(iter(self._scheduling)))
        pod = self.pods.get(key)
        if pod is not None and not pod.node:
            self.pods[key] = replace(pod, reason=self._scheduling[key])
            self._dirty_pods.add(key)

    def load(self, kind: str, items: list[Obj]) -> None:
        for item in items:
            self.apply(kind, "ADDED", item)

    # -- views ---------------------------------------------------------------------
    def pods_on(self, node: str) -> list[PodView]:
        pods = (self.pods[key] for key in self._by_node.get(node, ()) if key in self.pods)
        return sorted(pods, key=lambda p: (p.owner, p.name))

    def pending(self) -> list[PodView]:
        """Pods drawn in the tray: unscheduled, or bound to a node the map does not show."""
        return sorted((p for p in self.pods.values() if self._container(p) == PENDING), key=lambda p: p.key)

    def node(self, name: str) -> NodeView:
        view = node_view(self.nodes[name], self.pods_on(name))
        if self.clock is None:
            return view
        now, profile = self.clock()
        return replace(view, timing=node_timing(self.nodes[name], self.leases.get(name), now, profile))

    @property
    def compact(self) -> bool:
        """Many nodes: cards become small tiles without per-node buttons."""
        return len(self.nodes) > COMPACT_AT

    def tick(self) -> None:
        """Redraw the heads of failing nodes: their countdowns moved on."""
        if self.clock is None:
            return
        now, profile = self.clock()
        if profile is None:  # no plane in this process: nothing counts down
            return
        failing = [name for name, obj in self.nodes.items()
                   if node_timing(obj, self.leases.get(name), now, profile).failing]
        if len(failing) > TICK_BUDGET:
            failing = sorted(failing, key=lambda name: self._ticked.get(name, 0.0))[:TICK_BUDGET]
        for name in failing:
            self._dirty_usage.add(name)
            self._ticked[name] = now

    def summary(self) -> dict[str, Any]:
        statuses: dict[str, int] = {}
        for obj in self.nodes.values():
            status = _ready(obj)
            statuses[status] = statuses.get(status, 0) + 1
        phases: dict[str, int] = {}
        for pod in self.pods.values():
            phases[pod.phase] = phases.get(pod.phase, 0) + 1
        return {"nodes": len(self.nodes), "node_statuses": sorted(statuses.items()), "pods": len(self.pods),
                "pod_phases": sorted(phases.items()), "compact": self.compact}

    def workload_rows(self) -> list[Any]:
        from .workloads import rows

        return rows(self.workloads)

    def node_list(self) -> list[NodeView]:
        return [self.node(name) for name in sorted(self.nodes)]

    def recent_events(self) -> list[EventView]:
        return list(reversed(self.events.values()))

    def _container(self, pod: PodView) -> str:
        return pod.node if pod.node in self.nodes else PENDING

    # -- output --------------------------------------------------------------------
    def snapshot(self) -> None:
        """Everything is about to be drawn afresh: forget what is dirty."""
        self._dirty_nodes.clear()
        self._dirty_usage.clear()
        self._dirty_pods.clear()
        self._new_events.clear()
        self._drawn_nodes = set(self.nodes)
        self._placed = {key: self._container(pod) for key, pod in self.pods.items()}
        self._drawn_events = set(self.events)
        self._workloads_dirty = self._counts_dirty = False

    @property
    def dirty(self) -> bool:
        return bool(self._dirty_nodes or self._dirty_usage or self._dirty_pods or self._new_events
                    or self._workloads_dirty or self._counts_dirty)

    def flush(self) -> Ops:
        ops = Ops()
        dirty_nodes, self._dirty_nodes = self._dirty_nodes, set()
        dirty_usage, self._dirty_usage = self._dirty_usage, set()
        dirty_pods, self._dirty_pods = self._dirty_pods, set()
        new_events, self._new_events = self._new_events, []
        ops.workloads_changed, self._workloads_dirty = self._workloads_dirty, False
        ops.summary_changed, self._counts_dirty = self._counts_dirty, False
        for name in sorted(dirty_nodes):
            if name not in self.nodes:
                if name in self._drawn_nodes:
                    self._drawn_nodes.discard(name)
                    ops.delete.append(self._node_id(name))
                    # its pods went with the card: draw the survivors again, in the tray
                    for key, placed in list(self._placed.items()):
                        if placed == name:
                            del self._placed[key]
                            dirty_pods.add(key)
                continue
            if name in self._drawn_nodes:
                ops.nodes_replaced.append(self.node(name))
            else:
                self._drawn_nodes.add(name)
                ops.nodes_added.append(self.node(name))
            for pod in self.pods_on(name):  # drawn inside the card
                placed = self._placed.get(pod.key)
                if placed is not None and placed != name:
                    ops.delete.append(pod.id)
                self._placed[pod.key] = name
                dirty_pods.discard(pod.key)
        for name in sorted(dirty_usage - dirty_nodes):
            if name in self._drawn_nodes and name in self.nodes:
                ops.nodes_changed.append(self.node(name))
        for key in sorted(dirty_pods):
            pod = self.pods.get(key)
            placed = self._placed.get(key)
            if pod is None:
                if placed is not None:
                    del self._placed[key]
                    ops.delete.append(_pod_id(key))
                continue
            container = self._container(pod)
            if placed == container:
                ops.pods_changed.append(pod)
                continue
            if placed is not None:
                ops.delete.append(pod.id)
            self._placed[key] = container
            ops.pods_added.append((container, pod))
        seen: set[str] = set()
        for uid in reversed(new_events):
            if uid in seen or uid not in self.events:
                continue
            seen.add(uid)
            if uid in self._drawn_events:
                ops.delete.append(self.events[uid].id)
            ops.events_added.append(self.events[uid])  # newest first
        for uid in sorted(self._drawn_events - set(self.events)):
            ops.delete.append("ev-" + dom_id(uid))
        self._drawn_events = set(self.events)
        return ops

    @staticmethod
    def _node_id(name: str) -> str:
        return "node-" + dom_id(name)


def _pod_id(key: str) -> str:
    namespace, _, name = key.partition("/")
    return "pod-" + dom_id(namespace, name)


def _ready(node: Obj) -> str:
    for condition in (node.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return {"True": "Ready", "False": "NotReady"}.get(condition.get("status"), "Unknown")
    return "Unknown"


def _usage(pod: PodView) -> tuple:
    """What a pod adds to its node's card: a pod starting or becoming ready changes
    none of it, so it need not redraw the card (most changes at thousands of pods)."""
    return pod.node, pod.cpu, pod.memory, pod.active, pod.phase == "Terminating"
