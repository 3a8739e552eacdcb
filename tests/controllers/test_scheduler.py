"""Scheduler: filters, scores, sampling, the exact FailedScheduling message, the queue."""
from __future__ import annotations

import json
import random

import pytest

from controllers.clock import SimClock
from controllers.scheduler import queue as sq
from controllers.scheduler.framework import NodeInfo, pod_requests
from controllers.scheduler.plugins import default_normalize
from controllers.scheduler.schedule import failed_scheduling_message, num_feasible_nodes_to_find, schedule

UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2025-01-01T00:00:00Z"}


def node(name, cpu="4", memory="8Gi", pods="110", labels=None, taints=(), unschedulable=False):
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"taints": list(taints), **({"unschedulable": True} if unschedulable else {})},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods}},
    }


def pod(name, cpu="100m", memory="64Mi", labels=None, owner=None, priority=None, **spec):
    meta = {"name": name, "namespace": "default", "uid": f"uid-{name}", "labels": labels or {},
            "creationTimestamp": "2025-01-01T00:00:00Z"}
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner, "uid": f"rs-{owner}", "controller": True}]
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    body = {"metadata": meta, "spec": {"containers": [{"name": "app", "resources": {"requests": requests}}], **spec}}
    if priority is not None:
        body["spec"]["priority"] = priority
    return body


def infos(*nodes, bound=()):
    out = [NodeInfo(n) for n in nodes]
    by_name = {ni.name: ni for ni in out}
    for p in bound:
        by_name[p["spec"]["nodeName"]].add_pod(p)
    return out


def on(p, node_name):
    p["spec"]["nodeName"] = node_name
    return p


# -- the FailedScheduling message ------------------------------------------------------
def test_failed_scheduling_message_exact_wording():
    nodes = infos(node("n1", taints=[UNREACHABLE]), node("n2", cpu="500m"), node("n3", cpu="500m"))
    d = schedule(pod("p", cpu="1"), nodes)
    assert not d.scheduled
    assert failed_scheduling_message(d) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    # v1.25–v1.33 wording named the taint:
    assert failed_scheduling_message(d, legacy_taint_detail=True).startswith(
        "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu."
    )


def test_message_when_preemption_cannot_help_anywhere():
    nodes = infos(node("n1", taints=[UNREACHABLE]), node("n2", unschedulable=True), node("n3", labels={"disk": "hdd"}))
    d = schedule(pod("p", nodeSelector={"disk": "ssd"}), nodes)
    assert failed_scheduling_message(d) == (
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint(s), 1 node(s) were unschedulable. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


def test_histogram_sorts_as_strings_like_go():
    nodes = infos(*[node(f"a{i}", cpu="100m") for i in range(10)], node("b", pods="0"), node("c", pods="0"))
    d = schedule(pod("p", cpu="1", priority=0), nodes)
    assert failed_scheduling_message(d).startswith("0/12 nodes are available: 10 Insufficient cpu, 2 Too many pods.")


def test_no_nodes():
    assert failed_scheduling_message(schedule(pod("p"), [])) == "no nodes available to schedule pods"


def test_preemption_nominates_a_node_and_the_fewest_victims():
    low = [on(pod(f"low{i}", cpu="1", priority=0), "n1") for i in range(3)]
    high = on(pod("high", cpu="3", priority=1000), "n2")
    nodes = infos(node("n1", cpu="3"), node("n2", cpu="3"), bound=[*low, high])
    d = schedule(pod("urgent", cpu="2", priority=500), nodes)
    assert not d.scheduled and d.nominated_node == "n1"
    assert len(d.victims) == 2
    assert failed_scheduling_message(d) == "0/2 nodes are available: 2 Insufficient cpu."
    never = schedule(pod("polite", cpu="2", priority=500, preemptionPolicy="Never"), nodes)
    assert failed_scheduling_message(never).endswith("preemption: not eligible due to preemptionPolicy=Never.")


# -- a decision table of filters -------------------------------------------------------
NOT_READY_TOLERATION = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}


