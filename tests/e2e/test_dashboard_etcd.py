"""Issue #5's etcd buttons in real Chromium: snapshot, delete a Deployment, restore — the page's
watches end (the restore is marked compacted), it reconnects and the Deployment is back; a
compaction below the compact revision shows etcd's words; a viewer's click shows the 403."""
from __future__ import annotations

import pytest

from .test_dashboard import ADMIN, PASSWORD, VIEWER, _api, _login, browser  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.e2e

SETUP = """
from cluster.api.service import api_server
from controllers.plane import admin_client
from cluster.client import resources as r
c = admin_client(api_server())
c.create(r.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e2e-etcd"}})
labels = {"app": "keep"}
c.create(r.DEPLOYMENTS, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "keep", "namespace": "e2e-etcd"},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
         "spec": {"containers": [{"name": "keep", "image": "nginx:1.27"}]}}}}, "e2e-etcd")
"""
DELETE = """
from cluster.api.service import api_server
from controllers.plane import admin_client
from cluster.client import resources as r
admin_client(api_server()).delete(r.DEPLOYMENTS, "keep", "e2e-etcd")
"""
ROW = '[data-workload="Deployment/e2e-etcd/keep"]'


def _click(page, selector: str, outcome: str):
    page.evaluate("document.getElementById('flash').className = 'flash'")
    page.click(selector)
    return page.wait_for_selector(f"#flash.{outcome}")


def test_snapshot_delete_restore_compact_and_a_viewers_click(browser, live_cluster):  # noqa: F811
    _api(live_cluster)  # the dashboard users
    live_cluster.manage("shell", "-c", SETUP)
    page = _login(browser, live_cluster, ADMIN)
    page.wait_for_selector(ROW)

    flash = _click(page, '[data-scenario="etcd-snapshot"]', "ok")
    assert "etcd-snapshot: done (snapshot-" in flash.inner_text()
    assert len(list((live_cluster.workdir / "snapshots").glob("snapshot-*.db"))) == 1

    live_cluster.manage("shell", "-c", DELETE)
    page.wait_for_selector(ROW, state="detached")

    flash = _click(page, '[data-scenario="etcd-restore"]', "ok")
    assert "restored" in flash.inner_text()
    # the page's watches ended with 410; it reconnects, and the fresh snapshot has the Deployment back
    page.wait_for_selector(ROW, timeout=30_000)
    page.wait_for_selector("#connection.live")

    page.fill("#etcd-compact-revision", "1")
    flash = _click(page, '[data-scenario="etcd-compact"]', "error")
    assert "400" in flash.inner_text() and "etcdserver: mvcc: required revision has been compacted" in flash.inner_text()

    viewer = _login(browser, live_cluster, VIEWER)
    flash = _click(viewer, '[data-scenario="etcd-snapshot"]', "error")
    assert f'forbidden: User "{VIEWER}" cannot post path "/kubeviz/etcd/snapshot"' in flash.inner_text()
    assert flash.get_attribute("data-code") == "403"
    assert len(list((live_cluster.workdir / "snapshots").glob("snapshot-*.db"))) == 1
