"""The custom ML controller: a TrainingJob survives losing a worker (resumes from its checkpoint)."""
from __future__ import annotations

from cluster.client import resources as r
from controllers.training.plan import plan
from tests.controllers.plane_fixtures import make_plane

TOLERATE_10S = [{"key": k, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}
                for k in ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")]


def _tj(epochs: int = 10) -> dict:
    return {"apiVersion": "kubeviz.io/v1alpha1", "kind": "TrainingJob", "metadata": {"name": "mnist"},
            "spec": {"workers": 2, "epochs": epochs, "secondsPerEpoch": 2, "checkpointEvery": 2,
                     "resources": {"cpu": "500m", "memory": "256Mi"}}}


def test_plan_creates_the_gang_first():
    tj = {**_tj(), "metadata": {"name": "mnist", "namespace": "default", "uid": "u"}}
    actions = plan(tj, [], now=0.0)
    assert [a.describe() for a in actions][:2] == ["create Pod default/mnist-worker-0-*", "create Pod default/mnist-worker-1-*"]


def test_trainingjob_survives_losing_a_worker(api, admin_client):
    plane = make_plane(api)
    admin_client.create(r.TRAININGJOBS, _tj(), "default")
    plane.run_for(9)
    status = admin_client.get(r.TRAININGJOBS, "mnist", "default")["status"]
    assert status["phase"] == "Running" and status["epoch"] >= 2
    # Kill the node of worker 0.
    worker = admin_client.list(r.PODS, "default", label_selector="kubeviz.io/worker-index=0")["items"][0]
    node = worker["spec"]["nodeName"]
    plane.kubelets.kubelets[node].stop()
    plane.run_for(8)  # lease grace: the node goes Unknown, its pods not Ready
    status = admin_client.get(r.TRAININGJOBS, "mnist", "default")["status"]
    assert status["phase"] == "Restarting"
    assert status["restarts"] == 1
    assert status["epoch"] == status["lastCheckpointEpoch"]
    checkpoint = status["lastCheckpointEpoch"]
    # Default tolerations are 300 s: wait them out; the worker is evicted and recreated on
    # another node (a fresh name: the old one stays Terminating on the dead machine), training resumes.
    plane.run_for(300, step=2.0)
    plane.run_for(30, step=1.0)
    status = admin_client.get(r.TRAININGJOBS, "mnist", "default")["status"]
    assert status["phase"] == "Succeeded", status
    assert status["epoch"] == 10 and status["restarts"] == 1 and checkpoint >= 2
    reasons = {e["reason"] for e in admin_client.list(r.EVENTS, "default")["items"]}
    assert {"WorkerLost", "TrainingStarted", "Checkpoint", "TrainingSucceeded"} <= reasons
