"""Workload progress rows and node countdowns: pure functions."""
from __future__ import annotations

from types import SimpleNamespace

from kubeviz.live.lifecycle import node_timing
from kubeviz.live.workloads import workload_row

PROFILE = SimpleNamespace(node_monitor_grace_period=40, node_lease_renew_interval=10,
                          not_ready_toleration_seconds=300, unreachable_toleration_seconds=300)


def test_deployment_row_reads_desired_current_ready_and_generations():
    row = workload_row("deployments", {
        "metadata": {"name": "web", "namespace": "default", "generation": 3},
        "spec": {"replicas": 6, "template": {"spec": {"containers": [{"image": "nginx:1.27"}]}}},
        "status": {"replicas": 5, "readyReplicas": 4, "updatedReplicas": 5, "observedGeneration": 2,
                   "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}]}})
    assert row.ratio == "4/6" and (row.desired, row.current, row.ready, row.updated) == (6, 5, 4, 5)
    assert (row.generation, row.observed_generation) == (3, 2) and not row.settled
    assert row.conditions == ["Progressing=True (ReplicaSetUpdated)"] and row.image == "nginx:1.27"


def test_trainingjob_row():
    row = workload_row("trainingjobs", {
        "metadata": {"name": "resnet", "namespace": "ml"}, "spec": {"workers": 2, "epochs": 10},
        "status": {"phase": "Running", "epoch": 4, "lastCheckpointEpoch": 3, "restarts": 1, "workers": 2}})
    assert (row.phase, row.epoch, row.epochs, row.checkpoint, row.restarts, row.percent) == ("Running", 4, 10, 3, 1, 40)


def _node(ready: str = "True", taints: list | None = None) -> dict:
    return {"metadata": {"name": "n", "creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {"taints": taints or []},
            "status": {"conditions": [{"type": "Ready", "status": ready}]}}


def test_a_healthy_node_is_not_counting_down():
    timing = node_timing(_node(), lease_renew=1000.0, now=1005.0, profile=PROFILE)
    assert timing.lease_age == 5 and not timing.failing and timing.to_not_ready is None


def test_a_silent_node_counts_down_to_not_ready_and_eviction():
    timing = node_timing(_node(), lease_renew=1000.0, now=1030.0, profile=PROFILE)
    assert timing.failing and timing.to_not_ready == 10 and timing.to_eviction == 310


def test_a_tainted_node_counts_down_to_eviction_from_the_taint():
    taint = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "1970-01-01T00:20:00Z"}
    timing = node_timing(_node("Unknown", [taint]), lease_renew=1000.0, now=1300.0, profile=PROFILE)
    assert timing.failing and timing.to_not_ready is None and timing.to_eviction == 1200 + 300 - 1300


def test_the_card_of_a_silent_node_counts_down_each_tick():
    from kubeviz.live import render
    from kubeviz.live.state import ClusterState

    clock = {"now": 1030.0}
    state = ClusterState(clock=lambda: (clock["now"], PROFILE))
    silent, healthy = _node(), _node()
    healthy["metadata"] = {"name": "m"}
    state.load("nodes", [silent, healthy])
    state.apply("leases", "ADDED", {"metadata": {"name": "n"}, "spec": {"renewTime": "1970-01-01T00:16:40.000000Z"}})
    state.apply("leases", "ADDED", {"metadata": {"name": "m"}, "spec": {"renewTime": "1970-01-01T00:17:05.000000Z"}})
    render.snapshot(state, render.Extras(), can_act=True)
    state.tick()
    ops = state.flush()
    assert [n.name for n in ops.nodes_changed] == ["n"]  # only the failing node is redrawn
    html = render.delta(state, ops, render.Extras(), can_act=True, revision_changed=False)
    assert "NotReady in 10s" in html and "pods evicted in 310s" in html and "silent for <b data-lease-age>30s" in html
    clock["now"] = 1031.0
    state.tick()
    html = render.delta(state, state.flush(), render.Extras(), can_act=True, revision_changed=False)
    assert "NotReady in 9s" in html


def test_once_the_pods_are_evicted_the_card_says_so_instead_of_any_moment():
    from dataclasses import replace

    from django.template.loader import render_to_string

    from kubeviz.live.model import node_view, pod_view

    taint = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "1970-01-01T00:20:00Z"}
    node = _node("Unknown", [taint])

    def pod(name: str, deleted: bool) -> dict:
        meta = {"name": name, "namespace": "default", **({"deletionTimestamp": "1970-01-01T00:25:00Z"} if deleted else {})}
        return {"metadata": meta, "spec": {"nodeName": "n"}, "status": {"phase": "Running"}}

    timing = node_timing(node, lease_renew=1000.0, now=1600.0, profile=PROFILE)  # toleration over
    waiting = replace(node_view(node, [pod_view(pod("a", True)), pod_view(pod("b", False))]), timing=timing)
    assert not waiting.evicted
    assert 'data-countdown="eviction">pods evicted any moment' in render_to_string("_node_head.html", {"node": waiting})
    done = replace(node_view(node, [pod_view(pod("a", True)), pod_view(pod("b", True))]), timing=timing)
    assert done.evicted and done.terminating == 2
    html = render_to_string("_node_head.html", {"node": done})
    assert 'data-countdown="evicted"' in html and "pods evicted (2 Terminating)" in html and "any moment" not in html


def test_a_pod_starting_redraws_itself_but_not_its_nodes_card():
    from kubeviz.live import render
    from kubeviz.live.state import ClusterState

    state = ClusterState()
    state.load("nodes", [_node()])
    pod = {"metadata": {"name": "p", "namespace": "default"},
           "spec": {"nodeName": "n", "containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}]},
           "status": {"phase": "Pending"}}
    state.apply("pods", "ADDED", pod)
    render.snapshot(state, render.Extras(), can_act=True)
    state.flush()
    running = {**pod, "status": {"phase": "Running"}}
    state.apply("pods", "MODIFIED", running)
    ops = state.flush()
    assert [p.key for p in ops.pods_changed] == ["default/p"] and ops.nodes_changed == []
    bigger = {**running, "spec": {**pod["spec"], "containers": [{"name": "c", "resources": {"requests": {"cpu": "2"}}}]}}
    state.apply("pods", "MODIFIED", bigger)
    assert [n.name for n in state.flush().nodes_changed] == ["n"]  # its requests changed the card's usage


def test_when_many_nodes_fail_their_countdowns_take_turns(monkeypatch):
    from kubeviz.live import state as live_state
    from kubeviz.live.state import ClusterState

    monkeypatch.setattr(live_state, "TICK_BUDGET", 2)
    clock = {"now": 1030.0}
    state = ClusterState(clock=lambda: (clock["now"], PROFILE))
    nodes = []
    for name in ("a", "b", "c"):
        node = _node()
        node["metadata"] = {"name": name}
        nodes.append(node)
    state.load("nodes", nodes)
    for name in ("a", "b", "c"):  # all silent for 30 s: failing
        state.apply("leases", "ADDED", {"metadata": {"name": name}, "spec": {"renewTime": "1970-01-01T00:16:40.000000Z"}})
    state.flush()
    redrawn = []
    for second in range(3):
        clock["now"] = 1031.0 + second
        state.tick()
        redrawn.append(sorted(n.name for n in state.flush().nodes_changed))
    assert all(len(names) == 2 for names in redrawn)
    assert set(redrawn[0] + redrawn[1]) == {"a", "b", "c"}  # the one left out goes next
