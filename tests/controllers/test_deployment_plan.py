"""Deployment plan, run together with the ReplicaSet plan and a fake kubelet until quiet."""
from __future__ import annotations

import copy

from controllers.deployment.plan import (
    REVISION,
    plan,
    pod_template_hash,
    resolve_fenceposts,
)
from controllers.replicaset.plan import plan as rs_plan
from controllers.runtime.actions import CreateObject, RequeueAfter, without_requeue
from controllers.runtime.objects import get_condition, is_pod_ready
from tests.controllers.world import World, run_pod

T0 = 1735689600.0


def deployment(replicas=4, image="nginx:1", strategy=None, **spec):
    return {
        "metadata": {"name": "web", "namespace": "default", "uid": "dep-uid", "generation": 1},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "app", "image": image}]}},
            "strategy": strategy or {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            **spec,
        },
    }


class Sim:
    """Deployment + ReplicaSet controllers + a kubelet that makes pods ready (or not)."""

    def __init__(self, d, ready=True):
        self.w = World(T0)
        self.w.put("Deployment", d)
        self.ready = ready
        self.max_total = 0
        self.min_available_seen = None

    def set_template_image(self, image):
        d = self.w.get("Deployment", "web")
        d["spec"]["template"]["spec"]["containers"][0]["image"] = image
        d["metadata"]["generation"] += 1

    def step(self) -> int:
        w = self.w
        changed = w.apply(without_requeue(plan(w.get("Deployment", "web"), w.list("ReplicaSet"), w.list("Pod"), now=w.now)))
        for rs in w.list("ReplicaSet"):
            changed += w.apply(without_requeue(rs_plan(rs, w.list("Pod"), now=w.now)))
        for p in w.list("Pod"):
            if "status" not in p:
                run_pod(p, w.now, ready=self.ready)
        active = [p for p in w.list("Pod")]
        self.max_total = max(self.max_total, len(active))
        return changed

    def converge(self, max_steps=60) -> int:
        for i in range(max_steps):
            if self.step() == 0:
                return i
        raise AssertionError("no convergence:\n" + "\n".join(self.w.log[-20:]))

    def available(self):
        return sum(1 for p in self.w.list("Pod") if is_pod_ready(p))


def test_pod_template_hash_is_stable_and_ignores_its_own_label():
    t = deployment()["spec"]["template"]
    h = pod_template_hash(t)
    assert h == pod_template_hash(copy.deepcopy(t))
    labelled = copy.deepcopy(t)
    labelled["metadata"]["labels"]["pod-template-hash"] = h
    assert pod_template_hash(labelled) == h
    assert pod_template_hash(t, collision_count=1) != h
    assert set(h) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_fenceposts_round_like_kubernetes():
    def fp(replicas, surge, unavailable):
        return resolve_fenceposts(deployment(replicas, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}))
    assert fp(10, "25%", "25%") == (3, 2)  # 2.5 → 3 up, 2.5 → 2 down
    assert fp(4, "25%", "25%") == (1, 1)
    assert fp(3, 0, 0) == (0, 1)
    assert fp(5, 2, "0%") == (2, 0)


def test_fresh_deployment_converges_with_conditions_and_is_idempotent():
    sim = Sim(deployment(3))
    first = plan(sim.w.get("Deployment", "web"), [], now=T0)
    rs_body = next(a for a in first if isinstance(a, CreateObject)).body
    assert rs_body["metadata"]["name"].startswith("web-")
    assert rs_body["metadata"]["annotations"][REVISION] == "1"
    assert rs_body["spec"]["selector"]["matchLabels"]["pod-template-hash"] == rs_body["metadata"]["name"][4:]
    assert rs_body["spec"]["replicas"] == 3
    sim.converge()
    d = sim.w.get("Deployment", "web")
    assert d["status"]["availableReplicas"] == 3 and d["status"]["updatedReplicas"] == 3
    assert get_condition(d, "Available")["reason"] == "MinimumReplicasAvailable"
    assert get_condition(d, "Progressing")["reason"] == "NewReplicaSetAvailable"
    assert d["metadata"]["annotations"][REVISION] == "1"
    assert without_requeue(plan(d, sim.w.list("ReplicaSet"), sim.w.list("Pod"), now=T0)) == []


