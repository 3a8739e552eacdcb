"""Node lifecycle plan: lease expiry → Unknown → taints → evictions; recovery removes taints."""
from __future__ import annotations

from controllers.clock import DEMO, REALISTIC, to_rfc3339
from controllers.nodelifecycle.plan import STOPPED_POSTING, default_tolerations, plan
from controllers.runtime.actions import AddTaint, DeleteObject, RemoveTaint, RequeueAfter, UpdateStatus, without_requeue
from controllers.runtime.objects import get_condition
from tests.controllers.world import World, run_pod

T0 = 1735689600.0


def make_world(profile=REALISTIC, tolerations=None):
    w = World(T0)
    w.put("Node", {"metadata": {"name": "node-1"}, "spec": {},
                   "status": {"conditions": [
                       {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": to_rfc3339(T0)},
                       {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": to_rfc3339(T0)}]}})
    for name, tol in (("default-tol", default_tolerations(profile)), ("no-tol", []),
                      ("forever", [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}])):
        w.put("Pod", run_pod({"metadata": {"name": name}, "spec": {"tolerations": tolerations if tolerations is not None else tol}}, T0))
    return w


def step(w, lease, profile=REALISTIC):
    actions = plan(w.get("Node", "node-1"), lease, w.list("Pod"), now=w.now, profile=profile)
    w.apply(actions)
    return actions


def test_healthy_node_plans_only_a_recheck():
    w = make_world()
    actions = plan(w.get("Node", "node-1"), T0, w.list("Pod"), now=T0 + 10, profile=REALISTIC)
    assert actions == [RequeueAfter(30.0, why="lease grace period")]


def test_silent_kubelet_story_realistic():
    w = make_world()
    w.now = T0 + 40
    actions = step(w, lease=T0)
    node = w.get("Node", "node-1")
    ready = get_condition(node, "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == ("Unknown", "NodeStatusUnknown", STOPPED_POSTING)
    assert get_condition(node, "MemoryPressure")["status"] == "Unknown"
    assert {(t["key"], t["effect"]) for t in node["spec"]["taints"]} == {
        ("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")}
    assert all(t["timeAdded"] == to_rfc3339(T0 + 40) for t in node["spec"]["taints"])
    # pods go not-ready; the pod without tolerations is evicted at once
    assert all(get_condition(p, "Ready")["status"] == "False" for p in w.list("Pod") if p["metadata"]["name"] != "no-tol")
    assert [a.name for a in actions if isinstance(a, DeleteObject)] == ["no-tol"]
    # idempotent until the toleration runs out
    again = plan(w.get("Node", "node-1"), T0, w.list("Pod"), now=w.now, profile=REALISTIC)
    assert without_requeue(again) == [] and RequeueAfter(300.0, why="tolerationSeconds") in again
    w.now = T0 + 40 + 300
    evicted = [a.name for a in step(w, lease=T0) if isinstance(a, DeleteObject)]
    assert evicted == ["default-tol"]
    assert [p["metadata"]["name"] for p in w.list("Pod")] == ["forever"]
    assert without_requeue(plan(w.get("Node", "node-1"), T0, w.list("Pod"), now=w.now + 1000, profile=REALISTIC)) == []


def test_demo_profile_tells_it_in_seconds():
    w = make_world(DEMO)
    w.now = T0 + 6
    step(w, lease=T0, profile=DEMO)
    w.now = T0 + 16
    assert [a.name for a in step(w, lease=T0, profile=DEMO) if isinstance(a, DeleteObject)] == ["default-tol"]


def test_recovery_removes_taints_and_not_ready_gets_its_own_taint():
    w = make_world()
    w.now = T0 + 50
    step(w, lease=T0)
    node = w.get("Node", "node-1")
    ready = get_condition(node, "Ready")
    ready.update(status="True", lastHeartbeatTime=to_rfc3339(w.now))
    actions = step(w, lease=w.now)
    assert sorted((a.key, a.effect) for a in actions if isinstance(a, RemoveTaint)) == [
        ("node.kubernetes.io/unreachable", "NoExecute"), ("node.kubernetes.io/unreachable", "NoSchedule")]
    assert w.get("Node", "node-1")["spec"]["taints"] == []
    ready.update(status="False", reason="KubeletNotReady")
    actions = step(w, lease=w.now)
    assert {(a.taint["key"], a.taint["effect"]) for a in actions if isinstance(a, AddTaint)} == {
        ("node.kubernetes.io/not-ready", "NoSchedule"), ("node.kubernetes.io/not-ready", "NoExecute")}
    assert without_requeue(plan(w.get("Node", "node-1"), w.now, w.list("Pod"), now=w.now, profile=REALISTIC)) == []


def test_status_update_written_once():
    w = make_world()
    w.now = T0 + 41
    assert any(isinstance(a, UpdateStatus) and a.kind == "Node" for a in step(w, lease=T0))
    assert not any(isinstance(a, UpdateStatus) for a in plan(w.get("Node", "node-1"), T0, w.list("Pod"), now=w.now + 5, profile=REALISTIC))
