"""Scheduler framework types: NodeInfo, PodInfo, filter/score results, the decision.

Built for speed, because the scheduler must keep up with thousands of nodes in
Python: everything a filter or score needs is parsed once into plain ints and
tuples (milli-CPU, bytes, pod counts, pre-parsed taints), so the hot loop never
touches a Kubernetes dict or parses a quantity.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping, NamedTuple

from cluster.quantity import parse_quantity
from controllers.clock import from_rfc3339

# Defaults the scheduler assumes for a container that requests nothing, so that
# scoring still spreads "BestEffort" pods (kube-scheduler's non-zero requests).
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
MAX_NODE_SCORE = 100


@lru_cache(maxsize=4096)
def milli_cpu(q: str | int | float) -> int:
    return math.ceil(parse_quantity(q) * 1000)


@lru_cache(maxsize=4096)
def int_quantity(q: str | int | float) -> int:
    return math.ceil(parse_quantity(q))


class Taint(NamedTuple):
    key: str
    value: str
    effect: str

    @classmethod
    def from_dict(cls, t: Mapping) -> "Taint":
        return cls(t.get("key", ""), t.get("value", "") or "", t.get("effect", ""))


class Toleration(NamedTuple):
    key: str
    operator: str
    value: str
    effect: str
    toleration_seconds: int | None

    @classmethod
    def from_dict(cls, t: Mapping) -> "Toleration":
        return cls(
            t.get("key", "") or "",
            t.get("operator", "Equal") or "Equal",
            t.get("value", "") or "",
            t.get("effect", "") or "",
            t.get("tolerationSeconds"),
        )

    def tolerates(self, taint: Taint) -> bool:
        """corev1 Toleration.ToleratesTaint: effect, key (empty key + Exists = everything), value."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        return self.key != "" and self.value == taint.value


def tolerations_of(pod: Mapping) -> tuple[Toleration, ...]:
    return tuple(Toleration.from_dict(t) for t in (pod.get("spec") or {}).get("tolerations") or ())


def _container_requests(c: Mapping) -> tuple[int, int, int, int]:
    req = (c.get("resources") or {}).get("requests") or {}
    cpu = req.get("cpu")
    mem = req.get("memory")
    c_cpu = milli_cpu(cpu) if cpu is not None else 0
    c_mem = int_quantity(mem) if mem is not None else 0
    return (
        c_cpu,
        c_mem,
        c_cpu if cpu is not None else DEFAULT_MILLI_CPU_REQUEST,
        c_mem if mem is not None else DEFAULT_MEMORY_REQUEST,
    )


def pod_requests(pod: Mapping) -> tuple[int, int, int, int]:
    """(milli-CPU, memory bytes, non-zero milli-CPU, non-zero memory) a pod asks for.

    Sum of the containers, at least the largest init container (they run one by
    one before the app containers), plus the RuntimeClass overhead.
    """
    spec = pod.get("spec") or {}
    cpu = mem = nz_cpu = nz_mem = 0
    for c in spec.get("containers") or ():
        a, b, x, y = _container_requests(c)
        cpu += a
        mem += b
        nz_cpu += x
        nz_mem += y
    for c in spec.get("initContainers") or ():
        a, b, x, y = _container_requests(c)
        cpu, mem, nz_cpu, nz_mem = max(cpu, a), max(mem, b), max(nz_cpu, x), max(nz_mem, y)
    overhead = spec.get("overhead") or {}
    if overhead:
        o_cpu = milli_cpu(overhead["cpu"]) if "cpu" in overhead else 0
        o_mem = int_quantity(overhead["memory"]) if "memory" in overhead else 0
        cpu, mem, nz_cpu, nz_mem = cpu + o_cpu, mem + o_mem, nz_cpu + o_cpu, nz_mem + o_mem
    return cpu, mem, nz_cpu, nz_mem


def controller_uid(meta: Mapping) -> str | None:
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            return ref.get("uid")
    return None


