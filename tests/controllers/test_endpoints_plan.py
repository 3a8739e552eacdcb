"""Endpoints plan: ready / not-ready addresses, named ports, idempotence, deletion."""
from __future__ import annotations

from controllers.endpoints.plan import plan
from controllers.runtime.actions import CreateObject, DeleteObject, UpdateObject
from tests.controllers.world import World, run_pod

T0 = 1735689600.0


def service(selector=None, **spec):
    return {"metadata": {"name": "web", "namespace": "default", "labels": {"team": "a"}},
            "spec": {"selector": {"app": "web"} if selector is None else selector,
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}], **spec}}


def web_pod(name, ip, ready=True, node="node-1", port=8080, labels=None):
    p = {"metadata": {"name": name, "labels": labels or {"app": "web"}},
         "spec": {"containers": [{"name": "app", "ports": [{"name": "http", "containerPort": port}]}]}}
    return run_pod(p, T0, node=node, ready=ready, ip=ip)


def converge(w, svc="web"):
    for i in range(5):
        actions = plan(w.get("Service", svc), w.list("Pod"), w.get("Endpoints", svc))
        if not actions:
            return i
        w.apply(actions)
    raise AssertionError("no convergence")


def test_ready_and_not_ready_addresses_with_resolved_named_port():
    w = World(T0)
    w.put("Service", service())
    w.put("Pod", web_pod("b", "10.0.0.2"))
    w.put("Pod", web_pod("a", "10.0.0.1"))
    w.put("Pod", web_pod("c", "10.0.0.3", ready=False))
    w.put("Pod", web_pod("other", "10.0.0.9", labels={"app": "db"}))
    w.put("Pod", {"metadata": {"name": "no-ip", "labels": {"app": "web"}}, "spec": {}})
    actions = plan(w.get("Service", "web"), w.list("Pod"), None)
    assert isinstance(actions[0], CreateObject)
    assert converge(w) == 1
    ep = w.get("Endpoints", "web")
    assert ep["metadata"]["labels"] == {"team": "a"}
    (subset,) = ep["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.0.0.1", "10.0.0.2"]
    assert subset["addresses"][0]["nodeName"] == "node-1"
    assert subset["addresses"][0]["targetRef"] == {"kind": "Pod", "namespace": "default", "name": "a", "uid": "uid-pod-a"}
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.0.0.3"]
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "name": "http"}]


def test_pod_becoming_ready_moves_address_then_idle():
    w = World(T0)
    w.put("Service", service())
    w.put("Pod", web_pod("a", "10.0.0.1", ready=False))
    converge(w)
    w.get("Pod", "a")["status"]["conditions"][0]["status"] = "True"
    actions = plan(w.get("Service", "web"), w.list("Pod"), w.get("Endpoints", "web"))
    assert isinstance(actions[0], UpdateObject)
    converge(w)
    assert w.get("Endpoints", "web")["subsets"][0]["addresses"][0]["ip"] == "10.0.0.1"
    assert plan(w.get("Service", "web"), w.list("Pod"), w.get("Endpoints", "web")) == []


def test_pods_with_different_ports_get_different_subsets_and_terminating_pods_leave():
    w = World(T0)
    w.put("Service", service())
    w.put("Pod", web_pod("a", "10.0.0.1", port=8080))
    w.put("Pod", web_pod("b", "10.0.0.2", port=9090))
    gone = web_pod("c", "10.0.0.3")
    gone["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    w.put("Pod", gone)
    converge(w)
    assert sorted(s["ports"][0]["port"] for s in w.get("Endpoints", "web")["subsets"]) == [8080, 9090]
    assert "10.0.0.3" not in str(w.get("Endpoints", "web"))


def test_publish_not_ready_selectorless_and_deleted_service():
    w = World(T0)
    w.put("Service", service(publishNotReadyAddresses=True))
    w.put("Pod", web_pod("a", "10.0.0.1", ready=False))
    converge(w)
    assert w.get("Endpoints", "web")["subsets"][0]["addresses"][0]["ip"] == "10.0.0.1"
    assert plan(service(selector={}), w.list("Pod"), None) == []
    actions = plan(None, [], w.get("Endpoints", "web"))
    assert isinstance(actions[0], DeleteObject)
    w.apply(actions)
    assert w.get("Endpoints", "web") is None
