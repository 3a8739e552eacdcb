"""One scheduling cycle: filter (with sampling), score, select; and the FailedScheduling message.

``schedule(pod, node_infos)`` is pure: it reads the snapshot and returns a
``ScheduleDecision``; binding, events and preemption (deleting victims) are the
caller's actions.
"""
from __future__ import annotations

import random
from collections import Counter
from typing import Mapping, Sequence

from controllers.scheduler.framework import NodeInfo, PodInfo, ScheduleDecision, as_pod_info
from controllers.scheduler.plugins import (
    DEFAULT_FILTERS,
    DEFAULT_SCORES,
    FilterPlugin,
    ScorePlugin,
    canonical_reason,
)

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50

NO_PREEMPTION_VICTIMS = "No preemption victims found for incoming pod"
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"


def num_feasible_nodes_to_find(num_all_nodes: int, percentage_of_nodes_to_score: int = 0) -> int:
    """How many feasible nodes to find before the scheduler stops filtering.

    kube-scheduler's adaptive sampling: every node below 100 nodes; otherwise
    ``max(5, 50 - nodes/125)`` percent (unless configured), but never fewer
    than 100. For 5,000 nodes: 50 − 40 = 10 % → 500 nodes.
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND or percentage_of_nodes_to_score >= 100:
        return num_all_nodes
    percentage = percentage_of_nodes_to_score
    if percentage <= 0:
        percentage = max(
            MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND,
            BASE_PERCENTAGE_OF_NODES_TO_SCORE - num_all_nodes // 125,
        )
    return max(MIN_FEASIBLE_NODES_TO_FIND, num_all_nodes * percentage // 100)


def schedule(
    pod: Mapping | PodInfo,
    node_infos: Sequence[NodeInfo],
    *,
    percentage_of_nodes_to_score: int = 0,
    start_index: int = 0,
    filters: Sequence[FilterPlugin] = DEFAULT_FILTERS,
    scores: Sequence[ScorePlugin] = DEFAULT_SCORES,
    rng: random.Random | None = None,
) -> ScheduleDecision:
    """Pick a node for ``pod``; the decision records every verdict and score.

    ``start_index`` rotates where filtering starts (feed back
    ``decision.next_start_index``), so sampling does not always favour the
    first nodes. Ties go to the first best node in evaluation order, or to a
    random one when ``rng`` is given (kube-scheduler picks at random).
    """
    info = as_pod_info(pod)
    n = len(node_infos)
    to_find = num_feasible_nodes_to_find(n, percentage_of_nodes_to_score)
    start = start_index % n if n else 0
    decision = ScheduleDecision(
        pod=info.key,
        num_all_nodes=n,
        num_nodes_to_find=to_find,
        percentage_of_nodes_to_score=percentage_of_nodes_to_score,
        start_index=start,
    )

    checks = []
    plugins: list[FilterPlugin] = []
    for plugin in filters:
        check = plugin.prefilter(info, node_infos)
        if check is None:
            decision.skipped_filters.append(plugin.name)
        else:
            decision.filters.append(plugin.name)
            plugins.append(plugin)
            checks.append(check)

    # -- filter, stopping once enough feasible nodes are found -------------------------
    feasible: list[NodeInfo] = []
    rejected = decision.rejected
    indexed = tuple(enumerate(checks))
    processed = 0
    for offset in range(n):
        if len(feasible) >= to_find:
            break
        ni = node_infos[(start + offset) % n]
        processed += 1
        for idx, check in indexed:
            reasons = check(ni)
            if reasons is not None:
                rejected[ni.name] = (idx, reasons)
                if not plugins[idx].resolvable(reasons):
                    decision.unresolvable.add(ni.name)
                break
        else:
            feasible.append(ni)
    decision.next_start_index = (start + processed) % n if n else 0
    decision.feasible = [ni.name for ni in feasible]

    if not feasible:
        _preempt(decision, info, node_infos, checks)
        return decision

    # -- score -------------------------------------------------------------------------
    totals = [0] * len(feasible)
    if len(feasible) > 1:  # one feasible node: kube-scheduler skips scoring
        for plugin in scores:
            scorer = plugin.prescore(info, feasible)
            raw = [scorer(ni) for ni in feasible] if scorer is not None else [0] * len(feasible)
            normalized = plugin.normalize(raw)
            decision.score_plugins.append((plugin.name, plugin.weight))
            decision.raw_scores[plugin.name] = raw
            decision.normalized_scores[plugin.name] = normalized
            w = plugin.weight
            totals = [t + s * w for t, s in zip(totals, normalized)]
    decision.final_scores = totals

    best = max(totals)
    if rng is None:
        chosen = totals.index(best)
    else:
        chosen = rng.choice([i for i, t in enumerate(totals) if t == best])
    decision.node = feasible[chosen].name
    return decision


def _preempt(decision: ScheduleDecision, pod: PodInfo, node_infos: Sequence[NodeInfo], checks) -> None:
    """DefaultPreemption's dry run: would evicting lower-priority pods make a node fit?"""
    if pod.preemption_policy == "Never":
        decision.preemption_message = "preemption: not eligible due to preemptionPolicy=Never."
        return
    by_name = {ni.name: ni for ni in node_infos}
    candidates: list[tuple[tuple, str, list[str]]] = []
    for name in decision.rejected:
        if name in decision.unresolvable:
            continue
        ni = by_name[name]
        lower = [p for p in ni.pods.values() if p.priority < pod.priority]
        if not lower:
            decision.preemption[name] = NO_PREEMPTION_VICTIMS
            continue
        trial = NodeInfo(ni.node, [p for p in ni.pods.values() if p.priority >= pod.priority])
        failure = _run_checks(trial, checks)
        if failure is not None:
            decision.preemption[name] = "; ".join(failure)
            continue
        # Reprieve the most important victims first while the pod still fits.
        victims = []
        for p in sorted(lower, key=lambda p: (-p.priority, p.created)):
            trial.add_pod(p)
            if _run_checks(trial, checks) is not None:
                trial.remove_pod(p.key)
                victims.append(p)
        rank = (max(v.priority for v in victims) if victims else -(2**31), len(victims), name)
        candidates.append((rank, name, [v.key for v in victims]))
    if candidates:
        _, decision.nominated_node, decision.victims = min(candidates)
        return
    failed = Counter()
    for name, reasons in decision.preemption.items():
        for reason in reasons.split("; "):
            failed[reason] += 1
    absent = decision.num_all_nodes - len(decision.preemption)
    if absent > 0:
        failed[PREEMPTION_NOT_HELPFUL] += absent
    decision.preemption_message = "preemption: " + _fit_error(decision.num_all_nodes, failed)