class PodInfo:
    """A pod parsed once: what the filters and scores need, as plain values."""

    __slots__ = (
        "pod", "key", "namespace", "name", "uid", "labels", "priority", "created",
        "req_cpu", "req_mem", "nz_cpu", "nz_mem", "node_name", "tolerations",
        "node_selector", "affinity", "spread_constraints", "owner_uid",
        "preemption_policy", "terminating",
    )

    def __init__(self, pod: Mapping) -> None:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        self.pod = pod
        self.namespace = meta.get("namespace", "default")
        self.name = meta.get("name", "")
        self.key = f"{self.namespace}/{self.name}"
        self.uid = meta.get("uid") or self.key
        self.labels: dict[str, str] = meta.get("labels") or {}
        self.priority: int = spec.get("priority") or 0
        self.created: float = from_rfc3339(meta.get("creationTimestamp")) or 0.0
        self.req_cpu, self.req_mem, self.nz_cpu, self.nz_mem = pod_requests(pod)
        self.node_name: str = spec.get("nodeName") or ""
        self.tolerations = tolerations_of(pod)
        self.node_selector: dict[str, str] = spec.get("nodeSelector") or {}
        self.affinity: dict = (spec.get("affinity") or {}).get("nodeAffinity") or {}
        self.spread_constraints: list = spec.get("topologySpreadConstraints") or []
        self.owner_uid = controller_uid(meta)
        self.preemption_policy = spec.get("preemptionPolicy") or "PreemptLowerPriority"
        self.terminating = bool(meta.get("deletionTimestamp"))


def as_pod_info(pod: Mapping | PodInfo) -> PodInfo:
    return pod if isinstance(pod, PodInfo) else PodInfo(pod)


class NodeInfo:
    """A node and the pods bound to it, with allocatable and requested as ints.

    Kept up to date incrementally by the scheduler cache (``add_pod`` /
    ``remove_pod`` / ``set_node``), never rebuilt per scheduling cycle.
    """

    __slots__ = (
        "name", "node", "labels", "unschedulable", "taints", "hard_taints", "prefer_taints",
        "alloc_cpu", "alloc_mem", "alloc_pods", "req_cpu", "req_mem", "nz_cpu", "nz_mem",
        "pods", "owner_counts", "generation",
    )

    def __init__(self, node: Mapping, pods: Iterable[Mapping | PodInfo] = ()) -> None:
        self.req_cpu = self.req_mem = self.nz_cpu = self.nz_mem = 0
        self.pods: dict[str, PodInfo] = {}
        self.owner_counts: dict[str, int] = {}
        self.generation = 0
        self.set_node(node)
        for pod in pods:
            self.add_pod(pod)

    def set_node(self, node: Mapping) -> None:
        meta = node.get("metadata") or {}
        spec = node.get("spec") or {}
        alloc = (node.get("status") or {}).get("allocatable") or {}
        self.node = node
        self.name: str = meta.get("name", "")
        self.labels: dict[str, str] = meta.get("labels") or {}
        self.unschedulable = bool(spec.get("unschedulable"))
        self.taints = tuple(Taint.from_dict(t) for t in spec.get("taints") or ())
        self.hard_taints = tuple(t for t in self.taints if t.effect in ("NoSchedule", "NoExecute"))
        self.prefer_taints = tuple(t for t in self.taints if t.effect == "PreferNoSchedule")
        self.alloc_cpu = milli_cpu(alloc["cpu"]) if "cpu" in alloc else 0
        self.alloc_mem = int_quantity(alloc["memory"]) if "memory" in alloc else 0
        self.alloc_pods = int_quantity(alloc["pods"]) if "pods" in alloc else 0
        self.generation += 1

    def add_pod(self, pod: Mapping | PodInfo) -> PodInfo:
        info = as_pod_info(pod)
        if info.key in self.pods:
            self.remove_pod(info.key)
        self.pods[info.key] = info
        self.req_cpu += info.req_cpu
        self.req_mem += info.req_mem
        self.nz_cpu += info.nz_cpu
        self.nz_mem += info.nz_mem
        if info.owner_uid:
            self.owner_counts[info.owner_uid] = self.owner_counts.get(info.owner_uid, 0) + 1
        self.generation += 1
        return info

    def remove_pod(self, pod: Mapping | PodInfo | str) -> PodInfo | None:
        key = pod if isinstance(pod, str) else as_pod_info(pod).key
        info = self.pods.pop(key, None)
        if info is None:
            return None
        self.req_cpu -= info.req_cpu
        self.req_mem -= info.req_mem
        self.nz_cpu -= info.nz_cpu
        self.nz_mem -= info.nz_mem
        if info.owner_uid:
            left = self.owner_counts.get(info.owner_uid, 0) - 1
            if left > 0:
                self.owner_counts[info.owner_uid] = left
            else:
                self.owner_counts.pop(info.owner_uid, None)
        self.generation += 1
        return info

    @property
    def pod_count(self) -> int:
        return len(self.pods)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "allocatable": {"cpu_milli": self.alloc_cpu, "memory": self.alloc_mem, "pods": self.alloc_pods},
            "requested": {"cpu_milli": self.req_cpu, "memory": self.req_mem, "pods": len(self.pods)},
            "taints": [t._asdict() for t in self.taints],
            "unschedulable": self.unschedulable,
        }

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<NodeInfo {self.name} cpu {self.req_cpu}/{self.alloc_cpu}m pods {len(self.pods)}/{self.alloc_pods}>"


