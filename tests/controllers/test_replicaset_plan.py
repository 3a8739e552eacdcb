"""ReplicaSet plan: convergence, idempotence, deletion ranking, status, adoption."""
from __future__ import annotations

from controllers.clock import to_rfc3339
from controllers.replicaset.plan import deletion_rank, plan
from controllers.runtime.actions import CreateObject, DeleteObject, RequeueAfter, UpdateObject, UpdateStatus, without_requeue
from tests.controllers.world import World, run_pod

T0 = 1735689600.0


def replicaset(replicas=3, min_ready=0):
    return {
        "metadata": {"name": "web-abc", "namespace": "default", "uid": "rs-uid", "generation": 2},
        "spec": {
            "replicas": replicas,
            "minReadySeconds": min_ready,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web", "tier": "fe"}},
                         "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
        },
    }


def converge(world: World, rs_name="web-abc", kubelet=True, max_passes=10) -> int:
    for passes in range(1, max_passes + 1):
        rs = world.get("ReplicaSet", rs_name)
        actions = without_requeue(plan(rs, world.list("Pod"), now=world.now))
        if not actions:
            return passes
        world.apply(actions)
        if kubelet:
            for p in world.list("Pod"):
                if "status" not in p:
                    run_pod(p, world.now)
    raise AssertionError("did not converge")