def _run_checks(ni: NodeInfo, checks) -> tuple[str, ...] | None:
    for check in checks:
        reasons = check(ni)
        if reasons is not None:
            return reasons
    return None


def _fit_error(num_all_nodes: int, reasons: Counter) -> str:
    """FitError.Error(): ``0/N nodes are available: <count reason, …sorted>.``"""
    msg = f"0/{num_all_nodes} nodes are available:"
    histogram = sorted(f"{count} {reason}" for reason, count in reasons.items())
    if histogram:
        msg += f" {', '.join(histogram)}."
    return msg


def failed_scheduling_message(decision: ScheduleDecision, *, legacy_taint_detail: bool = False) -> str:
    """The FailedScheduling event message, worded exactly as kube-scheduler words it.

    ``0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu.
    preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling,
    2 No preemption victims found for incoming pod.``

    Current kube-scheduler says "untolerated taint(s)"; v1.25–v1.33 named the
    taint (``{node.kubernetes.io/unreachable: }``) — ``legacy_taint_detail=True``.
    """
    if decision.num_all_nodes == 0:
        return "no nodes available to schedule pods"
    reasons: Counter = Counter()
    for _, node_reasons in decision.rejected.values():
        for reason in node_reasons:
            reasons[canonical_reason(reason, legacy_taint_detail)] += 1
    msg = _fit_error(decision.num_all_nodes, reasons)
    if decision.preemption_message:
        msg += " " + decision.preemption_message
    return msg
