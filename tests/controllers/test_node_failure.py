"""The node-failure story, end to end and deterministic (simulated clock, no sleeps).

Three nodes, a Deployment of six → six Running; kill one node → its Lease is
not renewed → Ready Unknown → unreachable taints → evictions once the
toleration runs out → six Running on the other two; revive → Ready, untainted.
"""
from __future__ import annotations

from cluster.client import resources as r
from controllers import scenarios
from controllers.clock import DEMO
from controllers.runtime.objects import get_condition
from tests.controllers.plane_fixtures import deployment, make_plane, node_of, running

UNREACHABLE = "node.kubernetes.io/unreachable"


def _ready(client, name: str) -> str | None:
    c = get_condition(client.get(r.NODES, name), "Ready")
    return c.get("status") if c else None


def _taints(client, name: str) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in client.get(r.NODES, name).get("spec", {}).get("taints") or []}


def _reasons(client, namespace: str = "default") -> set[str]:
    return {e["reason"] for e in client.list(r.EVENTS, namespace)["items"]}


def test_kill_node_evicts_and_reschedules_then_revive(api, admin_client):
    plane = make_plane(api)
    tolerations = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10},
                   {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                    "tolerationSeconds": 10}]
    admin_client.create(r.DEPLOYMENTS, deployment(tolerations=tolerations), "default")
    plane.run_for(10)
    up = running(admin_client)
    assert len(up) == 6
    assert {node_of(p) for p in up} == {"node-1", "node-2", "node-3"}  # spread by the scheduler
    victim = node_of(up[0])
    on_victim = {p["metadata"]["name"] for p in up if node_of(p) == victim}

    plane.kubelets.kubelets[victim].stop()  # the machine dies (scenarios.kill_node does it through the API)
    plane.run_for(DEMO.node_monitor_grace_period + 1)
    assert _ready(admin_client, victim) == "Unknown"
    assert (UNREACHABLE, "NoExecute") in _taints(admin_client, victim)
    assert (UNREACHABLE, "NoSchedule") in _taints(admin_client, victim)
    # Not yet evicted: the pods tolerate the taint for 10 s; they are no longer Ready.
    assert len(running(admin_client)) == 6 - len(on_victim)

    plane.run_for(12)
    up = running(admin_client)
    assert len(up) == 6
    assert victim not in {node_of(p) for p in up}
    evicted = {p["metadata"]["name"]: p for p in admin_client.list(r.PODS, "default")["items"]
               if p["metadata"]["name"] in on_victim}
    assert all(p["metadata"].get("deletionTimestamp") for p in evicted.values())  # Terminating on the dead node
    reasons = _reasons(admin_client)
    assert {"NodeNotReady", "TaintManagerEviction", "SuccessfulCreate", "Scheduled", "ScalingReplicaSet"} <= reasons

    plane.kubelets.kubelets[victim].start()  # revive
    plane.run_for(5)
    assert _ready(admin_client, victim) == "True"
    assert not _taints(admin_client, victim)
    names = {p["metadata"]["name"] for p in admin_client.list(r.PODS, "default")["items"]}
    assert not (names & on_victim)  # the revived kubelet finished the evicted pods' deletion
    assert len(running(admin_client)) == 6


def test_kill_node_through_the_scenario_configmap(api, admin_client):
    plane = make_plane(api, nodes=0)
    for _ in range(3):
        scenarios.add_node(admin_client)
    plane.sync()
    assert sorted(n["metadata"]["name"] for n in admin_client.list(r.NODES)["items"]) == ["node-1", "node-2", "node-3"]
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=3), "default")
    plane.run_for(8)
    scenarios.kill_node(admin_client, "node-2")
    plane.run_for(DEMO.node_monitor_grace_period + 1)
    assert _ready(admin_client, "node-2") == "Unknown"
    scenarios.revive_node(admin_client, "node-2")
    plane.run_for(4)
    assert _ready(admin_client, "node-2") == "True"
    assert not _taints(admin_client, "node-2")


def test_converged_cluster_reconciles_to_no_actions(api, admin_client):
    plane = make_plane(api)
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=4), "default")
    plane.run_for(10)
    assert len(running(admin_client)) == 4
    before = len(plane.traces.recent(100000))
    revision = admin_client.list(r.PODS, "default")["metadata"]["resourceVersion"]
    # Every controller looks at every key again: nothing to do, nothing written.
    for name, informer in plane.manager.informers.items():
        for obj in informer.list():
            for controller in plane.manager.controllers.values():
                controller.enqueue(f"{name}:{obj['metadata']['name']}" if controller.name == "garbagecollector"
                                   else "/".join(filter(None, (obj["metadata"].get("namespace"), obj["metadata"]["name"]))))
    plane.sync()
    acted = [t for t in plane.traces.recent(100000)[before:] if t.actions]
    assert acted == []
    assert admin_client.list(r.PODS, "default")["metadata"]["resourceVersion"] == revision


def test_failed_scheduling_event_names_the_taint_as_issue_4_quotes(api, admin_client):
    plane = make_plane(api)
    plane.kubelets.kubelets["node-1"].stop()
    plane.run_for(DEMO.node_monitor_grace_period + 1)  # node-1: Unknown, tainted unreachable
    big = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big", "namespace": "default"},
           "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": "64"}}}]}}
    admin_client.create(r.PODS, big, "default")
    plane.run_for(1)
    [event] = [e for e in admin_client.list(r.EVENTS, "default")["items"] if e["reason"] == "FailedScheduling"]
    assert event["type"] == "Warning" and event["involvedObject"]["name"] == "big"
    assert event["message"].startswith(
        "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, "
        "2 Insufficient cpu. preemption: ")


def test_a_ready_nodes_lease_renewals_do_not_each_cost_a_reconcile(api, admin_client):
    plane = make_plane(api)
    nlc = plane.manager.controllers["nodelifecycle"]
    reconciled: list[str] = []
    reconcile = nlc.reconcile
    nlc.reconcile = lambda key, trace: reconciled.append(key) or reconcile(key, trace)
    plane.run_for(DEMO.node_lease_renew_interval * 4)  # every node renews four times
    renewals_per_node = 4
    # Only the grace-period timers come back to each node (and never more often than renewals).
    assert 0 < reconciled.count("node-1") < renewals_per_node
    # A silent node is still noticed at the end of its grace period, and its renewal after
    # revival is seen at once (it is no longer Ready, so renewals count again).
    plane.kubelets.kubelets["node-1"].stop()
    plane.run_for(DEMO.node_monitor_grace_period + 1)
    assert _ready(admin_client, "node-1") == "Unknown"
    plane.kubelets.kubelets["node-1"].start()
    plane.run_for(1)
    assert _ready(admin_client, "node-1") == "True"
