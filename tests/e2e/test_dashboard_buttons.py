"""Issue #5's scenario buttons in real Chromium: a workload's +1 / −1 / roll out, a pod's crash
and delete, deleting a namespace — and a viewer with no RBAC binding at all sees the cluster,
but every click answers 403."""
from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .test_dashboard import ADMIN, PASSWORD, _api, _login, browser  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.e2e
PLAIN_VIEWER = "e2e-plain-viewer"

SETUP = """
from django.contrib.auth import get_user_model
from cluster.api.service import api_server
from controllers.plane import admin_client
from cluster.client import resources as r
users = get_user_model()
if not users.objects.filter(username=%(viewer)r).exists():
    users.objects.create_user(%(viewer)r, "", %(password)r)
c = admin_client(api_server())
c.create(r.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e2e-btn"}})
labels = {"app": "btn"}
c.create(r.DEPLOYMENTS, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "btn", "namespace": "e2e-btn"},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
         "spec": {"containers": [{"name": "btn", "image": "nginx:1.27"}]}}}}, "e2e-btn")
"""


def _running(page) -> list[str]:
    return page.eval_on_selector_all(
        '#live-map [data-pod^="e2e-btn/btn-"][data-pod-phase="Running"]', "els => els.map(e => e.dataset.pod)")


def test_workload_pod_and_namespace_buttons(browser, live_cluster):  # noqa: F811
    _api(live_cluster)  # the dashboard users
    live_cluster.manage("shell", "-c", SETUP % {"viewer": PLAIN_VIEWER, "password": PASSWORD})
    page = _login(browser, live_cluster, ADMIN)
    row = '[data-workload="Deployment/e2e-btn/btn"]'
    try:
        page.wait_for_selector(f'{row}[data-ready="1"]', timeout=60_000)
    except PlaywrightTimeout:
        page.close()
        pytest.skip("the control plane does not run in runcluster: nothing reconciles the Deployment")

    page.click('[data-scenario="scale-up"][data-target="e2e-btn/btn"]')
    page.wait_for_selector(f'{row}[data-desired="2"]')
    page.wait_for_function("n => document.querySelectorAll("
                           "'#live-map [data-pod^=\"e2e-btn/btn-\"][data-pod-phase=\"Running\"]').length >= n",
                           arg=2, timeout=60_000)

    victim = _running(page)[0]
    page.click(f'[data-scenario="crash-pod"][data-target="{victim}"]')
    page.wait_for_selector("#flash.ok")
    page.wait_for_selector(f'[data-pod="{victim}"] .restarts', timeout=60_000)

    page.click(f'[data-scenario="delete-pod"][data-target="{victim}"]')
    page.wait_for_function(
        """victim => !document.querySelector(`[data-pod="${victim}"][data-pod-phase="Running"]`)
            && [...document.querySelectorAll('#live-map [data-pod^="e2e-btn/btn-"][data-pod-phase="Running"]')]
               .filter(e => e.dataset.pod !== victim).length >= 2""", arg=victim, timeout=60_000)

    page.click('[data-scenario="rollout"][data-target="e2e-btn/btn"]')
    page.wait_for_selector(f'{row} :text("nginx:1.28")')
    page.click('[data-scenario="scale-down"][data-target="e2e-btn/btn"]')
    page.wait_for_selector(f'{row}[data-desired="1"]')

    # a viewer with no binding at all: sees the workload, and every click is a 403
    viewer = _login(browser, live_cluster, PLAIN_VIEWER)
    viewer.wait_for_selector(row)
    viewer.wait_for_selector('#live-map [data-pod^="e2e-btn/btn-"]')
    for selector in ('[data-scenario="scale-up"][data-target="e2e-btn/btn"]',
                     '#live-map [data-pod^="e2e-btn/btn-"] [data-scenario="delete-pod"]',
                     '[data-scenario="delete-namespace"][data-target="e2e-btn"]'):
        viewer.evaluate("document.getElementById('flash').className = 'flash'")
        viewer.click(selector)
        flash = viewer.wait_for_selector("#flash.error")
        assert "403" in flash.inner_text() and "forbidden" in flash.inner_text().lower(), selector
    assert viewer.get_attribute(row, "data-desired") == "1"
    viewer.close()

    page.click('[data-scenario="delete-namespace"][data-target="e2e-btn"]')
    page.wait_for_selector("#flash.ok")
    page.wait_for_selector(row, state="detached", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('#live-map [data-pod^=\"e2e-btn/\"]')", timeout=60_000)
    page.close()