@pytest.mark.parametrize(
    "the_node, the_pod, plugin, reason",
    [
        (node("n", unschedulable=True), pod("p"), "NodeUnschedulable", "node(s) were unschedulable"),
        (node("n", unschedulable=True), pod("p", tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]), None, None),
        (node("n"), pod("p", nodeName="other"), "NodeName", "node(s) didn't match the requested node name"),
        (node("n", taints=[UNREACHABLE]), pod("p"), "TaintToleration", "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"),
        (node("n", taints=[UNREACHABLE]), pod("p", tolerations=[{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}]), None, None),
        (node("n", taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]), pod("p", tolerations=[NOT_READY_TOLERATION]), "TaintToleration", "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"),
        (node("n", taints=[{"key": "gpu", "value": "a100", "effect": "NoSchedule"}]), pod("p", tolerations=[{"key": "gpu", "value": "a100"}]), None, None),
        (node("n", taints=[{"key": "gpu", "value": "a100", "effect": "NoSchedule"}]), pod("p", tolerations=[{"key": "gpu", "value": "h100"}]), "TaintToleration", "node(s) had untolerated taint {gpu: a100}"),
        (node("n", taints=[{"key": "x", "effect": "PreferNoSchedule"}]), pod("p"), None, None),
        (node("n", taints=[{"key": "x", "effect": "NoSchedule"}]), pod("p", tolerations=[{"operator": "Exists"}]), None, None),
        (node("n", cpu="1"), pod("p", cpu="2"), "NodeResourcesFit", "Insufficient cpu"),
        (node("n", memory="1Gi"), pod("p", cpu="2", memory="2Gi"), "NodeResourcesFit", "Insufficient memory"),
        (node("n", cpu="1", memory="1Gi", pods="0"), pod("p", cpu="2", memory="2Gi"), "NodeResourcesFit", "Too many pods; Insufficient cpu; Insufficient memory"),
        (node("n", cpu="1"), pod("p", cpu=None, memory=None), None, None),
        (node("n", labels={"disk": "ssd"}), pod("p", nodeSelector={"disk": "ssd"}), None, None),
        (node("n", labels={"disk": "hdd"}), pod("p", nodeSelector={"disk": "ssd"}), "NodeAffinity", "node(s) didn't match Pod's node affinity/selector"),
    ],
)
def test_filter_decision_table(the_node, the_pod, plugin, reason):
    d = schedule(the_pod, infos(the_node))
    if plugin is None:
        assert d.node == "n" and all(r.passed for r in d.filter_results("n"))
    else:
        last = d.filter_results("n")[-1]
        assert (last.plugin, last.passed, last.reason) == (plugin, False, reason)
        assert all(r.passed for r in d.filter_results("n")[:-1])


def affinity(*exprs):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": list(exprs)}]}}}


@pytest.mark.parametrize(
    "expr, fits",
    [
        ({"key": "zone", "operator": "In", "values": ["a", "b"]}, ["a", "b"]),
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, ["b", "none", "c"]),
        ({"key": "zone", "operator": "Exists"}, ["a", "b", "c"]),
        ({"key": "zone", "operator": "DoesNotExist"}, ["none"]),
        ({"key": "cores", "operator": "Gt", "values": ["8"]}, ["c"]),
        ({"key": "cores", "operator": "Lt", "values": ["8"]}, ["a"]),
    ],
)
def test_required_node_affinity_operators(expr, fits):
    nodes = infos(
        node("a", labels={"zone": "a", "cores": "4"}),
        node("b", labels={"zone": "b", "cores": "8"}),
        node("c", labels={"zone": "c", "cores": "16"}),
        node("none", labels={"cores": "x"}),
    )
    d = schedule(pod("p", affinity=affinity(expr)), nodes)
    assert sorted(d.feasible) == sorted(fits)


def test_empty_node_selector_terms_match_nothing_and_terms_are_ored():
    nodes = infos(node("a", labels={"zone": "a"}), node("b", labels={"zone": "b"}))
    none = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{}]}}}
    assert schedule(pod("p", affinity=none), nodes).feasible == []
    either = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["b"]}]},
    ]}}}
    assert sorted(schedule(pod("p", affinity=either), nodes).feasible) == ["a", "b"]


