"""``/kubeviz/etcd/{snapshot,snapshots,restore,compact}``: etcd maintenance through the API server —
cluster-admin only (RBAC on nonResourceURLs), etcd's words for etcd's errors, a Status for every
refusal and never a 500."""
from __future__ import annotations

import hashlib
import json

import pytest

from cluster.api.identity import AUTHENTICATED, UserInfo
from cluster.api.server import ApiRequest
from cluster.client import ApiClient, StatusError
from cluster.client.local import LocalTransport
from cluster.client.resources import CLUSTERROLEBINDINGS, CONFIGMAPS
from cluster.store import snapshot

VIEWER = UserInfo("viewer", (AUTHENTICATED,))


@pytest.fixture
def snapshot_dir(settings, tmp_path):
    settings.KUBEVIZ_SNAPSHOT_DIR = str(tmp_path / "snapshots")
    return tmp_path / "snapshots"


def post(api, path: str, body: object = None, user: UserInfo | None = None, method: str = "POST"):
    from cluster.api.identity import MASTERS

    user = user or UserInfo("admin", (MASTERS, AUTHENTICATED))
    data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return api.handle(ApiRequest(method, path, user, {}, data))


def configmap(name: str, value: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}


def test_snapshot_saves_a_file_named_by_time_and_revision_and_describes_it(api, admin_client, snapshot_dir):
    admin_client.create(CONFIGMAPS, configmap("a", "1"), "default")
    revision = api.store.revision()
    response = post(api, "/kubeviz/etcd/snapshot")
    assert response.code == 200, response.body
    body = response.body
    path = snapshot_dir / body["name"]
    assert body["path"] == str(path) and path.is_file()
    assert body["name"].startswith("snapshot-") and body["name"].endswith(f"-rev{revision}.db")
    assert body["revision"] == revision
    assert body["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert body["totalSize"] == path.stat().st_size
    status = snapshot.status(path)  # what etcdctl snapshot status would say
    assert (body["hash"], body["totalKey"]) == (status.hash, status.total_keys)
    assert [p.name for p in snapshot_dir.iterdir()] == [body["name"]]  # no .saving / .part left behind

    listed = post(api, "/kubeviz/etcd/snapshots", method="GET")
    assert listed.code == 200 and [i["name"] for i in listed.body["items"]] == [body["name"]]


def test_a_viewer_is_refused_in_kube_apiservers_words_and_nothing_happens(api, admin_client, snapshot_dir):
    admin_client.create(CONFIGMAPS, configmap("a", "1"), "default")
    before = api.store.status()
    for op in ("snapshot", "restore", "compact"):
        response = post(api, f"/kubeviz/etcd/{op}", {}, user=VIEWER)
        assert response.code == 403, response.body
        assert response.body["kind"] == "Status" and response.body["reason"] == "Forbidden"
        assert response.body["message"] == f'forbidden: User "viewer" cannot post path "/kubeviz/etcd/{op}"'
    assert not snapshot_dir.exists()
    after = api.store.status()
    assert (after.revision, after.compact_revision) == (before.revision, before.compact_revision)


def test_a_cluster_admin_binding_is_enough(api, admin_client, snapshot_dir):
    """Not only system:masters: RBAC decides, so binding cluster-admin grants the path."""
    operator = UserInfo("operator", (AUTHENTICATED,))
    assert post(api, "/kubeviz/etcd/snapshot", user=operator).code == 403
    admin_client.create(CLUSTERROLEBINDINGS, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "op"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "operator"}]})
    assert post(api, "/kubeviz/etcd/snapshot", user=operator).code == 200


def test_restore_brings_back_the_snapshot_and_moves_the_revision_forward_compacted(api, admin_client, snapshot_dir):
    admin_client.create(CONFIGMAPS, configmap("kept", "old"), "default")
    taken = post(api, "/kubeviz/etcd/snapshot").body
    admin_client.patch(CONFIGMAPS, "kept", {"data": {"v": "new"}}, "default")
    admin_client.create(CONFIGMAPS, configmap("later", "x"), "default")
    admin_client.delete(CONFIGMAPS, "kept", "default")
    before = api.store.revision()

    response = post(api, "/kubeviz/etcd/restore")  # the newest snapshot
    assert response.code == 200, response.body
    restored = response.body
    assert restored["name"] == taken["name"] and restored["revision"] == taken["revision"]
    # etcdutl --bump-revision --mark-compacted: forward, never back, and compacted there
    assert restored["restoredRevision"] > before and restored["compactRevision"] == restored["restoredRevision"]
    assert api.store.revision() == restored["restoredRevision"]
    assert admin_client.get(CONFIGMAPS, "kept", "default")["data"] == {"v": "old"}
    with pytest.raises(StatusError) as gone:
        admin_client.get(CONFIGMAPS, "later", "default")
    assert gone.value.code == 404
    # the cluster carries on: a write after the restore lands above the new revision
    again = admin_client.create(CONFIGMAPS, configmap("after", "y"), "default")
    assert int(again["metadata"]["resourceVersion"]) == restored["restoredRevision"] + 1


