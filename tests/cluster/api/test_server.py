"""The API server's pipeline in process: admission, storage rules, errors."""
from __future__ import annotations

import json

import pytest

from cluster.api.identity import AUTHENTICATED, UserInfo
from cluster.api.server import ApiRequest
from cluster.client import StatusError
from cluster.client.resources import CONFIGMAPS, DEPLOYMENTS, NAMESPACES, NODES, PODS


def _deployment(name: str = "web", replicas: int = 2) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def test_no_op_update_writes_nothing(api, admin_client):
    created = admin_client.create(CONFIGMAPS, {"metadata": {"name": "c"}, "data": {"a": "1"}}, "default")
    before = api.store.revision()
    again = admin_client.update(CONFIGMAPS, created)
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert api.store.revision() == before


def test_generation_counts_spec_changes_only(admin_client):
    created = admin_client.create(DEPLOYMENTS, _deployment(), "default")
    assert created["metadata"]["generation"] == 1
    labelled = admin_client.patch(DEPLOYMENTS, "web", {"metadata": {"labels": {"a": "b"}}}, "default")
    assert labelled["metadata"]["generation"] == 1
    scaled = admin_client.patch(DEPLOYMENTS, "web", {"spec": {"replicas": 3}}, "default")
    assert scaled["metadata"]["generation"] == 2


def test_status_subresource_separates_spec_and_status(admin_client):
    created = admin_client.create(DEPLOYMENTS, _deployment(), "default")
    created["status"] = {"replicas": 99}
    created["spec"]["replicas"] = 4
    updated = admin_client.update(DEPLOYMENTS, created)
    assert updated["spec"]["replicas"] == 4 and updated["status"].get("replicas") is None
    updated["status"] = {"replicas": 4, "observedGeneration": 2}
    updated["spec"]["replicas"] = 7
    status = admin_client.update_status(DEPLOYMENTS, updated)
    assert status["status"]["replicas"] == 4 and status["spec"]["replicas"] == 4


def test_invalid_object_is_422_with_causes_and_nothing_written(api, admin_client):
    before = api.store.revision()
    bad = _deployment("Bad_Name")
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(StatusError) as error:
        admin_client.create(DEPLOYMENTS, bad, "default")
    assert error.value.code == 422 and error.value.reason == "Invalid"
    fields = {c["field"] for c in error.value.status["details"]["causes"]}
    assert {"metadata.name", "spec.template.metadata.labels"} <= fields
    assert api.store.revision() == before


