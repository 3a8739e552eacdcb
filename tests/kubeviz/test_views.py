"""The dashboard's pages and buttons: login required, CSRF, RBAC through the API."""
from __future__ import annotations

import pytest
from django.test import Client

from cluster.client import resources as r

from .conftest import node


def test_index_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_index_renders_the_shell(client, superuser):
    client.force_login(superuser)
    body = client.get("/").content.decode()
    assert 'id="dashboard" data-revision="0" hx-ext="ws" ws-connect="/ws/dashboard/"' in body
    assert "vendor/htmx/htmx-2.0.11.min.js" in body and "htmx-ext-ws-2.0.4.min.js" in body
    assert 'data-scenario="add-node"' in body


def test_scenario_requires_login_and_post(client, superuser):
    assert client.post("/dashboard/scenario/cordon", {"target": "x"}).status_code == 302
    client.force_login(superuser)
    assert client.get("/dashboard/scenario/cordon").status_code == 405


def test_scenario_requires_csrf(superuser, live_api):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    assert client.post("/dashboard/scenario/cordon", {"target": "node-a"}).status_code == 403
    client.get("/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/dashboard/scenario/cordon", {"target": "node-a"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 404  # through to the API server: no such node


def test_cordon_goes_through_the_api(client, superuser, live_api, admin_client):
    admin_client.create(r.NODES, node("node-a"))
    client.force_login(superuser)
    response = client.post("/dashboard/scenario/cordon", {"target": "node-a"})
    assert response.status_code == 200, response.content
    assert admin_client.get(r.NODES, "node-a")["spec"]["unschedulable"] is True
    client.post("/dashboard/scenario/uncordon", {"target": "node-a"})
    assert not admin_client.get(r.NODES, "node-a")["spec"].get("unschedulable")
    audit = live_api.audit.recent(5)
    assert any(rec.user == "admin" and rec.verb == "patch" for rec in audit)


def test_a_viewer_sees_the_403(client, viewer, live_api, admin_client):
    admin_client.create(r.NODES, node("node-a"))
    client.force_login(viewer)
    response = client.post("/dashboard/scenario/cordon", {"target": "node-a"})
    assert response.status_code == 403
    body = response.content.decode()
    assert 'class="flash error"' in body and "forbidden" in body.lower() and "viewer" in body
    assert not admin_client.get(r.NODES, "node-a")["spec"].get("unschedulable")


def test_unknown_scenario(client, superuser):
    client.force_login(superuser)
    assert client.post("/dashboard/scenario/explode", {"target": "x"}).status_code == 404


def test_clock_needs_staff_and_a_plane(client, viewer, superuser):
    client.force_login(viewer)
    assert client.post("/dashboard/clock/pause").status_code == 403
    client.force_login(superuser)
    response = client.post("/dashboard/clock/pause")
    assert response.status_code in (200, 409)


def test_clock_controls(client, superuser, monkeypatch):
    from controllers.clock import SimClock
    from kubeviz.live import sources

    clock = SimClock()
    monkeypatch.setattr(sources, "clock", lambda: clock)
    client.force_login(superuser)
    assert client.post("/dashboard/clock/pause").status_code == 200 and clock.paused
    before = clock.now()
    client.post("/dashboard/clock/step", {"value": "1"})
    assert clock.now() == pytest.approx(before + 1)
    client.post("/dashboard/clock/speed", {"value": "5"})
    assert clock.speed == 5
    assert client.post("/dashboard/clock/speed", {"value": "500"}).status_code == 400
    client.post("/dashboard/clock/resume")
    assert not clock.paused


def test_step_runs_the_next_scheduled_pass(client, superuser, monkeypatch):
    """``step`` with no value: simulated time jumps to the next timer (a requeue_after, a
    grace period) and runs it — one reconcile pass — and no further."""
    from controllers.clock import SimClock
    from kubeviz.live import sources

    clock = SimClock()
    monkeypatch.setattr(sources, "clock", lambda: clock)
    ran = []
    start = clock.now()
    clock.call_later(7.5, lambda: ran.append("first"))
    clock.call_later(20, lambda: ran.append("second"))
    client.force_login(superuser)
    client.post("/dashboard/clock/pause")
    response = client.post("/dashboard/clock/step")
    assert response.status_code == 200 and "to the next scheduled pass" in response.content.decode()
    assert ran == ["first"] and clock.now() == pytest.approx(start + 7.5)
    client.post("/dashboard/clock/step")
    assert ran == ["first", "second"] and clock.now() == pytest.approx(start + 20)


def test_the_speed_menu_offers_0_25x_to_50x_by_plain_numbers(client, superuser, monkeypatch):
    from controllers.clock import SimClock
    from kubeviz.live import sources

    clock = SimClock(speed=10)
    monkeypatch.setattr(sources, "clock", lambda: clock)
    client.force_login(superuser)
    body = client.get("/").content.decode()
    for value in ("0.25", "0.5", "1", "2", "5", "10", "50"):
        assert f'<option value="{value}"' in body, value
    assert '<option value="10" selected>10×</option>' in body and 'data-clock-speed="10"' in body
    assert client.post("/dashboard/clock/speed", {"value": "50"}).status_code == 200 and clock.speed == 50
    body = client.post("/dashboard/clock/pause").content.decode()
    assert 'data-clock-paused="true"' in body and "paused · 50×" in body