def test_scale_up_converges_and_second_pass_is_idle():
    w = World(T0)
    w.put("ReplicaSet", replicaset(3))
    actions = plan(w.get("ReplicaSet", "web-abc"), [], now=T0)
    creates = [a for a in actions if isinstance(a, CreateObject)]
    assert len(creates) == 3
    body = creates[0].body
    assert body["metadata"]["generateName"] == "web-abc-"
    assert body["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    assert body["metadata"]["ownerReferences"][0]["uid"] == "rs-uid"
    assert converge(w) <= 3
    assert len(w.list("Pod")) == 3
    assert w.get("ReplicaSet", "web-abc")["status"] == {
        "replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 3, "availableReplicas": 3, "observedGeneration": 2}
    assert plan(w.get("ReplicaSet", "web-abc"), w.list("Pod"), now=T0) == []


def test_scale_down_then_idle():
    w = World(T0)
    w.put("ReplicaSet", replicaset(5))
    converge(w)
    w.get("ReplicaSet", "web-abc")["spec"]["replicas"] = 2
    deletes = [a for a in plan(w.get("ReplicaSet", "web-abc"), w.list("Pod"), now=T0) if isinstance(a, DeleteObject)]
    assert len(deletes) == 3
    converge(w)
    assert len(w.list("Pod")) == 2
    assert w.get("ReplicaSet", "web-abc")["status"]["replicas"] == 2


def test_burst_limit_and_expectations():
    rs = replicaset(1200)
    assert sum(isinstance(a, CreateObject) for a in plan(rs, [], now=T0)) == 500
    assert not any(isinstance(a, CreateObject) for a in plan(rs, [], now=T0, expectations_satisfied=False))


def test_only_active_pods_count():
    w = World(T0)
    w.put("ReplicaSet", replicaset(2))
    converge(w)
    w.list("Pod")[0]["status"]["phase"] = "Failed"
    creates = [a for a in plan(w.get("ReplicaSet", "web-abc"), w.list("Pod"), now=T0) if isinstance(a, CreateObject)]
    assert len(creates) == 1


def _pod(name, node=None, phase="Running", ready=True, restarts=0, created=T0, ready_at=T0, cost=None):
    p = {"metadata": {"name": name, "namespace": "default", "creationTimestamp": to_rfc3339(created),
                      "ownerReferences": [{"uid": "rs-uid", "controller": True}], "labels": {"app": "web"}},
         "spec": {"nodeName": node} if node else {},
         "status": {"phase": phase, "containerStatuses": [{"restartCount": restarts}],
                    "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                    "lastTransitionTime": to_rfc3339(ready_at)}]}}
    if cost is not None:
        p["metadata"]["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": str(cost)}
    return p


def test_deletion_ranking_order():
    pods = [
        _pod("ready-old", node="n1", created=T0, ready_at=T0),
        _pod("unassigned", phase="Pending", ready=False),
        _pod("pending", node="n2", phase="Pending", ready=False),
        _pod("unknown", node="n3", phase="Unknown", ready=False),
        _pod("running-not-ready", node="n4", ready=False),
        _pod("ready-restarts", node="n5", restarts=5),
        _pod("ready-newer", node="n6", created=T0 + 10),
        _pod("ready-recently", node="n7", ready_at=T0 + 50),
        _pod("expensive", node="n8", cost=100, ready_at=T0 + 60),
    ]
    order = [p["metadata"]["name"] for p in sorted(pods, key=deletion_rank(pods))]
    assert order == ["unassigned", "pending", "unknown", "running-not-ready", "ready-recently",
                     "ready-restarts", "ready-newer", "ready-old", "expensive"]


def test_doubled_up_nodes_lose_pods_first():
    pods = [_pod("alone", node="n1"), _pod("pair-a", node="n2"), _pod("pair-b", node="n2", created=T0 - 5)]
    assert [p["metadata"]["name"] for p in sorted(pods, key=deletion_rank(pods))][:2] == ["pair-a", "pair-b"]


def test_available_waits_for_min_ready_seconds():
    w = World(T0)
    w.put("ReplicaSet", replicaset(1, min_ready=10))
    converge(w)
    assert w.get("ReplicaSet", "web-abc")["status"]["availableReplicas"] == 0
    assert any(isinstance(a, RequeueAfter) and a.seconds == 10 for a in plan(w.get("ReplicaSet", "web-abc"), w.list("Pod"), now=T0))
    w.now = T0 + 10
    actions = plan(w.get("ReplicaSet", "web-abc"), w.list("Pod"), now=w.now)
    assert [type(a) for a in actions] == [UpdateStatus] and actions[0].status["availableReplicas"] == 1


def test_adopts_orphans_and_releases_mismatched():
    w = World(T0)
    w.put("ReplicaSet", replicaset(1))
    orphan = run_pod({"metadata": {"name": "orphan", "labels": {"app": "web"}}, "spec": {}}, T0)
    w.put("Pod", orphan)
    stray = run_pod({"metadata": {"name": "stray", "labels": {"app": "db"},
                                  "ownerReferences": [{"uid": "rs-uid", "controller": True}]}, "spec": {}}, T0)
    w.put("Pod", stray)
    actions = plan(w.get("ReplicaSet", "web-abc"), w.list("Pod"), now=T0)
    updates = {a.name: a for a in actions if isinstance(a, UpdateObject)}
    assert set(updates) == {"orphan", "stray"}
    assert not any(isinstance(a, CreateObject) for a in actions)  # the orphan fills the one replica
    w.apply(actions)
    assert converge(w) == 1


def test_only_pod_updates_that_change_what_plan_reads_wake_the_replicaset():
    import copy

    from controllers.replicaset.controller import changes_what_a_replicaset_sees as matters

    pod = {"metadata": {"name": "web-1", "labels": {"app": "web"}, "ownerReferences": [{"uid": "rs", "controller": True}]},
           "spec": {}, "status": {"phase": "Pending"}}
    bound = copy.deepcopy(pod)
    bound["spec"]["nodeName"] = "node-1"
    assert not matters(pod, bound)
    creating = copy.deepcopy(bound)
    creating["status"]["containerStatuses"] = [{"name": "app", "restartCount": 0, "state": {"waiting": {}}}]
    assert not matters(bound, creating)
    ready = copy.deepcopy(creating)
    ready["status"].update(phase="Running", conditions=[{"type": "Ready", "status": "True"}])
    assert matters(creating, ready)
    relabelled = copy.deepcopy(ready)
    relabelled["metadata"]["labels"] = {"app": "other"}
    assert matters(ready, relabelled)
    restarted = copy.deepcopy(ready)
    restarted["status"]["containerStatuses"][0]["restartCount"] = 1
    assert matters(ready, restarted)
