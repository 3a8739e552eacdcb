"""etcd snapshot → change → restore, with the control plane running (simulated clock, no sleeps):
the old state comes back, every informer relists it (the restore ends each watch with 410),
and the controllers, scheduler and kubelets carry on from there."""
from __future__ import annotations

import pytest

from cluster.client import StatusError
from cluster.client import resources as r
from controllers import scenarios
from tests.controllers.plane_fixtures import deployment, make_plane, pods, running


@pytest.fixture
def snapshots(settings, tmp_path):
    settings.KUBEVIZ_SNAPSHOT_DIR = str(tmp_path / "snapshots")
    return tmp_path / "snapshots"


def _live(client, selector: str = "app=web") -> list[dict]:
    return [p for p in pods(client, selector=selector) if not p["metadata"].get("deletionTimestamp")]


def test_restore_brings_the_cluster_back_and_the_control_plane_carries_on(api, admin_client, snapshots):
    plane = make_plane(api)
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=4), "default")
    plane.run_for(10)
    before = sorted(p["metadata"]["name"] for p in running(admin_client))
    assert len(before) == 4

    taken = scenarios.etcd_snapshot(admin_client)
    assert (snapshots / taken["name"]).is_file()

    admin_client.patch(r.DEPLOYMENTS, "web", {"spec": {"replicas": 1}}, "default")
    admin_client.create(r.DEPLOYMENTS, deployment("api", replicas=2), "default")
    plane.run_for(10)
    assert len(running(admin_client)) == 1 and len(running(admin_client, "app=api")) == 2
    deployments = plane.manager.informers["Deployment"]
    assert deployments.get("default/api") is not None  # the cache saw the change
    revision_before_restore = api.store.revision()

    restored = scenarios.etcd_restore(admin_client)
    assert restored["name"] == taken["name"]
    assert restored["restoredRevision"] > revision_before_restore  # forward, compacted

    plane.run_for(10)
    # The store holds the snapshot's state...
    assert admin_client.get(r.DEPLOYMENTS, "web", "default")["spec"]["replicas"] == 4
    with pytest.raises(StatusError) as gone:
        admin_client.get(r.DEPLOYMENTS, "api", "default")
    assert gone.value.code == 404
    # ...every informer relisted it (no stale "api" left in a cache, "web" back at 4)...
    assert deployments.get("default/api") is None
    assert deployments.get("default/web")["spec"]["replicas"] == 4
    assert int(deployments.resource_version) >= restored["restoredRevision"]
    assert plane.manager.informers["Pod"].get("default/" + before[0]) is not None
    # ...and the cluster runs it: the snapshot's four pods Running again, nothing of "api" left.
    assert sorted(p["metadata"]["name"] for p in running(admin_client)) == before
    assert len(_live(admin_client)) == 4 and _live(admin_client, "app=api") == []

    # It carries on: a change after the restore is acted on like any other.
    admin_client.patch(r.DEPLOYMENTS, "web", {"spec": {"replicas": 6}}, "default")
    plane.run_for(10)
    assert len(running(admin_client)) == 6
    assert deployments.get("default/web")["status"].get("readyReplicas") == 6
    assert plane.sync() == 0  # quiescent: nothing keeps moving after the restore


def test_compaction_under_a_running_plane_changes_nothing_it_sees(api, admin_client, snapshots):
    plane = make_plane(api)
    admin_client.create(r.DEPLOYMENTS, deployment(replicas=3), "default")
    plane.run_for(10)
    compacted = scenarios.etcd_compact(admin_client)
    assert compacted["compactRevision"] == api.store.revision()
    assert api.store.status().compact_revision == compacted["compactRevision"]
    admin_client.patch(r.DEPLOYMENTS, "web", {"spec": {"replicas": 5}}, "default")
    plane.run_for(10)
    assert len(running(admin_client)) == 5
    with pytest.raises(StatusError) as again:
        scenarios.etcd_compact(admin_client, compacted["compactRevision"])
    assert again.value.code == 400 and str(again.value) == "etcdserver: mvcc: required revision has been compacted"
