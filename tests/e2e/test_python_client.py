"""End to end with the official ``kubernetes`` Python client against a live server."""
from __future__ import annotations

import json
import threading

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin(live_api_server):
    return config.new_client_from_config(str(live_api_server.kubeconfig("alice", "system:masters")))


@pytest.fixture(scope="module")
def viewer(live_api_server, admin):
    rbac = client.RbacAuthorizationV1Api(admin)
    rbac.create_cluster_role_binding({
        "metadata": {"name": "viewer-view"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "User", "name": "viewer", "apiGroup": "rbac.authorization.k8s.io"}],
    })
    return config.new_client_from_config(str(live_api_server.kubeconfig("viewer")))


def _pod(name: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}


def test_version_is_open_and_unauthenticated_requests_are_refused(live_api_server):
    import requests

    assert requests.get(live_api_server.url + "/version").json()["major"] == "1"
    denied = requests.get(live_api_server.url + "/api/v1/namespaces/default/pods")
    assert denied.status_code == 401
    assert denied.json()["reason"] == "Unauthorized"


def test_pod_crud_with_defaults_and_conflict(admin):
    core = client.CoreV1Api(admin)
    created = core.create_namespaced_pod("default", _pod("crud-1", app="crud"))
    assert created.metadata.uid and created.metadata.resource_version
    assert created.spec.restart_policy == "Always"
    assert created.spec.termination_grace_period_seconds == 30
    assert created.status.phase == "Pending"
    fetched = core.read_namespaced_pod("crud-1", "default")
    assert fetched.metadata.resource_version == created.metadata.resource_version
    with pytest.raises(ApiException) as exists:
        core.create_namespaced_pod("default", _pod("crud-1"))
    assert exists.value.status == 409 and "already exists" in exists.value.body

    fetched.metadata.labels["tier"] = "web"
    updated = core.replace_namespaced_pod("crud-1", "default", fetched)
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    fetched.metadata.labels["tier"] = "stale"
    with pytest.raises(ApiException) as stale:
        core.replace_namespaced_pod("crud-1", "default", fetched)
    assert stale.value.status == 409 and "the object has been modified" in stale.value.body

    listed = core.list_namespaced_pod("default", label_selector="app=crud,tier in (web)")
    assert [p.metadata.name for p in listed.items] == ["crud-1"]
    core.delete_namespaced_pod("crud-1", "default")
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_pod("crud-1", "default")
    assert gone.value.status == 404


def test_generate_name_and_list_pagination(admin):
    core = client.CoreV1Api(admin)
    names = {core.create_namespaced_config_map("default", {"metadata": {"generateName": "page-",
                                                                        "labels": {"set": "page"}}}).metadata.name
             for _ in range(5)}
    assert len(names) == 5 and all(n.startswith("page-") and len(n) == 10 for n in names)
    first = core.list_namespaced_config_map("default", label_selector="set=page", limit=2)
    assert len(first.items) == 2 and first.metadata._continue
    seen = [c.metadata.name for c in first.items]
    token = first.metadata._continue
    while token:
        page = core.list_namespaced_config_map("default", label_selector="set=page", limit=2, _continue=token)
        seen += [c.metadata.name for c in page.items]
        token = page.metadata._continue
    assert sorted(seen) == sorted(names)


def test_deployment_defaults_generation_and_scale(admin):
    apps = client.AppsV1Api(admin)
    deployment = {
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}},
    }
    created = apps.create_namespaced_deployment("default", deployment)
    assert created.metadata.generation == 1
    assert created.spec.strategy.rolling_update.max_surge == "25%"
    assert created.spec.revision_history_limit == 10
    patched = apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"team": "a"}}})
    assert patched.metadata.generation == 1  # metadata is not spec
    scale = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 5}})
    assert scale.spec.replicas == 5
    assert apps.read_namespaced_deployment("web", "default").metadata.generation == 2

    with pytest.raises(ApiException) as invalid:
        apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": -1}})
    assert invalid.value.status == 422
    assert json.loads(invalid.value.body)["message"].startswith('Deployment.apps "web" is invalid: spec.replicas')
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 5  # nothing written


def test_patch_variants(admin):
    core = client.CoreV1Api(admin)
    core.create_namespaced_pod("default", {
        "metadata": {"name": "patchy"},
        "spec": {"containers": [{"name": "a", "image": "busybox:1"}, {"name": "b", "image": "busybox:1"}]}})
    # Strategic merge: containers merge by name, so only b's image changes.
    strategic = core.patch_namespaced_pod("patchy", "default",
                                          {"spec": {"containers": [{"name": "b", "image": "busybox:2"}]}})
    assert [(c.name, c.image) for c in strategic.spec.containers] == [("a", "busybox:1"), ("b", "busybox:2")]
    # JSON patch: the client sends a list as application/json-patch+json.
    json_patched = core.patch_namespaced_pod("patchy", "default", [
        {"op": "add", "path": "/metadata/labels", "value": {"via": "json-patch"}}])
    assert json_patched.metadata.labels == {"via": "json-patch"}
    # Merge patch replaces lists whole.
    merged = core.patch_namespaced_pod("patchy", "default", {"metadata": {"labels": {"via": None, "m": "1"}}},
                                       _content_type="application/merge-patch+json")
    assert merged.metadata.labels == {"m": "1"}