def test_restore_by_name_and_the_refusals(api, admin_client, snapshot_dir):
    assert post(api, "/kubeviz/etcd/restore").body["message"].startswith("no snapshot in ")  # none yet
    assert post(api, "/kubeviz/etcd/restore").code == 404
    admin_client.create(CONFIGMAPS, configmap("a", "1"), "default")
    first = post(api, "/kubeviz/etcd/snapshot").body
    admin_client.patch(CONFIGMAPS, "a", {"data": {"v": "2"}}, "default")
    post(api, "/kubeviz/etcd/snapshot")
    assert post(api, "/kubeviz/etcd/restore", {"name": first["name"]}).code == 200
    assert admin_client.get(CONFIGMAPS, "a", "default")["data"] == {"v": "1"}  # the named one, not the newest

    revision = api.store.revision()
    cases = [
        ({"name": "../../etc/passwd"}, 400, 'invalid snapshot name "../../etc/passwd"'),
        ({"name": 7}, 400, "name must be a string, not 7"),
        ({"name": "nope.db"}, 404, f"stat {snapshot_dir / 'nope.db'}: no such file or directory"),
        (b"{not json", 400, "the request body is not valid JSON"),
        (b"[1]", 400, "the request body must be a JSON object, not list"),
    ]
    for body, code, message in cases:
        response = post(api, "/kubeviz/etcd/restore", body)
        assert response.code == code and response.body["kind"] == "Status", (body, response.body)
        assert response.body["message"].startswith(message), (body, response.body)
    (snapshot_dir / "broken.db").write_bytes(b"KVZSNAP\0 not really")
    broken = post(api, "/kubeviz/etcd/restore", {"name": "broken.db"})
    assert broken.code == 400 and broken.body["message"].startswith(f"invalid snapshot {snapshot_dir / 'broken.db'}")
    assert api.store.revision() == revision  # nothing refused changed anything
    assert admin_client.get(CONFIGMAPS, "a", "default")["data"] == {"v": "1"}


def test_compact_in_etcds_words(api, admin_client, snapshot_dir):
    admin_client.create(CONFIGMAPS, configmap("a", "1"), "default")
    middle = api.store.revision()
    admin_client.patch(CONFIGMAPS, "a", {"data": {"v": "2"}}, "default")
    current = api.store.revision()

    response = post(api, "/kubeviz/etcd/compact", {"revision": middle})
    assert response.code == 200 and response.body == {"revision": current, "compactRevision": middle}
    assert api.store.status().compact_revision == middle
    again = post(api, "/kubeviz/etcd/compact", {"revision": middle})
    assert again.code == 400 and again.body["message"] == "etcdserver: mvcc: required revision has been compacted"
    future = post(api, "/kubeviz/etcd/compact", {"revision": current + 5})
    assert future.code == 400
    assert future.body["message"] == "etcdserver: mvcc: required revision is a future revision"
    for bad in ({"revision": "two"}, {"revision": -1}, {"revision": 1.5}, {"revision": True}):
        response = post(api, "/kubeviz/etcd/compact", bad)
        assert response.code == 400 and response.body["message"].startswith("revision must be a revision number")
    assert api.store.status().compact_revision == middle

    assert post(api, "/kubeviz/etcd/compact").body == {"revision": current, "compactRevision": current}  # default: now
    with pytest.raises(StatusError) as old:  # a watch from below it is 410, as from etcd through kube-apiserver
        admin_client.watch(CONFIGMAPS, "default", resource_version=str(middle - 1))
    assert old.value.code == 410


def test_unknown_operations_and_methods(api, snapshot_dir):
    assert post(api, "/kubeviz/etcd/defrag").code == 404
    assert post(api, "/kubeviz/etcd/snapshot", method="GET").code == 405
    assert post(api, "/kubeviz/etcd/snapshots").code == 405
    assert post(api, "/kubeviz/etcd/defrag", user=VIEWER).code == 403  # authorisation first, as kube-apiserver


def test_over_http_with_a_bearer_token(api, client, snapshot_dir):
    """The Django route reaches the endpoint, authenticated like any API request."""
    from cluster.api import service
    from cluster.api.authn import issue_token

    previous, service._server = service._server, api
    try:
        token = issue_token("admin", ["system:masters"])
        response = client.post("/kubeviz/etcd/snapshot", "{}", "application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200 and response.json()["name"].endswith(".db"), response.content
        viewer = issue_token("viewer")
        refused = client.post("/kubeviz/etcd/snapshot", "{}", "application/json",
                              HTTP_AUTHORIZATION=f"Bearer {viewer}")
        assert refused.status_code == 403
        assert refused.json()["message"] == 'forbidden: User "viewer" cannot post path "/kubeviz/etcd/snapshot"'
    finally:
        service._server = previous


def test_the_client_reaches_it_through_the_transport(admin_client, snapshot_dir):
    viewer = ApiClient(LocalTransport(admin_client.transport.server, VIEWER))
    with pytest.raises(StatusError) as refused:
        viewer.transport.request("POST", "/kubeviz/etcd/compact", None, {})
    assert refused.value.code == 403
    assert admin_client.transport.request("POST", "/kubeviz/etcd/snapshot", None, {})["revision"] > 0
