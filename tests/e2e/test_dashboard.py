"""The dashboard in real Chromium (Debian's, through Playwright) against a live server.

Changes are made from another process through the API server, so the page
only sees them if the whole path works: store → watch hub tailing the
database → the consumer's watches → coalesced out-of-band fragments → htmx.
"""
from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ADMIN, VIEWER, PASSWORD = "e2e-admin", "e2e-viewer", "e2e-password-1"

SETUP = """
from django.contrib.auth import get_user_model
from cluster.api.service import api_server
from controllers.plane import admin_client
from cluster.client import resources as r
users = get_user_model()
if not users.objects.filter(username=%(admin)r).exists():
    users.objects.create_superuser(%(admin)r, "", %(password)r)
    users.objects.create_user(%(viewer)r, "", %(password)r)
c = admin_client(api_server())
for obj in %(objects)s:
    resource = {"Node": r.NODES, "Pod": r.PODS, "ClusterRole": r.CLUSTERROLES,
                "ClusterRoleBinding": r.CLUSTERROLEBINDINGS}[obj["kind"]]
    c.create(resource, obj)
"""


def _node(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def _pod(name: str, node: str = "", unschedulable: bool = False) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    if unschedulable:
        spec["nodeSelector"] = {"e2e": "nowhere"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


VIEW_ALL = [
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "e2e-see-all"},
     "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "e2e-see-all"},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "e2e-see-all"},
     "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": VIEWER}]},
]


def _api(live_cluster, *objects: dict) -> None:
    script = SETUP % {"admin": ADMIN, "viewer": VIEWER, "password": PASSWORD, "objects": json.dumps(list(objects))}
    live_cluster.manage("shell", "-c", script)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _login(browser, live_cluster, username: str):
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_cluster.url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#connection.live")
    return page


def test_log_in_see_the_cluster_and_watch_it_change(browser, live_cluster):
    _api(live_cluster, _node("e2e-a"), _node("e2e-b"), _pod("e2e-1", "e2e-a"), _pod("e2e-2", unschedulable=True), *VIEW_ALL)
    page = _login(browser, live_cluster, ADMIN)
    # e2e-a has no kubelet: Ready as created, Unknown once the demo grace period (6 s) passes
    # without a Lease — on a loaded machine that can happen before the page is up
    page.wait_for_selector('[data-node="e2e-a"]:is([data-node-status="Ready"], [data-node-status="Unknown"])')
    page.wait_for_selector('[data-node="e2e-a"] [data-pod="default/e2e-1"][data-pod-node="e2e-a"]')
    pending = page.wait_for_selector('#pending-pods [data-pod="default/e2e-2"][data-pod-node=""]')
    if page.evaluate("document.querySelectorAll('[data-node=\"node-1\"]').length"):  # the scheduler runs
        page.wait_for_selector('#pending-pods [data-pod="default/e2e-2"] .reason:has-text("node")')
    assert pending.get_attribute("data-pod-phase") == "Pending"
    revision = int(page.get_attribute("#dashboard", "data-revision"))
    assert revision > 0

    # another process changes the cluster: the page follows without a reload
    page.evaluate("window.__sameDocument = true")
    _api(live_cluster, _node("e2e-c"), _pod("e2e-3", "e2e-c"))
    page.wait_for_selector('[data-node="e2e-c"] [data-pod="default/e2e-3"]')
    page.wait_for_function(f"Number(document.getElementById('dashboard').dataset.revision) > {revision}")

    # a button: cordon goes through the API as the logged-in user
    page.click('[data-scenario="cordon"][data-target="e2e-b"]')
    page.wait_for_selector('#flash.ok')
    page.wait_for_selector('[data-node="e2e-b"].cordoned')
    page.wait_for_selector('#audit .audit:has-text("e2e-admin")')
    assert page.evaluate("window.__sameDocument") is True
    page.close()


def test_a_viewer_sees_everything_but_a_click_is_forbidden(browser, live_cluster):
    page = _login(browser, live_cluster, VIEWER)
    page.wait_for_selector('[data-node="e2e-a"]')
    page.click('[data-scenario="cordon"][data-target="e2e-a"]')
    flash = page.wait_for_selector('#flash.error')
    assert "403" in flash.inner_text() and "forbidden" in flash.inner_text().lower()
    assert page.get_attribute('[data-node="e2e-a"]', "class").count("cordoned") == 0
    page.wait_for_selector('#audit .audit.denied:has-text("e2e-viewer")')
    page.close()


def test_kill_a_node_and_watch_its_pods_move(browser, live_cluster):
    page = _login(browser, live_cluster, ADMIN)
    try:
        page.wait_for_selector('[data-node="node-1"] [data-pod]', timeout=10_000)
    except PlaywrightTimeout:
        page.close()
        pytest.skip("the control plane does not run in runcluster yet: no demo nodes with pods")
    web = "[data-pod^='default/web-']"
    on_node_1 = page.eval_on_selector_all(f'[data-node="node-1"] {web}', "els => els.map(e => e.dataset.pod)")
    replicas = len(page.query_selector_all(web))
    assert on_node_1, "the demo Deployment has pods on node-1"
    page.click('[data-scenario="kill-node"][data-target="node-1"]')
    page.wait_for_selector('#flash.ok')
    page.wait_for_selector('[data-node="node-1"]:is([data-node-status="Unknown"], [data-node-status="NotReady"])',
                           timeout=120_000)
    # the lost pods go, and the Deployment's replacements run on the surviving nodes
    page.wait_for_function(
        """([web, lost, replicas]) => {
            if (lost.some(key => document.querySelector(`[data-pod="${key}"][data-pod-phase="Running"]`))) return false;
            const running = [...document.querySelectorAll(web + '[data-pod-phase="Running"]')]
                .filter(e => e.dataset.podNode && e.dataset.podNode !== 'node-1');
            return running.length >= replicas;
        }""", arg=[web, on_node_1, replicas], timeout=240_000)
    page.close()