def test_pod_topology_spread_do_not_schedule():
    web = {"app": "web"}
    bound = [on(pod("w1", labels=web), "a1"), on(pod("w2", labels=web), "a1")]
    nodes = infos(node("a1", labels={"zone": "a"}), node("b1", labels={"zone": "b"}), node("x"), bound=bound)
    spread = [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": web}}]
    d = schedule(pod("w3", labels=web, topologySpreadConstraints=spread), nodes)
    assert d.node == "b1"
    assert d.filter_results("a1")[-1].reason == "node(s) didn't match pod topology spread constraints"
    assert d.filter_results("x")[-1].reason == "node(s) didn't match pod topology spread constraints (missing required label)"
    # ScheduleAnyway is a preference, not a filter.
    soft = [{**spread[0], "whenUnsatisfiable": "ScheduleAnyway"}]
    assert "PodTopologySpread" in schedule(pod("w4", labels=web, topologySpreadConstraints=soft), nodes).skipped_filters


# -- scores ----------------------------------------------------------------------------
def test_least_allocated_and_balanced_scores():
    busy = on(pod("busy", cpu="3", memory="1Gi"), "busy")
    nodes = infos(node("busy", cpu="4", memory="4Gi"), node("idle", cpu="4", memory="4Gi"), bound=[busy])
    d = schedule(pod("p", cpu="1", memory="1Gi"), nodes)
    assert d.node == "idle"
    idle = {r.plugin: r for r in d.score_results("idle")}
    busy_scores = {r.plugin: r for r in d.score_results("busy")}
    # idle: cpu (4000-1000)*100/4000 = 75, memory 75 → 75; busy: cpu 0, memory 50 → 25
    assert idle["NodeResourcesFit"].raw == 75 and busy_scores["NodeResourcesFit"].raw == 25
    # balanced: idle 1/4 vs 1/4 → 100; busy 4/4 vs 2/4 → (1 - 0.25) * 100 = 75
    assert idle["NodeResourcesBalancedAllocation"].raw == 100
    assert busy_scores["NodeResourcesBalancedAllocation"].raw == 75
    assert d.final_scores[d.feasible.index("idle")] == sum(r.weighted for r in d.score_results("idle"))


def test_pods_without_requests_use_non_zero_defaults_for_scoring():
    assert pod_requests(pod("p", cpu=None, memory=None)) == (0, 0, 100, 200 * 1024 * 1024)


def test_selector_spread_puts_replicas_on_different_nodes():
    nodes = infos(node("a"), node("b"), node("c"))
    by_name = {ni.name: ni for ni in nodes}
    placed = []
    start = 0
    for i in range(3):
        p = pod(f"web-{i}", cpu=None, memory=None, owner="web")
        d = schedule(p, nodes, start_index=start)
        start = d.next_start_index
        placed.append(d.node)
        by_name[d.node].add_pod(on(p, d.node))
    assert sorted(placed) == ["a", "b", "c"]


def test_prefer_no_schedule_taint_scores_lower():
    nodes = infos(node("tainted", taints=[{"key": "spot", "effect": "PreferNoSchedule"}]), node("clean"))
    assert schedule(pod("p"), nodes).node == "clean"


def test_default_normalize():
    assert default_normalize([0, 5, 10]) == [0, 50, 100]
    assert default_normalize([0, 5, 10], reverse=True) == [100, 50, 0]
    assert default_normalize([0, 0], reverse=True) == [100, 100]


def test_ties_random_with_rng():
    nodes = infos(node("a"), node("b"))
    chosen = {schedule(pod("p"), nodes, rng=random.Random(seed)).node for seed in range(20)}
    assert chosen == {"a", "b"}


# -- sampling --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "nodes, percentage, expected",
    [(50, 0, 50), (100, 0, 100), (1000, 0, 420), (5000, 0, 500), (6000, 0, 300),
     (10000, 0, 500), (200, 0, 100), (5000, 100, 5000), (5000, 30, 1500)],
)
def test_num_feasible_nodes_to_find(nodes, percentage, expected):
    assert num_feasible_nodes_to_find(nodes, percentage) == expected


def test_sampling_stops_early_and_rotates_the_start():
    nodes = infos(*[node(f"n{i:03d}") for i in range(200)])
    d = schedule(pod("p"), nodes)
    assert d.num_nodes_to_find == 100 and d.evaluated_nodes == 100
    assert d.next_start_index == 100
    d2 = schedule(pod("q"), nodes, start_index=d.next_start_index)
    assert d2.feasible[0] == "n100" and d2.next_start_index == 0