def test_binding_sets_node_once(admin_client):
    admin_client.create(PODS, {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
                        "default")
    admin_client.bind("default", "p", "node-1")
    pod = admin_client.get(PODS, "p", "default")
    assert pod["spec"]["nodeName"] == "node-1"
    assert any(c["type"] == "PodScheduled" and c["status"] == "True" for c in pod["status"]["conditions"])
    with pytest.raises(StatusError) as error:
        admin_client.bind("default", "p", "node-2")
    assert error.value.code == 409 and 'already assigned to node "node-1"' in str(error.value)


def test_bound_pod_deletion_waits_for_grace_period(admin_client):
    admin_client.create(PODS, {"metadata": {"name": "g"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
                        "default")
    admin_client.bind("default", "g", "node-1")
    admin_client.delete(PODS, "g", "default")
    marked = admin_client.get(PODS, "g", "default")
    assert marked["metadata"]["deletionTimestamp"] and marked["metadata"]["deletionGracePeriodSeconds"] == 30
    admin_client.delete(PODS, "g", "default", grace_period_seconds=0)  # what the kubelet does when stopped
    with pytest.raises(StatusError) as error:
        admin_client.get(PODS, "g", "default")
    assert error.value.not_found


def test_namespace_deletion_is_terminating_until_finalized(api, admin_client):
    admin_client.create(NAMESPACES, {"metadata": {"name": "team"}})
    admin_client.delete(NAMESPACES, "team")
    ns = admin_client.get(NAMESPACES, "team")
    assert ns["status"]["phase"] == "Terminating"
    with pytest.raises(StatusError) as refused:
        admin_client.create(CONFIGMAPS, {"metadata": {"name": "late"}}, "team")
    assert refused.value.code == 403 and "being terminated" in str(refused.value)
    ns["spec"]["finalizers"] = []
    admin_client.update(NAMESPACES, ns, "finalize")
    with pytest.raises(StatusError) as gone:
        admin_client.get(NAMESPACES, "team")
    assert gone.value.not_found


def test_node_may_change_only_itself(api, admin_client):
    from cluster.client import ApiClient
    from cluster.client.local import LocalTransport

    for name in ("n1", "n2"):
        admin_client.create(NODES, {"metadata": {"name": name}})
    node = ApiClient(LocalTransport(api, UserInfo("system:node:n1", ("system:nodes", AUTHENTICATED))))
    node.patch(NODES, "n1", {"metadata": {"labels": {"ok": "yes"}}})
    with pytest.raises(StatusError) as error:
        node.patch(NODES, "n2", {"metadata": {"labels": {"ok": "no"}}})
    assert error.value.code == 403


@pytest.mark.parametrize("body,content_type,code", [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'{"kind": "Pod", "apiVersion": "apps/v1", "metadata": {"name": "x"}}', "application/json", 400),
    (b"x" * (3 * 1024 * 1024 + 1), "application/json", 413),
    (b"<xml/>", "application/xml", 415),
])
def test_bad_bodies_are_statuses_and_change_nothing(api, body, content_type, code):
    before = api.store.revision()
    response = api.handle(ApiRequest("POST", "/api/v1/namespaces/default/configmaps",
                                     UserInfo("admin", ("system:masters",)), body=body, content_type=content_type))
    assert response.code == code and response.body["kind"] == "Status"
    assert api.store.revision() == before


def test_watch_gone_when_compacted(api, admin_client):
    admin_client.create(CONFIGMAPS, {"metadata": {"name": "a"}}, "default")
    admin_client.patch(CONFIGMAPS, "a", {"data": {"x": "1"}}, "default")
    old = api.store.revision() - 1
    api.store.compact(api.store.revision())
    response = api.handle(ApiRequest("GET", "/api/v1/namespaces/default/configmaps", UserInfo("admin",
                                     ("system:masters",)), query={"watch": "true", "resourceVersion": str(old - 1)}))
    assert response.code == 410 and response.body["reason"] == "Expired"


def test_discovery_lists_short_names_and_subresources(api):
    response = api.handle(ApiRequest("GET", "/api/v1", UserInfo("someone", (AUTHENTICATED,))))
    names = {r["name"]: r for r in response.body["resources"]}
    assert names["pods"]["shortNames"] == ["po"] and "pods/binding" in names
    apps = api.handle(ApiRequest("GET", "/apis/apps/v1", UserInfo("someone", (AUTHENTICATED,))))
    assert {"deployments", "deployments/scale", "replicasets"} <= {r["name"] for r in apps.body["resources"]}
    assert json.dumps(response.body)


def test_a_node_registers_itself_but_no_other_node(api):
    from cluster.client import ApiClient
    from cluster.client.local import LocalTransport
    from cluster.client.resources import LEASES

    node = ApiClient(LocalTransport(api, UserInfo("system:node:n7", ("system:nodes", AUTHENTICATED))))
    assert node.create(NODES, {"metadata": {"name": "n7"}})["metadata"]["name"] == "n7"
    node.create(LEASES, {"metadata": {"name": "n7"}, "spec": {"holderIdentity": "n7"}}, "kube-node-lease")
    with pytest.raises(StatusError) as other_node:
        node.create(NODES, {"metadata": {"name": "n8"}})
    assert other_node.value.code == 403 and 'node "system:node:n7"' not in str(other_node.value)
    assert 'is not allowed to modify node "n8"' in str(other_node.value)
    with pytest.raises(StatusError) as other_lease:
        node.create(LEASES, {"metadata": {"name": "n8"}}, "kube-node-lease")
    assert other_lease.value.code == 403


def test_a_limited_list_says_how_many_items_remain_unless_selectors_make_that_inexact(admin_client):
    for i in range(5):
        admin_client.create(CONFIGMAPS, {"metadata": {"name": f"c{i}", "labels": {"n": str(i)}}}, "default")
    first = admin_client.list(CONFIGMAPS, "default", limit=2)
    assert [c["metadata"]["name"] for c in first["items"]] == ["c0", "c1"]
    assert first["metadata"]["remainingItemCount"] == 3
    path = CONFIGMAPS.path("default")
    second = admin_client.transport.request("GET", path, {"limit": "2", "continue": first["metadata"]["continue"]})
    assert [c["metadata"]["name"] for c in second["items"]] == ["c2", "c3"]
    assert second["metadata"]["remainingItemCount"] == 1
    last = admin_client.transport.request("GET", path, {"limit": "2", "continue": second["metadata"]["continue"]})
    assert "remainingItemCount" not in last["metadata"] and "continue" not in last["metadata"]
    selected = admin_client.list(CONFIGMAPS, "default", label_selector="n", limit=2)
    assert "continue" in selected["metadata"] and "remainingItemCount" not in selected["metadata"]
