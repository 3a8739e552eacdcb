"""Controllers through the real API server in process: convergence, cascading deletion, jobs, crashes."""
from __future__ import annotations

from cluster.client import StatusError
from cluster.client import resources as r
from controllers import scenarios
from tests.controllers.plane_fixtures import deployment, make_plane, running


def _names(client, resource, namespace="default"):
    return sorted(o["metadata"]["name"] for o in client.list(resource, namespace)["items"])


def test_scale_and_rolling_update_converge(api, admin_client):
    plane = make_plane(api)
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=3), "default")
    plane.run_for(8)
    assert len(running(admin_client)) == 3
    d = admin_client.get(r.DEPLOYMENTS, "web", "default")
    d["spec"]["replicas"] = 5
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    admin_client.update(r.DEPLOYMENTS, d)
    plane.run_for(30)
    up = running(admin_client)
    assert len(up) == 5
    assert {p["spec"]["containers"][0]["image"] for p in up} == {"nginx:1.28"}
    status = admin_client.get(r.DEPLOYMENTS, "web", "default")["status"]
    assert status["updatedReplicas"] == status["availableReplicas"] == 5
    rs = admin_client.list(r.REPLICASETS, "default")["items"]
    assert sorted(x["spec"]["replicas"] for x in rs) == [0, 5]


def test_service_endpoints_follow_ready_pods(api, admin_client):
    plane = make_plane(api)
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=2), "default")
    admin_client.create(r.SERVICES, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                                     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]}},
                        "default")
    plane.run_for(8)
    ep = admin_client.get(r.ENDPOINTS, "web", "default")
    assert len(ep["subsets"][0]["addresses"]) == 2
    assert ep["subsets"][0]["ports"][0]["port"] == 80


def test_deleting_a_deployment_cascades_in_the_background(api, admin_client):
    plane = make_plane(api)
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=2), "default")
    plane.run_for(6)
    admin_client.delete(r.DEPLOYMENTS, "web", "default")
    plane.run_for(6)
    assert _names(admin_client, r.REPLICASETS) == []
    assert _names(admin_client, r.PODS) == []


def test_orphan_deletion_keeps_the_replicaset(api, admin_client):
    plane = make_plane(api)
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=1), "default")
    plane.run_for(5)
    admin_client.delete(r.DEPLOYMENTS, "web", "default", propagation_policy="Orphan")
    plane.run_for(3)
    assert _names(admin_client, r.DEPLOYMENTS) == []
    rs = admin_client.list(r.REPLICASETS, "default")["items"]
    assert len(rs) == 1 and not rs[0]["metadata"].get("ownerReferences")


def test_foreground_deletion_removes_dependents_first(api, admin_client):
    plane = make_plane(api)
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=1), "default")
    plane.run_for(5)
    admin_client.delete(r.DEPLOYMENTS, "web", "default", propagation_policy="Foreground")
    plane.run_for(8)
    assert _names(admin_client, r.DEPLOYMENTS) == []
    assert _names(admin_client, r.REPLICASETS) == []
    assert _names(admin_client, r.PODS) == []


def test_namespace_deletion_empties_then_finalizes(api, admin_client):
    plane = make_plane(api)
    admin_client.create(r.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    body = deployment(replicas=2)
    body["metadata"]["namespace"] = "team"
    admin_client.create(r.DEPLOYMENTS, body, "team")
    plane.run_for(6)
    assert len(admin_client.list(r.PODS, "team")["items"]) == 2
    admin_client.delete(r.NAMESPACES, "team")
    plane.run_for(10)
    try:
        admin_client.get(r.NAMESPACES, "team")
        gone = False
    except StatusError as error:
        gone = error.not_found
    assert gone


def test_job_runs_to_completion(api, admin_client):
    plane = make_plane(api)
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
           "spec": {"completions": 2, "parallelism": 1, "backoffLimit": 2,
                    "template": {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "pi", "image": "busybox", "command": ["sleep", "3"]}]}}}}
    admin_client.create(r.JOBS, job, "default")
    plane.run_for(20)
    status = admin_client.get(r.JOBS, "pi", "default")["status"]
    assert status.get("succeeded") == 2
    assert any(c["type"] == "Complete" and c["status"] == "True" for c in status.get("conditions", []))