def test_decision_is_json_serialisable_with_every_verdict():
    nodes = infos(node("a", taints=[UNREACHABLE]), node("b"), node("c", cpu="10m"))
    d = schedule(pod("p"), nodes)
    data = json.loads(json.dumps(d.to_dict()))
    by_node = {n["node"]: n for n in data["nodes"]}
    assert data["node"] == "b"
    assert by_node["a"]["filters"] == [
        {"plugin": "NodeUnschedulable", "passed": True, "reason": ""},
        {"plugin": "TaintToleration", "passed": False, "reason": "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"},
    ]
    assert by_node["c"]["filters"][-1]["reason"] == "Insufficient cpu"
    assert "scores" not in by_node["a"]
    assert "NodeAffinity" in data["skipped_filters"]


def test_node_info_tracks_requests_incrementally():
    ni = NodeInfo(node("n"))
    p = on(pod("p", cpu="250m", memory="1Gi", owner="web"), "n")
    ni.add_pod(p)
    ni.add_pod(p)  # idempotent per key
    assert (ni.req_cpu, ni.req_mem, ni.pod_count, ni.owner_counts) == (250, 2**30, 1, {"rs-web": 1})
    ni.remove_pod("default/p")
    assert (ni.req_cpu, ni.req_mem, ni.pod_count, ni.owner_counts) == (0, 0, 0, {})
    assert ni.alloc_cpu == 4000 and ni.alloc_pods == 110


# -- the scheduling queue --------------------------------------------------------------
def test_active_queue_orders_by_priority_then_age():
    q = sq.SchedulingQueue(SimClock(start=0.0))
    old = pod("old")
    young = pod("young")
    young["metadata"]["creationTimestamp"] = "2025-01-01T00:00:05Z"
    vip = pod("vip", priority=100)
    vip["metadata"]["creationTimestamp"] = "2025-01-01T00:00:09Z"
    for p in (young, old, vip, old):
        q.add(p)
    assert [q.pop().key for _ in range(3)] == ["default/vip", "default/old", "default/young"]
    assert q.pop() is None


def test_unschedulable_pod_waits_for_a_helpful_event_then_backs_off():
    clock = SimClock(start=0.0)
    q = sq.SchedulingQueue(clock, initial_backoff=1.0, max_backoff=10.0)
    q.add(pod("p"))
    info = q.pop()
    q.add_unschedulable(info, {"TaintToleration"})
    assert q.snapshot()["unschedulable"] == ["default/p"]
    assert q.on_event(sq.NODE_ALLOCATABLE_CHANGED) == 0  # cannot help a taint problem
    clock.advance(0.5)
    assert q.on_event(sq.NODE_TAINT_CHANGED) == 1
    assert q.snapshot()["backoff"] == ["default/p"]  # 1 s back-off not over yet
    assert q.pop() is None
    clock.advance(0.5)
    assert q.pop().key == "default/p"
    assert info.attempts == 2
    q.add_unschedulable(info, {"NodeResourcesFit"})
    assert q.backoff_duration(info) == 2.0
    q.on_event(sq.ASSIGNED_POD_DELETED)
    clock.advance(1.9)
    assert q.pop() is None
    clock.advance(0.1)
    assert q.pop() is not None


def test_event_during_scheduling_is_not_lost():
    clock = SimClock(start=0.0)
    q = sq.SchedulingQueue(clock)
    q.add(pod("p"))
    info = q.pop()
    q.on_event(sq.NODE_ADDED)  # arrives while the pod is being tried
    q.add_unschedulable(info, {"NodeResourcesFit"})
    assert q.snapshot()["unschedulable"] == []
    clock.advance(1)
    assert q.pop().key == "default/p"


def test_parked_pods_are_retried_after_five_minutes_and_deletes_are_honoured():
    clock = SimClock(start=0.0)
    q = sq.SchedulingQueue(clock)
    q.add(pod("p"))
    q.add(pod("gone"))
    a, b = q.pop(), q.pop()
    q.add_unschedulable(a, {"NodeAffinity"})
    q.add_unschedulable(b, {"NodeAffinity"})
    q.delete("default/gone")
    clock.advance(299)
    assert q.pop() is None
    clock.advance(31)
    assert q.pop().key == "default/p"
    assert q.pop() is None
    q.done("default/p")
    assert len(q) == 0
    q.close()
