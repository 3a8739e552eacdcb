"""Time travel and the desired-state admin, in real Chromium against a live server."""
from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .test_dashboard import ADMIN, _api, _login, _node, _pod, browser  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.e2e


def test_time_travel_to_before_a_pod_existed_and_back(browser, live_cluster):  # noqa: F811
    _api(live_cluster, _node("e2e-tt"))
    page = _login(browser, live_cluster, ADMIN)
    page.wait_for_selector('#live-map [data-node="e2e-tt"]')
    before = int(page.get_attribute("#dashboard", "data-revision"))
    _api(live_cluster, _pod("e2e-tt-1", "e2e-tt"))
    page.wait_for_selector('#live-map [data-node="e2e-tt"] [data-pod="default/e2e-tt-1"]')

    page.fill("#travel-revision", str(before))
    page.click('[data-travel="go"]')
    page.wait_for_selector(f'#travel[data-travel-revision="{before}"]')
    assert page.query_selector('#travel [data-node="e2e-tt"]') is not None
    assert page.query_selector('#travel [data-pod="default/e2e-tt-1"]') is None  # not yet created then
    assert not page.is_visible("#live-map")

    page.click('#travel [data-travel="live"]')
    page.wait_for_selector("#travel:not([data-travel-revision])", state="attached")
    page.wait_for_selector('#live-map [data-pod="default/e2e-tt-1"]', state="visible")

    page.fill("#travel-revision", "999999999")  # the future: a clear message, the live map stays
    page.click('[data-travel="go"]')
    page.wait_for_selector("#travel [data-travel-error]")
    page.close()


def test_scale_a_deployment_in_the_admin_and_watch_the_pods_appear(browser, live_cluster):  # noqa: F811
    page = _login(browser, live_cluster, ADMIN)
    try:
        page.wait_for_selector('[data-workload="Deployment/default/web"]', timeout=15_000)
    except PlaywrightTimeout:
        page.close()
        pytest.skip("no demo Deployment: the control plane does not run in runcluster")
    web = "#live-map [data-pod^='default/web-']:not([data-pod-phase='Terminating'])"
    desired = int(page.get_attribute('[data-workload="Deployment/default/web"]', "data-desired"))
    target = desired + 2
    page.goto(live_cluster.url + "/admin/kube/deployments/default/web/")
    page.fill("input[name=replicas]", str(target))
    page.click('[data-admin="save"]')
    page.wait_for_selector("[data-saved]")
    page.goto(live_cluster.url + "/")
    page.wait_for_selector(f'[data-workload="Deployment/default/web"][data-desired="{target}"]')
    page.wait_for_function(f"document.querySelectorAll(\"{web}\").length >= {target}", timeout=60_000)

    # invalid input: shown next to the field, nothing saved
    page.goto(live_cluster.url + "/admin/kube/deployments/default/web/")
    page.fill("input[name=replicas]", "-1")
    page.click('[data-admin="save"]')
    error = page.wait_for_selector('[data-field-error="replicas"]')
    assert "replicas" in error.inner_text()
    page.close()