def test_watch_resumes_from_a_resource_version(admin):
    core = client.CoreV1Api(admin)
    start = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "watched"}, "data": {"v": "1"}})
    core.patch_namespaced_config_map("watched", "default", {"data": {"v": "2"}})
    core.delete_namespaced_config_map("watched", "default")
    seen = []
    for event in watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=start,
                                      timeout_seconds=5):
        if event["object"].metadata.name == "watched":
            seen.append((event["type"], (event["object"].data or {}).get("v")))
        if len(seen) == 3:
            break
    assert seen == [("ADDED", "1"), ("MODIFIED", "2"), ("DELETED", "2")]


def test_deletion_with_finalizers_marks_then_removes(admin):
    core = client.CoreV1Api(admin)
    core.create_namespaced_config_map("default", {"metadata": {"name": "held", "finalizers": ["kubeviz.io/hold"]}})
    core.delete_namespaced_config_map("held", "default")
    held = core.read_namespaced_config_map("held", "default")
    assert held.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_config_map("held", "default")
    assert gone.value.status == 404


def test_viewer_is_forbidden_to_delete(admin, viewer):
    client.CoreV1Api(admin).create_namespaced_pod("default", _pod("web-1"))
    core = client.CoreV1Api(viewer)
    assert core.read_namespaced_pod("web-1", "default").metadata.name == "web-1"
    with pytest.raises(ApiException) as forbidden:
        core.delete_namespaced_pod("web-1", "default")
    assert forbidden.value.status == 403
    assert ('pods \\"web-1\\" is forbidden: User \\"viewer\\" cannot delete resource \\"pods\\" in API group '
            '\\"\\" in the namespace \\"default\\"') in forbidden.value.body


def test_custom_resources_through_custom_objects_api(admin):
    ext = client.ApiextensionsV1Api(admin)
    ext.create_custom_resource_definition({
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "subresources": {"status": {}},
                               "schema": {"openAPIV3Schema": {"type": "object",
                                                              "x-kubernetes-preserve-unknown-fields": True}}}]},
    })
    objects = client.CustomObjectsApi(admin)
    widget = objects.create_namespaced_custom_object("example.com", "v1", "default", "widgets", {
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}})
    assert widget["metadata"]["generation"] == 1
    status = objects.patch_namespaced_custom_object_status("example.com", "v1", "default", "widgets", "w1",
                                                           {"status": {"ready": True}})
    assert status["status"] == {"ready": True} and status["spec"] == {"size": 3}
    listed = objects.list_namespaced_custom_object("example.com", "v1", "default", "widgets")
    assert [w["metadata"]["name"] for w in listed["items"]] == ["w1"]


def test_namespace_lifecycle_refuses_missing_namespace(admin):
    with pytest.raises(ApiException) as missing:
        client.CoreV1Api(admin).create_namespaced_config_map("nowhere", {"metadata": {"name": "x"}})
    assert missing.value.status == 404 and 'namespaces \\"nowhere\\" not found' in missing.value.body


def test_concurrent_writers_then_watch_sees_every_revision(admin):
    core = client.CoreV1Api(admin)
    start = int(core.list_namespaced_config_map("default").metadata.resource_version)

    def write(i: int) -> None:
        core.create_namespaced_config_map("default", {"metadata": {"name": f"burst-{i}"}})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    revisions = []
    for event in watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=str(start),
                                      timeout_seconds=5):
        if event["object"].metadata.name.startswith("burst-"):
            revisions.append(int(event["object"].metadata.resource_version))
        if len(revisions) == 20:
            break
    assert revisions == sorted(revisions) and len(set(revisions)) == 20


def test_a_watch_on_a_quiet_resource_is_answered_at_once(live_api_server):
    """The status line and headers come before the first event, as kube-apiserver
    flushes them; a client must not wait for a change to learn its watch began."""
    import socket

    import yaml

    token = yaml.safe_load(live_api_server.kubeconfig("quiet", "system:masters").read_text())["users"][0]["user"][
        "token"]
    host, port = live_api_server.url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET /apis/batch/v1/namespaces/default/jobs?watch=true HTTP/1.1\r\nHost: {host}\r\n"
                     f"Authorization: Bearer {token}\r\n\r\n".encode())
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 200 OK")