@dataclass(frozen=True)
class FilterResult:
    plugin: str
    passed: bool
    reason: str = ""  # several reasons (Insufficient cpu, Insufficient memory) joined by "; "


@dataclass(frozen=True)
class ScoreResult:
    plugin: str
    raw: int
    normalized: int
    weight: int

    @property
    def weighted(self) -> int:
        return self.normalized * self.weight


@dataclass
class ScheduleDecision:
    """Everything one scheduling cycle decided, for the event, the bind and the dashboard.

    Stored compactly (per evaluated node: the index of the filter that rejected
    it and its reasons) because building thousands of small objects per pod would
    cost more than the scheduling itself; ``node_results`` / ``to_dict`` expand it.
    """

    pod: str
    num_all_nodes: int
    num_nodes_to_find: int
    percentage_of_nodes_to_score: int
    start_index: int
    next_start_index: int = 0
    filters: list[str] = field(default_factory=list)  # run, in order
    skipped_filters: list[str] = field(default_factory=list)  # PreFilter said "nothing to check"
    rejected: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)  # node → (filter index, reasons)
    unresolvable: set[str] = field(default_factory=set)  # nodes preemption cannot help
    feasible: list[str] = field(default_factory=list)
    score_plugins: list[tuple[str, int]] = field(default_factory=list)  # (name, weight)
    raw_scores: dict[str, list[int]] = field(default_factory=dict)  # plugin → per feasible node
    normalized_scores: dict[str, list[int]] = field(default_factory=dict)
    final_scores: list[int] = field(default_factory=list)
    node: str | None = None
    nominated_node: str | None = None
    victims: list[str] = field(default_factory=list)
    preemption: dict[str, str] = field(default_factory=dict)  # node → why preemption did not help
    preemption_message: str = ""

    @property
    def scheduled(self) -> bool:
        return self.node is not None

    @property
    def evaluated_nodes(self) -> int:
        return len(self.rejected) + len(self.feasible)

    def filter_results(self, node: str) -> list[FilterResult]:
        """Every filter verdict for one node, in the order they ran (later ones did not run)."""
        if node in self.rejected:
            idx, reasons = self.rejected[node]
            out = [FilterResult(p, True) for p in self.filters[:idx]]
            out.append(FilterResult(self.filters[idx], False, "; ".join(reasons)))
            return out
        if node in self.feasible:
            return [FilterResult(p, True) for p in self.filters]
        return []

    def score_results(self, node: str) -> list[ScoreResult]:
        try:
            i = self.feasible.index(node)
        except ValueError:
            return []
        return [
            ScoreResult(name, self.raw_scores[name][i], self.normalized_scores[name][i], weight)
            for name, weight in self.score_plugins
        ]

    def to_dict(self) -> dict[str, Any]:
        # Plain dicts and an index map: ``asdict`` and ``feasible.index`` per node made this
        # quadratic, and it ran for every pod (``bench cluster``: 1,000 nodes).
        position = {name: i for i, name in enumerate(self.feasible)}
        passed = [{"plugin": p, "passed": True, "reason": ""} for p in self.filters]
        nodes = []
        for name, (idx, reasons) in self.rejected.items():
            failed = {"plugin": self.filters[idx], "passed": False, "reason": "; ".join(reasons)}
            nodes.append({"node": name, "feasible": False, "filters": [dict(f) for f in passed[:idx]] + [failed]})
        for name, i in position.items():
            scores = []
            for plugin, weight in self.score_plugins:
                normalized = self.normalized_scores[plugin][i]
                scores.append({"plugin": plugin, "raw": self.raw_scores[plugin][i], "normalized": normalized,
                               "weight": weight, "weighted": normalized * weight})
            nodes.append({"node": name, "feasible": True, "filters": [dict(f) for f in passed],
                          "scores": scores, "final_score": self.final_scores[i]})
        return {
            "pod": self.pod,
            "node": self.node,
            "nominated_node": self.nominated_node,
            "victims": list(self.victims),
            "num_all_nodes": self.num_all_nodes,
            "num_nodes_to_find": self.num_nodes_to_find,
            "evaluated_nodes": self.evaluated_nodes,
            "percentage_of_nodes_to_score": self.percentage_of_nodes_to_score,
            "start_index": self.start_index,
            "next_start_index": self.next_start_index,
            "filters": list(self.filters),
            "skipped_filters": list(self.skipped_filters),
            "score_plugins": [{"plugin": n, "weight": w} for n, w in self.score_plugins],
            "nodes": nodes,
            "preemption": dict(self.preemption),
            "preemption_message": self.preemption_message,
        }