def test_rolling_update_respects_surge_and_unavailable():
    sim = Sim(deployment(4))
    sim.converge()
    sim.set_template_image("nginx:2")
    sim.max_total = 0
    lowest = 4
    for _ in range(60):
        changed = sim.step()
        lowest = min(lowest, sim.available())
        if not changed:
            break
    assert sim.max_total <= 5  # replicas + maxSurge
    assert lowest >= 3  # replicas − maxUnavailable
    rss = sim.w.list("ReplicaSet")
    by_rev = {rs["metadata"]["annotations"][REVISION]: rs for rs in rss}
    assert by_rev["2"]["spec"]["replicas"] == 4 and by_rev["1"]["spec"]["replicas"] == 0
    assert all(p["spec"]["containers"][0]["image"] == "nginx:2" for p in sim.w.list("Pod"))
    assert sim.w.get("Deployment", "web")["metadata"]["annotations"][REVISION] == "2"


def test_rollback_reuses_the_old_replicaset_with_a_new_revision():
    sim = Sim(deployment(2))
    sim.converge()
    old_name = sim.w.list("ReplicaSet")[0]["metadata"]["name"]
    sim.set_template_image("nginx:2")
    sim.converge()
    sim.set_template_image("nginx:1")
    sim.converge()
    rs = sim.w.get("ReplicaSet", old_name)
    assert rs["spec"]["replicas"] == 2 and rs["metadata"]["annotations"][REVISION] == "3"
    assert len(sim.w.list("ReplicaSet")) == 2


def test_recreate_stops_old_pods_before_starting_new_ones():
    sim = Sim(deployment(3, strategy={"type": "Recreate"}))
    sim.converge()
    sim.set_template_image("nginx:2")
    images_together = set()
    for _ in range(30):
        changed = sim.step()
        images_together.add(frozenset(p["spec"]["containers"][0]["image"] for p in sim.w.list("Pod")))
        if not changed:
            break
    assert frozenset({"nginx:1", "nginx:2"}) not in images_together
    assert {p["spec"]["containers"][0]["image"] for p in sim.w.list("Pod")} == {"nginx:2"}
    assert len(sim.w.list("Pod")) == 3


def test_paused_deployment_does_not_roll_out():
    sim = Sim(deployment(2))
    sim.converge()
    d = sim.w.get("Deployment", "web")
    d["spec"]["paused"] = True
    sim.set_template_image("nginx:2")
    sim.converge()
    assert len(sim.w.list("ReplicaSet")) == 1
    assert get_condition(sim.w.get("Deployment", "web"), "Progressing")["reason"] == "DeploymentPaused"
    sim.w.get("Deployment", "web")["spec"]["paused"] = False
    sim.converge()
    assert len(sim.w.list("ReplicaSet")) == 2
    assert get_condition(sim.w.get("Deployment", "web"), "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_progress_deadline_exceeded_when_pods_never_become_ready():
    sim = Sim(deployment(2, progressDeadlineSeconds=60), ready=False)
    sim.converge()
    d = sim.w.get("Deployment", "web")
    assert get_condition(d, "Available")["reason"] == "MinimumReplicasUnavailable"
    requeue = [a for a in plan(d, sim.w.list("ReplicaSet"), sim.w.list("Pod"), now=sim.w.now) if isinstance(a, RequeueAfter)]
    assert requeue and requeue[0].seconds == 60
    sim.w.now += 60
    sim.converge()
    cond = get_condition(sim.w.get("Deployment", "web"), "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert cond["message"].endswith("has timed out progressing.")


def test_revision_history_limit_cleans_up_old_replicasets():
    sim = Sim(deployment(1, revisionHistoryLimit=1))
    for image in ("nginx:1", "nginx:2", "nginx:3", "nginx:4"):
        sim.set_template_image(image)
        sim.converge()
    revisions = sorted(int(rs["metadata"]["annotations"][REVISION]) for rs in sim.w.list("ReplicaSet"))
    assert revisions == [3, 4]


def test_a_new_replicaset_carries_the_deployments_change_cause_not_its_last_applied():
    d = deployment(2)
    d["metadata"]["annotations"] = {"kubernetes.io/change-cause": "kubectl set image deploy/web app=nginx:2",
                                    "kubectl.kubernetes.io/last-applied-configuration": "{}", REVISION: "7"}
    rs = next(a for a in plan(d, [], now=T0) if isinstance(a, CreateObject)).body
    annotations = rs["metadata"]["annotations"]
    assert annotations["kubernetes.io/change-cause"] == "kubectl set image deploy/web app=nginx:2"
    assert "kubectl.kubernetes.io/last-applied-configuration" not in annotations
    assert annotations[REVISION] == "1"  # the controller's own revision, not the Deployment's copy