def test_crash_pod_restarts_with_backoff_and_logs(api, admin_client):
    plane = make_plane(api)
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=1), "default")
    plane.run_for(6)
    pod = running(admin_client)[0]
    ns, name = "default", pod["metadata"]["name"]
    scenarios.crash_pod(admin_client, ns, name)
    plane.run_for(1)
    pod = admin_client.get(r.PODS, name, ns)
    state = pod["status"]["containerStatuses"][0]
    assert state["restartCount"] == 1
    assert state["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert "BackOff" in {e["reason"] for e in admin_client.list(r.EVENTS, ns)["items"]}
    plane.run_for(6)
    assert admin_client.get(r.PODS, name, ns)["status"]["containerStatuses"][0]["state"].get("running")
    logs = admin_client.transport.request("GET", r.PODS.path(ns, name, "log"))
    assert "starting nginx:1.27" in logs


def test_partitioned_node_goes_unknown_and_heals(api, admin_client):
    plane = make_plane(api, nodes=0)
    for _ in range(2):
        scenarios.add_node(admin_client)
    plane.run_for(2)
    scenarios.partition_node(admin_client, "node-1")
    plane.run_for(8)
    ready = [c for c in admin_client.get(r.NODES, "node-1")["status"]["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "Unknown"
    scenarios.heal_node(admin_client, "node-1")
    plane.run_for(3)
    ready = [c for c in admin_client.get(r.NODES, "node-1")["status"]["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "True"
    assert not admin_client.get(r.NODES, "node-1")["spec"].get("taints")


def test_events_aggregate_repeats(api, admin_client):
    from controllers.clock import SimClock
    from controllers.runtime.events import EventRecorder

    clock = SimClock()
    recorder = EventRecorder(admin_client, "test-controller", clock)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "uid": "u"}}
    recorder.warning(pod, "BackOff", "Back-off restarting failed container")
    clock.advance(5)
    recorder.warning(pod, "BackOff", "Back-off restarting failed container")
    events = admin_client.list(r.EVENTS, "default")["items"]
    assert len(events) == 1
    assert events[0]["count"] == 2
    assert events[0]["source"] == {"component": "test-controller"}
    assert events[0]["involvedObject"]["name"] == "p"
    assert events[0]["firstTimestamp"] != events[0]["lastTimestamp"]


def test_add_slow_and_remove_node(api, admin_client):
    plane = make_plane(api, nodes=0)
    scenarios.add_node(admin_client)
    name = scenarios.add_node(admin_client, cpu="2", memory="4Gi", labels={"disk": "ssd"},
                              taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    plane.run_for(2)
    node = admin_client.get(r.NODES, name)
    assert node["status"]["capacity"]["cpu"] == "2" and node["metadata"]["labels"]["disk"] == "ssd"
    assert node["spec"]["taints"] == [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    assert node["spec"]["podCIDR"] == "10.244.2.0/24"
    scenarios.slow_node(admin_client, name)
    plane.run_for(20)  # heartbeats late, but within the grace period
    ready = [c for c in admin_client.get(r.NODES, name)["status"]["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "True"
    scenarios.remove_node(admin_client, name)
    plane.run_for(2)
    assert _names(admin_client, r.NODES, "") == ["node-1"]
    assert name not in plane.kubelets.kubelets


def test_the_kubelet_pool_grows_its_workers_with_its_nodes(api, admin_client):
    import threading

    from controllers.kubelet import pool as kp

    plane = make_plane(api, nodes=0)
    pool = plane.kubelets
    stopped = threading.Event()
    stopped.set()  # workers that exit at once: this test counts them, nothing runs
    pool._stop = stopped  # what run() records before it starts them
    pool._scale_workers()
    assert len(pool._workers) == kp.MIN_WORKERS
    plane.add_nodes(kp.NODES_PER_WORKER * (kp.MIN_WORKERS + 2))
    assert len(pool._workers) == kp.MIN_WORKERS + 2  # started as the kubelets joined
    for thread in pool._workers:
        thread.join(5)
        assert not thread.is_alive()
