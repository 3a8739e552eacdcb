"""Filter and score plugins, each a small class with the kube-scheduler name and wording.

A filter's ``prefilter(pod, nodes)`` does the per-pod work once and returns a
``check(node_info)`` closure (or None: nothing to check for this pod, like
kube-scheduler's PreFilter ``Skip``). ``check`` returns None when the node
passes, else the reasons, worded exactly as kube-scheduler words them so the
FailedScheduling message can be assembled from them.

A score plugin's ``prescore(pod, feasible)`` returns ``score(node_info) -> int``
(or None: every node scores 0); ``normalize`` maps raw scores to 0–100; the
framework multiplies by ``weight`` (kube-scheduler's default weights).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

from controllers.runtime.selectors import compile_selector
from controllers.scheduler.framework import MAX_NODE_SCORE, NodeInfo, PodInfo, Taint, Toleration

Check = Callable[[NodeInfo], "tuple[str, ...] | None"]
Scorer = Callable[[NodeInfo], int]

# Reasons, worded as kube-scheduler words them.
REASON_UNSCHEDULABLE = "node(s) were unschedulable"
REASON_NODE_NAME = "node(s) didn't match the requested node name"
REASON_UNTOLERATED_TAINT = "node(s) had untolerated taint(s)"  # current wording
LEGACY_TAINT_PREFIX = "node(s) had untolerated taint {"  # v1.25–v1.33 named the taint
REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
REASON_TOO_MANY_PODS = "Too many pods"
REASON_INSUFFICIENT_CPU = "Insufficient cpu"
REASON_INSUFFICIENT_MEMORY = "Insufficient memory"
REASON_SPREAD = "node(s) didn't match pod topology spread constraints"
REASON_SPREAD_MISSING_LABEL = REASON_SPREAD + " (missing required label)"

UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")


def taint_reason(taint: Taint) -> str:
    """The per-node reason keeps the taint (the dashboard shows it); see ``canonical_reason``."""
    return f"{LEGACY_TAINT_PREFIX}{taint.key}: {taint.value}}}"


def canonical_reason(reason: str, legacy_taint_detail: bool = False) -> str:
    if not legacy_taint_detail and reason.startswith(LEGACY_TAINT_PREFIX):
        return REASON_UNTOLERATED_TAINT
    return reason


def tolerated(tolerations: Sequence[Toleration], taint: Taint) -> bool:
    for t in tolerations:
        if t.tolerates(taint):
            return True
    return False


# -- filters ---------------------------------------------------------------------------
class FilterPlugin:
    name = ""

    def prefilter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> Check | None:
        raise NotImplementedError

    def resolvable(self, reasons: tuple[str, ...]) -> bool:
        """Could evicting lower-priority pods fix this? (Unschedulable vs UnschedulableAndUnresolvable.)"""
        return False


class NodeUnschedulable(FilterPlugin):
    name = "NodeUnschedulable"

    def prefilter(self, pod, nodes):
        if tolerated(pod.tolerations, UNSCHEDULABLE_TAINT):
            return None
        reasons = (REASON_UNSCHEDULABLE,)
        return lambda ni: reasons if ni.unschedulable else None


class NodeName(FilterPlugin):
    name = "NodeName"

    def prefilter(self, pod, nodes):
        wanted = pod.node_name
        if not wanted:
            return None
        reasons = (REASON_NODE_NAME,)
        return lambda ni: None if ni.name == wanted else reasons


class TaintToleration(FilterPlugin):
    """NoSchedule and NoExecute taints must be tolerated (not-ready and unreachable included)."""

    name = "TaintToleration"

    def prefilter(self, pod, nodes):
        tolerations = pod.tolerations
        # Thousands of nodes share a handful of distinct taints: decide each once per pod.
        verdicts: dict[Taint, tuple[str, ...] | None] = {}

        def check(ni: NodeInfo) -> tuple[str, ...] | None:
            for taint in ni.hard_taints:
                try:
                    verdict = verdicts[taint]
                except KeyError:
                    verdict = verdicts[taint] = None if tolerated(tolerations, taint) else (taint_reason(taint),)
                if verdict is not None:
                    return verdict
            return None

        return check


def _node_selector_requirement(expr: Mapping, field: bool = False) -> Callable[[NodeInfo], bool]:
    key = expr["key"]
    op = expr.get("operator", "In")
    values = tuple(expr.get("values") or ())
    vset = frozenset(values)

    def value_of(ni: NodeInfo) -> str | None:
        if field:  # matchFields supports only metadata.name
            return ni.name if key == "metadata.name" else None
        return ni.labels.get(key)

    if op == "In":
        return lambda ni: value_of(ni) in vset
    if op == "NotIn":
        return lambda ni: value_of(ni) not in vset
    if op == "Exists":
        return lambda ni: value_of(ni) is not None
    if op == "DoesNotExist":
        return lambda ni: value_of(ni) is None
    if op in ("Gt", "Lt"):
        bound = int(values[0])

        def compare(ni: NodeInfo) -> bool:
            v = value_of(ni)
            try:
                n = int(v) if v is not None else None
            except ValueError:
                return False
            if n is None:
                return False
            return n > bound if op == "Gt" else n < bound

        return compare
    raise ValueError(f"unknown node selector operator {op!r}")


def compile_node_selector_term(term: Mapping) -> Callable[[NodeInfo], bool]:
    reqs = [_node_selector_requirement(e) for e in term.get("matchExpressions") or ()]
    reqs += [_node_selector_requirement(e, field=True) for e in term.get("matchFields") or ()]
    if not reqs:
        return lambda ni: False  # an empty term matches no node
    return lambda ni: all(r(ni) for r in reqs)


def required_node_match(pod: PodInfo) -> Callable[[NodeInfo], bool] | None:
    """nodeSelector AND (any of the required nodeAffinity terms); None when the pod has neither."""
    selector = tuple(pod.node_selector.items())
    required = (pod.affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get(
        "nodeSelectorTerms"
    )
    if not selector and required is None:
        return None
    terms = [compile_node_selector_term(t) for t in required or ()]

    def matches(ni: NodeInfo) -> bool:
        labels = ni.labels
        for k, v in selector:
            if labels.get(k) != v:
                return False
        if required is not None and not any(t(ni) for t in terms):
            return False
        return True

    return matches


class NodeAffinity(FilterPlugin):
    name = "NodeAffinity"

    def prefilter(self, pod, nodes):
        matches = required_node_match(pod)
        if matches is None:
            return None
        reasons = (REASON_NODE_AFFINITY,)
        return lambda ni: None if matches(ni) else reasons


class NodeResourcesFit(FilterPlugin):
    """cpu, memory and pod count against allocatable minus what bound pods request."""

    name = "NodeResourcesFit"

    def prefilter(self, pod, nodes):
        cpu, mem = pod.req_cpu, pod.req_mem

        def check(ni: NodeInfo) -> tuple[str, ...] | None:
            reasons: tuple[str, ...] = ()
            if len(ni.pods) + 1 > ni.alloc_pods:
                reasons = (REASON_TOO_MANY_PODS,)
            if cpu and cpu > ni.alloc_cpu - ni.req_cpu:
                reasons += (REASON_INSUFFICIENT_CPU,)
            if mem and mem > ni.alloc_mem - ni.req_mem:
                reasons += (REASON_INSUFFICIENT_MEMORY,)
            return reasons or None

        return check

    def resolvable(self, reasons):
        return True


class PodTopologySpread(FilterPlugin):
    """Hard (DoNotSchedule) constraints: matching pods per topology domain may differ by maxSkew."""

    name = "PodTopologySpread"

    def prefilter(self, pod, nodes):
        constraints = [c for c in pod.spread_constraints if c.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"]
        if not constraints:
            return None
        parsed = [
            (c["topologyKey"], int(c.get("maxSkew", 1)), compile_selector(c.get("labelSelector"), empty_matches=False),
             int(c.get("minDomains") or 1))
            for c in constraints
        ]
        # Only nodes the pod could go to by node affinity count as domains (nodeAffinityPolicy: Honor).
        eligible = required_node_match(pod)
        keys = [k for k, _, _, _ in parsed]
        counts: list[dict[str, int]] = [{} for _ in parsed]
        ns = pod.namespace
        for ni in nodes:
            labels = ni.labels
            if any(k not in labels for k in keys) or (eligible is not None and not eligible(ni)):
                continue
            for i, (key, _, selector, _) in enumerate(parsed):
                n = 0
                for other in ni.pods.values():
                    if other.namespace == ns and not other.terminating and selector(other.labels):
                        n += 1
                value = labels[key]
                counts[i][value] = counts[i].get(value, 0) + n
        minimums = []
        for i, (_, _, _, min_domains) in enumerate(parsed):
            domain_counts = counts[i]
            lowest = min(domain_counts.values()) if domain_counts else 0
            minimums.append(0 if len(domain_counts) < min_domains else lowest)
        self_match = [1 if selector(pod.labels) else 0 for _, _, selector, _ in parsed]
        missing = (REASON_SPREAD_MISSING_LABEL,)
        skewed = (REASON_SPREAD,)

        def check(ni: NodeInfo) -> tuple[str, ...] | None:
            for i, (key, max_skew, _, _) in enumerate(parsed):
                value = ni.labels.get(key)
                if value is None:
                    return missing
                if counts[i].get(value, 0) + self_match[i] - minimums[i] > max_skew:
                    return skewed
            return None

        return check

    def resolvable(self, reasons):
        return REASON_SPREAD_MISSING_LABEL not in reasons


# -- scores ----------------------------------------------------------------------------
def default_normalize(scores: list[int], reverse: bool = False) -> list[int]:
    """kube-scheduler's DefaultNormalizeScore: scale to 0–100 by the maximum, optionally reversed."""
    highest = max(scores, default=0)
    if highest == 0:
        return [MAX_NODE_SCORE if reverse else 0 for _ in scores]
    if reverse:
        return [MAX_NODE_SCORE - MAX_NODE_SCORE * s // highest for s in scores]
    return [MAX_NODE_SCORE * s // highest for s in scores]


class ScorePlugin:
    name = ""
    weight = 1

    def prescore(self, pod: PodInfo, feasible: Sequence[NodeInfo]) -> Scorer | None:
        raise NotImplementedError

    def normalize(self, scores: list[int]) -> list[int]:
        return scores


class TaintTolerationScore(ScorePlugin):
    """Fewer untolerated PreferNoSchedule taints is better."""

    name = "TaintToleration"
    weight = 3

    def prescore(self, pod, feasible):
        if not any(ni.prefer_taints for ni in feasible):
            return None
        tolerations = [t for t in pod.tolerations if t.effect in ("", "PreferNoSchedule")]
        return lambda ni: sum(1 for t in ni.prefer_taints if not tolerated(tolerations, t))

    def normalize(self, scores):
        return default_normalize(scores, reverse=True)


class NodeAffinityScore(ScorePlugin):
    """Sum of the weights of the preferred nodeAffinity terms a node matches."""

    name = "NodeAffinity"
    weight = 2

    def prescore(self, pod, feasible):
        preferred = pod.affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        if not preferred:
            return None
        terms = [(int(p.get("weight", 0)), compile_node_selector_term(p.get("preference") or {})) for p in preferred]
        return lambda ni: sum(w for w, term in terms if term(ni))

    def normalize(self, scores):
        return default_normalize(scores)


class LeastAllocated(ScorePlugin):
    """NodeResourcesFit scoring, strategy LeastAllocated: the emptier node wins (cpu and memory, weight 1 each)."""

    name = "NodeResourcesFit"
    weight = 1
    strategy = "LeastAllocated"

    def prescore(self, pod, feasible):
        pc, pm = pod.nz_cpu, pod.nz_mem

        def score(ni: NodeInfo) -> int:
            ac, am = ni.alloc_cpu, ni.alloc_mem
            rc, rm = ni.nz_cpu + pc, ni.nz_mem + pm
            s_cpu = (ac - rc) * MAX_NODE_SCORE // ac if ac and rc <= ac else 0
            s_mem = (am - rm) * MAX_NODE_SCORE // am if am and rm <= am else 0
            return (s_cpu + s_mem) // 2

        return score


class BalancedAllocation(ScorePlugin):
    """NodeResourcesBalancedAllocation: cpu and memory used in the same proportion is better.

    score = (1 − standard deviation of the requested fractions) × 100; for two
    resources the standard deviation is |cpu − memory| / 2.
    """

    name = "NodeResourcesBalancedAllocation"
    weight = 1

    def prescore(self, pod, feasible):
        pc, pm = pod.req_cpu, pod.req_mem

        def score(ni: NodeInfo) -> int:
            ac, am = ni.alloc_cpu, ni.alloc_mem
            if not ac or not am:
                return 0
            f_cpu = min(1.0, (ni.req_cpu + pc) / ac)
            f_mem = min(1.0, (ni.req_mem + pm) / am)
            return int((1.0 - abs(f_cpu - f_mem) / 2) * MAX_NODE_SCORE)

        return score


class SelectorSpread(ScorePlugin):
    """Fewer pods of the same owner (ReplicaSet, Job…) on a node is better.

    The classic SelectorSpread plugin; today's kube-scheduler gets the same
    effect from PodTopologySpread's system-default soft constraints.
    """

    name = "SelectorSpread"
    weight = 1

    def prescore(self, pod, feasible):
        owner = pod.owner_uid
        if owner is None:
            return None
        return lambda ni: ni.owner_counts.get(owner, 0)

    def normalize(self, scores):
        return default_normalize(scores, reverse=True)


DEFAULT_FILTERS: tuple[FilterPlugin, ...] = (
    NodeUnschedulable(),
    NodeName(),
    TaintToleration(),
    NodeAffinity(),
    NodeResourcesFit(),
    PodTopologySpread(),
)

DEFAULT_SCORES: tuple[ScorePlugin, ...] = (
    TaintTolerationScore(),
    NodeAffinityScore(),
    LeastAllocated(),
    BalancedAllocation(),
    SelectorSpread(),
)
